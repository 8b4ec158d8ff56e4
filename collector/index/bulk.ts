import type { Client } from '@elastic/elasticsearch';
import type { Logger } from '../../common/log.js';
import { dailyIndex } from '../../common/index-names.js';

interface ActionTarget {
  index: string;
  /** Deterministic (sensor id + sequence + position), so a retried batch never duplicates. */
  id: string;
}

/** A document to create: as an object, or already serialised (the connection records' path, which builds the text directly). */
export type IndexAction = (ActionTarget & { doc: Record<string, unknown> }) | (ActionTarget & { json: string });

function documentText(a: IndexAction): string {
  return 'json' in a ? a.json : JSON.stringify(a.doc);
}

export interface BulkOutcome {
  created: number;
  /** Already present: an earlier attempt got there first. Counted as done. */
  existed: number;
  deadLettered: number;
  attempts: number;
}

export interface BulkIndexerOptions {
  prefix: string;
  log: Logger;
  maxDocsPerRequest?: number;
  maxBytesPerRequest?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Observes each failed attempt (for metrics): status is 0 when ES did not answer. */
  onRetry?: (status: number, reason: string) => void;
}

type ItemFate = 'created' | 'existed' | 'retry' | 'reject';

function fateOf(status: number, errorType: string | undefined): ItemFate {
  if (status === 200 || status === 201) return 'created';
  if (status === 409 && errorType === 'version_conflict_engine_exception') return 'existed';
  if (status === 429 || status >= 500) return 'retry';
  return 'reject';
}

/**
 * Writes documents with `create` and deterministic ids and does not return until every
 * one is durable: indexed, found already indexed, or (when Elasticsearch refuses the
 * document itself, e.g. a mapping conflict) written to the dead-letter index with the
 * reason. Elasticsearch being down or overloaded is waited out with back-off; the caller
 * acknowledges its queue entries only after this resolves.
 */
export class BulkIndexer {
  private readonly maxDocs: number;
  private readonly maxBytes: number;
  private readonly initialBackoff: number;
  private readonly maxBackoff: number;

  constructor(
    private readonly client: Client,
    private readonly opts: BulkIndexerOptions,
  ) {
    this.maxDocs = opts.maxDocsPerRequest ?? 5000;
    this.maxBytes = opts.maxBytesPerRequest ?? 8 * 1024 * 1024;
    this.initialBackoff = opts.initialBackoffMs ?? 200;
    this.maxBackoff = opts.maxBackoffMs ?? 30_000;
  }

  async indexAll(actions: readonly IndexAction[], signal?: AbortSignal): Promise<BulkOutcome> {
    const outcome: BulkOutcome = { created: 0, existed: 0, deadLettered: 0, attempts: 0 };
    let pending: IndexAction[] = actions.slice();
    let backoff = this.initialBackoff;
    while (pending.length > 0) {
      signal?.throwIfAborted();
      const { body, count } = this.nextRequest(pending);
      const chunk = pending.slice(0, count);
      outcome.attempts++;
      const result = await this.send(body);
      if (result.kind === 'failed') {
        this.opts.onRetry?.(result.status, result.reason);
        // Unreachable or overloaded is routine (warn); any other refusal of the whole request
        // (credentials, permissions) needs a person, but the documents still wait, unlost.
        const level = result.status === 0 || result.status === 429 || result.status >= 500 ? 'warn' : 'error';
        this.opts.log[level]({ status: result.status, reason: result.reason, pending: pending.length, retryInMs: backoff }, 'Elasticsearch bulk request failed; retrying');
        await sleepAbortable(jitter(backoff), signal);
        backoff = Math.min(backoff * 2, this.maxBackoff);
        continue;
      }
      const retry: IndexAction[] = [];
      const rejected: Array<{ action: IndexAction; status: number; type: string; reason: string }> = [];
      result.items.forEach((item, i) => {
        const action = chunk[i]!;
        const fate = fateOf(item.status, item.error?.type);
        if (fate === 'created') outcome.created++;
        else if (fate === 'existed') outcome.existed++;
        else if (fate === 'retry') retry.push(action);
        else rejected.push({ action, status: item.status, type: item.error?.type ?? 'unknown', reason: item.error?.reason ?? 'no reason given' });
      });
      if (rejected.length > 0) {
        // Dead letters go through this same loop, so they too are durable before we return.
        const letters = rejected.map((r) => this.deadLetter(r.action, r.status, r.type, r.reason));
        for (const r of rejected) this.opts.log.error({ index: r.action.index, id: r.action.id, status: r.status, type: r.type, reason: r.reason }, 'document refused by Elasticsearch; sent to the dead-letter index');
        const dl = await this.indexAll(letters, signal);
        outcome.deadLettered += dl.created + dl.existed;
        outcome.attempts += dl.attempts;
      }
      pending = retry.concat(pending.slice(count));
      if (retry.length > 0) {
        this.opts.onRetry?.(429, `${retry.length} documents throttled`);
        await sleepAbortable(jitter(backoff), signal);
        backoff = Math.min(backoff * 2, this.maxBackoff);
      } else {
        backoff = this.initialBackoff;
      }
    }
    return outcome;
  }

  private deadLetter(action: IndexAction, status: number, type: string, reason: string): IndexAction {
    const now = Date.now();
    return {
      index: dailyIndex(this.opts.prefix, 'deadletter', now),
      id: action.id,
      doc: {
        '@timestamp': new Date(now).toISOString(),
        error: { status, type, reason },
        original: { index: action.index, id: action.id },
        document: documentText(action),
      },
    };
  }

  /**
   * Builds one NDJSON bulk body from the head of the queue, bounded in documents and bytes.
   * The lines are encoded straight into one buffer: a string body of thousands of appended
   * lines would be flattened to count its bytes and then encoded again to be written.
   */
  private nextRequest(pending: readonly IndexAction[]): { body: Buffer; count: number } {
    let body: Buffer | undefined;
    let bytes = 0;
    let count = 0;
    while (count < pending.length && count < this.maxDocs) {
      const a = pending[count]!;
      const lines = `{"create":{"_index":${JSON.stringify(a.index)},"_id":${JSON.stringify(a.id)}}}\n${documentText(a)}\n`;
      if (count > 0 && bytes + lines.length > this.maxBytes) break;
      // UTF-8 takes at most 3 bytes per UTF-16 unit.
      const room = lines.length * 3;
      if (!body || body.length - bytes < room) {
        // Sized from the first document for the whole request, grown by doubling if that was short.
        const want = body ? Math.max(body.length * 2, bytes + room) : Math.max(room, Math.ceil(lines.length * 1.25) * Math.min(pending.length, this.maxDocs) + 65_536);
        const grown = Buffer.allocUnsafe(want);
        if (body) body.copy(grown, 0, 0, bytes);
        body = grown;
      }
      bytes += body.write(lines, bytes);
      count++;
    }
    return { body: body ? body.subarray(0, bytes) : Buffer.alloc(0), count };
  }

  private async send(body: Buffer): Promise<
    | { kind: 'ok'; items: Array<{ status: number; error?: { type: string; reason?: string } }> }
    | { kind: 'failed'; status: number; reason: string }
  > {
    try {
      const res = await this.client.transport.request(
        // The transport sets the versioned NDJSON content type the server expects.
        // Each item's status and error is all that is read: the rest of a 5,000-item answer
        // (ids, versions, shard counts) is work for Elasticsearch to write and for us to parse.
        { method: 'POST', path: '/_bulk', querystring: { filter_path: 'items.*.status,items.*.error' }, bulkBody: body },
        { meta: true },
      );
      const parsed = res.body as { items: Array<Record<string, { status: number; error?: { type: string; reason?: string } }>> };
      return { kind: 'ok', items: parsed.items.map((it) => Object.values(it)[0]!) };
    } catch (err) {
      const e = err as { meta?: { statusCode?: number }; message?: string; name?: string };
      return { kind: 'failed', status: e.meta?.statusCode ?? 0, reason: `${e.name ?? 'Error'}: ${e.message ?? String(err)}`.slice(0, 300) };
    }
  }
}

function jitter(ms: number): number {
  return Math.round(ms * (0.5 + Math.random() * 0.5));
}

function sleepAbortable(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

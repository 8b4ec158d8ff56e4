import type { Client } from '@elastic/elasticsearch';
import type { Logger } from '../../common/log.js';
import { dailyIndex } from '../../common/index-names.js';
import { BulkBody } from './bulk-body.js';

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

  /** Writes documents given as objects or JSON text (alerts, health, dead letters). */
  async indexAll(actions: readonly IndexAction[], signal?: AbortSignal): Promise<BulkOutcome> {
    const body = new BulkBody(64 * 1024, Math.max(actions.length, 1));
    for (const a of actions) body.add(a.index, a.id, documentText(a));
    return this.indexBody(body, signal);
  }

  /**
   * Writes every item of a body, in requests bounded in documents and bytes. The body is
   * only read: the caller may clear and reuse it once this resolves.
   */
  async indexBody(body: BulkBody, signal?: AbortSignal): Promise<BulkOutcome> {
    const outcome: BulkOutcome = { created: 0, existed: 0, deadLettered: 0, attempts: 0 };
    let current = body;
    let from = 0;
    let backoff = this.initialBackoff;
    while (from < current.count) {
      signal?.throwIfAborted();
      const to = current.requestEnd(from, this.maxDocs, this.maxBytes);
      outcome.attempts++;
      const result = await this.send(current.bytesOf(from, to));
      if (result.kind === 'failed') {
        this.opts.onRetry?.(result.status, result.reason);
        // Unreachable or overloaded is routine (warn); any other refusal of the whole request
        // (credentials, permissions) needs a person, but the documents still wait, unlost.
        const level = result.status === 0 || result.status === 429 || result.status >= 500 ? 'warn' : 'error';
        this.opts.log[level]({ status: result.status, reason: result.reason, pending: current.count - from, retryInMs: backoff }, 'Elasticsearch bulk request failed; retrying');
        await sleepAbortable(jitter(backoff), signal);
        backoff = Math.min(backoff * 2, this.maxBackoff);
        continue;
      }
      const retry: number[] = [];
      const rejected: Array<{ item: number; status: number; type: string; reason: string }> = [];
      for (let i = from; i < to; i++) {
        const item = result.items[i - from];
        // An answer short of items (never seen) leaves the missing ones to be sent again.
        const fate = item === undefined ? 'retry' : fateOf(item.status, item.error?.type);
        if (fate === 'created') outcome.created++;
        else if (fate === 'existed') outcome.existed++;
        else if (fate === 'retry') retry.push(i);
        else rejected.push({ item: i, status: item!.status, type: item!.error?.type ?? 'unknown', reason: item!.error?.reason ?? 'no reason given' });
      }
      if (rejected.length > 0) {
        // Dead letters go through this same loop, so they too are durable before we return.
        const letters = rejected.map((r) => {
          const target = current.target(r.item);
          this.opts.log.error({ index: target.index, id: target.id, status: r.status, type: r.type, reason: r.reason }, 'document refused by Elasticsearch; sent to the dead-letter index');
          return this.deadLetter(target, current.documentText(r.item), r.status, r.type, r.reason);
        });
        const dl = await this.indexAll(letters, signal);
        outcome.deadLettered += dl.created + dl.existed;
        outcome.attempts += dl.attempts;
      }
      from = to;
      if (retry.length > 0) {
        this.opts.onRetry?.(429, `${retry.length} documents throttled`);
        // The throttled documents first, then the rest, in a body of their own.
        for (let i = to; i < current.count; i++) retry.push(i);
        current = current.pick(retry);
        from = 0;
        await sleepAbortable(jitter(backoff), signal);
        backoff = Math.min(backoff * 2, this.maxBackoff);
      } else {
        backoff = this.initialBackoff;
      }
    }
    return outcome;
  }

  private deadLetter(target: ActionTarget, documentJson: string, status: number, type: string, reason: string): IndexAction {
    const now = Date.now();
    return {
      index: dailyIndex(this.opts.prefix, 'deadletter', now),
      id: target.id,
      doc: {
        '@timestamp': new Date(now).toISOString(),
        error: { status, type, reason },
        original: { index: target.index, id: target.id },
        document: documentJson,
      },
    };
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
      return { kind: 'ok', items: parsed.items.map((it) => it.create ?? Object.values(it)[0]!) };
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

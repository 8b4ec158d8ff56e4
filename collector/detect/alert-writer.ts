import type { Client } from '@elastic/elasticsearch';
import type { Logger } from '../../common/log.js';
import { sleep } from '../../common/process.js';
import type { AlertDocument, AlertEvent, AlertUpdate } from '../../rules/alert.js';
import { alertEventsStream } from '../../rules/alert.js';
import { alertEventOf, encodeAlertEvent } from '../../rules/alert-events.js';
import type { DetectionOutput } from '../../rules/worker.js';
import type { BulkIndexer } from '../index/bulk.js';
import type { RedisClient } from '../streams/redis.js';

export interface AlertWriterOptions {
  es: Client;
  indexer: BulkIndexer;
  redis: RedisClient;
  keyPrefix: string;
  log: Logger;
  /** Approximate length the live event stream is kept to (consoles resume within it). */
  eventsMaxLen: number;
  /** How long an update waits for its alert to appear (another worker may still be creating it). */
  missingAlertWaitMs?: number;
  signal?: AbortSignal;
}

export interface WriteOutcome {
  created: number;
  /** Alerts that were already there: a batch processed again after a crash. */
  existed: number;
  updated: number;
  /** Updates whose alert never appeared (refused by Elasticsearch, or deleted by retention). */
  orphaned: number;
  published: number;
}

const statusOf = (err: unknown): number | undefined => (err as { meta?: { statusCode?: number } }).meta?.statusCode;

/**
 * Makes the engine's output durable and visible: new alerts are created with their
 * deterministic ids (a batch processed twice finds them there), updates are folded into
 * the stored documents under optimistic concurrency (an analyst's triage written in
 * between is kept), and every change goes to the live event stream the consoles follow.
 * Events are published for alerts found already there too: after a crash between the
 * write and the publish, the replay is what tells the consoles (they key by alert id).
 */
export class AlertWriter {
  private readonly stream: string;

  constructor(private readonly o: AlertWriterOptions) {
    this.stream = alertEventsStream(o.keyPrefix);
  }

  async write(out: DetectionOutput): Promise<WriteOutcome> {
    const outcome: WriteOutcome = { created: 0, existed: 0, updated: 0, orphaned: 0, published: 0 };
    const events: AlertEvent[] = [];
    if (out.created.length > 0) {
      const r = await this.o.indexer.indexAll(
        out.created.map((c) => ({ index: c.index, id: c.doc.event.id, doc: c.doc as unknown as Record<string, unknown> })),
        this.o.signal,
      );
      outcome.created = r.created;
      outcome.existed = r.existed;
      for (const c of out.created) if (c.doc.rule.mode === 'alert') events.push(alertEventOf('created', c.index, c.doc));
    }
    // One update per alert, the latest: the engine may fold several batches' repeats into one.
    const latest = new Map<string, AlertUpdate>();
    for (const u of out.updated) {
      const prev = latest.get(u.id);
      latest.set(u.id, prev ? { ...u, suppressed: Math.max(prev.suppressed, u.suppressed), end: prev.end > u.end ? prev.end : u.end } : u);
    }
    const { written, orphaned } = await this.applyUpdates([...latest.values()]);
    outcome.orphaned = orphaned;
    outcome.updated = written.length;
    for (const { u, doc } of written) if (doc.rule.mode === 'alert') events.push(alertEventOf('updated', u.index, doc));
    if (events.length > 0) {
      const pipeline = this.o.redis.pipeline();
      for (const e of events) pipeline.xadd(this.stream, 'MAXLEN', '~', String(this.o.eventsMaxLen), '*', ...encodeAlertEvent(e));
      for (const [err] of (await pipeline.exec()) ?? []) if (err) throw err;
      outcome.published = events.length;
    }
    return outcome;
  }

  /**
   * Raises each stored alert's repeat count and end time to its update's (never lowers
   * them: updates from two workers may arrive in either order), in one read (mget) and one
   * conditional write (bulk with if_seq_no) per round, however many alerts changed. A
   * write that lost to another (a triage, another worker) is read and tried again; an
   * alert not there yet (another worker still creating it) is waited for, then counted
   * as orphaned. Elasticsearch unreachable or overloaded is waited out.
   */
  private async applyUpdates(updates: AlertUpdate[]): Promise<{ written: Array<{ u: AlertUpdate; doc: AlertDocument }>; orphaned: number }> {
    const written: Array<{ u: AlertUpdate; doc: AlertDocument }> = [];
    let orphaned = 0;
    let pending = updates;
    const waitUntil = Date.now() + (this.o.missingAlertWaitMs ?? 20_000);
    let backoff = 50;
    while (pending.length > 0) {
      this.o.signal?.throwIfAborted();
      const again: AlertUpdate[] = [];
      const missing: AlertUpdate[] = [];
      try {
        const read = await this.o.es.mget<AlertDocument>({ docs: pending.map((u) => ({ _index: u.index, _id: u.id })) });
        const writes: Array<{ u: AlertUpdate; doc: AlertDocument; seqNo: number; primaryTerm: number }> = [];
        read.docs.forEach((d, i) => {
          const u = pending[i]!;
          if (!('found' in d) || !d.found || !d._source) return void missing.push(u);
          const cur = d._source;
          const suppressed = Math.max(cur.chot.alert.suppressed ?? 0, u.suppressed);
          const end = cur.event.end > u.end ? cur.event.end : u.end;
          if (suppressed === cur.chot.alert.suppressed && end === cur.event.end) return;
          const doc: AlertDocument = { ...cur, event: { ...cur.event, end }, chot: { ...cur.chot, alert: { ...cur.chot.alert, suppressed } } };
          writes.push({ u, doc, seqNo: d._seq_no!, primaryTerm: d._primary_term! });
        });
        if (writes.length > 0) {
          const res = await this.o.es.bulk({ operations: writes.flatMap((w) => [{ index: { _index: w.u.index, _id: w.u.id, if_seq_no: w.seqNo, if_primary_term: w.primaryTerm } }, w.doc]) });
          res.items.forEach((item, i) => {
            const r = item.index!;
            const w = writes[i]!;
            if (r.status < 300) written.push({ u: w.u, doc: w.doc });
            else if (r.status === 409 || r.status === 429 || r.status >= 500) again.push(w.u); // written in between, or busy: read again
            else throw new Error(`alert ${w.u.id}: update refused (${r.status}): ${r.error?.reason ?? 'no reason given'}`);
          });
        }
      } catch (err) {
        const status = statusOf(err);
        if (status !== undefined && status !== 429 && status < 500) throw err;
        this.o.log.warn({ alerts: pending.length, err: (err as Error).message }, 'Elasticsearch unavailable for alert updates; retrying');
        again.push(...pending.filter((u) => !missing.includes(u) && !written.some((w) => w.u === u) && !again.includes(u)));
      }
      if (missing.length > 0 && Date.now() >= waitUntil) {
        for (const u of missing) this.o.log.error({ alert: u.id, index: u.index, rule: u.ruleId }, 'alert to update is not in Elasticsearch; its repeat count is lost');
        orphaned += missing.length;
      } else again.push(...missing);
      pending = again;
      if (pending.length > 0) {
        await sleep(backoff * (0.5 + Math.random()));
        backoff = Math.min(backoff * 2, 2_000);
      }
    }
    return { written, orphaned };
  }
}

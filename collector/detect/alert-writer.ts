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
    for (const u of latest.values()) {
      const doc = await this.applyUpdate(u);
      if (doc === 'missing') outcome.orphaned++;
      else if (doc) {
        outcome.updated++;
        if (doc.rule.mode === 'alert') events.push(alertEventOf('updated', u.index, doc));
      }
    }
    if (events.length > 0) {
      const pipeline = this.o.redis.pipeline();
      for (const e of events) pipeline.xadd(this.stream, 'MAXLEN', '~', String(this.o.eventsMaxLen), '*', ...encodeAlertEvent(e));
      for (const [err] of (await pipeline.exec()) ?? []) if (err) throw err;
      outcome.published = events.length;
    }
    return outcome;
  }

  /**
   * Raises the stored alert's repeat count and end time to the update's (never lowers
   * them: updates from two workers may arrive in either order). Returns the document
   * written, undefined when it already said as much, 'missing' when it never appeared.
   */
  private async applyUpdate(u: AlertUpdate): Promise<AlertDocument | undefined | 'missing'> {
    const waitUntil = Date.now() + (this.o.missingAlertWaitMs ?? 20_000);
    let backoff = 50;
    for (;;) {
      this.o.signal?.throwIfAborted();
      try {
        const cur = await this.o.es.get<AlertDocument>({ index: u.index, id: u.id }, { ignore: [404] });
        if (!cur.found || !cur._source) {
          if (Date.now() >= waitUntil) {
            this.o.log.error({ alert: u.id, index: u.index, rule: u.ruleId }, 'alert to update is not in Elasticsearch; its repeat count is lost');
            return 'missing';
          }
        } else {
          const doc = cur._source;
          const suppressed = Math.max(doc.chot.alert.suppressed ?? 0, u.suppressed);
          const end = doc.event.end > u.end ? doc.event.end : u.end;
          if (suppressed === doc.chot.alert.suppressed && end === doc.event.end) return undefined;
          const next: AlertDocument = { ...doc, event: { ...doc.event, end }, chot: { ...doc.chot, alert: { ...doc.chot.alert, suppressed } } };
          try {
            await this.o.es.index({ index: u.index, id: u.id, document: next, if_seq_no: cur._seq_no!, if_primary_term: cur._primary_term! });
            return next;
          } catch (err) {
            if (statusOf(err) !== 409) throw err;
            // Written in between (a triage, another worker): read again.
          }
        }
      } catch (err) {
        const status = statusOf(err);
        if (status !== undefined && status !== 429 && status < 500) throw err;
        this.o.log.warn({ alert: u.id, err: (err as Error).message }, 'Elasticsearch unavailable for an alert update; retrying');
      }
      await sleep(backoff * (0.5 + Math.random()));
      backoff = Math.min(backoff * 2, 2_000);
    }
  }
}

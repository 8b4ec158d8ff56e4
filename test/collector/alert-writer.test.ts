import { randomUUID } from 'node:crypto';
import type { Client } from '@elastic/elasticsearch';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertWriter } from '../../collector/detect/alert-writer.js';
import { BulkIndexer } from '../../collector/index/bulk.js';
import { createEsClient } from '../../collector/index/client.js';
import { dailyIndex } from '../../common/index-names.js';
import { INDEX_KINDS } from '../../collector/index/names.js';
import { installIndexTemplates } from '../../collector/index/templates.js';
import { alertEventsStream, type AlertDocument, type AlertEvent } from '../../rules/alert.js';
import { decodeAlertEvent } from '../../rules/alert-events.js';
import { makeAlert } from '../console/support/alerts.js';
import { deleteIndicesWithPrefix, testStackConfig } from '../support/test-stack.js';

const log = pino({ level: 'silent' });

describe('alert writer: the detection workers’ alerts into Elasticsearch and onto the live stream', () => {
  const esPrefix = `chot-aw-${randomUUID().slice(0, 8)}`;
  const keyPrefix = `aw:${randomUUID()}:`;
  let es: Client;
  let redis: Redis;
  let writer: AlertWriter;

  const events = async (): Promise<AlertEvent[]> =>
    ((await redis.xrange(alertEventsStream(keyPrefix), '-', '+')) as Array<[string, string[]]>).map(([, f]) => decodeAlertEvent(f)!.event);
  const stored = async (index: string, id: string): Promise<AlertDocument> => (await es.get<AlertDocument>({ index, id }))._source!;

  beforeAll(async () => {
    const stack = testStackConfig();
    es = createEsClient({ ...stack.elasticsearch, indexPrefix: esPrefix });
    redis = new Redis(stack.redis.url);
    await installIndexTemplates(es, esPrefix, INDEX_KINDS);
    writer = new AlertWriter({ es, indexer: new BulkIndexer(es, { prefix: esPrefix, log }), redis, keyPrefix, log, eventsMaxLen: 1000, missingAlertWaitMs: 300 });
  });
  afterAll(async () => {
    await redis.del(alertEventsStream(keyPrefix));
    redis.disconnect();
    await deleteIndicesWithPrefix(es, esPrefix);
    await es.close();
  });

  it('creates once, announces every time (a batch processed again after a crash), and keeps log-only alerts off the live stream', async () => {
    const doc = makeAlert();
    const index = dailyIndex(esPrefix, 'alerts', Date.parse(doc['@timestamp']));
    expect(await writer.write({ created: [{ index, doc }], updated: [] })).toMatchObject({ created: 1, existed: 0, published: 1 });
    expect(await writer.write({ created: [{ index, doc }], updated: [] })).toMatchObject({ created: 0, existed: 1, published: 1 });
    const tuning = makeAlert({ ruleId: 'chot.test.tuning' });
    tuning.rule.mode = 'log';
    expect(await writer.write({ created: [{ index, doc: tuning }], updated: [] })).toMatchObject({ created: 1, published: 0 });
    expect((await stored(index, tuning.event.id)).rule.mode).toBe('log');
    expect((await events()).map((e) => [e.type, e.alertId])).toEqual([
      ['created', doc.event.id],
      ['created', doc.event.id],
    ]);
  });

  it('folds repeats in without ever lowering the count or undoing an analyst’s triage', async () => {
    const doc = makeAlert();
    const index = dailyIndex(esPrefix, 'alerts', Date.parse(doc['@timestamp']));
    await writer.write({ created: [{ index, doc }], updated: [] });
    // An analyst acts on the alert between the engine's updates.
    const current = await stored(index, doc.event.id);
    await es.index({ index, id: doc.event.id, document: { ...current, chot: { ...current.chot, triage: { ...current.chot.triage, status: 'acknowledged', assignee: 'an' } } } });
    const later = new Date(Date.parse(doc.event.end) + 60_000).toISOString();
    const update = { id: doc.event.id, index, ruleId: doc.rule.id, node: doc.observer.id, severity: doc.chot.alert.severity, suppressed: 7, end: later };
    // Two workers' updates for one alert in one output: the larger wins.
    expect(await writer.write({ created: [], updated: [{ ...update, suppressed: 3 }, update] })).toMatchObject({ updated: 1, published: 1 });
    // An older update arriving late changes nothing and announces nothing.
    expect(await writer.write({ created: [], updated: [{ ...update, suppressed: 5, end: doc.event.end }] })).toMatchObject({ updated: 0, published: 0 });
    const after = await stored(index, doc.event.id);
    expect(after.chot.alert.suppressed).toBe(7);
    expect(after.event.end).toBe(later);
    expect(after.chot.triage).toMatchObject({ status: 'acknowledged', assignee: 'an' });
    const last = (await events()).at(-1)!;
    expect(last).toMatchObject({ type: 'updated', alertId: doc.event.id, status: 'acknowledged' });
    expect(last.doc.chot.alert.suppressed).toBe(7);
  });

  it('gives up on an update whose alert never appears, counting it, and goes on with the rest', async () => {
    const doc = makeAlert();
    const index = dailyIndex(esPrefix, 'alerts', Date.parse(doc['@timestamp']));
    const ghost = { id: `ghost-${randomUUID()}`, index, ruleId: 'x', node: '01', severity: 'low' as const, suppressed: 2, end: doc.event.end };
    const out = await writer.write({ created: [{ index, doc }], updated: [ghost, { ...ghost, id: doc.event.id, suppressed: 4 }] });
    expect(out).toMatchObject({ created: 1, orphaned: 1, updated: 1 });
    expect((await stored(index, doc.event.id)).chot.alert.suppressed).toBe(4);
  });

  it('keeps an alert whose explanation values differ in type from the day’s first alert (no mapping conflict)', async () => {
    const a = makeAlert();
    const b = makeAlert();
    a.chot.alert.explanation.conditions = [{ field: 'destination.port', op: 'eq', expected: 22, actual: 22 }];
    b.chot.alert.explanation.conditions = [{ field: 'dns.question.name', op: 'suffix', expected: ['.evil'], actual: 'x.evil' }];
    a.chot.alert.group = { 'destination.port': 22 };
    b.chot.alert.group = { 'destination.port': 'ssh' };
    const index = dailyIndex(esPrefix, 'alerts', Date.parse(a['@timestamp']));
    const out = await writer.write({ created: [{ index, doc: a }, { index, doc: b }], updated: [] });
    expect(out).toMatchObject({ created: 2 });
    expect((await stored(index, b.event.id)).chot.alert.explanation.conditions[0]!.actual).toBe('x.evil');
  });
});

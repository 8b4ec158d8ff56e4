import type { Client } from '@elastic/elasticsearch';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BulkIndexer, type IndexAction } from '../../collector/index/bulk.js';
import { clusterVersion, createEsClient } from '../../collector/index/client.js';
import { dailyIndex } from '../../common/index-names.js';
import { deleteExpiredIndices } from '../../collector/index/retention.js';
import { installIndexTemplates } from '../../collector/index/templates.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { BulkThrottleProxy } from '../support/bulk-throttle-proxy.js';
import { deleteIndicesWithPrefix, testStackConfig } from '../support/test-stack.js';

const prefix = 'chot-test-idx';
const log = pino({ level: 'silent' });

function connDoc(i: number, at: number, batch = 'none'): Record<string, unknown> {
  return {
    labels: { batch },
    '@timestamp': new Date(at).toISOString(),
    event: { kind: 'event', category: ['network'], dataset: 'chot.conn', duration: 1_000_000 + i },
    source: { ip: `198.18.10.${(i % 200) + 1}`, port: 40000 + (i % 20000), bytes: i, packets: 1 },
    destination: { ip: '198.18.0.10', port: 8443, bytes: 2 * i, packets: 1 },
    network: { transport: 'tcp', community_id: `1:${i}` },
    observer: { id: 'node/01/001/00001', province: '01', district: '001', commune: '00001' },
    zeek: { connection: { state: 'SF', history: 'ShADadFf' } },
  };
}

describe('collector Elasticsearch indexing (real Elasticsearch)', () => {
  let client: Client;
  const now = Date.now();

  beforeAll(async () => {
    const cfg = testStackConfig();
    client = createEsClient({ ...cfg.elasticsearch, indexPrefix: prefix });
    await deleteIndicesWithPrefix(client, prefix);
    await installIndexTemplates(client, prefix, ['conn', 'alerts', 'health', 'deadletter']);
  });

  afterAll(async () => {
    await deleteIndicesWithPrefix(client, prefix);
    await client.close();
  });

  it('reads the cluster version from the node info', async () => {
    expect(await clusterVersion(client)).toMatch(/^8\.19\./);
  });

  it('maps ECS fields with real types, and alerts refresh every second', async () => {
    const indexer = new BulkIndexer(client, { prefix, log });
    await indexer.indexAll([{ index: dailyIndex(prefix, 'conn', now), id: 'probe', doc: connDoc(1, now) }]);
    await indexer.indexAll([{ index: dailyIndex(prefix, 'alerts', now), id: 'probe', doc: { '@timestamp': new Date(now).toISOString(), rule: { id: 'r1' } } }]);
    const mapping = await client.indices.getMapping({ index: dailyIndex(prefix, 'conn', now) });
    const props = Object.values(mapping)[0]!.mappings.properties as Record<string, { properties: Record<string, { type: string }> }>;
    expect(props.source!.properties.ip!.type).toBe('ip');
    expect(props.network!.properties.community_id!.type).toBe('keyword');
    expect(props.observer!.properties.province!.type).toBe('keyword');
    expect(props.event!.properties.duration!.type).toBe('long');
    const settings = await client.indices.getSettings({ index: dailyIndex(prefix, 'alerts', now) });
    expect(Object.values(settings)[0]!.settings!.index!.refresh_interval).toBe('1s');
  });

  it('never duplicates: the same batch indexed twice is found already there', async () => {
    const index = dailyIndex(prefix, 'conn', now);
    const actions: IndexAction[] = Array.from({ length: 3000 }, (_, i) => ({ index, id: `s1:7:${i}`, doc: connDoc(i, now, 'dup') }));
    const indexer = new BulkIndexer(client, { prefix, log, maxDocsPerRequest: 1000 });
    const first = await indexer.indexAll(actions);
    expect(first).toMatchObject({ created: 3000, existed: 0, deadLettered: 0 });
    const again = await indexer.indexAll(actions);
    expect(again).toMatchObject({ created: 0, existed: 3000, deadLettered: 0 });
    await client.indices.refresh({ index });
    expect((await client.count({ index, query: { term: { 'labels.batch': 'dup' } } })).count).toBe(3000);
  });

  it('sends a document Elasticsearch refuses to the dead-letter index with the reason, and indexes the rest', async () => {
    const index = dailyIndex(prefix, 'conn', now);
    const bad = connDoc(5, now);
    (bad.source as Record<string, unknown>).ip = 'not-an-ip<script>';
    const actions: IndexAction[] = [
      { index, id: 'dl:good:1', doc: connDoc(1, now) },
      { index, id: 'dl:bad:1', doc: bad },
      { index, id: 'dl:good:2', doc: connDoc(2, now) },
    ];
    const out = await new BulkIndexer(client, { prefix, log }).indexAll(actions);
    expect(out).toMatchObject({ created: 2, deadLettered: 1 });
    const dlIndex = dailyIndex(prefix, 'deadletter', Date.now());
    await client.indices.refresh({ index: dlIndex });
    const letter = await client.get<{ error: { type: string; reason: string }; original: { index: string; id: string }; document: string }>({ index: dlIndex, id: 'dl:bad:1' });
    expect(letter._source!.error.type).toBe('document_parsing_exception');
    expect(letter._source!.error.reason).toMatch(/source\.ip/);
    expect(letter._source!.original).toEqual({ index, id: 'dl:bad:1' });
    expect(JSON.parse(letter._source!.document)).toEqual(bad);
  });

  it('sends again, first and in order, the documents Elasticsearch refused as overloaded (429) or left out of its answer', async () => {
    const cfg = testStackConfig();
    // Request 1 (items 0-399): 3 refused. Request 2: those 3 first, then 400-796; its answer
    // loses its last item (796). Request 3: 796 again, then 797-999.
    const proxy = new BulkThrottleProxy(new URL(cfg.elasticsearch.url), (n) => (n === 1 ? { refuse: [0, 17, 399] } : n === 2 ? { dropLastItem: true } : {}));
    await proxy.start();
    const viaProxy = createEsClient({ ...cfg.elasticsearch, url: proxy.url, indexPrefix: prefix });
    const index = dailyIndex(prefix, 'conn', now);
    const actions: IndexAction[] = Array.from({ length: 1000 }, (_, i) => ({ index, id: `throttled:${i}`, doc: connDoc(i, now, 'throttled') }));
    const retries: Array<[number, string]> = [];
    try {
      const out = await new BulkIndexer(viaProxy, { prefix, log, maxDocsPerRequest: 400, initialBackoffMs: 10, onRetry: (status, reason) => retries.push([status, reason]) }).indexAll(actions);
      // The item whose answer was lost had been written: found there on the retry.
      expect(out).toMatchObject({ created: 999, existed: 1, deadLettered: 0, attempts: 3 });
      expect(proxy.requests).toBe(3);
      expect(proxy.ids.map((r) => r.length)).toEqual([400, 400, 204]);
      expect(proxy.ids[1]!.slice(0, 4)).toEqual(['throttled:0', 'throttled:17', 'throttled:399', 'throttled:400']);
      expect(proxy.ids[2]!.slice(0, 2)).toEqual(['throttled:796', 'throttled:797']);
      expect(retries).toEqual([[429, '3 documents throttled'], [429, '1 documents throttled']]);
      await client.indices.refresh({ index });
      const found = await client.search<{ source: { bytes: number } }>({ index, size: 1000, query: { term: { 'labels.batch': 'throttled' } }, _source: ['source.bytes'] });
      expect(found.hits.hits.map((h) => h._id).sort()).toEqual(actions.map((a) => a.id).sort());
      expect(found.hits.hits.every((h) => h._source!.source.bytes === Number(h._id!.split(':')[1]))).toBe(true);
    } finally {
      await viaProxy.close();
      await proxy.stop();
    }
  });

  it('waits out Elasticsearch being unreachable and then indexes everything exactly once', async () => {
    const cfg = testStackConfig();
    const target = new URL(cfg.elasticsearch.url);
    const proxy = new TcpProxy(target.hostname, Number(target.port));
    await proxy.start();
    const viaProxy = createEsClient({ ...cfg.elasticsearch, url: `http://127.0.0.1:${proxy.port}`, indexPrefix: prefix });
    const index = dailyIndex(prefix, 'conn', now);
    const actions: IndexAction[] = Array.from({ length: 500 }, (_, i) => ({ index, id: `outage:${i}`, doc: connDoc(i, now, 'outage') }));
    const failures: number[] = [];
    try {
      await proxy.stop();
      const indexer = new BulkIndexer(viaProxy, { prefix, log, initialBackoffMs: 100, maxBackoffMs: 400, onRetry: (status) => failures.push(status) });
      const done = indexer.indexAll(actions);
      await new Promise((r) => setTimeout(r, 2500));
      expect(failures.length).toBeGreaterThan(2);
      await proxy.start();
      const out = await done;
      expect(out.created + out.existed).toBe(500);
      await client.indices.refresh({ index });
      expect((await client.count({ index, query: { term: { 'labels.batch': 'outage' } } })).count).toBe(500);
    } finally {
      await proxy.stop();
      await viaProxy.close();
    }
  });

  it('stops waiting when told to (shutdown), without claiming success', async () => {
    const cfg = testStackConfig();
    const nowhere = createEsClient({ ...cfg.elasticsearch, url: 'http://127.0.0.1:9', indexPrefix: prefix });
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('shutting down')), 500);
    await expect(new BulkIndexer(nowhere, { prefix, log, initialBackoffMs: 50 }).indexAll([{ index: 'chot-test-idx-conn-x', id: 'x', doc: {} }], ac.signal)).rejects.toThrow(/shutting down/);
    await nowhere.close();
  });

  it('deletes only our daily indices older than the retention period', async () => {
    const day = 86_400_000;
    const old = dailyIndex(prefix, 'conn', now - 40 * day);
    const recent = dailyIndex(prefix, 'conn', now - 5 * day);
    const oldHealth = dailyIndex(prefix, 'health', now - 10 * day);
    const foreign = `${prefix}-conn-archive`;
    for (const index of [old, recent, oldHealth, foreign]) await client.indices.create({ index });
    const deleted = await deleteExpiredIndices(client, prefix, { conn: 30, health: 7 }, now);
    expect(deleted).toEqual([old, oldHealth].sort());
    const remaining = await client.indices.exists({ index: [recent, foreign, dailyIndex(prefix, 'conn', now)] });
    expect(remaining).toBe(true);
  });
});

describe('documents from stored batches', () => {
  it('sends a record that cannot be converted to the dead letters instead of blocking its stream', async () => {
    const { batchItems } = await import('../support/bulk-items.js');
    const { sampleRecord } = await import('../support/records.js');
    const good = sampleRecord(1);
    const broken = { ...sampleRecord(2), app: { dns: [{ tsNs: 'not-a-number' }] } };
    const actions = batchItems('chot-x', { sensorId: 's', seq: 7, node: '01/001/00001', receivedMs: Date.UTC(2026, 0, 2), count: 2, recordsJson: JSON.stringify([good, broken]) });
    expect(actions[0]!.index).toBe(`chot-x-conn-${new Date(good.tsSec * 1000).toISOString().slice(0, 10).replace(/-/g, '.')}`);
    expect(actions[1]!.index).toBe('chot-x-deadletter-2026.01.02');
    expect(actions[1]!.id).toBe('s:7:1');
    const letter = actions[1]!;
    expect((JSON.parse(letter.json) as { error: { type: string } }).error.type).toBe('record_conversion');
  });

  it('turns nanosecond times sent as strings back into exact bigints', async () => {
    const { encodeRecord, decodeRecords } = await import('../../sensor/uplink/record-codec.js');
    const { sampleRecord } = await import('../support/records.js');
    const r = { ...sampleRecord(3), app: { dns: [{ tsNs: 1_790_000_000_123_456_789n, rttNs: 1234n, query: '12345' }] } };
    const back = decodeRecords(`[${encodeRecord(r as never)}]`)[0]!;
    expect((back.app as unknown as { dns: Array<{ tsNs: bigint; rttNs: bigint; query: string }> }).dns[0]).toEqual({ tsNs: 1_790_000_000_123_456_789n, rttNs: 1234n, query: '12345' });
  });
});

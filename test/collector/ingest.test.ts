import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { TlsContextManager } from '../../certs/tls/context-manager.js';
import { SensorRegistry } from '../../collector/fleet/registry.js';
import { IngestServer } from '../../collector/ingest/server.js';
import { CollectorMetrics } from '../../collector/metrics.js';
import { BatchStore, parseStreamEntry } from '../../collector/streams/batch-store.js';
import { streamKey } from '../../collector/streams/redis.js';
import { DecodedBatches, entryKey } from '../../collector/streams/decoded-batches.js';
import type { ConnRecord } from '../../sensor/record.js';
import { decodeRecords, encodeRecord } from '../../sensor/uplink/record-codec.js';
import { UplinkClient } from '../../sensor/uplink/client.js';
import { PROTOCOL_PATH, type SensorStats } from '../../sensor/uplink/protocol.js';
import { Spool } from '../../sensor/uplink/spool.js';
import { issueNode, makePki, materialFor, tempDir, type NodeCredentials } from '../certs/fixtures.js';
import { sampleRecord } from '../support/records.js';
import { testStackConfig } from '../support/test-stack.js';

const log = pino({ level: 'silent' });
const stats = (): SensorStats => ({ version: 'test', uptimeS: 1, packets: 0, captureDropsKernel: 0, captureDropsInterface: 0, activeFlows: 0, recordsOut: 0, spoolBatches: 0, spoolBytes: 0, spoolDropped: 0 });

async function until(cond: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('ingest: sensors stream to a collector over mutual TLS into Redis', () => {
  const prefix = `t:${randomUUID()}:`;
  let redis: Redis;
  let server: IngestServer;
  const decoded = new DecodedBatches(16 << 20, 1);
  let url: string;
  let store: BatchStore;
  let pki: Awaited<ReturnType<typeof makePki>>;
  let foreign: Awaited<ReturnType<typeof makePki>>;
  let manager: TlsContextManager;
  let collectorCreds: NodeCredentials;
  const dirs: Array<() => void> = [];

  const sensorTls = (creds: NodeCredentials, which = pki): { key: string; cert: string; ca: string[] } => {
    const m = materialFor(which.pki, creds);
    return { key: m.key, cert: m.cert, ca: [pki.pki.certPem('root')] };
  };

  const uplinkFor = (creds: NodeCredentials, which = pki): { client: UplinkClient; spool: Spool } => {
    const spool = new Spool({ dir: mkdtempSync(join(tmpdir(), 'chot-ingest-spool-')), maxBytes: 64 << 20 });
    const client = new UplinkClient({ collectors: [url], tls: sensorTls(creds, which), sensorId: creds.nodeId, spool, log, stats, backoffBaseMs: 50, backoffMaxMs: 200, reconnectSpreadMs: 0 });
    return { client, spool };
  };

  const storedSeqs = async (sensorId: string): Promise<number[]> =>
    (await redis.xrange(streamKey(prefix, 0), '-', '+')).map(([, f]) => parseStreamEntry(f)).filter((b) => b.sensorId === sensorId).map((b) => b.seq);

  beforeAll(async () => {
    redis = new Redis(testStackConfig().redis.url);
    const a = tempDir('ingest-pki');
    const b = tempDir('ingest-foreign');
    dirs.push(a.cleanup, b.cleanup);
    pki = await makePki(a.dir);
    foreign = await makePki(b.dir);
    collectorCreds = await issueNode(pki.pki, pki.ca, '01', 'collector');
    manager = await TlsContextManager.create(() => materialFor(pki.pki, collectorCreds), { logger: log });
    store = new BatchStore(redis, prefix, 1);
    server = new IngestServer({
      host: '127.0.0.1', port: 0, tls: manager, instanceId: 'c1', store, decoded,
      registry: new SensorRegistry(redis, prefix), metrics: new CollectorMetrics(new Registry()), log,
      limits: { maxBatchBytes: 256 * 1024, maxRecordsPerBatch: 500 },
    });
    const addr = await server.listen();
    url = `wss://127.0.0.1:${addr.port}`;
  });

  afterAll(async () => {
    await server?.close();
    redis?.disconnect();
    for (const d of dirs) d();
  });

  it('stores every batch once, acknowledges it, and records the sensor in the fleet registry', async () => {
    const creds = await issueNode(pki.pki, pki.ca, '01/001/00001', 'sensor');
    const { client, spool } = uplinkFor(creds);
    const seqs = [0, 1, 2].map((b) => spool.append(Buffer.from(JSON.stringify(Array.from({ length: 50 }, (_, i) => sampleRecord(b * 50 + i))))));
    client.start();
    await until(() => client.idle);
    expect(await storedSeqs(creds.nodeId)).toEqual(seqs);
    const entry = (await redis.xrange(streamKey(prefix, 0), '-', '+')).map(([, f]) => parseStreamEntry(f)).find((b) => b.seq === seqs[1]);
    expect(JSON.parse(String(entry!.recordsJson))).toEqual(Array.from({ length: 50 }, (_, i) => JSON.parse(JSON.stringify(sampleRecord(50 + i)))));
    const reg = await new SensorRegistry(redis, prefix).get(creds.nodeId);
    expect(reg).toMatchObject({ sensorId: '01/001/00001', connected: true, collector: 'c1' });
    expect(reg!.stats?.version).toBe('test');
    await client.stop();
    spool.close();
  });

  it('compresses batches on the wire (permessage-deflate) unless the sensor is told not to', async () => {
    for (const [level, extensions] of [[undefined, 'permessage-deflate'], [1, 'permessage-deflate'], [0, '']] as const) {
      const creds = await issueNode(pki.pki, pki.ca, `01/001/0002${level ?? 9}`, 'sensor');
      const spool = new Spool({ dir: mkdtempSync(join(tmpdir(), 'chot-ingest-spool-')), maxBytes: 64 << 20 });
      const client = new UplinkClient({ collectors: [url], tls: sensorTls(creds), sensorId: creds.nodeId, spool, log, stats, compressionLevel: level });
      const seq = spool.append(Buffer.from(JSON.stringify(Array.from({ length: 50 }, (_, i) => sampleRecord(i)))));
      client.start();
      await until(() => client.idle);
      expect(client.extensions, `level ${String(level)}`).toBe(extensions);
      expect(await storedSeqs(creds.nodeId)).toEqual([seq]);
      await client.stop();
      spool.close();
    }
  });

  it('slows a sensor over its record rate (never refuses it), and only that sensor', async () => {
    // A collector of its own with a low limit: 400 records/s, bursts of 400.
    const metrics = new CollectorMetrics(new Registry());
    const limited = new IngestServer({
      host: '127.0.0.1', port: 0, tls: manager, instanceId: 'c-rate', store, registry: new SensorRegistry(redis, prefix), metrics, log,
      limits: { maxBatchBytes: 256 * 1024, maxRecordsPerBatch: 500, recordsPerSecond: 400, burstRecords: 400 },
    });
    const at = `wss://127.0.0.1:${(await limited.listen()).port}`;
    try {
      const connect = async (id: string, batches: number, perBatch: number) => {
        const creds = await issueNode(pki.pki, pki.ca, id, 'sensor');
        const spool = new Spool({ dir: mkdtempSync(join(tmpdir(), 'chot-ingest-spool-')), maxBytes: 64 << 20 });
        const seqs = Array.from({ length: batches }, (_, b) => spool.append(Buffer.from(JSON.stringify(Array.from({ length: perBatch }, (_, i) => sampleRecord(b * perBatch + i))))));
        return { creds, spool, seqs, client: new UplinkClient({ collectors: [at], tls: sensorTls(creds), sensorId: creds.nodeId, spool, log, stats }) };
      };
      // 1,600 records: the burst takes 400, the other 1,200 come at 400/s, so about 3 s.
      const fast = await connect('01/001/00031', 8, 200);
      const quiet = await connect('01/001/00032', 1, 10);
      const t0 = Date.now();
      fast.client.start();
      await until(() => fast.client.counters.batchesAcked >= 3);
      // Meanwhile another sensor is not held back by the first one's limit.
      const q0 = Date.now();
      quiet.client.start();
      await until(() => quiet.client.idle);
      const quietMs = Date.now() - q0;
      expect(fast.client.idle, 'the fast sensor is still being slowed').toBe(false);
      await until(() => fast.client.idle, 20_000);
      const fastMs = Date.now() - t0;
      // At least what the bucket allows (1,200 records over the burst at 400/s), and the quiet
      // sensor was done while the fast one was still held (checked above) and sooner than it.
      expect(fastMs).toBeGreaterThanOrEqual(2500);
      expect(quietMs).toBeLessThan(fastMs);
      // Slowed, never refused: every batch stored, in order, none rejected.
      expect(await storedSeqs(fast.creds.nodeId)).toEqual(fast.seqs);
      expect(fast.client.counters.batchesRejected).toBe(0);
      const throttled = (await metrics.throttledMs.get()).values.reduce((n, v) => n + v.value, 0);
      expect(throttled).toBeGreaterThanOrEqual(2000);
      for (const x of [fast, quiet]) {
        await x.client.stop();
        x.spool.close();
      }
    } finally {
      await limited.close();
    }
  });

  it('hands the records it parsed to its consumers: equal to what they would decode from the stream', async () => {
    const creds = await issueNode(pki.pki, pki.ca, '01/001/00009', 'sensor');
    const { client, spool } = uplinkFor(creds);
    const withApp = (i: number): ConnRecord => ({ ...sampleRecord(i), app: { dns: [{ tsNs: 1_790_000_000_123_456_789n + BigInt(i), rttNs: 1234n, query: `máy-${i}.vn` }] } }) as unknown as ConnRecord;
    for (let b = 0; b < 3; b++) spool.append(Buffer.from(`[${Array.from({ length: 20 }, (_, i) => encodeRecord(i % 2 ? withApp(b * 20 + i) : sampleRecord(b * 20 + i))).join(',')}]`));
    client.start();
    await until(() => client.idle);
    const entries = (await redis.xrange(streamKey(prefix, 0), '-', '+')).filter(([, f]) => parseStreamEntry(f).sensorId === creds.nodeId);
    expect(entries).toHaveLength(3);
    for (const [id, fields] of entries) {
      const shared = decoded.take(entryKey(streamKey(prefix, 0), id));
      expect(shared).toBeDefined();
      expect(shared).toEqual(decodeRecords(parseStreamEntry(fields).recordsJson));
    }
    // One reader here: each entry was given once, and is gone.
    expect(decoded.take(entryKey(streamKey(prefix, 0), entries[0]![0]))).toBeUndefined();
    await client.stop();
    spool.close();
  });

  it('after a reconnect, replays only what the collector does not hold, and stores nothing twice', async () => {
    const creds = await issueNode(pki.pki, pki.ca, '01/001/00002', 'sensor');
    const { client, spool } = uplinkFor(creds);
    client.start();
    await until(() => client.connected);
    const first = spool.append(Buffer.from(JSON.stringify([sampleRecord(1)])));
    client.pump();
    await until(() => client.idle);
    await client.stop();
    // The sensor lost its ack state (e.g. crash before saving it): it will resend `first`.
    const again = new Spool({ dir: mkdtempSync(join(tmpdir(), 'chot-ingest-spool-')), maxBytes: 1 << 20 });
    const dupSeq = first;
    const c2 = new UplinkClient({ collectors: [url], tls: sensorTls(creds), sensorId: creds.nodeId, spool: again, log, stats });
    // Simulate by sending the same sequence over a raw connection after the new client is up.
    c2.start();
    await until(() => c2.connected);
    const raw = new WebSocket(new URL(PROTOCOL_PATH, url), { ...sensorTls(creds), rejectUnauthorized: false } as never);
    const answers: unknown[] = [];
    raw.on('message', (d) => answers.push(JSON.parse(String(d))));
    await new Promise((r) => raw.once('open', r));
    raw.send(JSON.stringify({ type: 'batch', seq: dupSeq, sensor: creds.nodeId, records: [sampleRecord(1)] }));
    await until(() => answers.some((a) => (a as { type: string }).type === 'ack'));
    expect(answers.find((a) => (a as { type: string }).type === 'welcome')).toMatchObject({ lastSeq: first });
    expect(answers.find((a) => (a as { type: string }).type === 'ack')).toEqual({ type: 'ack', seq: dupSeq, duplicate: true });
    expect(await storedSeqs(creds.nodeId)).toEqual([first]);
    raw.close();
    await c2.stop();
    again.close();
    spool.close();
  });

  it('refuses a batch claiming another sensor, a malformed batch and an oversized one, with reasons, and keeps the connection', async () => {
    const creds = await issueNode(pki.pki, pki.ca, '01/001/00003', 'sensor');
    const ws = new WebSocket(new URL(PROTOCOL_PATH, url), { ...sensorTls(creds), rejectUnauthorized: false } as never);
    const answers: Array<{ type: string; seq?: number; reason?: string }> = [];
    ws.on('message', (d) => answers.push(JSON.parse(String(d)) as { type: string }));
    await new Promise((r) => ws.once('open', r));
    await until(() => answers.some((a) => a.type === 'welcome'));
    ws.send(JSON.stringify({ type: 'batch', seq: 10, sensor: '01/001/00001', records: [sampleRecord(1)] }));
    const bad = { ...sampleRecord(2), origP: 70000 };
    ws.send(JSON.stringify({ type: 'batch', seq: 11, sensor: creds.nodeId, records: [bad] }));
    ws.send(JSON.stringify({ type: 'batch', seq: 12, sensor: creds.nodeId, records: Array.from({ length: 600 }, (_, i) => ({ ...sampleRecord(i), history: 'x'.repeat(200) })) }));
    ws.send(JSON.stringify({ type: 'batch', seq: 13, sensor: creds.nodeId, records: [sampleRecord(3)] }));
    await until(() => answers.filter((a) => a.type === 'reject' || a.type === 'ack').length === 4);
    const [claim, malformed, oversized, good] = answers.filter((a) => a.type !== 'welcome');
    expect(claim).toMatchObject({ type: 'reject', seq: 10, reason: 'batch claims sensor "01/001/00001" but the certificate is for "01/001/00003"' });
    expect(malformed).toMatchObject({ type: 'reject', seq: 11 });
    expect(malformed!.reason).toMatch(/records\[0\]\.origP/);
    expect(oversized).toMatchObject({ type: 'reject', seq: 12 });
    expect(oversized!.reason).toMatch(/over the limit/);
    expect(good).toEqual({ type: 'ack', seq: 13 });
    expect(await storedSeqs(creds.nodeId)).toEqual([13]);
    expect(await storedSeqs('01/001/00001')).not.toContain(10);
    ws.close();
  });

  it('refuses a sensor from a foreign CA and one with another role, with the reason, and others keep streaming', async () => {
    const good = await issueNode(pki.pki, pki.ca, '01/001/00004', 'sensor');
    const { client, spool } = uplinkFor(good);
    client.start();
    await until(() => client.connected);

    const alien = await issueNode(foreign.pki, foreign.ca, '01/001/00005', 'sensor');
    const a = uplinkFor(alien, foreign);
    const refused = new Promise<string>((r) => a.client.once('refused', r));
    a.client.start();
    expect(await refused).toMatch(/HTTP 403: certificate not issued by a trusted Chốt CA/);
    await a.client.stop();

    const console_ = await issueNode(pki.pki, pki.ca, '01/001/00006', 'console');
    const b = uplinkFor(console_);
    const refusedRole = new Promise<string>((r) => b.client.once('refused', r));
    b.client.start();
    expect(await refusedRole).toMatch(/HTTP 403: role console is not allowed here/);
    await b.client.stop();

    const seq = spool.append(Buffer.from(JSON.stringify([sampleRecord(9)])));
    client.pump();
    await until(() => client.idle);
    expect(await storedSeqs(good.nodeId)).toEqual([seq]);
    await client.stop();
    spool.close();
  });
});

import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@elastic/elasticsearch';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEsClient } from '../../collector/index/client.js';
import { writeCapture } from '../../lab/traffic/generate.js';
import { alertEventsStream, type AlertDocument } from '../../rules/alert.js';
import { decodeAlertEvent } from '../../rules/alert-events.js';
import { DetectionEngine } from '../../rules/worker.js';
import type { ConnRecord } from '../../sensor/record.js';
import { RecordBatcher } from '../../sensor/uplink/batcher.js';
import { UplinkClient } from '../../sensor/uplink/client.js';
import type { SensorStats } from '../../sensor/uplink/protocol.js';
import { Spool } from '../../sensor/uplink/spool.js';
import { recordsOfCapture } from '../support/capture-records.js';
import { freePort, spineFixture, startCollectorProcess, until, type SpineFixture } from '../support/spine.js';
import { deleteIndicesWithPrefix, testStackConfig } from '../support/test-stack.js';

// Scenario traffic from a sensor's pipeline, over the uplink into a collector process
// whose detection workers run the default pack: the alerts in Elasticsearch are exactly
// the ones the engine raises from the same records in one process (same ids, same
// repeat counts), each with its evidence indexed, each announced on the console's event
// stream; a SIGKILLed collector changes none of that. The fleet's health runs through
// the health rules too.
const log = pino({ level: 'silent' });
const NODE = '01/001/00007';

interface Expected {
  suppressed: Map<string, number>;
  rules: Set<string>;
}

async function expectedAlerts(records: ConnRecord[]): Promise<Expected> {
  const engine = new DetectionEngine({ keyPrefix: 'expected:', esPrefix: 'x', log, watch: false });
  await engine.start();
  const suppressed = new Map<string, number>();
  const rules = new Set<string>();
  for (let i = 0; i < records.length; i += 100) {
    const out = await engine.processBatch(records.slice(i, i + 100), { sensorId: NODE, seq: i, node: NODE });
    for (const c of out.created) {
      if (c.doc.rule.mode !== 'alert') continue;
      suppressed.set(c.doc.event.id, Math.max(suppressed.get(c.doc.event.id) ?? 0, c.doc.chot.alert.suppressed));
      rules.add(c.doc.rule.id);
    }
    for (const u of out.updated) suppressed.set(u.id, Math.max(suppressed.get(u.id) ?? 0, u.suppressed));
  }
  await engine.stop();
  return { suppressed, rules };
}

describe('detection in the collector: records in, alerts in Elasticsearch and on the live stream', () => {
  let fx: SpineFixture;
  let es: Client;
  let redis: Redis;
  const children: ChildProcess[] = [];
  const stack = testStackConfig();
  const dir = mkdtempSync(join(tmpdir(), 'chot-detect-'));

  beforeAll(async () => {
    fx = await spineFixture();
    es = createEsClient({ ...stack.elasticsearch, indexPrefix: fx.esPrefix });
    redis = new Redis(stack.redis.url);
  }, 120_000);

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    if (es) {
      if (!process.env.CHOT_TEST_KEEP_INDICES) await deleteIndicesWithPrefix(es, fx.esPrefix);
      await es.close();
    }
    redis?.disconnect();
    fx?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('raises exactly the alerts of the engine, with evidence and live events, through a collector SIGKILL', async () => {
    const pcap = join(dir, 'scenarios.pcap');
    await writeCapture(pcap, { seed: 2026, packets: 30_000, scenarios: true });
    const records = recordsOfCapture(pcap);
    const expected = await expectedAlerts(records);
    // The scenarios this capture holds, each caught.
    for (const r of ['chot.scan.port_scan', 'chot.scan.host_sweep', 'chot.bruteforce.ssh_rdp', 'chot.popdata.plaintext']) expect(expected.rules).toContain(r);

    const port = await freePort();
    const config = fx.collectorConfig({
      instanceId: 'detect',
      port,
      esUrl: stack.elasticsearch.url,
      redisUrl: stack.redis.url,
      esUser: stack.elasticsearch,
      extra: { detection: { healthEverySeconds: 1 } },
    });
    children.push(await startCollectorProcess(config));

    const tls = await fx.sensorTls(NODE);
    // A sensor whose kernel dropped 2% of what it saw, that cannot count the drops of one more link, and whose
    // spool failed to fsync twice: the health rules must notice all three.
    const stats = (): SensorStats => ({ version: 'detect-test', uptimeS: 60, packets: 1_000_000, captureDropsKernel: 20_000, captureDropsInterface: 0, captureDropsUnknown: 1, activeFlows: 0, recordsOut: 0, spoolBatches: 0, spoolBytes: 0, spoolDropped: 0, spoolSyncErrors: 2 });
    const spool = new Spool({ dir: join(dir, 'spool'), maxBytes: 256 << 20 });
    const uplink = new UplinkClient({ collectors: [`wss://127.0.0.1:${port}`], tls, sensorId: NODE, spool, log, stats, backoffBaseMs: 100, backoffMaxMs: 1000, reconnectSpreadMs: 0, heartbeatMs: 500 });
    const batcher = new RecordBatcher(spool, () => uplink.pump(), { maxRecords: 200, maxBytes: 1 << 20, maxDelayMs: 20 });
    uplink.start();

    const half = Math.floor(records.length / 2);
    for (const r of records.slice(0, half)) batcher.add(r);
    batcher.flush();
    await until(() => uplink.idle, 60_000, 'the first half to be acknowledged');
    // Killed with the first half's entries stored and (some of) their alerts being written.
    children[0]!.kill('SIGKILL');
    for (const r of records.slice(half)) batcher.add(r);
    batcher.flush();
    children.push(await startCollectorProcess(config));
    await until(() => uplink.idle, 60_000, 'the second half to be acknowledged');

    const alertIndex = `${fx.esPrefix}-alerts-*`;
    const stored = async (): Promise<Map<string, AlertDocument>> => {
      const m = new Map<string, AlertDocument>();
      try {
        await es.indices.refresh({ index: alertIndex });
        const res = await es.search<AlertDocument>({ index: alertIndex, size: 10_000, query: { term: { 'rule.mode': 'alert' } } });
        for (const h of res.hits.hits) m.set(h._id!, h._source!);
      } catch {
        // not created yet
      }
      return m;
    };
    const matches = (m: Map<string, AlertDocument>): boolean => [...expected.suppressed].every(([id, n]) => m.get(id)?.chot.alert.suppressed === n);
    let got = new Map<string, AlertDocument>();
    await until(async () => matches((got = await stored())), 120_000, `the expected ${expected.suppressed.size} alerts`);
    await new Promise((r) => setTimeout(r, 1500));
    got = await stored();

    const traffic = [...got].filter(([, d]) => !d.rule.id.startsWith('chot.sensor.')); // health alerts are checked below
    expect(new Set(traffic.map(([id]) => id))).toEqual(new Set(expected.suppressed.keys()));
    for (const [id, n] of expected.suppressed) expect(got.get(id)!.chot.alert.suppressed, id).toBe(n);

    // Every alert names its rule's version and points at records that are in Elasticsearch.
    const evidence = traffic.flatMap(([, d]) => d.chot.alert.evidence);
    expect(evidence.length).toBeGreaterThan(0);
    for (const [, d] of traffic) {
      expect(d.rule.version).toMatch(/^[0-9a-f]{8,}$/);
      expect(d.observer).toMatchObject({ id: NODE, hierarchy: ['01', '01/001', NODE] });
    }
    const found = await es.mget({ docs: evidence.map((e) => ({ _index: e.index, _id: e.id })) });
    const missing = found.docs.filter((d) => !('found' in d) || !d.found).map((d) => d._id);
    expect(missing).toEqual([]);

    // The console's live feed announced every alert.
    const entries = (await redis.xrange(alertEventsStream(fx.redisKeyPrefix), '-', '+')) as Array<[string, string[]]>;
    const announced = new Set(entries.map(([, f]) => decodeAlertEvent(f)?.event).filter((e) => e?.type === 'created').map((e) => e!.alertId));
    for (const [id] of got) expect(announced.has(id), `event for ${id}`).toBe(true);

    // The heartbeat's drop counts reached the health rules.
    await until(async () => [...(await stored()).values()].some((d) => d.rule.id === 'chot.sensor.capture_drops' && d.observer.id === NODE), 30_000, 'the capture-drops health alert');
    await until(async () => [...(await stored()).values()].some((d) => d.rule.id === 'chot.sensor.spool_sync_errors' && d.observer.id === NODE), 30_000, 'the spool fsync health alert');
    await until(async () => [...(await stored()).values()].some((d) => d.rule.id === 'chot.sensor.capture_drops_unknown' && d.observer.id === NODE), 30_000, 'the uncounted-drops health alert');

    await uplink.stop();
    spool.close();
  }, 400_000);
});

import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@elastic/elasticsearch';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { revoke } from '../../certs/revoke/revoke.js';
import { createEsClient } from '../../collector/index/client.js';
import { startRedis, stopRedis } from '../../stack/redis.js';
import { PASSPHRASE } from '../certs/fixtures.js';
import { compareConnections, LAB_POPULATION_DATA, replayCapture, truthConnectionCount, type ReplayCapture } from '../support/capture-records.js';
import {
  freePort,
  indexedConnections,
  indexedRecords,
  spineFixture,
  startCollectorProcess,
  startDriver,
  startSensorProcess,
  until,
  type DriverConfig,
  type SensorProcess,
  type SpineFixture,
} from '../support/spine.js';
import { deleteIndicesWithPrefix, testStackConfig } from '../support/test-stack.js';

// The collector-side faults stream a generator capture (`chot lab traffic`) from a real
// `chot sensor run` replaying it, through real collectors into the real Elasticsearch,
// break something while the replay is mid-flight, and then require the documents to be
// exactly the connections the sensor makes of that capture (the records of
// recordsOfCapture, uids included: the sensor's uid seed is fixed), as many as the
// generator's ground truth has: none missing, none twice.
//
// The sensor-kill and refusal cases keep the stand-in sensor (test/support/uplink-driver.mjs)
// sending synthetic records through the real uplink and spool: a sensor killed with SIGKILL
// loses the connections still open in its flow table (as Zeek would), so a replayed capture
// could not equal its ground truth there; what must hold is that every record it had
// spooled arrives exactly once.
describe('the spine survives failures without losing or duplicating a record', () => {
  let fx: SpineFixture;
  let es: Client;
  const stack = testStackConfig();
  const children: ChildProcess[] = [];
  const tmp = mkdtempSync(join(tmpdir(), 'chot-faults-'));
  let uid = 0;
  const usedPrefixes: string[] = [];
  const sensors: SensorProcess[] = [];
  /** Interim records off, uids seeded: the documents can be compared with the records one by one. */
  const flows = { uidSeed: 7341, interimSec: 0 };
  let capture: ReplayCapture;
  /** The replay's speed-up factor: the capture in about 12 s, so faults hit it mid-flight. */
  let pace: number;
  /** Each case gets its own indices and Redis keys. */
  const newScope = (): void => {
    fx.newScope();
    usedPrefixes.push(fx.esPrefix);
  };

  const driverConfig = async (p: { collectors: string[]; records: number; sensorId: string }): Promise<DriverConfig> => ({
    spoolDir: mkdtempSync(join(tmp, 'spool-')),
    collectors: p.collectors,
    tls: await fx.sensorTls(p.sensorId),
    sensorId: p.sensorId,
    records: p.records,
    batch: 100,
    tsSec: Math.floor(Date.now() / 1000),
    uidPrefix: String(uid++),
    window: 2,
  });

  const started = async (config: string): Promise<ChildProcess> => {
    const c = await startCollectorProcess(config);
    children.push(c);
    return c;
  };

  /** A real sensor replaying the capture to these collectors. */
  const replaying = async (sensorId: string, collectors: string[]): Promise<SensorProcess> => {
    const s = await startSensorProcess({
      dir: mkdtempSync(join(tmp, 'sensor-')),
      tls: await fx.sensorTls(sensorId),
      collectors,
      interfaces: [{ file: capture.file, pace, name: 'replay' }],
      flows,
      extra: { populationData: LAB_POPULATION_DATA },
    });
    sensors.push(s);
    return s;
  };

  /** Waits until the stream is flowing (connections indexed) while the sensor is still replaying. */
  const midStream = async (s: SensorProcess): Promise<void> => {
    await until(async () => (await indexedRecords(es, fx.esPrefix)).count >= 200, 30_000, `the first connections indexed (the sensor said: ${s.output().slice(-500)})`);
    expect(s.fileDone(), 'the fault comes while the capture is still being replayed').toBe(false);
  };

  /** The documents are exactly the capture's connections: as many as the ground truth, each once. */
  const expectTheCapture = async (s: SensorProcess): Promise<void> => {
    const n = capture.records.length;
    await until(() => s.fileDone(), 60_000, `the end of the replay (the sensor said: ${s.output().slice(-500)})`);
    await until(async () => (await indexedRecords(es, fx.esPrefix)).count >= n, 90_000, `${n} connections in Elasticsearch (the sensor said: ${s.output().slice(-500)})`);
    await new Promise((r) => setTimeout(r, 1500)); // anything extra would show up now
    expect(compareConnections(await indexedConnections(es, fx.esPrefix), capture.records)).toEqual({ count: n, missing: [], unexpected: [], twice: [] });
    expect(n).toBe(truthConnectionCount(capture.truth));
  };

  beforeAll(async () => {
    fx = await spineFixture();
    es = createEsClient({ ...stack.elasticsearch, indexPrefix: 'chot' });
    // A few thousand connections, about 50,000 packets.
    capture = await replayCapture(join(tmp, 'spine.pcap'), { seed: 31, packets: 50_000, scenarios: false }, { ...flows, recordAt: 'close' });
    pace = capture.span / 12;
  }, 60_000);

  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await Promise.all(sensors.splice(0).map((s) => s.stop()));
  });

  afterAll(async () => {
    for (const prefix of usedPrefixes) await deleteIndicesWithPrefix(es, prefix);
    await es.close();
    fx.cleanup();
    rmSync(tmp, { recursive: true, force: true });
  });

  const expectExactly = async (total: number): Promise<void> => {
    await until(async () => (await indexedRecords(es, fx.esPrefix)).count >= total, 120_000, `${total} records in Elasticsearch`);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await indexedRecords(es, fx.esPrefix)).toEqual({ count: total, duplicates: 0 });
  };

  it('the sensor killed with SIGKILL mid-stream and restarted replays its spool', async () => {
    newScope();
    const port = await freePort();
    const metricsPort = await freePort();
    await started(fx.collectorConfig({ instanceId: 'k1', port, esUrl: stack.elasticsearch.url, redisUrl: stack.redis.url, esUser: stack.elasticsearch, metricsPort }));
    const cfg = await driverConfig({ collectors: [`wss://127.0.0.1:${port}`], records: 20_000, sensorId: '01/001/00011' });
    const first = startDriver(cfg);
    await until(() => (first.output().match(/acked/g) ?? []).length >= 20, 30_000, 'some batches acknowledged');
    first.child.kill('SIGKILL');
    await first.done;
    const second = startDriver(cfg);
    expect(await second.done).toBe(0);
    expect(second.output()).toContain('idle');
    await expectExactly(20_000);
    // The collector's metrics tell the same story.
    // Housekeeping refreshes the stream gauges every few seconds.
    await until(async () => {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      // One housekeeping pass sets the pending count and the lag of each group together: wait for the indexers' pass.
      return (
        /chot_collector_records_indexed_total\{[^}]*\} 20000/.test(text) &&
        /chot_collector_stream_pending\{[^}]*group="indexers"[^}]*\} 0/.test(text) &&
        /chot_collector_stream_lag_seconds\{[^}]*group="indexers"[^}]*\} 0/.test(text)
      );
    }, 20_000, "the indexed count, and the indexers' empty queue and zero lag, in the metrics");
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/chot_collector_records_in_total\{[^}]*\} 20000/);
    expect(metrics).toMatch(/chot_collector_batches_total\{[^}]*outcome="stored"[^}]*\} 200/);
    expect(metrics).toMatch(/chot_collector_stream_lag_seconds\{[^}]*group="indexers"[^}]*\} 0/);
    expect(metrics).toMatch(/chot_collector_connected_sensors\{[^}]*\} 0/);
  });

  it('two collectors, one killed: the sensor fails over and the other claims what was pending', async () => {
    newScope();
    const [p1, p2] = [await freePort(), await freePort()];
    const c1 = await started(fx.collectorConfig({ instanceId: 'a', port: p1, esUrl: stack.elasticsearch.url, redisUrl: stack.redis.url, esUser: stack.elasticsearch }));
    await started(fx.collectorConfig({ instanceId: 'b', port: p2, esUrl: stack.elasticsearch.url, redisUrl: stack.redis.url, esUser: stack.elasticsearch }));
    const s = await replaying('01/001/00012', [`wss://127.0.0.1:${p1}`, `wss://127.0.0.1:${p2}`]);
    await midStream(s);
    c1.kill('SIGKILL');
    await expectTheCapture(s);
  }, 120_000);

  it('Redis restarted mid-stream', async () => {
    newScope();
    const redisDir = mkdtempSync(join(tmp, 'redis-'));
    const redisNode = { port: await freePort(), password: 'fault-test-redis-password', dir: redisDir };
    await startRedis(redisNode);
    try {
      const port = await freePort();
      await started(fx.collectorConfig({ instanceId: 'r1', port, esUrl: stack.elasticsearch.url, redisUrl: `redis://:${redisNode.password}@127.0.0.1:${redisNode.port}`, esUser: stack.elasticsearch }));
      const s = await replaying('01/001/00013', [`wss://127.0.0.1:${port}`]);
      await midStream(s);
      await stopRedis(redisDir, redisNode.port);
      await new Promise((r) => setTimeout(r, 2000));
      await startRedis(redisNode);
      await expectTheCapture(s);
    } finally {
      await stopRedis(redisDir, redisNode.port);
    }
  }, 120_000);

  it('a revoked sensor is refused with the reason, and another sensor keeps streaming', async () => {
    newScope();
    const port = await freePort();
    await started(fx.collectorConfig({ instanceId: 'v1', port, esUrl: stack.elasticsearch.url, redisUrl: stack.redis.url, esUser: stack.elasticsearch }));
    const bad = await driverConfig({ collectors: [`wss://127.0.0.1:${port}`], records: 100, sensorId: '01/001/00014' });
    await revoke(fx.pki, '01/001/00014', 'keyCompromise', { actor: 'test', unlock: (name) => fx.pki.unlock(name, PASSPHRASE) });
    fx.refreshCrls();
    const good = await driverConfig({ collectors: [`wss://127.0.0.1:${port}`], records: 2_000, sensorId: '01/001/00015' });
    const ok = startDriver(good);
    // The collector watches its CRL file; give it one poll to reload.
    await new Promise((r) => setTimeout(r, 3000));
    const refused = startDriver(bad);
    await until(() => /"status":403,"reason":"certificate revoked"/.test(refused.output()), 20_000, `the refusal reason at the sensor (it said: ${refused.output().slice(-300)})`);
    refused.child.kill('SIGKILL');
    expect(await ok.done).toBe(0);
    await expectExactly(2_000);
  });
});

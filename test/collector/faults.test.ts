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
import { freePort, indexedRecords, spineFixture, startCollectorProcess, startDriver, until, type DriverConfig, type SpineFixture } from '../support/spine.js';
import { deleteIndicesWithPrefix, testStackConfig } from '../support/test-stack.js';

// Each case streams records from a stand-in sensor process through real collectors into
// the real Elasticsearch, breaks something mid-stream, and then requires that the
// documents equal what was sent: none missing, none twice.
describe('the spine survives failures without losing or duplicating a record', () => {
  let fx: SpineFixture;
  let es: Client;
  const stack = testStackConfig();
  const children: ChildProcess[] = [];
  const tmp = mkdtempSync(join(tmpdir(), 'chot-faults-'));
  let uid = 0;
  const usedPrefixes: string[] = [];
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

  beforeAll(async () => {
    fx = await spineFixture();
    es = createEsClient({ ...stack.elasticsearch, indexPrefix: 'chot' });
  });

  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
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
      return /chot_collector_records_indexed_total\{[^}]*\} 20000/.test(text) && /chot_collector_stream_pending\{[^}]*\} 0/.test(text);
    }, 20_000, 'the indexed count and an empty queue in the metrics');
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
    const cfg = await driverConfig({ collectors: [`wss://127.0.0.1:${p1}`, `wss://127.0.0.1:${p2}`], records: 20_000, sensorId: '01/001/00012' });
    const d = startDriver(cfg);
    await until(() => (d.output().match(/acked/g) ?? []).length >= 20, 30_000, 'some batches acknowledged');
    c1.kill('SIGKILL');
    expect(await d.done).toBe(0);
    await expectExactly(20_000);
  });

  it('Redis restarted mid-stream', async () => {
    newScope();
    const redisDir = mkdtempSync(join(tmp, 'redis-'));
    const redisNode = { port: await freePort(), password: 'fault-test-redis-password', dir: redisDir };
    await startRedis(redisNode);
    try {
      const port = await freePort();
      await started(fx.collectorConfig({ instanceId: 'r1', port, esUrl: stack.elasticsearch.url, redisUrl: `redis://:${redisNode.password}@127.0.0.1:${redisNode.port}`, esUser: stack.elasticsearch }));
      const cfg = await driverConfig({ collectors: [`wss://127.0.0.1:${port}`], records: 20_000, sensorId: '01/001/00013' });
      const d = startDriver(cfg);
      await until(() => (d.output().match(/acked/g) ?? []).length >= 20, 30_000, 'some batches acknowledged');
      await stopRedis(redisDir, redisNode.port);
      await new Promise((r) => setTimeout(r, 2000));
      await startRedis(redisNode);
      expect(await d.done).toBe(0);
      await expectExactly(20_000);
    } finally {
      await stopRedis(redisDir, redisNode.port);
    }
  });

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

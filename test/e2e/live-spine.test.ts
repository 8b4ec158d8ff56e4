import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import YAML from 'yaml';
import { createEsClient } from '../../collector/index/client.js';
import { chotBin } from '../../common/paths.js';
import { writeCapture, type Truth } from '../../lab/traffic/generate.js';
import type { SensorStats } from '../../sensor/uplink/protocol.js';
import { freePort, spineFixture, startCollectorProcess, until, type SpineFixture } from '../support/spine.js';
import { deleteIndicesWithPrefix, testStackConfig } from '../support/test-stack.js';

// Packets on a link → `chot sensor run` (cap) → uplink → `chot collector run` → Redis →
// Elasticsearch: every connection of the ground truth ends up as exactly one document
// with its packet counts. The link is a veth pair of its own (tagged full-size frames
// exceed what the lab's WAN wires pass), fed by tcpreplay.
const tag = String(process.pid % 100000);
const sendIf = `chle${tag}a`;
const capIf = `chle${tag}b`;

function ipLink(...args: string[]): void {
  const r = spawnSync('ip', ['link', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip link ${args.join(' ')}: ${r.stderr}`);
}

interface ConnDoc {
  source: { ip: string; port: number; packets: number };
  destination: { ip: string; port: number; packets: number };
  network: { transport: string };
}

describe('live: a captured link through sensor and collector into Elasticsearch', () => {
  let fx: SpineFixture;
  let es: Client;
  const children: ChildProcess[] = [];
  const stack = testStackConfig();
  const dir = mkdtempSync(join(tmpdir(), 'chot-live-spine-'));

  beforeAll(async () => {
    ipLink('add', sendIf, 'type', 'veth', 'peer', 'name', capIf);
    // No IPv6 on the pair: the kernel would send its own solicitations into the capture.
    for (const itf of [sendIf, capIf]) spawnSync('sysctl', ['-q', '-w', `net.ipv6.conf.${itf}.disable_ipv6=1`]);
    ipLink('set', sendIf, 'mtu', '9000', 'up');
    ipLink('set', capIf, 'mtu', '9000', 'up');
    fx = await spineFixture();
    es = createEsClient({ ...stack.elasticsearch, indexPrefix: fx.esPrefix });
  }, 120_000);

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    spawnSync('ip', ['link', 'del', sendIf]);
    if (es) {
      if (!process.env.CHOT_TEST_KEEP_INDICES) await deleteIndicesWithPrefix(es, fx.esPrefix);
      await es.close();
    }
    fx?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('indexes every truth connection exactly once with its packet counts', async () => {
    const port = await freePort();
    children.push(await startCollectorProcess(fx.collectorConfig({ instanceId: 'live', port, esUrl: stack.elasticsearch.url, redisUrl: stack.redis.url, esUser: stack.elasticsearch })));

    const tls = await fx.sensorTls('01/001/00031');
    const files = { keyFile: join(dir, 's.key'), certFile: join(dir, 's.crt'), caFile: join(dir, 'root.crt'), crlFiles: [join(dir, 's.crl')] };
    writeFileSync(files.keyFile, tls.key, { mode: 0o600 });
    writeFileSync(files.certFile, tls.cert);
    writeFileSync(files.caFile, tls.ca.join(''));
    writeFileSync(files.crlFiles[0]!, tls.crls.join(''));
    const metricsPort = await freePort();
    const config = join(dir, 'sensor.yaml');
    writeFileSync(
      config,
      YAML.stringify({
        name: 'live-e2e',
        interfaces: [{ name: capIf, bufferMb: 32 }],
        output: { format: 'ndjson', file: join(dir, 'records.ndjson') },
        metrics: { host: '127.0.0.1', port: metricsPort },
        uplink: { collectors: [`wss://127.0.0.1:${port}`], tls: files, spool: { dir: join(dir, 'spool'), maxMb: 256 }, batch: { maxDelayMs: 100 } },
      }),
    );
    const sensor = spawn(process.execPath, [chotBin, 'sensor', 'run', '--config', config], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CHOT_LOG_LEVEL: 'warn' } });
    children.push(sensor);
    let sensorErr = '';
    sensor.stderr!.setEncoding('utf8').on('data', (d: string) => (sensorErr += d));
    const metrics = async (): Promise<string> => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    await until(async () => metrics().then(() => true, () => false), 30_000, `the sensor's metrics endpoint (${sensorErr.slice(-300)})`);

    const pcap = join(dir, 'live.pcap');
    const truth: Truth = await writeCapture(pcap, { seed: 11, packets: 3_000, scenarios: false, concurrency: 30 });
    const span = truth.capture.last_ts - truth.capture.ts;
    const replay = await new Promise<number | null>((res) => {
      const p = spawn('tcpreplay', ['-q', '-i', sendIf, `--multiplier=${Math.max(1, Math.ceil(span / 8))}`, pcap], { stdio: 'ignore' });
      const t = setTimeout(() => p.kill('SIGKILL'), 60_000);
      p.on('exit', (code) => {
        clearTimeout(t);
        res(code);
      });
    });
    expect(replay).toBe(0);
    const seen = async (): Promise<number> => Number(/chot_sensor_packets_total\{[^}]*\} (\d+)/.exec(await metrics().catch(() => ''))?.[1] ?? 0);
    await until(async () => (await seen()) >= truth.capture.packets || sensor.exitCode !== null, 30_000, 'the sensor to see every packet');
    expect(sensor.exitCode, `the sensor is still running (stderr: ${sensorErr.slice(-2000)})`).toBe(null);
    // The uplink's own figures are on the sensor's /metrics too.
    let now = '';
    for (const end = Date.now() + 30_000; Date.now() < end && !/^chot_sensor_uplink_connected(\{[^}]*\})? 1$/m.test(now); ) {
      now = await metrics();
      await new Promise((r) => setTimeout(r, 200));
    }
    const uplinkLines = now.split('\n').filter((l) => /^chot_sensor_(uplink|spool)/.test(l)).map((l) => l.replace(/\{[^}]*\}/, ''));
    expect(uplinkLines).toContain('chot_sensor_uplink_connected 1');
    expect(uplinkLines).toContain('chot_sensor_spool_dropped_total 0');
    expect(uplinkLines).toContain('chot_sensor_spool_sync_errors_total 0');
    expect(uplinkLines.some((l) => /^chot_sensor_spool_batches \d+$/.test(l))).toBe(true);
    // Its heartbeats reach the fleet registry with the capture's kernel drops counted (the packet
    // socket statistics addon reads them), no link left uncounted.
    const redis = new Redis(stack.redis.url);
    let heartbeat: SensorStats | undefined;
    try {
      await until(async () => {
        const s = await redis.hget(`${fx.redisKeyPrefix}sensor:01/001/00031`, 'stats');
        heartbeat = s === null ? undefined : (JSON.parse(s) as SensorStats);
        return heartbeat !== undefined;
      }, 30_000, "the sensor's heartbeat in the registry");
    } finally {
      redis.disconnect();
    }
    expect(heartbeat).toMatchObject({ captureDropsKernel: 0, captureDropsInterface: 0 });
    expect(heartbeat).not.toHaveProperty('captureDropsUnknown'); // (sent only when some link is uncounted)

    // Stopping the sensor ends every open connection and drains the uplink.
    sensor.kill('SIGTERM');
    const exited = await Promise.race([new Promise((r) => sensor.once('exit', () => r(true))), new Promise((r) => setTimeout(() => r(false), 30_000))]);
    expect(exited, `the sensor exits after SIGTERM (stderr: ${sensorErr.slice(-300)})`).toBe(true);

    const index = `${fx.esPrefix}-conn-*`;
    await until(async () => {
      try {
        await es.indices.refresh({ index });
        return (await es.count({ index })).count >= truth.flows.length;
      } catch {
        return false;
      }
    }, 60_000, `${truth.flows.length} connections in Elasticsearch (sensor wrote ${readFileSync(join(dir, 'records.ndjson'), 'utf8').split('\n').filter(Boolean).length} records to its file; said: ${sensorErr.slice(-1500)})`);
    const docs: ConnDoc[] = [];
    for (let from = 0; ; from += 1000) {
      const page = await es.search<ConnDoc>({ index, from, size: 1000, sort: ['_doc'] });
      docs.push(...page.hits.hits.map((h) => h._source!));
      if (page.hits.hits.length < 1000) break;
    }
    const key = (t: string, a: string, ap: number, b: string, bp: number): string => `${t} ${a}:${ap} ${b}:${bp}`;
    const got = new Map<string, ConnDoc[]>();
    for (const d of docs) {
      const k = key(d.network.transport, d.source.ip, d.source.port, d.destination.ip, d.destination.port);
      got.set(k, [...(got.get(k) ?? []), d]);
    }
    const problems: string[] = [];
    for (const f of truth.flows) {
      const proto = f.proto === 'icmp6' ? 'icmp' : f.proto;
      const k = key(proto, f.orig_h, f.orig_p, f.resp_h, f.resp_p);
      const found = got.get(k) ?? [];
      // The generator retransmits an unanswered SYN with the next sequence number, which
      // Zeek (and so the sensor) counts as a new attempt: one truth flow, several records,
      // whose packets must still add up exactly.
      const unansweredRetries = f.proto === 'tcp' && f.resp_pkts === 0 && f.orig_pkts > 1 && found.length === f.orig_pkts;
      if (unansweredRetries && found.every((d) => d.destination.packets === 0) && found.reduce((n, d) => n + d.source.packets, 0) === f.orig_pkts) continue;
      if (found.length !== 1) problems.push(`${k}: ${found.length} documents`);
      else if (found[0]!.source.packets !== f.orig_pkts || found[0]!.destination.packets !== f.resp_pkts) {
        problems.push(`${k}: packets ${found[0]!.source.packets}/${found[0]!.destination.packets}, truth ${f.orig_pkts}/${f.resp_pkts}`);
      }
    }
    expect(problems).toEqual([]);
    // Nothing beyond the truth's connections (and their retried attempts).
    expect(docs.every((d) => truth.flows.some((f) => key(f.proto === 'icmp6' ? 'icmp' : f.proto, f.orig_h, f.orig_p, f.resp_h, f.resp_p) === key(d.network.transport, d.source.ip, d.source.port, d.destination.ip, d.destination.port)))).toBe(true);
  }, 300_000);
});

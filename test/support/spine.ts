import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@elastic/elasticsearch';
import YAML from 'yaml';
import { chotBin, packageRoot } from '../../common/paths.js';
import { isPortFree } from '../../common/net.js';
import { issueNode, makePki, materialFor, tempDir } from '../certs/fixtures.js';
import type { Pki } from '../../certs/pki.js';
import type { CertificateAuthority } from '../../certs/ca/authority.js';
import type { ConnDocument } from './capture-records.js';

/** Everything a spine fault test needs: a PKI on disk, collector configs, sensor credentials. */
export interface SpineFixture {
  dir: string;
  pki: Pki;
  ca: CertificateAuthority;
  esPrefix: string;
  redisKeyPrefix: string;
  /** Fresh index and key prefixes, so one test's leftovers (pending entries of a killed collector) never reach the next. */
  newScope(): void;
  cleanup(): void;
  /** Writes a collector config for an instance; returns its path. */
  collectorConfig(p: { instanceId: string; port: number; host?: string; esUrl: string; redisUrl: string; esUser: { username: string; password: string }; metricsPort?: number; extra?: Record<string, unknown> }): string;
  sensorTls(nodeId: string): Promise<{ key: string; cert: string; ca: string[]; crls: string[] }>;
  /** Rewrites the CRL file collectors watch (after a revocation). */
  refreshCrls(): void;
}

export async function spineFixture(): Promise<SpineFixture> {
  const t = tempDir('spine');
  const { pki, ca } = await makePki(t.dir);
  const collector = await issueNode(pki, ca, '01', 'collector');
  const m = materialFor(pki, collector);
  const files = { keyFile: join(t.dir, 'collector.key'), certFile: join(t.dir, 'collector.crt'), caFile: join(t.dir, 'root.crt'), crlFiles: [join(t.dir, 'all.crl')] };
  writeFileSync(files.keyFile, m.key, { mode: 0o600 });
  writeFileSync(files.certFile, m.cert);
  writeFileSync(files.caFile, m.ca.join(''));
  const refreshCrls = (): void => writeFileSync(files.crlFiles[0]!, materialFor(pki, collector).crls.join(''));
  refreshCrls();
  const fixture: SpineFixture = {
    dir: t.dir,
    pki,
    ca,
    esPrefix: '',
    redisKeyPrefix: '',
    newScope: () => {
      fixture.esPrefix = `chot-spine-${randomUUID().slice(0, 8)}`;
      fixture.redisKeyPrefix = `spine:${randomUUID()}:`;
    },
    cleanup: t.cleanup,
    refreshCrls,
    collectorConfig: (p) => {
      const file = join(t.dir, `${p.instanceId}.yaml`);
      writeFileSync(
        file,
        YAML.stringify({
          elasticsearch: { url: p.esUrl, ...p.esUser, indexPrefix: fixture.esPrefix },
          redis: { url: p.redisUrl, keyPrefix: fixture.redisKeyPrefix },
          instanceId: p.instanceId,
          listen: { host: p.host ?? '127.0.0.1', port: p.port },
          tls: files,
          streams: { shards: 2 },
          // The deployed indexer settings, but a dead instance's entries are claimed after 3 s, not 30.
          indexer: { claimIdleSeconds: 3 },
          ...(p.metricsPort ? { metrics: { host: '127.0.0.1', port: p.metricsPort } } : {}),
          ...p.extra,
        }),
      );
      return file;
    },
    sensorTls: async (nodeId) => {
      const s = await issueNode(pki, ca, nodeId, 'sensor');
      const sm = materialFor(pki, s);
      return { key: sm.key, cert: sm.cert, ca: sm.ca, crls: sm.crls };
    },
  };
  fixture.newScope();
  return fixture;
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let p = 20000 + Math.floor(Math.random() * 10000); ; p++) if (await isPortFree(p, host)) return p;
}

/** Starts `chot collector run` as a child process; resolves once it listens. */
export function startCollectorProcess(configFile: string, prefixArgv: string[] = []): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const argv = [...prefixArgv, process.execPath, chotBin, 'collector', 'run', '--config', configFile];
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CHOT_LOG_LEVEL: 'warn' } });
    let err = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      if (d.includes('collector listening')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`collector exited with ${code}: ${err.slice(-800)}`)));
  });
}

export interface DriverConfig {
  spoolDir: string;
  collectors: string[];
  tls: { key: string; cert: string; ca: string[]; crls?: string[] };
  sensorId: string;
  records: number;
  batch: number;
  tsSec: number;
  uidPrefix: string;
  window?: number;
}

/** Starts the stand-in sensor process (optionally inside a lab namespace via prefixArgv). */
export function startDriver(cfg: DriverConfig, prefixArgv: string[] = []): { child: ChildProcess; done: Promise<number | null>; output: () => string } {
  const file = join(cfg.spoolDir, '..', `driver-${randomUUID()}.json`);
  writeFileSync(file, JSON.stringify(cfg));
  const argv = [...prefixArgv, process.execPath, join(packageRoot, 'test/support/uplink-driver.mjs'), file];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const done = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, done, output: () => out };
}

/** Counts the documents of a test's connection indices, and checks that no record is there twice. */
export async function indexedRecords(es: Client, esPrefix: string): Promise<{ count: number; duplicates: number }> {
  const index = `${esPrefix}-conn-*`;
  try {
    await es.indices.refresh({ index });
    const count = (await es.count({ index })).count;
    const twice = await es.search({ index, size: 0, aggs: { d: { terms: { field: 'event.id', min_doc_count: 2, size: 10 } } } });
    return { count, duplicates: (twice.aggregations!.d as { buckets: unknown[] }).buckets.length };
  } catch {
    return { count: 0, duplicates: 0 };
  }
}

export async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A real `chot sensor run` process (see startSensorProcess). */
export interface SensorProcess {
  child: ChildProcess;
  /** Its log (JSON lines on standard error) so far. */
  output: () => string;
  /** Resolves with the exit code (null when killed by a signal). */
  done: Promise<number | null>;
  metricsUrl: string;
  /** Has it said that its capture file is done (every connection recorded)? */
  fileDone: () => boolean;
  /** SIGTERM, and waits for it to end. */
  stop: () => Promise<void>;
  /** Bytes in its spool's segment files: they grow while batches go unacknowledged (a segment is removed once all of it is acknowledged). */
  spoolBytes: () => number;
}

/**
 * Starts `chot sensor run` streaming to collectors: writes its credentials and config in
 * `dir` (its spool is `dir/spool`, so a restart in the same dir replays what was not
 * acknowledged) and resolves once its metrics endpoint answers. `interfaces` are as in the
 * sensor config, e.g. `[{ file, pace: 8 }]` to replay a capture eight times faster than captured.
 * `prefixArgv` runs it inside a lab namespace (`['ip', 'netns', 'exec', ns]`, which execs in
 * place: the child is the sensor itself); its metrics then listen on `metricsHost`, an address
 * of that namespace the test can reach (default 127.0.0.1, the test's own namespace).
 */
export async function startSensorProcess(p: {
  dir: string;
  tls: { key: string; cert: string; ca: string[]; crls?: string[] };
  collectors: string[];
  interfaces: Record<string, unknown>[];
  flows?: Record<string, unknown>;
  extra?: Record<string, unknown>;
  /** Settings of the uplink section besides collectors, TLS and spool (heartbeatSeconds, ...). */
  uplink?: Record<string, unknown>;
  prefixArgv?: string[];
  metricsHost?: string;
}): Promise<SensorProcess> {
  mkdirSync(p.dir, { recursive: true });
  const files = { keyFile: join(p.dir, 'sensor.key'), certFile: join(p.dir, 'sensor.crt'), caFile: join(p.dir, 'root.crt'), crlFiles: [join(p.dir, 'sensor.crl')] };
  writeFileSync(files.keyFile, p.tls.key, { mode: 0o600 });
  writeFileSync(files.certFile, p.tls.cert);
  writeFileSync(files.caFile, p.tls.ca.join(''));
  writeFileSync(files.crlFiles[0]!, (p.tls.crls ?? []).join(''));
  const metricsHost = p.metricsHost ?? '127.0.0.1';
  // Found free here; a lab namespace has next to nothing listening, so it is free there too.
  const metricsPort = await freePort();
  const config = join(p.dir, 'sensor.yaml');
  writeFileSync(
    config,
    YAML.stringify({
      name: 'spine-sensor',
      interfaces: p.interfaces,
      ...(p.flows ? { flows: p.flows } : {}),
      metrics: { host: metricsHost, port: metricsPort },
      uplink: { collectors: p.collectors, tls: files, spool: { dir: join(p.dir, 'spool'), maxMb: 256 }, batch: { maxDelayMs: 100 }, reconnectSpreadSeconds: 1, ...p.uplink },
      ...p.extra,
    }),
  );
  const argv = [...(p.prefixArgv ?? []), process.execPath, chotBin, 'sensor', 'run', '--config', config];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CHOT_LOG_LEVEL: 'info' } });
  let out = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const done = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const metricsUrl = `http://${metricsHost.includes(':') ? `[${metricsHost}]` : metricsHost}:${metricsPort}/metrics`;
  const ended = (): boolean => child.exitCode !== null || child.signalCode !== null;
  await until(async () => ended() || (await fetch(metricsUrl).then(() => true, () => false)), 30_000, `the sensor's metrics endpoint (it said: ${out.slice(-500)})`);
  if (ended()) throw new Error(`the sensor exited with ${child.exitCode}: ${out.slice(-800)}`);
  return {
    child,
    output: () => out,
    done,
    metricsUrl,
    fileDone: () => out.includes('capture file done'),
    spoolBytes: () => {
      const spool = join(p.dir, 'spool');
      try {
        return readdirSync(spool)
          .filter((f) => /^seg-\d+\.log$/.test(f))
          .reduce((n, f) => n + (statSync(join(spool, f), { throwIfNoEntry: false })?.size ?? 0), 0);
      } catch {
        return 0;
      }
    },
    stop: async () => {
      if (!ended()) child.kill('SIGTERM');
      await done;
    },
  };
}

/** Every connection document of a test's indices (refreshed first; fewer than 10,000). */
export async function indexedConnections(es: Client, esPrefix: string): Promise<ConnDocument[]> {
  const index = `${esPrefix}-conn-*`;
  await es.indices.refresh({ index });
  const res = await es.search<ConnDocument>({ index, size: 10_000, track_total_hits: true, sort: ['_doc'] });
  const total = res.hits.total;
  if (typeof total === 'object' && total.value >= 10_000) throw new Error(`indexedConnections reads at most 10,000 documents; ${esPrefix} has ${total.value}`);
  return res.hits.hits.map((h) => h._source!);
}

/** A metric's value on a Prometheus endpoint: the sum over its label sets (0 when it has none yet). */
export async function metricTotal(url: string, name: string): Promise<number> {
  const text = await (await fetch(url)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})? (\S+)/.exec(line);
    if (m && m[1] === name) sum += Number(m[2]);
  }
  return sum;
}

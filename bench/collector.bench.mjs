// Throughput of the spine: records from a sensor's uplink through one collector (TLS,
// schema check, Redis stream, indexers, and the detection workers when on) into
// Elasticsearch, beside a bare bulk loader writing the same ECS documents straight to the
// same node in the same run (the limit).
//
// Order: rounds of bare, collector with detection, collector without, and a bare run to
// close; each collector run is compared with the mean of the bare runs just before and
// after it, because Elasticsearch and the shared machine drift over a run, and the median
// of those ratios is the result.
// Run twice: with Elasticsearch on a core of its own (as deployed; the target is judged there), then with
// everything sharing both cores (see PLACEMENTS below).
// Knobs for experiments: CHOT_BENCH_SHARED_DECODE_MB (streams.sharedDecodeMb), CHOT_BENCH_INDEXERS and
// CHOT_BENCH_INDEX_READ (indexer.consumers, indexer.entriesPerRead), CHOT_BENCH_GENERATE=live (the sensor makes
// its records while the clock runs), CHOT_BENCH_FSYNC (the sensor spool's fsync policy), CHOT_BENCH_TRACE=1
// (progress every 250 ms), CHOT_BENCH_SENSOR_NODE_ARGS (e.g. --cpu-prof for the sensor process).
// Every phase also reports the CPU time spent per record by this process (the bare loader or
// the collector), the sensor's process, Elasticsearch and Redis: where the time goes.
import { fork, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createEsClient } from '../dist/collector/index/client.js';
import { appendBatch } from '../dist/collector/index/documents.js';
import { BulkBody } from '../dist/collector/index/bulk-body.js';
import { installIndexTemplates } from '../dist/collector/index/templates.js';
import { INDEX_KINDS } from '../dist/collector/index/names.js';
import { collectorConfig } from '../dist/collector/config.js';
import { startCollector } from '../dist/collector/runtime.js';
import { UplinkClient } from '../dist/sensor/uplink/client.js';
import { RecordBatcher } from '../dist/sensor/uplink/batcher.js';
import { Spool } from '../dist/sensor/uplink/spool.js';
import { Redis } from 'ioredis';
import { benchPki, benchStack, benchStackDown, dropBenchData, table } from './support.mjs';

const N = Number(process.env.CHOT_BENCH_RECORDS ?? 200_000);
const PHASES = (process.env.CHOT_BENCH_PHASES ?? 'bare,detect,nodetect,bare,detect,nodetect,bare,detect,nodetect,bare').split(',');
const log = pino({ level: 'silent' });

function record(i, tsSec) {
  return {
    ts: tsSec + i / 1e6, tsSec, tsNsec: (i % 1e6) * 1000, uid: `C${i.toString(36).padStart(9, '0')}`,
    origH: `198.18.${10 + (i % 40)}.${(i % 250) + 1}`, origP: 1024 + (i % 60000), respH: `198.18.0.${(i % 20) + 1}`, respP: [443, 8443, 53, 80, 22][i % 5],
    proto: i % 5 === 2 ? 'udp' : 'tcp', ipProto: i % 5 === 2 ? 17 : 6, service: ['ssl', 'ssl', 'dns', 'http', 'ssh'][i % 5],
    duration: 0.5, durationNs: 500_000_000, origBytes: 500 + (i % 900), respBytes: 4000 + (i % 7000), connState: 'SF', missedBytes: 0, history: 'ShADadFf',
    origPkts: 8, origIpBytes: 900, respPkts: 9, respIpBytes: 5000, tunnelParents: [], mplsLabels: [], communityId: '1:LQU9qZlK+B5F3KDmev6m5PMibrg=',
    interim: false, evicted: false, weirds: [],
  };
}

/**
 * The sensor, in a process of its own as on its own machine (it still shares this
 * machine's two cores, and its CPU time is reported on its own): streams its spool's
 * batches and exits once every batch is acknowledged.
 *
 * By default the spool is filled before the clock starts and the uplink connects when it
 * does, as a sensor replays its spool after an outage: that is one sensor sending as fast
 * as the collector takes it, and the clock measures uplink, collector and Elasticsearch.
 * CHOT_BENCH_GENERATE=live makes the records after the clock starts instead, on the
 * uplink's own thread: this bench's record generator (200,000 records in about a second,
 * where a real sensor makes a few thousand a second) then holds back the first second's
 * sending.
 */
if (process.argv[2] === '--sensor') {
  const { port, tsSec, tls } = JSON.parse(process.env.CHOT_BENCH_SENSOR);
  const live = process.env.CHOT_BENCH_GENERATE === 'live';
  const trace = process.env.CHOT_BENCH_TRACE === '1';
  const spool = new Spool({ dir: mkdtempSync(join(tmpdir(), 'chot-bench-spool-')), maxBytes: 2 * 1024 ** 3, fsync: process.env.CHOT_BENCH_FSYNC ?? 'interval' });
  const uplink = new UplinkClient({ collectors: [`wss://127.0.0.1:${port}`], tls, sensorId: '01/001/00001', spool, log, window: 32,
    stats: () => ({ version: 'bench', uptimeS: 0, packets: 0, captureDropsKernel: 0, captureDropsInterface: 0, activeFlows: 0, recordsOut: 0, spoolBatches: 0, spoolBytes: 0, spoolDropped: 0 }) });
  const batcher = new RecordBatcher(spool, () => uplink.pump(), { maxRecords: 1000, maxBytes: 4 << 20, maxDelayMs: 50 });
  const generate = async () => {
    const t0 = performance.now();
    for (let i = 0; i < N; i++) {
      batcher.add(record(i, tsSec));
      if (live && i % 5000 === 0) await new Promise((r) => setImmediate(r));
      if (trace && i % 20000 === 0) process.stderr.write(`  sensor ${((performance.now() - t0) / 1000).toFixed(2)} s: ${i} made, spool ${spool.stats().depthBatches} batches\n`);
    }
    batcher.flush();
  };
  if (live) {
    uplink.start();
    await new Promise((r) => uplink.once('ready', r));
    process.send('ready');
    await new Promise((r) => process.once('message', r));
    await generate();
  } else {
    await generate();
    process.send('ready');
    await new Promise((r) => process.once('message', r));
    uplink.start();
  }
  if (!uplink.idle) await new Promise((r) => uplink.once('idle', r));
  // Alive until the run is timed, so that its CPU time can be read.
  await new Promise((r) => process.once('message', r));
  await uplink.stop();
  spool.close();
  process.exit(0);
}

async function countOf(es, index) {
  try {
    await es.indices.refresh({ index });
    return (await es.count({ index })).count;
  } catch {
    return 0;
  }
}

const cpuOf = (pid) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
};

const stack = await benchStack();
const esCfg = { url: stack.elasticsearch.url, username: stack.elasticsearch.username, password: stack.elasticsearch.password };
const pids = { self: process.pid, es: stack.elasticsearch.pid, redis: stack.redis.pid };
// Two placements, each a table of its own: Elasticsearch alone on CPU 0 and everything else (this process with
// the bare loader or the collector, the sensor it forks, Redis) on CPU 1, as when Elasticsearch has machines of
// its own, which is how the collector is deployed and so where the target is judged; then all of them sharing both
// cores. CHOT_BENCH_PIN=1 runs only the first, CHOT_BENCH_PIN=0 only the second. Every thread of each process is
// moved (taskset -a); the sensor, forked later, inherits this process's CPUs.
const PLACEMENTS = process.env.CHOT_BENCH_PIN === '1' ? [true] : process.env.CHOT_BENCH_PIN === '0' ? [false] : [true, false];
const allCpus = `0-${availableParallelism() - 1}`;
function place(pinned) {
  for (const [cpu, pid] of pinned ? [['0', pids.es], ['1', pids.redis], ['1', pids.self]] : [[allCpus, pids.es], [allCpus, pids.redis], [allCpus, pids.self]]) {
    const r = spawnSync('taskset', ['-a', '-p', '-c', cpu, String(pid)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`taskset for PID ${pid} failed: ${r.stderr}`);
  }
}
const cpuNow = () => Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuOf(pid)]));
const tsSec = Math.floor(Date.now() / 1000);
const perBatch = 1000;
const es = createEsClient({ ...esCfg, indexPrefix: 'chot-bench' });

const { issue } = await benchPki();
const collectorTls = await issue('01', 'collector');
const sensorTls = await issue('01/001/00001', 'sensor');
const tlsDir = mkdtempSync(join(tmpdir(), 'chot-bench-tls-'));
const files = { keyFile: join(tlsDir, 'k'), certFile: join(tlsDir, 'c'), caFile: join(tlsDir, 'ca'), crlFiles: [join(tlsDir, 'crl')] };
writeFileSync(files.keyFile, collectorTls.key); writeFileSync(files.certFile, collectorTls.cert); writeFileSync(files.caFile, collectorTls.ca.join('')); writeFileSync(files.crlFiles[0], collectorTls.crls.join(''));

/**
 * The limit: the same documents as NDJSON bulk bodies made before the clock starts, sent
 * by two workers, 5,000 documents per request (answers filtered to status and error, as
 * the collector asks for them): what this ES node takes when nothing but the requests
 * themselves is asked of the machine.
 */
async function bare() {
  const prefix = `chot-bench-bare-${Date.now()}`;
  await installIndexTemplates(es, prefix, INDEX_KINDS);
  // Made here, not once for the whole run: the collector runs in this process, and 200,000
  // records kept alive would weigh on its garbage collector (the sensor makes its own).
  const records = Array.from({ length: N }, (_, i) => record(i, tsSec));
  const bodies = [];
  for (let s = 0; s * 5000 < N; s++) {
    const body = new BulkBody();
    for (let b = s * 5; b < s * 5 + 5 && b * perBatch < N; b++) {
      const batch = { sensorId: 'bench', seq: b, node: '01/001/00001', receivedMs: Date.now(), count: perBatch, recordsJson: JSON.stringify(records.slice(b * perBatch, (b + 1) * perBatch)) };
      appendBatch(body, prefix, batch);
    }
    bodies.push(body.bytesOf(0, body.count));
  }
  const queue = bodies.slice();
  const cpuBefore = cpuNow();
  const t0 = performance.now();
  await Promise.all([0, 1].map(async () => {
    while (queue.length) {
      const res = await es.transport.request({ method: 'POST', path: '/_bulk', querystring: { filter_path: 'items.*.status,items.*.error' }, bulkBody: queue.shift() });
      const refused = res.items.find((i) => i.create.error);
      if (refused) throw new Error(`bare loader: ES refused documents: ${JSON.stringify(refused)}`);
    }
  }));
  const s = (performance.now() - t0) / 1000;
  const cpuAfter = cpuNow();
  const indexed = await countOf(es, `${prefix}-conn-*`);
  if (indexed !== N) throw new Error(`bare loader: ${indexed} documents indexed, expected ${N}`);
  await dropBenchData({ es, indexPrefix: prefix });
  return { seconds: s, cpuBefore, cpuAfter };
}

/** Through the product: uplink (TLS, compression) → collector → Redis → indexers (and detectors) → ES. */
async function throughCollector(detection) {
  const prefix = `chot-bench-coll-${Date.now()}`;
  const keyPrefix = `bench:${Date.now()}:`;
  const cfg = collectorConfig.parse({
    elasticsearch: { ...esCfg, indexPrefix: prefix }, redis: { url: stack.redis.url, keyPrefix },
    instanceId: 'bench', listen: { host: '127.0.0.1', port: 0 }, tls: files, streams: { shards: 2, ...(process.env.CHOT_BENCH_SHARED_DECODE_MB ? { sharedDecodeMb: Number(process.env.CHOT_BENCH_SHARED_DECODE_MB) } : {}) }, metrics: { host: '127.0.0.1', port: 0 },
    limits: { recordsPerSecond: 10_000_000, burstRecords: 10_000_000 },
    indexer: { ...(process.env.CHOT_BENCH_INDEXERS ? { consumers: Number(process.env.CHOT_BENCH_INDEXERS) } : {}), ...(process.env.CHOT_BENCH_INDEX_READ ? { entriesPerRead: Number(process.env.CHOT_BENCH_INDEX_READ) } : {}) },
    detection: { enabled: detection },
  });
  const collector = await startCollector(cfg, log);
  // The sensor as deployed: plain Node, without the collector's flags this process runs with.
  const sensor = fork(new URL(import.meta.url).pathname, ['--sensor'], { execArgv: (process.env.CHOT_BENCH_SENSOR_NODE_ARGS ?? '').split(' ').filter(Boolean), env: { ...process.env, CHOT_BENCH_SENSOR: JSON.stringify({ port: collector.ingestPort, tsSec, tls: sensorTls }) } });
  pids.sensor = sensor.pid;
  const sensorExit = new Promise((resolve) => sensor.once('exit', resolve));
  await new Promise((r) => sensor.once('message', r));
  const cpuBefore = cpuNow();
  const t0 = performance.now();
  sensor.send('go');
  // Progress from the collector's own counters: polling Elasticsearch with refreshes would
  // load it with work the bare loader is not given.
  const counter = async (name) => {
    const text = await (await fetch(collector.metricsUrl)).text();
    return Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(text)?.[1] ?? 0);
  };
  let lastReport = 0;
  let indexedS;
  for (;;) {
    const indexed = await counter('chot_collector_records_indexed_total');
    const detected = detection ? await counter('chot_collector_records_detected_total') : N;
    if (indexed >= N && indexedS === undefined) indexedS = (performance.now() - t0) / 1000;
    if (process.env.CHOT_BENCH_TRACE === '1') process.stderr.write(`  ${((performance.now() - t0) / 1000).toFixed(2)} s: stored ${await counter('chot_collector_records_in_total')}, indexed ${indexed}, detected ${detected}\n`);
    if (indexed >= N && detected >= N) break;
    if (performance.now() - lastReport > 5000) {
      lastReport = performance.now();
      process.stderr.write(`  through the collector: ${indexed} indexed, ${detected} detected\n`);
    }
    // Each scrape costs the collector a little CPU (its default process metrics): not too often.
    await new Promise((r) => setTimeout(r, 250));
  }
  const s = (performance.now() - t0) / 1000;
  const cpuAfter = cpuNow();
  const shared = await (await fetch(collector.metricsUrl)).text();
  const hits = Number(/chot_collector_shared_decodes_total\{[^}]*outcome="hit"[^}]*\} (\S+)/.exec(shared)?.[1] ?? 0);
  const misses = Number(/chot_collector_shared_decodes_total\{[^}]*outcome="miss"[^}]*\} (\S+)/.exec(shared)?.[1] ?? 0);
  const alertWrites = [...shared.matchAll(/^chot_collector_alerts_total\{outcome="(\w+)"\} (\S+)/gm)].map((m) => `${m[1]} ${m[2]}`).join(', ');
  process.stderr.write(`  entries taken already parsed from ingest: ${hits} of ${hits + misses}; alert writes: ${alertWrites || 'none'}\n`);
  sensor.send('stop');
  await sensorExit;
  await collector.stop();
  const docs = await countOf(es, `${prefix}-conn-*`);
  if (docs !== N) throw new Error(`collector: ${docs} documents indexed, expected ${N}`);
  const redis = new Redis(stack.redis.url);
  await dropBenchData({ es, redis, indexPrefix: prefix, keyPrefix });
  redis.disconnect();
  return { seconds: s, indexedS, cpuBefore, cpuAfter };
}

async function runPlacement(pinned) {
place(pinned);
const loadAtStart = loadavg();
const rows = [];
for (const phase of PHASES) {
  delete pids.sensor;
  const start = cpuNow();
  const run = phase === 'bare' ? await bare() : await throughCollector(phase === 'detect');
  const { seconds, indexedS } = run;
  const before = run.cpuBefore ?? start;
  const after = run.cpuAfter ?? cpuNow();
  const us = (k) => (after[k] === undefined ? '-' : (((after[k] - before[k]) * 1e6) / N).toFixed(0));
  rows.push({ phase, seconds, indexedS, cpu: { self: us('self'), sensor: us('sensor'), es: us('es'), redis: us('redis') }, load: loadavg()[0] });
  process.stderr.write(`${phase}: ${N} in ${seconds.toFixed(1)} s${indexedS !== undefined ? ` (indexed after ${indexedS.toFixed(1)} s)` : ''} (load ${loadavg()[0].toFixed(2)})\n`);
}

// Each collector run against the bare runs around it (the limit at that time).
rows.forEach((r, i) => {
  if (r.phase === 'bare') return;
  const around = [rows.slice(0, i).reverse().find((x) => x.phase === 'bare'), rows.slice(i + 1).find((x) => x.phase === 'bare')].filter(Boolean);
  r.limitRate = around.reduce((n, x) => n + N / x.seconds, 0) / around.length;
  r.ratio = N / r.seconds / r.limitRate;
  if (r.indexedS !== undefined) r.indexedRatio = N / r.indexedS / r.limitRate;
});
const median = (xs) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const label = {
  bare: 'bare bulk loader → ES (the limit)',
  detect: 'sensor → collector → Redis → ES, detection on (default), until indexed and detected',
  nodetect: 'sensor → collector → Redis → ES, detection off',
};
console.log(`\n### Collector throughput (${N.toLocaleString('en')} records per run, ${new Date().toISOString().slice(0, 10)}; load average ${loadAtStart.map((l) => l.toFixed(2)).join(', ')} at the start, ${loadavg().map((l) => l.toFixed(2)).join(', ')} at the end, 2 cores; ${pinned ? 'Elasticsearch pinned to CPU 0, everything else to CPU 1 (as deployed: the target is judged here)' : 'everything sharing both cores'})\n`);
console.log(table(rows.map((r) => ({
  path: label[r.phase],
  seconds: r.seconds.toFixed(1),
  'records/s': Math.round(N / r.seconds).toLocaleString('en'),
  'ratio to the bare runs around it': r.ratio === undefined ? '' : r.ratio.toFixed(2),
  'CPU µs/record: collector': r.phase === 'bare' ? `(loader) ${r.cpu.self}` : r.cpu.self,
  'sensor': r.cpu.sensor,
  'ES': r.cpu.es,
  'Redis': r.cpu.redis,
  'load (1 min)': r.load.toFixed(2),
}))));
for (const phase of ['detect', 'nodetect']) {
  const rs = rows.filter((r) => r.phase === phase);
  if (rs.length) console.log(`\n${label[phase]}: median ratio ${median(rs.map((r) => r.ratio)).toFixed(2)} (runs: ${rs.map((r) => r.ratio.toFixed(2)).join(', ')})${phase === 'detect' ? `; until the last document was indexed: median ${median(rs.map((r) => r.indexedRatio)).toFixed(2)}` : ''}.`);
}
}

for (const pinned of PLACEMENTS) await runPlacement(pinned);
await es.close();
await benchStackDown();
process.exit(0);

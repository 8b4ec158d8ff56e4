// The rules engine: records per second per core through the stateless part (the default
// pack + 1,000 generated stateless rules + a 500,000-entry IP list), beside a baseline
// loop that only reads the same records' fields (the limit), and the windowed rules'
// rate with their state in Redis, measured separately.
//
// Imports the compiled code: run `npm run build` first (npm run bench does). Pin it to one
// core for comparable numbers: `taskset -c 1 node bench/rules.bench.mjs`.
//
// Records: the traffic generator's capture (benign mix plus every attack scenario) read
// through the sensor pipeline (decoder, flow table, DNS/TLS/HTTP/SSH analyzers, policy
// check), cycled to make each measurement at least 2 million records. Generated rules are
// realistic indicator rules (ports with a byte floor, CIDR blocks, DNS suffixes, SNIs,
// JA3s, user agents) that, like most deployed rules, match none of this traffic; the
// 500,000-entry list holds random addresses plus 1% of the capture's addresses. Every engine
// built here gets the same rules and the same list (each is drawn from its own fixed seed,
// not from a generator shared by every call), so the windowed variants count the same
// alerts: with one generator shared by all calls, each engine got a different random list,
// and the batched Redis run's happened to hold one more of the capture's addresses
// (198.18.19.84, the source of one record per pass: 36,864 alerts against 36,844).
// Stateless = the index lookups, predicates and exceptions of every rule, producing the
// matches (the windowed rules' filters included); windowed = matches through the Lua
// scripts (pipelined per batch of 500 records), alert documents built.
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { writeCapture } from '../dist/lab/traffic/generate.js';
import { createAppAnalyzer } from '../dist/sensor/app/index.js';
import { FileReader } from '../dist/sensor/capture/file-reader.js';
import { Pipeline } from '../dist/sensor/pipeline.js';
import { PopulationDataPolicyChecker } from '../dist/sensor/policy/population-data.js';
import { DetectionEngine, packDir } from '../dist/rules/worker.js';
import { StatelessMatcher } from '../dist/rules/engine/matcher.js';
import { benchStack, benchStackDown, dropBenchData, table } from './support.mjs';

const TARGET = Number(process.env.CHOT_BENCH_RULES_RECORDS ?? 2_000_000);
const log = pino({ level: 'silent' });
const work = mkdtempSync(join(tmpdir(), 'chot-bench-rules-'));
/** Every engine's Redis keys start with this run's prefix, dropped at the end. */
const RUN_KEYS = `bench-rules:${Date.now()}:${process.pid}:`;

// ---- records -------------------------------------------------------------------------
const pcap = join(work, 'wan.pcap');
await writeCapture(pcap, { seed: 6, packets: 300_000 });
const policy = new PopulationDataPolicyChecker([{ name: 'popdata', cidrs: ['198.18.0.10/32', 'fd00:c407::10/128'], ports: [8443] }], ['198.18.10.0/24', '198.18.16.0/20', 'fd00:c407:0:10::/64']);
const records = [];
const pipeline = new Pipeline({ outputs: [{ record: (r) => records.push(r) }], analyzers: createAppAnalyzer, policy });
new FileReader(pcap).readAll(pipeline);
pipeline.finish();
const apps = { dns: 0, tls: 0, http: 0, ssh: 0 };
for (const r of records) for (const k of Object.keys(apps)) if (r.app?.[k]) apps[k] += Array.isArray(r.app[k]) ? r.app[k].length : 1;
const BATCH = 500;
const batches = [];
for (let i = 0; i < records.length; i += BATCH) batches.push(records.slice(i, i + BATCH));
const rounds = Math.ceil(TARGET / records.length);

// ---- rules and lists -------------------------------------------------------------------
function rng(seed) {
  let x = seed >>> 0;
  return () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0), x);
}
const ip4 = (a) => `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;

/** The same n rules on every call (the first 1,000 of 10,000 are the 1,000). */
function generatedRules(n) {
  const rand = rng(99);
  const hex = (len) => Array.from({ length: len }, () => (rand() & 15).toString(16)).join('');
  const out = [];
  for (let i = 0; i < n; i++) {
    const head = `- id: gen.${i}\n  title: generated ${i}\n  severity: low\n`;
    switch (i % 6) {
      case 0:
        out.push(`${head}  kind: connection\n  match:\n    destination.port: ${20000 + (rand() % 40000)}\n    network.transport: tcp\n    source.bytes: { gte: ${rand() % 5000} }\n`);
        break;
      case 1:
        out.push(`${head}  kind: connection\n  match:\n    destination.ip: { cidr: ${ip4(((100 << 24) | (rand() & 0xffff00)) >>> 0)}/24 }\n    destination.port: [443, 8443, ${1024 + (rand() % 5000)}]\n`);
        break;
      case 2:
        out.push(`${head}  kind: dns\n  match:\n    dns.question.name: { suffix: .${hex(8)}.bad.example, nocase: true }\n`);
        break;
      case 3:
        out.push(`${head}  kind: tls\n  match:\n    tls.client.server_name: c2-${hex(6)}.example\n`);
        break;
      case 4:
        out.push(`${head}  kind: tls\n  match:\n    tls.client.ja3: ${hex(32)}\n`);
        break;
      default:
        out.push(`${head}  kind: http\n  match:\n    user_agent.original: { in: ["Bot/${hex(4)}", "Agent-${hex(6)}"] }\n    http.request.method: [POST, PUT]\n`);
    }
  }
  return out.join('');
}

const LIST_SIZE = 500_000;
let listText;
/** The same list on every call: 1% of the capture's IPv4 addresses, the rest random addresses the capture does not hold. */
function writeList(dir) {
  if (listText === undefined) {
    const rand = rng(7);
    const seen = [...new Set(records.flatMap((r) => [r.origH, r.respH]))].filter((a) => !a.includes(':'));
    const listed = seen.slice(0, Math.ceil(seen.length / 100));
    const unseen = new Set(seen.slice(listed.length));
    const lines = [...listed];
    while (lines.length < LIST_SIZE) {
      const a = ip4(rand());
      if (!unseen.has(a)) lines.push(a);
    }
    listText = lines.join('\n');
  }
  mkdirSync(join(dir, 'lists'), { recursive: true });
  writeFileSync(join(dir, 'lists', 'bench_ips.ip'), listText);
}

let engines = 0;
async function engineWith(extraRules, withList, redis, state) {
  const dir = mkdtempSync(join(work, 'rules-'));
  const rulesDir = join(dir, 'rules');
  mkdirSync(rulesDir);
  writeList(rulesDir);
  if (extraRules > 0) writeFileSync(join(rulesDir, 'generated.yaml'), generatedRules(extraRules));
  if (withList) writeFileSync(join(rulesDir, 'listed.yaml'), `- id: bench.listed\n  title: listed address\n  severity: low\n  kind: connection\n  match:\n    any:\n      - destination.ip: { in_list: bench_ips }\n      - source.ip: { in_list: bench_ips }\n  suppress: { by: [source.ip, destination.ip], window: 1h }\n`);
  const t0 = performance.now();
  const engine = new DetectionEngine({ rulesDir: [packDir(), rulesDir], keyPrefix: `${RUN_KEYS}${++engines}:`, esPrefix: 'bench', log, watch: false, redis, state });
  engine.lists.load();
  const report = engine.reload();
  const loadMs = performance.now() - t0;
  if (report.diagnostics.some((d) => d.severity === 'error')) throw new Error(JSON.stringify(report.diagnostics.slice(0, 3)));
  return { engine, rules: report.rules, loadMs };
}

// ---- measurements ----------------------------------------------------------------------
/** The limit: a loop that reads every field the engine's indexes read, and nothing else. */
/**
 * Both clocks: wall time, and the CPU time this process used (user + system), which is
 * what "per core" means on a machine shared with other work (contention stretches wall
 * time, not the CPU time the loop itself needs).
 */
function clock() {
  const t = performance.now();
  const c = process.cpuUsage();
  return () => {
    const d = process.cpuUsage(c);
    return { wall: (performance.now() - t) / 1000, cpu: (d.user + d.system) / 1e6 };
  };
}

function baseline() {
  let sum = 0;
  const done = clock();
  for (let k = 0; k < rounds; k++) {
    for (const r of records) {
      sum += r.respP + r.origP + r.origIpBytes + r.origH.length + r.respH.length + r.proto.length + r.connState.length + r.durationNs + r.origBytes + (r.policy?.bypass ? 1 : 0);
      const app = r.app;
      if (app === undefined) continue;
      if (app.dns) for (const d of app.dns) sum += (d.query?.length ?? 0) + (d.qtype ?? 0);
      if (app.tls) sum += (app.tls.ja3?.length ?? 0) + (app.tls.serverName?.length ?? 0);
      if (app.http) for (const h of app.http) sum += (h.userAgent?.length ?? 0) + (h.method?.length ?? 0);
    }
  }
  const t = done();
  if (sum === 42) console.log('');
  return { wall: (rounds * records.length) / t.wall, cpu: (rounds * records.length) / t.cpu };
}

function stateless(set) {
  const m = new StatelessMatcher();
  let hits = 0;
  const done = clock();
  for (let k = 0; k < rounds; k++) for (let b = 0; b < batches.length; b++) hits += m.matchConn(set, batches[b], { sensorId: 'bench', seq: b, node: '01/001/00001' }).length;
  const t = done();
  stateless.hitsPerRecord = hits / (rounds * records.length);
  return { wall: (rounds * records.length) / t.wall, cpu: (rounds * records.length) / t.cpu };
}

/** Heap growth per record on records no rule can reach (the allocation-free path). */
function heapPerRecord(set) {
  // The capture's records made unreachable: an unused port, no app metadata, no policy verdict, a completed TCP connection.
  const quiet = records.slice(0, 500).map((r) => ({ ...r, respP: 9, origP: 40009, proto: 'tcp', connState: 'SF', origBytes: 100, app: undefined, policy: undefined, origH: '192.0.2.1', respH: '192.0.2.2' }));
  const m = new StatelessMatcher();
  const ctx = { sensorId: 'bench', seq: 0, node: '01/001/00001' };
  for (let i = 0; i < 200; i++) m.matchConn(set, quiet, ctx);
  global.gc?.();
  const before = process.memoryUsage().heapUsed;
  let n = 0;
  for (let i = 0; i < 2000; i++) n += m.matchConn(set, quiet, ctx).length + quiet.length;
  const after = process.memoryUsage().heapUsed;
  return { bytesPerRecord: Math.max(0, after - before) / (2000 * quiet.length), sample: quiet.length };
}

// Every variant is measured in turn, round after round, so each sees the same machine
// (a shared machine's load moves between rounds); median and best of the rounds.
const ROUNDS = Number(process.env.CHOT_BENCH_RULES_ROUNDS ?? 7);
// CHOT_BENCH_RULES_ONLY=windowed skips the stateless part (for working on the Redis path).
const WINDOWED_ONLY = process.env.CHOT_BENCH_RULES_ONLY === 'windowed';
const variants = WINDOWED_ONLY ? [] : [
  ['default pack only', 0, false],
  ['default pack + 500k-entry IP list rule', 0, true],
  ['default pack + 1,000 generated rules + 500k-entry IP list', 1000, true],
  ['default pack + 10,000 generated rules + 500k-entry IP list', 10_000, true],
];
const built = [];
const loads = [];
let heap;
for (const [name, extra, list] of variants) {
  const { engine, rules, loadMs } = await engineWith(extra, list);
  built.push({ name, rules, set: engine.rules, rates: [] });
  stateless(engine.rules); // warm-up
  loads.push({ rules, 'load + check + compile (ms)': Math.round(loadMs), 'matches per record': stateless.hitsPerRecord.toFixed(3) });
  if (extra === 1000) heap = heapPerRecord(engine.rules);
}
const baseRates = [];
for (let round = 0; round < (WINDOWED_ONLY ? 1 : ROUNDS); round++) {
  baseRates.push(baseline());
  for (const b of built) b.rates.push(stateless(b.set));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const max = (xs) => Math.max(...xs);
const fmt = (x) => Math.round(x).toLocaleString('en');
const base = median(baseRates.map((r) => r.cpu));
const row = (measurement, rules, rates) => ({
  measurement,
  rules,
  'records per CPU-second (median)': fmt(median(rates.map((r) => r.cpu))),
  'records/s wall (median)': fmt(median(rates.map((r) => r.wall))),
  'records/s wall (best)': fmt(max(rates.map((r) => r.wall))),
  'CPU median vs baseline': (median(rates.map((r) => r.cpu)) / base).toFixed(3),
});
const rows = [row("baseline: read the same records' fields (the limit)", '-', baseRates)];
for (const b of built) rows.push(row(`stateless: ${b.name}`, b.rules, b.rates));

// ---- windowed rules with Redis -----------------------------------------------------------
let redisUrl = process.env.CHOT_BENCH_REDIS;
if (!redisUrl) redisUrl = (await benchStack()).redis.url;
const redis = new Redis(redisUrl);
const windowed = [];
const { RedisState } = await import('../dist/rules/engine/redis-state.js');
const { MemoryState } = await import('../dist/rules/engine/memory-state.js');
/** Redis's own CPU time (all its threads), seconds: robust to other work on the machine, unlike its wall-clock µs. */
const redisCpu = async () => {
  const info = await redis.info('cpu');
  return Number(/used_cpu_user:([\d.]+)/.exec(info)[1]) + Number(/used_cpu_sys:([\d.]+)/.exec(info)[1]);
};
const evalsha = async () => {
  const m = /cmdstat_evalsha:calls=(\d+),usec=(\d+)/.exec(await redis.info('commandstats'));
  return m ? { calls: Number(m[1]), usec: Number(m[2]) } : { calls: 0, usec: 0 };
};
// Records get fresh times each round so windows keep moving as on a live link.
const shift = (r, k) => ({ ...r, tsSec: r.tsSec + k * 3600, ts: r.ts + k * 3600 });
const roundsW = Math.max(1, Math.ceil(200_000 / records.length));
const shifted = Array.from({ length: roundsW }, (_, k) => (k === 0 ? batches : batches.map((b) => b.map((r) => shift(r, k)))));
async function windowedRun(name, state) {
  const { engine } = await engineWith(1000, true, undefined, state);
  await state.preload?.();
  let n = 0;
  let created = 0;
  const ids = [];
  const before = await evalsha();
  const cpu0 = await redisCpu();
  const done = clock();
  for (let k = 0; k < roundsW; k++) {
    for (let b = 0; b < batches.length; b++) {
      const batch = shifted[k][b];
      const out = await engine.processBatch(batch, { sensorId: 'bench', seq: k * 100000 + b, node: '01/001/00001' });
      n += batch.length;
      created += out.created.length;
      for (const c of out.created) ids.push(c.doc.event.id);
    }
  }
  const t = done();
  const after = await evalsha();
  const rcpu = (await redisCpu()) - cpu0;
  const calls = after.calls - before.calls;
  const ops = state.stats?.ops;
  return { name, n, wall: t.wall, cpu: t.cpu, rcpu, calls, ops, hits: engine.detectorStats.hits, created, ids: ids.sort().join('\n') };
}
const W_ROUNDS = Number(process.env.CHOT_BENCH_RULES_WROUNDS ?? 3);
const wruns = { mem: [], batched: [], single: [] };
for (let round = 0; round < W_ROUNDS; round++) {
  wruns.mem.push(await windowedRun('in-process state (MemoryState, one worker only): the limit without Redis', new MemoryState()));
  wruns.batched.push(await windowedRun('Redis state: one script call per batch phase (this engine)', new RedisState(redis)));
  if (round === 0) wruns.single.push(await windowedRun('Redis state: one script call per operation (as before)', new RedisState(redis, { chunk: 1 })));
}
// Every run saw the same records, rules and list from fresh state: the same alerts (ids, not only their number), or
// the engine broke its promise that alerts do not depend on batching or the store.
const ref = wruns.mem[0];
const differing = [...wruns.mem, ...wruns.batched, ...wruns.single].filter((r) => r.ids !== ref.ids);
for (const r of differing) {
  const a = new Set(ref.ids.split('\n'));
  const b = new Set(r.ids.split('\n'));
  console.error(`ALERTS DIFFER: ${r.name}: ${r.created} created vs ${ref.created} in process; only here: ${[...b].filter((x) => !a.has(x)).slice(0, 5).join(' ')}; only in process: ${[...a].filter((x) => !b.has(x)).slice(0, 5).join(' ')}`);
}
const alertsNote = differing.length === 0 ? `Every windowed run created the same ${ref.created.toLocaleString('en')} alerts (same ids).` : `**${differing.length} windowed run(s) created different alerts (see stderr).**`;
const med = (runs, f) => median(runs.map(f));
const memRate = med(wruns.mem, (r) => r.n / (r.cpu + r.rcpu));
for (const runs of [wruns.mem, wruns.batched, wruns.single]) {
  if (runs.length === 0) continue;
  const r0 = runs[0];
  const perCpu = med(runs, (r) => r.n / (r.cpu + r.rcpu));
  windowed.push({
    measurement: r0.name,
    records: r0.n.toLocaleString('en'),
    'records/s wall (median)': fmt(med(runs, (r) => r.n / r.wall)),
    'records per CPU-second, engine + Redis (median)': fmt(perCpu),
    'vs in-process': (perCpu / memRate).toFixed(2),
    'Redis CPU µs per record': r0.calls ? med(runs, (r) => (r.rcpu * 1e6) / r.n).toFixed(1) : '-',
    'engine CPU µs per record': med(runs, (r) => (r.cpu * 1e6) / r.n).toFixed(1),
    'script calls': r0.calls ? fmt(r0.calls) : '-',
    'state operations': r0.ops ? fmt(r0.ops) : '-',
    'alerts created': r0.created,
  });
}
// Each state operation alone: 20,000 operations over 200 groups (or alerts), 500 per batch;
// and counts on a new group each (the common case of a live link: most groups see one record).
const store = new RedisState(redis);
const perOp = [];
const T = Date.UTC(2026, 0, 1);
const pre = `bench-rules-ops:${Date.now()}:`;
const kinds = [
  ['window count, a new group each', (i) => ({ t: 'agg', key: `${pre}{n${i}}`, member: `chot-conn-2026.01.01/bench:${i}:0`, bucket: Math.floor((T + i * 10) / 5000), k: 12, threshold: 1e9, fn: 'count', value: '', running: '', ttlMs: 600_000, maxEvidence: 20 })],
  ['window count', (i) => ({ t: 'agg', key: `${pre}{c${i % 200}}`, member: `m${i}`, bucket: Math.floor((T + i * 10) / 5000), k: 12, threshold: 1e9, fn: 'count', value: '', running: '', ttlMs: 600_000, maxEvidence: 20 })],
  ['window sum (running totals)', (i) => ({ t: 'agg', key: `${pre}{s${i % 200}}`, member: `m${i}`, bucket: Math.floor((T + i * 10) / 5000), k: 12, threshold: 1e15, fn: 'sum', value: String(i * 1000), running: `u${i % 50}`, ttlMs: 600_000, maxEvidence: 20 })],
  ['window distinct count (exact)', (i) => ({ t: 'agg', key: `${pre}{d${i % 200}}`, member: `m${i}`, bucket: Math.floor((T + i * 10) / 5000), k: 12, threshold: 1e9, fn: 'distinct', value: String(i % 1000), running: '', ttlMs: 600_000, maxEvidence: 20 })],
  ['window distinct count (HyperLogLog)', (i) => ({ t: 'agg', key: `${pre}{h${i % 200}}`, member: `m${i}`, bucket: Math.floor((T + i * 10) / 5000), k: 12, threshold: 1e9, fn: 'hll', value: String(i % 1000), running: '', ttlMs: 600_000, maxEvidence: 20 })],
  ['sequence step (3 steps)', (i) => ({ t: 'seq', key: `${pre}{q${i % 200}}`, member: `${String(T + i * 10).padStart(15, '0')}|m${i}`, tsMs: T + i * 10, steps: [i % 3], nSteps: 3, windowMs: 60_000, ordered: true, ttlMs: 600_000 })],
  ['first seen', (i) => ({ t: 'first', key: `${pre}{f${i % 200}}`, value: String(i % 50), member: `m${i}`, tsMs: T + i, learnMs: 0, ttlMs: 600_000 })],
  ['suppression fold (raise)', (i) => ({ t: 'raise', key: `${pre}{a${i % 200}}`, member: `m${i}`, tsMs: T + i, ttlMs: 600_000, cap: 10_000 })],
];
for (const [name, make] of kinds) {
  const ops = Array.from({ length: 20_000 }, (_, i) => make(i));
  const before = await evalsha();
  const cpu0 = await redisCpu();
  const t0 = performance.now();
  for (let i = 0; i < ops.length; i += 500) await store.apply(ops.slice(i, i + 500));
  const s = (performance.now() - t0) / 1000;
  const rcpu = (await redisCpu()) - cpu0;
  const after = await evalsha();
  perOp.push({ operation: name, 'operations/s wall': Math.round(ops.length / s).toLocaleString('en'), 'script calls': after.calls - before.calls, 'Redis CPU µs per operation': ((rcpu * 1e6) / ops.length).toFixed(1) });
}
await dropBenchData({ redis, keyPrefix: RUN_KEYS });
await dropBenchData({ redis, keyPrefix: pre });
redis.disconnect();
await benchStackDown();
rmSync(work, { recursive: true, force: true });

const cpu = cpus()[0]?.model ?? 'unknown CPU';
let pinned = 'not pinned';
try {
  const allowed = /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  if (allowed && /^\d+$/.test(allowed)) pinned = `pinned to CPU ${allowed}`;
} catch {
  // not Linux: leave it unknown
}
console.log(`## rules\n`);
console.log(`\`node bench/rules.bench.mjs\` (${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpu}, ${cpus().length} cores, ${pinned}).`);
console.log(`Records: ${records.length.toLocaleString('en')} connection records from a ${(300_000).toLocaleString('en')}-packet generated capture (seed 6, benign mix and every attack scenario) through the sensor pipeline, with ${apps.dns} DNS, ${apps.tls} TLS, ${apps.http} HTTP and ${apps.ssh} SSH views; cycled ${rounds}× per measurement; ${ROUNDS} rounds, every variant measured in each round. Load average at the end: ${loadavg().map((x) => x.toFixed(1)).join(', ')} on ${cpus().length} cores.\n`);
console.log(table(rows));
console.log('');
if (loads.length > 0) {
  console.log(table(loads));
  console.log('');
}
if (heap) console.log(`Heap growth on records that reach no rule (no GC in between): ${heap.bytesPerRecord.toFixed(2)} bytes per record over ${(2000 * heap.sample).toLocaleString('en')} records.\n`);
console.log(table(windowed));
console.log('');
console.log(`${alertsNote}\n`);
console.log(table(perOp));

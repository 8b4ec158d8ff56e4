// The national fleet against one collector: 10,800 simulated sensors (one per province,
// district and commune of the real inventory, each with its own certificate) connect over
// mutual TLS and send a heartbeat every 10 s. Reports the time for the whole fleet to
// connect, and the collector's memory (target < 2 GB) and CPU, measured on its process.
import { execFileSync, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import YAML from 'yaml';
import { issueNodeCertificates } from '../dist/certs/ca/issue.js';
import { readInventory } from '../dist/certs/inventory.js';
import { nodeUri } from '../dist/certs/node-id.js';
import { buildCsr } from '../dist/certs/x509/csr.js';
import { Redis } from 'ioredis';
import { createEsClient } from '../dist/collector/index/client.js';
import { benchPki, benchStack, benchStackDown, dropBenchData, table } from './support.mjs';

const inventoryFile = new URL('../../shared/data/vn-admin-units-2025-03.json', import.meta.url).pathname;
const limit = Number(process.env.CHOT_BENCH_SENSORS ?? Infinity);
const heartbeatS = 10;
const holdS = Number(process.env.CHOT_BENCH_HOLD_S ?? 60);
const nodes = readInventory(inventoryFile).slice(0, limit);

// Each side holds one descriptor per sensor: both processes need room for the whole fleet.
const fdLimit = Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());
if (fdLimit < nodes.length + 1000) {
  process.stderr.write(`open-file limit ${fdLimit} is too low for ${nodes.length} sensors; raise it (e.g. prlimit --nofile=65536 or ulimit -n 65536 as root) and run again\n`);
  process.exit(2);
}

const stack = await benchStack();
const { pki, issue } = await benchPki();
const collectorTls = await issue('00', 'collector');
const ca = pki.unlock('issuing-1', 'bench issuing passphrase');

// Certificates for the fleet (not timed: enrollment is measured by the certs benchmark).
process.stderr.write(`issuing ${nodes.length} sensor certificates…\n`);
const fleet = [];
for (let i = 0; i < nodes.length; i += 500) {
  const chunk = nodes.slice(i, i + 500).map((n) => {
    const kp = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return { kp, req: { csr: buildCsr({ ...kp, subject: [{ type: 'CN', value: n.nodeId }], uris: [nodeUri(n.nodeId)] }), nodeId: n.nodeId, role: 'sensor' } };
  });
  const issued = await issueNodeCertificates(pki, ca, chunk.map((c) => c.req), { via: 'bulk', actor: 'bench' });
  issued.forEach((r, j) => fleet.push({ nodeId: chunk[j].req.nodeId, key: chunk[j].kp.privateKey.export({ type: 'pkcs8', format: 'pem' }), cert: r.pem + ca.certPem }));
}

const dir = mkdtempSync(join(tmpdir(), 'chot-bench-fleet-'));
const files = { keyFile: join(dir, 'k'), certFile: join(dir, 'c'), caFile: join(dir, 'ca'), crlFiles: [join(dir, 'crl')] };
writeFileSync(files.keyFile, collectorTls.key); writeFileSync(files.certFile, collectorTls.cert); writeFileSync(files.caFile, collectorTls.ca.join('')); writeFileSync(files.crlFiles[0], collectorTls.crls.join(''));
const port = 48765;
const metricsPort = 48766;
const configFile = join(dir, 'collector.yaml');
const indexPrefix = `chot-bench-fleet-${Date.now()}`;
const keyPrefix = `bench-fleet:${Date.now()}:`;
writeFileSync(configFile, YAML.stringify({
  elasticsearch: { url: stack.elasticsearch.url, username: stack.elasticsearch.username, password: stack.elasticsearch.password, indexPrefix },
  redis: { url: stack.redis.url, keyPrefix }, instanceId: 'fleet', listen: { host: '127.0.0.1', port }, tls: files,
  metrics: { host: '127.0.0.1', port: metricsPort },
  health: { heartbeatSeconds: heartbeatS, silentAfterHeartbeats: 3 },
}));
// The collector with the Node flags it is deployed with (scripts/collector-node-flags, its last line).
const collectorFlags = readFileSync(new URL('../scripts/collector-node-flags', import.meta.url), 'utf8').trim().split('\n').at(-1).trim().split(/\s+/);
const collector = spawn(process.execPath, [...collectorFlags, new URL('../bin/chot.js', import.meta.url).pathname, 'collector', 'run', '--config', configFile], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, CHOT_LOG_LEVEL: 'error' } });
await new Promise((resolve) => collector.stdout.on('data', (d) => String(d).includes('collector listening') && resolve()));

const procStat = (pid) => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { rssMb: rssKb / 1024, cpuS: (Number(f[11]) + Number(f[12])) / 100 };
};
// The collector's own view of its memory: V8's heap and what it holds outside the heap (buffers, TLS, zlib).
const heapOf = async () => {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const value = (name) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(text)?.[1] ?? NaN) / 1024 / 1024;
  return { heapMb: value('nodejs_heap_size_used_bytes'), externalMb: value('nodejs_external_memory_bytes') };
};
const idle = { ...procStat(collector.pid), ...(await heapOf()) };
const loadStart = loadavg();

// Connect the fleet, 256 handshakes in flight at a time (a real fleet arrives spread out by back-off).
const stats = { version: 'bench', uptimeS: 1, packets: 0, captureDropsKernel: 0, captureDropsInterface: 0, activeFlows: 0, recordsOut: 0, spoolBatches: 0, spoolBytes: 0, spoolDropped: 0 };
const sockets = [];
let failed = 0;
const t0 = performance.now();
const progress = { t: t0, c: procStat(collector.pid).cpuS, b: (process.cpuUsage().user + process.cpuUsage().system) / 1e6 };
let next = 0;
await Promise.all(Array.from({ length: 256 }, async () => {
  while (next < fleet.length) {
    const s = fleet[next++];
    await new Promise((resolve) => {
      const ws = new WebSocket(`wss://127.0.0.1:${port}/v1/ingest`, { key: s.key, cert: s.cert, ca: collectorTls.ca, checkServerIdentity: () => undefined });
      ws.once('message', () => {
        sockets.push(ws);
        if (sockets.length % 1000 === 0) {
          const c = procStat(collector.pid);
          const selfCpuS = process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6;
          const dt = (performance.now() - progress.t) / 1000;
          process.stderr.write(`${sockets.length} connected at ${((performance.now() - t0) / 1000).toFixed(1)} s: ${Math.round(1000 / dt)}/s, collector ${(((c.cpuS - progress.c) / dt) * 100).toFixed(0)}% CPU, ${c.rssMb.toFixed(0)} MB; bench ${(((selfCpuS - progress.b) / dt) * 100).toFixed(0)}% CPU; load ${loadavg()[0].toFixed(1)}\n`);
          Object.assign(progress, { t: performance.now(), c: c.cpuS, b: selfCpuS });
        }
        resolve();
      });
      ws.once('error', () => { failed++; resolve(); });
      ws.once('unexpected-response', () => { failed++; resolve(); });
    });
  }
}));
const connectS = (performance.now() - t0) / 1000;
const connected = { ...procStat(collector.pid), ...(await heapOf()) };

// Heartbeats every 10 s from every sensor, spread over the interval, for holdS seconds.
const beat = JSON.stringify({ type: 'heartbeat', stats });
const timers = sockets.map((ws, i) => setTimeout(() => {
  ws.send(beat);
  ws.timer = setInterval(() => ws.readyState === ws.OPEN && ws.send(beat), heartbeatS * 1000);
}, (i / sockets.length) * heartbeatS * 1000));
const before = procStat(collector.pid);
let peakRss = before.rssMb;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, procStat(collector.pid).rssMb)), 1000);
await new Promise((r) => setTimeout(r, holdS * 1000));
clearInterval(sampler);
const after = { ...procStat(collector.pid), ...(await heapOf()) };
timers.forEach(clearTimeout);
for (const ws of sockets) { clearInterval(ws.timer); ws.terminate(); }
collector.kill('SIGTERM');

console.log(`\n### Fleet: ${fleet.length.toLocaleString('en')} sensors on one collector (one run, ${new Date().toISOString().slice(0, 10)}; load average ${loadStart.map((l) => l.toFixed(2)).join(', ')} when connecting, ${loadavg().map((l) => l.toFixed(2)).join(', ')} at the end, 2 cores)\n`);
console.log(table([
  { measure: 'sensors connected (mutual TLS + welcome)', value: `${sockets.length.toLocaleString('en')} (${failed} failed)`, limit: `${fleet.length.toLocaleString('en')}` },
  { measure: 'time for the whole fleet to connect', value: `${connectS.toFixed(1)} s (${Math.round(sockets.length / connectS)} handshakes/s)`, limit: '—' },
  { measure: 'collector RSS idle → fleet connected → peak under heartbeats', value: `${idle.rssMb.toFixed(0)} → ${connected.rssMb.toFixed(0)} → ${peakRss.toFixed(0)} MB`, limit: '2,048 MB' },
  { measure: 'collector V8 heap used / external memory: idle → connected → end', value: `${idle.heapMb.toFixed(0)} / ${idle.externalMb.toFixed(0)} → ${connected.heapMb.toFixed(0)} / ${connected.externalMb.toFixed(0)} → ${after.heapMb.toFixed(0)} / ${after.externalMb.toFixed(0)} MB`, limit: '—' },
  { measure: `collector CPU under heartbeats (${sockets.length.toLocaleString('en')} every ${heartbeatS} s, ${holdS} s)`, value: `${(((after.cpuS - before.cpuS) / holdS) * 100).toFixed(1)}% of one core`, limit: '200% (2 cores)' },
]));
{
  // What the run made in the bench stack, which outlives it.
  const es = createEsClient({ url: stack.elasticsearch.url, username: stack.elasticsearch.username, password: stack.elasticsearch.password });
  const redis = new Redis(stack.redis.url);
  await dropBenchData({ es, redis, indexPrefix, keyPrefix });
  await es.close();
  redis.disconnect();
}
await benchStackDown();
process.exit(0);

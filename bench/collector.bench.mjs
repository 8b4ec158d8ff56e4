// Throughput of the spine: records from a sensor's uplink through one collector (TLS,
// schema check, Redis stream, indexer) into Elasticsearch, beside a bare bulk loader
// writing the same ECS documents straight to the same node in the same run (the limit).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { TlsContextManager } from '../dist/certs/tls/context-manager.js';
import { BulkIndexer } from '../dist/collector/index/bulk.js';
import { createEsClient } from '../dist/collector/index/client.js';
import { batchToActions } from '../dist/collector/index/documents.js';
import { installIndexTemplates } from '../dist/collector/index/templates.js';
import { INDEX_KINDS } from '../dist/collector/index/names.js';
import { startCollector } from '../dist/collector/runtime.js';
import { UplinkClient } from '../dist/sensor/uplink/client.js';
import { RecordBatcher } from '../dist/sensor/uplink/batcher.js';
import { Spool } from '../dist/sensor/uplink/spool.js';
import { benchPki, benchStack, benchStackDown, table } from './support.mjs';

const N = Number(process.env.CHOT_BENCH_RECORDS ?? 200_000);
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

async function countOf(es, index) {
  try {
    await es.indices.refresh({ index });
    return (await es.count({ index })).count;
  } catch {
    return 0;
  }
}

const stack = await benchStack();
const esCfg = { url: stack.elasticsearch.url, username: stack.elasticsearch.username, password: stack.elasticsearch.password };
const tsSec = Math.floor(Date.now() / 1000);
const records = Array.from({ length: N }, (_, i) => record(i, tsSec));

// 1. The limit: the same documents, bulk-loaded directly (2 workers, 5,000 per request).
const barePrefix = `chot-bench-bare-${Date.now()}`;
const es = createEsClient({ ...esCfg, indexPrefix: barePrefix });
await installIndexTemplates(es, barePrefix, INDEX_KINDS);
const perBatch = 1000;
const batches = [];
for (let s = 0; s * perBatch < N; s++) batches.push({ sensorId: 'bench', seq: s, node: '01/001/00001', receivedMs: Date.now(), count: perBatch, recordsJson: JSON.stringify(records.slice(s * perBatch, (s + 1) * perBatch)) });
let t0 = performance.now();
const queue = batches.slice();
const bare = new BulkIndexer(es, { prefix: barePrefix, log, maxDocsPerRequest: 5000 });
await Promise.all([0, 1].map(async () => {
  while (queue.length) {
    const group = queue.splice(0, 5);
    await bare.indexAll(group.flatMap((b) => batchToActions(barePrefix, b)));
  }
}));
const bareS = (performance.now() - t0) / 1000;
process.stderr.write(`bare loader: ${N} in ${bareS.toFixed(1)} s\n`);

// 2. Through the product: uplink (TLS, compression) → collector → Redis → indexers → ES.
const { issue } = await benchPki();
const collectorTls = await issue('01', 'collector');
const sensorTls = await issue('01/001/00001', 'sensor');
const prefix = `chot-bench-coll-${Date.now()}`;
const tlsDir = mkdtempSync(join(tmpdir(), 'chot-bench-tls-'));
const { writeFileSync } = await import('node:fs');
const files = { keyFile: join(tlsDir, 'k'), certFile: join(tlsDir, 'c'), caFile: join(tlsDir, 'ca'), crlFiles: [join(tlsDir, 'crl')] };
writeFileSync(files.keyFile, collectorTls.key); writeFileSync(files.certFile, collectorTls.cert); writeFileSync(files.caFile, collectorTls.ca.join('')); writeFileSync(files.crlFiles[0], collectorTls.crls.join(''));
const collector = await startCollector({
  elasticsearch: { ...esCfg, indexPrefix: prefix }, redis: { url: stack.redis.url, keyPrefix: `bench:${Date.now()}:` },
  instanceId: 'bench', listen: { host: '127.0.0.1', port: 0 }, tls: files, streams: { shards: 2 }, indexer: { consumers: 2, entriesPerRead: 5, claimIdleSeconds: 30 },
  limits: { maxBatchBytes: 4 << 20, maxRecordsPerBatch: 10_000, recordsPerSecond: 10_000_000, burstRecords: 10_000_000 },
  health: { heartbeatSeconds: 10, silentAfterHeartbeats: 3 }, retentionDays: { conn: 30, alerts: 365, health: 30, deadletter: 30 },
}, log);
const spool = new Spool({ dir: mkdtempSync(join(tmpdir(), 'chot-bench-spool-')), maxBytes: 2 * 1024 ** 3, fsync: 'interval' });
const uplink = new UplinkClient({ collectors: [`wss://127.0.0.1:${collector.ingestPort}`], tls: sensorTls, sensorId: '01/001/00001', spool, log, window: 32,
  stats: () => ({ version: 'bench', uptimeS: 0, packets: 0, captureDropsKernel: 0, captureDropsInterface: 0, activeFlows: 0, recordsOut: 0, spoolBatches: 0, spoolBytes: 0, spoolDropped: 0 }) });
uplink.start();
await new Promise((r) => uplink.once('ready', r));
const batcher = new RecordBatcher(spool, () => uplink.pump(), { maxRecords: perBatch, maxBytes: 4 << 20, maxDelayMs: 50 });
t0 = performance.now();
for (let i = 0; i < N; i++) {
  batcher.add(records[i]);
  if (i % 5000 === 0) await new Promise((r) => setImmediate(r));
}
batcher.flush();
const index = `${prefix}-conn-*`;
let lastReport = 0;
for (let c = 0; (c = await countOf(es, index)) < N; ) {
  if (performance.now() - lastReport > 5000) {
    lastReport = performance.now();
    process.stderr.write(`through the collector: ${c} indexed, spool ${spool.stats().depthBatches} batches\n`);
  }
  await new Promise((r) => setTimeout(r, 200));
}
const collS = (performance.now() - t0) / 1000;
await uplink.stop();
spool.close();
await collector.stop();

const bareRate = Math.round(N / bareS);
const collRate = Math.round(N / collS);
console.log(`\n### Collector throughput (${N.toLocaleString('en')} records, one run, ${new Date().toISOString().slice(0, 10)})\n`);
console.log(table([
  { path: 'bare bulk loader → ES (the limit)', seconds: bareS.toFixed(1), 'records/s': bareRate.toLocaleString('en'), 'ratio to limit': '1.00' },
  { path: 'sensor uplink → collector → Redis → ES', seconds: collS.toFixed(1), 'records/s': collRate.toLocaleString('en'), 'ratio to limit': (collRate / bareRate).toFixed(2) },
]));
await es.close();
await benchStackDown();
process.exit(0);

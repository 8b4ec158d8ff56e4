// The console's benchmarks, each against a real stack and a console in its own process:
//   fanout  200 WebSocket clients, 1,000 alert events/s for 60 s: delivery latency, server RSS
//   search  N connection records (default 10 million): a filtered query with histogram and
//           group-by through the console beside the same query straight to Elasticsearch;
//           an export of M rows (default 1 million) beside a bare point-in-time scan
//   e2e     alert raised (indexed + stream event, as a detection worker does) → row rendered
//           in Chromium, p50/p99 over 1,000 alerts
// Select with CHOT_BENCH_CONSOLE=fanout,search,e2e; sizes with the variables below.
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { issueServiceCertificate } from '../dist/certs/ca/issue.js';
import { createEsClient } from '../dist/collector/index/client.js';
import { observerFields } from '../dist/collector/index/documents.js';
import { dailyIndex } from '../dist/common/index-names.js';
import { INDEX_KINDS } from '../dist/collector/index/names.js';
import { installIndexTemplates } from '../dist/collector/index/templates.js';
import { createRedis } from '../dist/collector/streams/redis.js';
import { hashPassword } from '../dist/console/server/auth/password.js';
import { UserStore } from '../dist/console/server/auth/users.js';
import { encodeAlertEvent } from '../dist/console/server/live/event-codec.js';
import { alertEventOf } from '../dist/console/server/live/publisher.js';
import { alertEventsStream, SEVERITY_NUMBER } from '../dist/rules/alert.js';
import { benchPki, benchStack, benchStackDown, consolePage, launchChromium, table } from './support.mjs';

const PARTS = (process.env.CHOT_BENCH_CONSOLE ?? 'fanout,search,e2e').split(',');
const CLIENTS = Number(process.env.CHOT_BENCH_WS_CLIENTS ?? 200);
const RATE = Number(process.env.CHOT_BENCH_EVENTS_PER_S ?? 1000);
const SECONDS = Number(process.env.CHOT_BENCH_FANOUT_SECONDS ?? 60);
const CONN_RECORDS = Number(process.env.CHOT_BENCH_CONN_RECORDS ?? 10_000_000);
const EXPORT_ROWS = Number(process.env.CHOT_BENCH_EXPORT_ROWS ?? 1_000_000);
const E2E_ALERTS = Number(process.env.CHOT_BENCH_E2E_ALERTS ?? 1000);
const PASSWORD = 'bench password, long enough';

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};
const ms = (x) => `${x.toFixed(1)} ms`;
const max = (xs) => xs.reduce((m, x) => (x > m ? x : m), -Infinity);

function alertDoc(i, node, summary) {
  const at = new Date().toISOString();
  const parts = node.split('/');
  return {
    '@timestamp': at,
    event: { kind: 'alert', id: randomUUID(), dataset: 'chot.alert', severity: SEVERITY_NUMBER.high, created: at, start: at, end: at },
    rule: { id: `bench.rule.${i % 20}`, version: 'sha256:bench', name: 'Bench rule', description: 'benchmark', ruleset: 'bench', mode: 'alert' },
    observer: { id: node, hierarchy: parts.map((_, k) => parts.slice(0, k + 1).join('/')), province: parts[0] },
    source: { ip: `10.0.${(i >> 8) & 255}.${i & 255}` },
    chot: { alert: { severity: 'high', summary, group: {}, explanation: { conditions: [] }, evidence: [], suppressed: 0 }, triage: { status: 'new', tags: [], updatedAt: at } },
  };
}

async function startServer(stack, name) {
  const dir = mkdtempSync(join(tmpdir(), `chot-bench-console-${name}-`));
  const { pki } = await benchPki();
  const ca = pki.unlock('issuing-1', 'bench issuing passphrase');
  const kp = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const cert = await issueServiceCertificate(pki, ca, { spki: kp.publicKey.export({ type: 'spki', format: 'der' }), subjectKey: kp.publicKey, dnsNames: ['localhost'], ips: ['127.0.0.1'], actor: 'bench', lifetimeDays: 2 });
  writeFileSync(join(dir, 'c.crt'), cert.pem + ca.certPem);
  writeFileSync(join(dir, 'c.key'), kp.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  writeFileSync(join(dir, 'root.crt'), pki.certPem('root'));
  const esPrefix = `chot-bench-${name}`;
  const keyPrefix = `chot-bench-${name}:`;
  const cfg = {
    elasticsearch: { url: stack.elasticsearch.url, username: stack.elasticsearch.username, password: stack.elasticsearch.password, indexPrefix: esPrefix },
    redis: { url: stack.redis.url, keyPrefix },
    listen: { host: '127.0.0.1', port: 0 },
    tls: { certFile: join(dir, 'c.crt'), keyFile: join(dir, 'c.key'), caFile: join(dir, 'root.crt') },
    login: { maxFailuresPerUser: 100, maxAttemptsPerAddress: 100_000, windowMinutes: 1 },
    search: { maxExportRows: 20_000_000, pitKeepAlive: '5m' },
  };
  writeFileSync(join(dir, 'console.json'), JSON.stringify(cfg));
  const es = createEsClient(cfg.elasticsearch);
  await installIndexTemplates(es, esPrefix, INDEX_KINDS);
  const redis = createRedis(cfg.redis, 'bench');
  const users = new UserStore(redis, keyPrefix);
  const hash = await hashPassword(PASSWORD);
  for (const [n, roles] of [['analyst', ['analyst']], ['auditor', ['auditor']]]) await users.create({ name: n, displayName: n, roles, passwordHash: hash }).catch(() => {});
  const child = spawn(process.execPath, [join(import.meta.dirname, 'console-server.mjs'), join(dir, 'console.json')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (d) => {
      const m = /port (\d+)/.exec(d);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`console exited ${code}`)));
  });
  const rootPem = pki.certPem('root');
  return { child, port, es, redis, esPrefix, keyPrefix, ca: rootPem, stop: async () => { child.kill('SIGTERM'); await once(child, 'exit'); redis.disconnect(); await es.close(); } };
}

function rssMb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function call(srv, method, path, { body, cookie, csrf, sink } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers = { ...(payload ? { 'content-type': 'application/json' } : {}), ...(cookie ? { cookie } : {}), ...(csrf ? { 'x-csrf-token': csrf } : {}) };
    const req = request({ host: '127.0.0.1', port: srv.port, path, method, headers, ca: srv.ca }, (res) => {
      let text = '';
      let bytes = 0;
      res.on('data', (c) => {
        bytes += c.length;
        if (!sink) text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: sink ? undefined : text.startsWith('{') ? JSON.parse(text) : text, bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

async function login(srv, user) {
  const r = await call(srv, 'POST', '/api/login', { body: { username: user, password: PASSWORD } });
  if (r.status !== 200) throw new Error(`login ${r.status}`);
  return { cookie: r.headers['set-cookie'][0].split(';')[0], csrf: r.body.csrf };
}

async function fanout(stack) {
  const srv = await startServer(stack, 'fanout');
  try {
    const { cookie } = await login(srv, 'analyst');
    // The clients run in worker threads, so the publisher below keeps its rate.
    const workers = [];
    const per = Math.ceil(CLIENTS / 2);
    for (let w = 0; w * per < CLIENTS; w++) {
      const worker = new Worker(join(import.meta.dirname, 'console-ws-clients.mjs'), { workerData: { port: srv.port, ca: srv.ca, cookie, clients: Math.min(per, CLIENTS - w * per), offset: w * per } });
      await new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      workers.push(worker);
    }
    await new Promise((r) => setTimeout(r, 500));
    const stream = alertEventsStream(srv.keyPrefix);
    const rss = [];
    const start = Date.now();
    let sent = 0;
    const sampler = setInterval(() => rss.push(rssMb(srv.child.pid)), 1000);
    while (Date.now() - start < SECONDS * 1000) {
      const due = Math.floor(((Date.now() - start) / 1000) * RATE) - sent;
      if (due > 0) {
        const p = srv.redis.pipeline();
        for (let k = 0; k < due; k++) {
          const doc = alertDoc(sent + k, '01/001/00001', String(Date.now()));
          p.xadd(stream, 'MAXLEN', '~', '200000', '*', ...encodeAlertEvent(alertEventOf('created', 'bench', doc)));
        }
        await p.exec();
        sent += due;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => setTimeout(r, 2000));
    clearInterval(sampler);
    const reports = await Promise.all(
      workers.map((w) => {
        const got = once(w, 'message');
        w.postMessage('stop');
        return got.then(([r]) => (void w.terminate(), r));
      }),
    );
    const received = reports.reduce((n, r) => n + r.received, 0);
    const latencies = reports.flatMap((r) => r.latencies);
    return table([
      {
        clients: CLIENTS,
        'events/s': RATE,
        seconds: SECONDS,
        'events sent': sent,
        'messages delivered': `${received} of ${sent * CLIENTS}`,
        'latency p50': ms(pct(latencies, 50)),
        'latency p99': ms(pct(latencies, 99)),
        'latency max': ms(max(latencies)),
        'server RSS max': `${max(rss).toFixed(0)} MB`,
        'server RSS at end': `${rss[rss.length - 1].toFixed(0)} MB`,
      },
    ]);
  } finally {
    await srv.stop();
  }
}

async function loadConn(es, prefix, n) {
  const t0 = Date.parse('2026-01-10T00:00:00Z');
  const span = 7 * 86_400_000;
  const have = await es.count({ index: `${prefix}-conn-*`, ignore_unavailable: true, allow_no_indices: true }).then((r) => r.count, () => 0);
  if (have >= n) return { t0, span, loaded: have };
  const nodes = ['01/001/00001', '01/002/00037', '79/760/26734', '48/490/20194'];
  const per = 5000;
  let next = have;
  const worker = async () => {
    for (;;) {
      const from = next;
      if (from >= n) return;
      next += per;
      const ops = [];
      for (let i = from; i < Math.min(n, from + per); i++) {
        const at = t0 + Math.floor((i / n) * span);
        ops.push({ create: { _index: dailyIndex(prefix, 'conn', at), _id: `bench:${i}` } });
        ops.push({
          '@timestamp': new Date(at).toISOString(),
          event: { kind: 'event', dataset: 'zeek.connection', id: `C${i}`, duration: 1000 + (i % 5000) },
          source: { ip: `10.${i % 4}.${(i >> 8) & 255}.${i & 255}`, port: 1024 + (i % 60000), bytes: 500 + (i % 900) },
          destination: { ip: `192.0.2.${i % 50}`, port: [443, 8443, 53, 80, 22][i % 5], bytes: 4000 + (i % 7000) },
          network: { transport: i % 5 === 2 ? 'udp' : 'tcp', protocol: ['ssl', 'ssl', 'dns', 'http', 'ssh'][i % 5] },
          zeek: { connection: { state: 'SF', history: 'ShADadFf' } },
          observer: observerFields(nodes[i % nodes.length]),
        });
      }
      const r = await es.bulk({ operations: ops, refresh: false });
      if (r.errors && r.items.some((x) => x.create?.error && x.create.status !== 409)) throw new Error('bulk errors');
    }
  };
  const t = Date.now();
  await Promise.all([worker(), worker(), worker(), worker()]);
  await es.indices.refresh({ index: `${prefix}-conn-*` });
  process.stderr.write(`[bench] loaded ${n - have} connection records in ${((Date.now() - t) / 1000).toFixed(0)} s\n`);
  return { t0, span, loaded: n };
}

async function search(stack) {
  const srv = await startServer(stack, 'search');
  try {
    const { t0, span } = await loadConn(srv.es, srv.esPrefix, CONN_RECORDS);
    const a = await login(srv, 'auditor');
    const spec = { from: new Date(t0).toISOString(), to: new Date(t0 + span).toISOString(), filters: [{ op: 'cidr', field: 'source.ip', value: '10.1.0.0/16' }, { op: 'is', field: 'destination.port', value: 443 }], groupBy: ['observer.province', 'destination.ip'], size: 100, histogram: true };
    const consoleTimes = [];
    const esTimes = [];
    let total = 0;
    const direct = {
      index: `${srv.esPrefix}-conn-*`,
      size: 100,
      track_total_hits: true,
      query: { bool: { filter: [{ range: { '@timestamp': { gte: spec.from, lte: spec.to } } }, { term: { 'source.ip': '10.1.0.0/16' } }, { term: { 'destination.port': 443 } }] } },
      sort: [{ '@timestamp': 'desc' }],
      aggs: { h: { date_histogram: { field: '@timestamp', fixed_interval: '3h' } }, p: { terms: { field: 'observer.province', size: 10 } }, d: { terms: { field: 'destination.ip', size: 10 } } },
    };
    for (let i = 0; i < 7; i++) {
      let t = performance.now();
      const r = await call(srv, 'POST', '/api/search', { body: spec, ...a });
      consoleTimes.push(performance.now() - t);
      total = r.body.total;
      t = performance.now();
      await srv.es.search(direct);
      esTimes.push(performance.now() - t);
    }
    const q = JSON.stringify({ from: spec.from, to: new Date(t0 + Math.floor((span * EXPORT_ROWS) / CONN_RECORDS)).toISOString(), sort: 'asc' });
    let t = performance.now();
    const exp = await call(srv, 'GET', `/api/search/export?format=csv&q=${encodeURIComponent(q)}`, { ...a, sink: true });
    const exportMs = performance.now() - t;
    const exportRows = (await srv.es.count({ index: `${srv.esPrefix}-conn-*`, query: { range: { '@timestamp': { gte: spec.from, lte: JSON.parse(q).to } } } })).count;
    // The same rows straight from Elasticsearch: point in time, search_after, 5,000 a page, nothing written.
    t = performance.now();
    const pit = await srv.es.openPointInTime({ index: `${srv.esPrefix}-conn-*`, keep_alive: '2m' });
    let after;
    let scanned = 0;
    for (;;) {
      const r = await srv.es.search({ pit: { id: pit.id, keep_alive: '2m' }, size: 5000, query: { range: { '@timestamp': { gte: spec.from, lte: JSON.parse(q).to } } }, sort: [{ '@timestamp': 'asc' }, { _shard_doc: 'asc' }], ...(after ? { search_after: after } : {}) });
      scanned += r.hits.hits.length;
      if (r.hits.hits.length < 5000) break;
      after = r.hits.hits[r.hits.hits.length - 1].sort;
    }
    await srv.es.closePointInTime({ id: pit.id });
    const scanMs = performance.now() - t;
    return table([
      { what: `filtered query + histogram + 2 group-bys over ${CONN_RECORDS.toLocaleString('en')} records (${total.toLocaleString('en')} match), median of 7`, console: ms(pct(consoleTimes, 50)), 'Elasticsearch direct': ms(pct(esTimes, 50)) },
      { what: `export of ${exportRows.toLocaleString('en')} rows (CSV, streamed, ${(exp.bytes / 1e6).toFixed(0)} MB)`, console: `${Math.round(exportRows / (exportMs / 1000)).toLocaleString('en')} rows/s`, 'Elasticsearch direct': `${Math.round(scanned / (scanMs / 1000)).toLocaleString('en')} rows/s (PIT scan, no output)` },
    ]);
  } finally {
    await srv.stop();
  }
}

async function e2e(stack) {
  const srv = await startServer(stack, 'e2e');
  const browser = await launchChromium();
  try {
    const { page } = await consolePage(browser, `https://127.0.0.1:${srv.port}/`, 'analyst', PASSWORD);
    // Render times are taken in the page as each row is attached (same machine clock).
    await page.evaluate(() => {
      window.__rendered = {};
      new MutationObserver((muts) => {
        const now = Date.now();
        for (const m of muts) for (const n of m.addedNodes) if (n.nodeType === 1 && n.matches?.('tr[data-alert-id]')) window.__rendered[n.getAttribute('data-alert-id')] ??= now;
      }).observe(document.body, { childList: true, subtree: true });
    });
    const raised = new Map();
    for (let i = 0; i < E2E_ALERTS; i++) {
      const doc = alertDoc(i, '01/001/00001', `e2e ${i}`);
      const at = Date.now();
      const index = dailyIndex(srv.esPrefix, 'alerts', at);
      await srv.es.index({ index, id: doc.event.id, document: doc, op_type: 'create' });
      await srv.redis.xadd(alertEventsStream(srv.keyPrefix), '*', ...encodeAlertEvent(alertEventOf('created', index, doc)));
      raised.set(doc.event.id, at);
      await new Promise((r) => setTimeout(r, 20));
    }
    await page.waitForFunction((n) => Object.keys(window.__rendered).length >= n, E2E_ALERTS, { timeout: 60_000 });
    const rendered = await page.evaluate(() => window.__rendered);
    const lat = [...raised].map(([id, at]) => rendered[id] - at);
    return table([{ alerts: E2E_ALERTS, 'raised → rendered p50': ms(pct(lat, 50)), p99: ms(pct(lat, 99)), max: ms(max(lat)) }]);
  } finally {
    await browser.close();
    await srv.stop();
  }
}

const stack = await benchStack();
try {
  if (PARTS.includes('fanout')) console.log(`\n## Console fan-out\n\n${await fanout(stack)}`);
  if (PARTS.includes('e2e')) console.log(`\n## Console alert raised → rendered in Chromium\n\n${await e2e(stack)}`);
  if (PARTS.includes('search')) console.log(`\n## Console auditor search and export\n\n${await search(stack)}`);
} finally {
  await benchStackDown();
}

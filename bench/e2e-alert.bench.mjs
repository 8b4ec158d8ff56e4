// End to end, the whole product: from the last packet of a session on a lab WAN link to the
// alert's row rendered on a console page open in Chromium. The demo deployment (sensor on
// the lab's commune WAN link, collector with the default rules, console) runs against the
// benchmark stack with no automatic traffic; each injected session is a clear-text request
// to the population-data service (198.18.0.10:8443) from an address of its own, so each
// raises its own chot.popdata.plaintext alert (suppressed per observer, source, destination).
//
// One phase per sensor record timing in CHOT_BENCH_E2E_RECORD_AT (default "close-delay,close"):
// close-delay is Zeek's (a closed TCP connection's record is written 5 s after it closed, a
// floor under every connection rule's latency); close is the live sensor's default (written
// as soon as the close completes).
//   CHOT_BENCH_E2E_SESSIONS (1000) per phase, CHOT_BENCH_E2E_RATE (25 sessions/s),
//   CHOT_BENCH_E2E_UPLINK_DELAY_MS (the sensor's batch delay; unset: the product default).
// Needs root (the lab and live capture).
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { createEsClient } from '../dist/collector/index/client.js';
import { createRedis } from '../dist/collector/streams/redis.js';
import { decodeAlertEvent } from '../dist/rules/alert-events.js';
import { alertEventsStream } from '../dist/rules/alert.js';
import { injectFrames, labDown, labUp } from '../dist/lab/net/index.js';
import { fillerDatagram, plaintextSession } from '../dist/lab/traffic/plaintext-session.js';
import { BENCH_STACK, benchStack, benchStackDown, consolePage, dropBenchData, launchChromium, table } from './support.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SESSIONS = Number(process.env.CHOT_BENCH_E2E_SESSIONS ?? 1000);
const RATE = Number(process.env.CHOT_BENCH_E2E_RATE ?? 25);
const RECORD_AT = (process.env.CHOT_BENCH_E2E_RECORD_AT ?? 'close-delay,close').split(',');
/** Zeek's close delay, the sensor's default. */
const CLOSE_S = 5;
const UPLINK_DELAY = process.env.CHOT_BENCH_E2E_UPLINK_DELAY_MS;
const LAB = 'chotbe';
const IFACE = `${LAB}-c-wan`;
const SERVICE = '198.18.0.10';
const PORT = 8443;

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN;
};
const ms = (x) => (Number.isFinite(x) ? `${Math.round(x)} ms` : '—');
const loadNow = () => spawnSync('uptime', { encoding: 'utf8' }).stdout.trim().replace(/.*load average:\s*/, '');

// ---------------------------------------------------------------- frames

/** A whole clear-text exchange with the service's TLS port, closed by both sides; the last frame is the client's final ACK. */
const session = (client, sport) => plaintextSession(client, SERVICE, PORT, sport);
/** A DNS-sized UDP datagram between two lab clients: keeps packets flowing on the link, raises nothing. */
const filler = (n) => fillerDatagram('198.18.10.20', '198.18.0.53', 50_000 + (n % 1000));

// Sources from the lab's further communes (198.18.16.0/20): one address per session.
const sourceOf = (k) => `198.18.${16 + (k >> 8)}.${k & 0xff}`;

// ---------------------------------------------------------------- the deployment

const portFree = (port) =>
  new Promise((res) => {
    const srv = createServer().once('error', () => res(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => res(true)));
  });

/** A base port with the five after it free too (the demo takes six in a row). */
async function freePortBase() {
  for (let i = 0; i < 50; i++) {
    const base = 40_000 + Math.floor(Math.random() * 20_000);
    let ok = true;
    for (let p = base; ok && p < base + 6; p++) ok = await portFree(p);
    if (ok) return base;
  }
  throw new Error('no six free ports in a row');
}

function demo(cmd, env) {
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'demo.mjs'), cmd], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 300_000 });
  const out = `${r.stdout}${r.stderr}`;
  if (r.status !== 0) throw new Error(`demo ${cmd} failed (${r.status}):\n${out}`);
  return out;
}

async function phase({ recordAt, dir, web, browser, es, redis }) {
  const closeS = recordAt === 'close' ? 0 : CLOSE_S;
  const indexPrefix = `chot-be2e-${Date.now().toString(36)}`;
  const env = {
    CHOT_DEMO_DIR: join(dir, 'demo'),
    CHOT_STACK_DIR: BENCH_STACK.stateDir,
    CHOT_DEMO_LAB: LAB,
    CHOT_DEMO_PORT_BASE: String(await freePortBase()),
    CHOT_DEMO_INDEX_PREFIX: indexPrefix,
    CHOT_DEMO_ROUNDS: '0',
    CHOT_DEMO_WEB_ROOT: web,
    CHOT_DEMO_RECORD_AT: recordAt,
    CHOT_LOG_LEVEL: 'warn',
    ...(UPLINK_DELAY ? { CHOT_DEMO_UPLINK_DELAY_MS: UPLINK_DELAY } : {}),
  };
  const out = demo('up', env);
  try {
    if (!out.includes(`sensor started on ${IFACE}`)) throw new Error(`no sensor on ${IFACE}:\n${out}`);
    const url = /Console:\s+(https:\/\/\S+)/.exec(out)[1];
    const password = /Login:\s+demo \/ (\S+)/.exec(out)[1];

    const { context, page } = await consolePage(browser, url, 'demo', password);
    // Render times are taken in the page as each row is attached, on the machine's one clock.
    await page.evaluate(() => {
      window.__rendered = {};
      new MutationObserver((muts) => {
        const now = Date.now();
        for (const m of muts)
          for (const n of m.addedNodes) {
            if (n.nodeType !== 1 || !n.matches?.('tr[data-alert-id]')) continue;
            const src = n.querySelector('td.mono')?.textContent ?? '';
            if (/Plaintext to population-data/.test(n.querySelector('td.summary')?.textContent ?? '')) window.__rendered[src] ??= now;
          }
      }).observe(document.body, { childList: true, subtree: true });
    });

    // Paced sessions, then filler until every close delay has run out: a working WAN link is
    // never silent, and on a silent one the sensor's once-a-second clock would add its own wait.
    const sent = new Map();
    const load = { before: loadNow() };
    const t0 = Date.now();
    const drainUntil = () => t0 + (SESSIONS / RATE) * 1000 + closeS * 1000 + 2000;
    async function* frames() {
      let n = 0;
      for (let k = 0; k < SESSIONS; k++) {
        const due = t0 + (k * 1000) / RATE;
        while (Date.now() < due - 20) {
          yield { ts: 0n, frame: filler(n++) };
          await sleep(Math.min(20, due - Date.now()));
        }
        if (Date.now() < due) await sleep(due - Date.now());
        const src = sourceOf(k + 1);
        const fs = session(src, 20_000 + k);
        for (const frame of fs) yield { ts: 0n, frame };
        // Resumed only after the loop sent the frame just yielded: the session's last packet is out.
        sent.set(src, Date.now());
      }
      while (Date.now() < drainUntil()) {
        yield { ts: 0n, frame: filler(n++) };
        await sleep(20);
      }
    }
    const inj = await injectFrames(IFACE, frames(), { pace: 'topspeed' });
    load.during = loadNow();
    const deadline = Date.now() + 30_000;
    let rendered = {};
    while (Date.now() < deadline) {
      rendered = await page.evaluate(() => window.__rendered);
      if (Object.keys(rendered).length >= SESSIONS) break;
      await sleep(500);
    }
    await context.close();

    // Where the time went: the detector's creation time splits packet → alert from alert → page.
    await es.indices.refresh({ index: `${indexPrefix}-alerts-*` });
    const hits = (
      await es.search({ index: `${indexPrefix}-alerts-*`, size: SESSIONS + 100, _source: ['source.ip', 'event.created', 'rule.id'], query: { term: { 'rule.id': 'chot.popdata.plaintext' } } })
    ).hits.hits;
    const created = new Map(hits.map((h) => [h._source.source.ip, Date.parse(h._source.event.created)]));
    // The collector stamps each record with when its batch arrived: sensor + uplink on one side, detection on the other.
    const toService = { bool: { filter: [{ term: { 'destination.ip': SERVICE } }, { term: { 'destination.port': PORT } }] } };
    // The indexers (a consumer group of their own) may still be behind the detectors.
    for (const until = Date.now() + 30_000; Date.now() < until; await sleep(1000)) {
      await es.indices.refresh({ index: `${indexPrefix}-conn-*`, ignore_unavailable: true, allow_no_indices: true });
      const n = await es.count({ index: `${indexPrefix}-conn-*`, ignore_unavailable: true, allow_no_indices: true, query: toService });
      if (n.count >= sent.size) break;
    }
    const conns = (await es.search({ index: `${indexPrefix}-conn-*`, size: SESSIONS + 100, _source: ['source.ip', 'event.ingested'], query: toService })).hits.hits;
    const ingested = new Map(conns.map((h) => [h._source.source.ip, Date.parse(h._source.event.ingested)]));
    if (conns.length < sent.size) process.stderr.write(`[e2e] only ${conns.length} of ${sent.size} connection records indexed in time: the split before detection covers those\n`);
    // An event's stream entry id is the millisecond Redis appended it: when the consoles could first see it.
    const published = new Map();
    const stream = alertEventsStream(`${indexPrefix}:`);
    for (let from = '-'; ; ) {
      const entries = await redis.xrange(stream, from, '+', 'COUNT', 1000);
      for (const [id, fields] of entries) {
        const e = decodeAlertEvent(fields)?.event;
        if (e?.type === 'created' && e.doc.source?.ip) published.set(e.doc.source.ip, Number(id.split('-')[0]));
      }
      if (entries.length < 1000) break;
      from = `(${entries.at(-1)[0]}`;
    }

    const total = [];
    const toIngested = [];
    const ingestedToCreated = [];
    const createdToPublished = [];
    const publishedToRendered = [];
    for (const [src, at] of sent) {
      const r = rendered[src];
      if (r === undefined) continue;
      total.push(r - at);
      const c = created.get(src);
      const i = ingested.get(src);
      const pub = published.get(src);
      if (c !== undefined && pub !== undefined) createdToPublished.push(pub - c);
      if (pub !== undefined) publishedToRendered.push(r - pub);
      if (i !== undefined) toIngested.push(i - at);
      if (c !== undefined && i !== undefined) ingestedToCreated.push(c - i);
    }
    const split = (xs) => `${ms(pct(xs, 50))} / ${ms(pct(xs, 99))}`;
    return {
      row: {
        'record written': recordAt === 'close' ? 'at close' : `${CLOSE_S} s after close (Zeek)`,
        sessions: `${SESSIONS} at ${RATE}/s`,
        'alerts rendered': `${total.length} of ${SESSIONS}`,
        p50: ms(pct(total, 50)),
        p90: ms(pct(total, 90)),
        p99: ms(pct(total, 99)),
        max: ms(Math.max(...total)),
        'packet → collector p50 / p99': split(toIngested),
        'collector → alert created': split(ingestedToCreated),
        'alert created → published': split(createdToPublished),
        'published → rendered': split(publishedToRendered),
        'load (1/5/15 min) before → after': `${load.before} → ${load.during}`,
      },
      injected: inj,
      indexPrefix,
    };
  } finally {
    demo('down', env);
  }
}

if (process.getuid?.() !== 0) {
  console.log('\n## End to end: packet → alert on the console\n\nskipped: the lab and live capture need root');
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'chot-bench-e2e-'));
const web = join(dir, 'web');
const built = spawnSync(process.execPath, [join(root, 'console', 'web', 'build.mjs'), '--quiet', '--out', web], { encoding: 'utf8' });
if (built.status !== 0) throw new Error(`web build failed: ${built.stderr}`);

const info = await benchStack();
const es = createEsClient({ url: info.elasticsearch.url, username: info.elasticsearch.superuser.username, password: info.elasticsearch.superuser.password, indexPrefix: 'chot-be2e' });
const redis = createRedis({ url: info.redis.url, keyPrefix: '' }, 'chot-bench-e2e');
const labState = join(dir, 'lab');
let browser;
const prefixes = [];
try {
  await labUp({ prefix: LAB, stateDir: labState });
  browser = await launchChromium();
  const rows = [];
  for (const recordAt of RECORD_AT) {
    const r = await phase({ recordAt, dir, web, browser, es, redis });
    prefixes.push(r.indexPrefix);
    rows.push(r.row);
    process.stderr.write(`[e2e] record at ${recordAt}: ${JSON.stringify(r.row)} (${r.injected.sent} frames sent, ${r.injected.rejected} refused)\n`);
  }
  console.log(`\n## End to end: last packet of a session on a lab WAN link → alert row rendered in Chromium\n\n${table(rows)}`);
} finally {
  await browser?.close();
  await labDown({ prefix: LAB, stateDir: labState }).catch((e) => process.stderr.write(`lab down: ${e.message}\n`));
  // The phases' indices and templates, and their streams, detection state, users and sessions in the shared bench Redis.
  for (const p of prefixes) await dropBenchData({ es, redis, indexPrefix: p, keyPrefix: `${p}:` });
  await es.close();
  redis.disconnect();
  await benchStackDown();
  rmSync(dir, { recursive: true, force: true });
}

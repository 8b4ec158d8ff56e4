// Shared set-up for benchmarks: a stack of their own (ports apart from dev and tests)
// and a throw-away PKI, both from the compiled product code.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stackDown, stackUp } from '../dist/stack/index.js';
import { initPki } from '../dist/certs/ca/init.js';
import { issueNodeCertificates } from '../dist/certs/ca/issue.js';
import { nodeUri } from '../dist/certs/node-id.js';
import { buildCsr } from '../dist/certs/x509/csr.js';
import { pemBlocks } from '../dist/certs/x509/pem.js';

export const BENCH_STACK = { stateDir: '/var/lib/chot/bench-stack', esPort: 49200, redisPort: 46379, esHeapMb: 1024 };

let startedHere = false;

export async function benchStack() {
  const info = await stackUp(BENCH_STACK, (l) => process.stderr.write(`[bench stack] ${l}\n`));
  startedHere = info.started.elasticsearch || info.started.redis;
  return info;
}

/**
 * Stops the benchmark stack if this run started it (another benchmark may be using one it
 * found running), unless CHOT_BENCH_KEEP_STACK=1.
 */
export async function benchStackDown() {
  if (startedHere && process.env.CHOT_BENCH_KEEP_STACK !== '1') await stackDown(BENCH_STACK);
}

/**
 * Deletes what one benchmark run made under its prefix: its indices and index templates in
 * Elasticsearch, its keys in Redis. The bench stack outlives runs (its data directory
 * stays), and hundreds of leftover indices slow the node that the next run measures.
 */
export async function dropBenchData({ es, redis, indexPrefix, keyPrefix }) {
  if (es && indexPrefix) {
    const names = (await es.cat.indices({ index: `${indexPrefix}-*`, format: 'json', h: ['index'] }).catch(() => [])).map((r) => r.index).filter(Boolean);
    for (let i = 0; i < names.length; i += 50) await es.indices.delete({ index: names.slice(i, i + 50).join(',') }).catch(() => {});
    const templates = await es.indices.getIndexTemplate({ name: `${indexPrefix}-*` }).catch(() => ({ index_templates: [] }));
    for (const t of templates.index_templates) await es.indices.deleteIndexTemplate({ name: t.name }).catch(() => {});
  }
  if (redis && keyPrefix) {
    for (let cursor = '0'; ; ) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 1000);
      if (keys.length) await redis.unlink(...keys);
      cursor = next;
      if (cursor === '0') break;
    }
  }
}

export async function benchPki() {
  const dir = mkdtempSync(join(tmpdir(), 'chot-bench-pki-'));
  const passphrase = 'bench issuing passphrase';
  const pki = await initPki({ dir, passphrase, rootPassphrase: 'bench root passphrase', organization: 'Chốt bench', issuingName: 'issuing-1', crlBaseUrl: 'http://pki.bench/crl', actor: 'bench' });
  const ca = pki.unlock('issuing-1', passphrase);
  const issue = async (nodeId, role) => {
    const kp = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const csr = buildCsr({ ...kp, subject: [{ type: 'CN', value: nodeId }], uris: [nodeUri(nodeId)] });
    const [res] = await issueNodeCertificates(pki, ca, [{ csr, nodeId, role }], { via: 'bulk', actor: 'bench' });
    if (!res || 'error' in res) throw new Error(`issuance failed for ${nodeId}`);
    return {
      key: kp.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      cert: res.pem + ca.certPem,
      ca: [pki.certPem('root')],
      crls: pki.allCaNames().flatMap((n) => pemBlocks(pki.crlPem(n)).map((b) => b.text)),
    };
  };
  return { dir, pki, issue };
}

export function table(rows) {
  const cols = Object.keys(rows[0]);
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(cols), line(cols.map(() => '---')), ...rows.map((r) => line(cols.map((c) => String(r[c]))))].join('\n');
}

/** Debian's Chromium, headless, kept off the closed network's outside (as the browser tests launch it). */
export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

/** A console page at 1440×900, logged in, once its live feed is up. */
export async function consolePage(browser, url, username, password) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  await page.goto(url);
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
  await page.waitForSelector('[data-live=live]');
  return { context, page };
}

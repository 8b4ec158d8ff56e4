import type { Browser } from 'playwright-core';
import { pino } from 'pino';
import { AlertWriter } from '../../collector/detect/alert-writer.js';
import { BulkIndexer } from '../../collector/index/bulk.js';
import { dailyIndex } from '../../common/index-names.js';
import type { AlertDocument } from '../../rules/alert.js';
import { hashPassword } from '../../console/server/auth/password.js';
import { totpAt } from '../../console/server/auth/totp.js';
import { UserStore } from '../../console/server/auth/users.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TcpProxy } from '../support/tcp-proxy.js';
import { makeAlert, raiseAlert } from './support/alerts.js';
import { tempDir } from '../certs/fixtures.js';
import { buildWebClient, describeSession, launchBrowser, logIn, openSession, type Session } from './support/browser.js';
import { PASSWORD, startConsoleStack, type ConsoleStack } from './support/console-stack.js';

const silentLog = pino({ level: 'silent' });

describe('console in a real browser (Chromium, the real stack)', () => {
  let s: ConsoleStack;
  let browser: Browser;
  let proxy: TcpProxy;
  let url: string;
  const sessions: Session[] = [];
  let webDir: { dir: string; cleanup: () => void } | undefined;

  const raise = async (spec: Parameters<typeof makeAlert>[0] = {}) => {
    const doc = makeAlert(spec);
    await raiseAlert(s.es, s.redis, s.esPrefix, s.keyPrefix, doc);
    return doc;
  };
  const open = async (user: string): Promise<Session> => {
    const session = await openSession(browser, url);
    sessions.push(session);
    await logIn(session, user, PASSWORD);
    return session;
  };
  const rowsOf = (session: Session, id: string) => session.page.locator(`tr[data-alert-id="${id}"]`);

  beforeAll(async () => {
    webDir = tempDir('console-web-web');
    await buildWebClient(webDir.dir);
    s = await startConsoleStack({ name: 'web', webRoot: webDir.dir });
    // The browser reaches the console through a proxy the test can cut: a dropped network.
    proxy = new TcpProxy('127.0.0.1', s.console.port);
    await proxy.start();
    url = `https://127.0.0.1:${proxy.port}/`;
    browser = await launchBrowser();
  });
  let reported = 0;
  // A failed wait in a browser says little by itself: show what each page of the test had.
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') {
      for (const x of sessions.slice(reported)) process.stderr.write(`--- browser session of "${ctx.task.name}"\n${await describeSession(x)}\n`);
    }
    reported = sessions.length;
  });
  afterAll(async () => {
    for (const x of sessions) await x.context.close().catch(() => {});
    await browser?.close();
    await proxy?.stop();
    await s?.stop();
    webDir?.cleanup();
  });

  it('logs in, and an alert raised afterwards appears in the queue', async () => {
    const a = await open('analyst');
    await a.page.waitForSelector('[data-live=live]');
    const doc = await raise({ severity: 'critical', summary: 'Quét cổng từ 10.1.2.3 tới 63 máy chủ' });
    await rowsOf(a, doc.event.id).waitFor({ timeout: 5000 });
    await expect(rowsOf(a, doc.event.id).locator('.summary').textContent()).resolves.toBe('Quét cổng từ 10.1.2.3 tới 63 máy chủ');
    expect(a.errors).toEqual([]);
    expect(a.cspViolations).toEqual([]);
  });

  it('an acknowledgement made in one session shows in another within a second', async () => {
    const a = await open('analyst');
    const b = await open('analyst2');
    await a.page.waitForSelector('[data-live=live]');
    await b.page.waitForSelector('[data-live=live]');
    const doc = await raise();
    await rowsOf(b, doc.event.id).waitFor();
    await s.es.indices.refresh({ index: `${s.esPrefix}-alerts-*` });
    await a.page.goto(`${url}#/alerts/${doc.event.id}`);
    await a.page.waitForSelector('button[data-action=acknowledge]');
    const t0 = Date.now();
    await a.page.click('button[data-action=acknowledge]');
    await b.page.waitForSelector(`tr[data-alert-id="${doc.event.id}"][data-status=acknowledged]`, { timeout: 1000 });
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('after a dropped connection, and after a console restart, every alert raised meanwhile appears, none twice', async () => {
    const a = await open('analyst');
    await a.page.waitForSelector('[data-live=live]');
    const before = await raise();
    await rowsOf(a, before.event.id).waitFor();

    await proxy.stop();
    await a.page.waitForSelector('[data-live=reconnecting]');
    const duringDrop = [];
    for (let i = 0; i < 5; i++) duringDrop.push((await raise()).event.id);
    await proxy.start();
    for (const id of duringDrop) await rowsOf(a, id).waitFor({ timeout: 10_000 });

    const restarting = s.restart();
    const duringRestart = [];
    for (let i = 0; i < 5; i++) duringRestart.push((await raise()).event.id);
    await restarting;
    for (const id of duringRestart) await rowsOf(a, id).waitFor({ timeout: 15_000 });
    const after = await raise();
    await rowsOf(a, after.event.id).waitFor({ timeout: 5000 });
    for (const id of [before.event.id, ...duringDrop, ...duringRestart, after.event.id]) expect(await rowsOf(a, id).count()).toBe(1);
    const all = await a.page.locator('tr[data-alert-id]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-alert-id')));
    expect(new Set(all).size).toBe(all.length);
  });

  it('two analysts close one alert at once: one wins, the other is told', async () => {
    const doc = await raise();
    await s.es.indices.refresh({ index: `${s.esPrefix}-alerts-*` });
    const a = await open('analyst');
    const b = await open('analyst2');
    for (const x of [a, b]) {
      await x.page.goto(`${url}#/alerts/${doc.event.id}`);
      // A hash change does not wait for the page: the queue's own close button may still be there.
      await x.page.waitForSelector(`.alert-detail[data-alert-id="${doc.event.id}"]`);
      await x.page.click('.alert-detail button[data-action=close]');
      await x.page.fill('.triage-form input[name=reason]', `closed by ${x === a ? 'A' : 'B'}`);
    }
    await Promise.all([a.page.click('.triage-form button[type=submit]'), b.page.click('.triage-form button[type=submit]')]);
    // Each form closes when its answer is in: success, or the conflict notice.
    await Promise.all([a, b].map((x) => x.page.waitForSelector('.triage-form', { state: 'detached' })));
    await Promise.all([a, b].map((x) => x.page.waitForSelector('.status-closed')));
    const told = await Promise.all([a, b].map((x) => x.page.locator('.notice.conflict').count()));
    const loser = told[0] ? a : b;
    expect([...told].sort()).toEqual([0, 1]);
    await expect(loser.page.locator('.notice.conflict').textContent()).resolves.toMatch(/analyst2?/);
  });

  it('renders attacker-controlled names as text: no markup, no script', async () => {
    const sni = '<img src=x onerror=alert(1)>';
    const dns = '"><script>alert(2)</script>';
    const doc = await raise({ sni, dnsName: dns, summary: `TLS to ${sni} after DNS ${dns}` });
    const a = await open('analyst');
    await rowsOf(a, doc.event.id).waitFor();
    await expect(rowsOf(a, doc.event.id).locator('.summary').textContent()).resolves.toBe(`TLS to ${sni} after DNS ${dns}`);
    await s.es.indices.refresh({ index: `${s.esPrefix}-alerts-*` });
    await a.page.goto(`${url}#/alerts/${doc.event.id}`);
    await a.page.waitForSelector('[data-group-field="tls.server_name"]');
    await expect(a.page.locator('[data-group-field="tls.server_name"]').textContent()).resolves.toBe(sni);
    await expect(a.page.locator('[data-group-field="dns.question.name"]').textContent()).resolves.toBe(dns);
    await expect(a.page.locator('[data-field=summary]').textContent()).resolves.toContain(sni);
    expect(await a.page.locator('img[src=x]').count()).toBe(0);
    expect(await a.page.locator('script:not([src])').count()).toBe(0);
    await a.page.waitForTimeout(300);
    expect(a.dialogs).toEqual([]);
  });

  it('keeps what an analyst is typing while the collector folds repeats into the alert', async () => {
    const doc = await raise({ summary: 'repeats arrive while the analyst writes' });
    await s.es.indices.refresh({ index: `${s.esPrefix}-alerts-*` });
    const a = await open('analyst');
    await a.page.goto(`${url}#/alerts/${doc.event.id}`);
    await a.page.waitForSelector(`.alert-detail[data-alert-id="${doc.event.id}"]`);
    await a.page.click('.alert-detail button[data-action=close]');
    await a.page.fill('.triage-form input[name=reason]', 'scanner of the IT department');
    // The detection workers' path for repeats: the stored alert updated, an 'updated' event published.
    const index = dailyIndex(s.esPrefix, 'alerts', Date.parse(doc['@timestamp']));
    const writer = new AlertWriter({ es: s.es, indexer: new BulkIndexer(s.es, { prefix: s.esPrefix, log: silentLog }), redis: s.redis, keyPrefix: s.keyPrefix, log: silentLog, eventsMaxLen: 1000 });
    for (let n = 1; n <= 3; n++) {
      await writer.write({ created: [], updated: [{ id: doc.event.id, index, ruleId: doc.rule.id, node: doc.observer.id, severity: doc.chot.alert.severity, suppressed: n * 10, end: new Date(Date.parse(doc.event.end) + n * 1000).toISOString() }] });
    }
    await a.page.waitForSelector('[data-field=suppressed]:text-is("30")', { timeout: 5000 });
    await expect(a.page.inputValue('.triage-form input[name=reason]')).resolves.toBe('scanner of the IT department');
    await a.page.click('.triage-form button[type=submit]');
    await a.page.waitForSelector('.status-closed');
    await s.es.indices.refresh({ index: `${s.esPrefix}-alerts-*` });
    const stored = (await s.es.get<AlertDocument>({ index, id: doc.event.id }))._source!;
    expect(stored.chot.triage).toMatchObject({ status: 'closed', reason: 'scanner of the IT department' });
    expect(stored.chot.alert.suppressed).toBe(30);
    expect(a.errors).toEqual([]);
  });

  it('a user adds a second factor from their account page (QR code, confirming code), and login then asks for it', async () => {
    await new UserStore(s.redis, s.keyPrefix).create({ name: 'lan', displayName: 'Nguyễn Thị Lan', roles: ['analyst'], passwordHash: await hashPassword(PASSWORD) });
    const a = await open('lan');
    await a.page.click('header.nav a.who');
    await a.page.waitForSelector('.account-totp[data-totp=off]');
    await a.page.fill('.account-totp input[name=password]', PASSWORD);
    await a.page.click('button[data-action=totp-begin]');
    await a.page.waitForSelector('.account-totp svg.qr');
    const secret = (await a.page.locator('[data-field=totp-secret]').textContent())!;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    // A QR code of the otpauth URI: a square of dark and light cells, drawn without markup from strings.
    expect(await a.page.locator('svg.qr path').getAttribute('d')).toMatch(/^M\d+ \d+h1v1h-1z/);
    await a.page.fill('.account-totp input[name=code]', totpAt(secret, Date.now()));
    await a.page.click('button[data-action=totp-confirm]');
    await a.page.waitForSelector('.account-totp[data-totp=on]');
    expect(a.errors).toEqual([]);
    expect(a.cspViolations).toEqual([]);
    // A new browser session: the password alone is not enough any more.
    const b = await openSession(browser, url);
    sessions.push(b);
    await b.page.fill('input[name=username]', 'lan');
    await b.page.fill('input[name=password]', PASSWORD);
    await b.page.click('button[type=submit]');
    await b.page.waitForSelector('input[name=totp]');
    await b.page.fill('input[name=totp]', totpAt(secret, Date.now() + 30_000));
    await b.page.click('button[type=submit]');
    await b.page.waitForSelector('header.nav');
  });

  it('tries a read again when the network fails under it (a browser aborts requests in flight when interfaces change)', async () => {
    const doc = await raise({ summary: 'read again after a network change' });
    await s.es.indices.refresh({ index: `${s.esPrefix}-alerts-*` });
    const a = await open('analyst');
    let aborted = 0;
    // The first read of the alert fails as Chromium fails it on ERR_NETWORK_CHANGED; the rest go through.
    await a.page.route(`**/api/alerts/${doc.event.id}`, async (route) => {
      if (route.request().method() === 'GET' && aborted === 0) {
        aborted++;
        await route.abort('internetdisconnected');
      } else await route.continue();
    });
    await a.page.goto(`${url}#/alerts/${doc.event.id}`);
    await a.page.waitForSelector(`.alert-detail[data-alert-id="${doc.event.id}"]`);
    expect(aborted).toBe(1);
    expect(await a.page.locator('.error').count()).toBe(0);
  });

  it('logs in although the network fails under the first attempt; other writes are not repeated', async () => {
    const session = await openSession(browser, url);
    sessions.push(session);
    let logins = 0;
    await session.page.route('**/api/login', async (route) => {
      if (logins++ === 0) await route.abort('internetdisconnected');
      else await route.continue();
    });
    await logIn(session, 'analyst', PASSWORD);
    expect(logins).toBe(2);
    // A triage change whose request fails is reported, not sent again.
    const doc = await raise({ summary: 'a write is never repeated' });
    await s.es.indices.refresh({ index: `${s.esPrefix}-alerts-*` });
    let triages = 0;
    await session.page.route(`**/api/alerts/${doc.event.id}/triage`, async (route) => {
      triages++;
      await route.abort('internetdisconnected');
    });
    await session.page.goto(`${url}#/alerts/${doc.event.id}`);
    await session.page.waitForSelector('.alert-detail button[data-action=acknowledge]');
    await session.page.click('.alert-detail button[data-action=acknowledge]');
    await session.page.waitForSelector('.alert-detail .error');
    await session.page.waitForTimeout(1500);
    expect(triages).toBe(1);
  });
});

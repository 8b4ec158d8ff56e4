import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SensorRegistry } from '../../collector/fleet/registry.js';
import { packageRoot } from '../../common/paths.js';
import { makeAlert, raiseAlert } from './support/alerts.js';
import { tempDir } from '../certs/fixtures.js';
import { buildWebClient, launchBrowser, logIn, openSession, type Session } from './support/browser.js';
import { connDoc, indexConn } from './support/conn.js';
import { PASSWORD, refresh, startConsoleStack, type ConsoleStack } from './support/console-stack.js';

/** Where the screenshots shown in the README are written (and committed). */
const SHOTS = join(packageRoot, 'docs', 'console');

const RULES = [
  { ruleId: 'chot.scan.port', ruleName: 'Quét cổng', severity: 'critical', summary: 'Quét cổng: 10.1.2.3 tới 212 cổng trong 60 giây' },
  { ruleId: 'chot.dns.tunnel', ruleName: 'Đường hầm DNS', severity: 'high', summary: 'Truy vấn DNS bất thường: nhãn dài 63 ký tự, entropy 4,9 bit' },
  { ruleId: 'chot.mtls.missing', ruleName: 'Truy cập dữ liệu dân cư không mTLS', severity: 'high', summary: 'Kết nối tới dịch vụ dữ liệu dân cư không có chứng chỉ máy khách' },
  { ruleId: 'chot.bruteforce.ssh', ruleName: 'Dò mật khẩu SSH', severity: 'medium', summary: 'Đăng nhập SSH thất bại 40 lần trong 5 phút' },
  { ruleId: 'chot.tls.selfsigned', ruleName: 'Chứng chỉ tự ký', severity: 'low', summary: 'Máy chủ TLS dùng chứng chỉ tự ký trên cổng 443' },
] as const;

// Regenerates the screenshots committed under docs/console/, so it runs on request
// (CHOT_SCREENSHOTS=1) rather than in every suite run, which must not rewrite the tree.
// The browser behaviour itself is tested in browser.test.ts.
describe.runIf(process.env.CHOT_SCREENSHOTS === '1')('console screenshots (Chromium at 1440×900, the real stack)', () => {
  let s: ConsoleStack;
  let browser: Browser;
  let url: string;
  const sessions: Session[] = [];
  let webDir: { dir: string; cleanup: () => void } | undefined;

  const open = async (user: string): Promise<Session> => {
    const session = await openSession(browser, url);
    sessions.push(session);
    await logIn(session, user, PASSWORD);
    return session;
  };
  const shoot = async (session: Session, hash: string, name: string, ready: string): Promise<void> => {
    await session.page.goto(`${url}${hash}`);
    await session.page.waitForSelector(ready);
    await session.page.waitForTimeout(400);
    await session.page.screenshot({ path: join(SHOTS, `${name}.png`) });
  };

  beforeAll(async () => {
    webDir = tempDir('console-web-shots');
    await buildWebClient(webDir.dir);
    s = await startConsoleStack({ name: 'shots', webRoot: webDir.dir });
    url = `https://127.0.0.1:${s.console.port}/`;
    browser = await launchBrowser();
    mkdirSync(SHOTS, { recursive: true });
  });
  afterAll(async () => {
    for (const x of sessions) await x.context.close().catch(() => {});
    await browser?.close();
    await s?.stop();
    webDir?.cleanup();
  });

  it('shows every page with realistic data', async () => {
    const now = Date.now();
    const docs: ReturnType<typeof connDoc>[] = [];
    for (let i = 0; i < 600; i++) docs.push(connDoc(i, now - 3_300_000 + i * 5_000 + (i % 7) * 700, i % 3 ? '01/001/00001' : '79/760/26734'));
    await indexConn(s.es, s.esPrefix, docs);
    const sensors = new SensorRegistry(s.redis, s.keyPrefix);
    const seen = (sensorId: string, node: string, agoMs: number, connected: boolean, collector: string) =>
      sensors.seen({ sensorId, node, lastSeenMs: now - agoMs, address: `10.${node.length}.1.2`, collector, connected, certNotAfter: new Date(now + 80 * 86_400_000).toISOString() });
    await seen('hn-ba-dinh-phuc-xa', '01/001/00001', 2_000, true, 'collector-hn-1');
    await seen('hn-ba-dinh-truc-bach', '01/001/00004', 4_000, true, 'collector-hn-1');
    await seen('hn-hoan-kiem-phuc-tan', '01/002/00037', 600_000, false, 'collector-hn-2');
    await seen('hcm-q1-tan-dinh', '79/760/26734', 3_000, true, 'collector-hcm-1');
    const nodes = ['01/001/00001', '01/001/00004', '01/002/00037', '79/760/26734'];
    for (let i = 0; i < 18; i++) {
      const r = RULES[i % RULES.length]!;
      await raiseAlert(s.es, s.redis, s.esPrefix, s.keyPrefix, makeAlert({ ...r, node: nodes[i % nodes.length], sourceIp: `10.${i % 3}.0.${i + 2}`, at: now - i * 170_000 }));
    }
    const detail = makeAlert({ ...RULES[0], node: '01/001/00001', sourceIp: '10.1.2.3', destinationIp: '192.0.2.10', evidence: [1, 4, 7].map((i) => ({ index: docs[i]!.index.replace('PREFIX', s.esPrefix), id: docs[i]!.id })) });
    await raiseAlert(s.es, s.redis, s.esPrefix, s.keyPrefix, detail);
    await refresh(s.es, s.esPrefix);

    const login = await openSession(browser, url);
    sessions.push(login);
    await login.page.waitForSelector('input[name=username]');
    await login.page.screenshot({ path: join(SHOTS, 'login.png') });

    const a = await open('analyst');
    await a.page.goto(`${url}#/alerts/${detail.event.id}`);
    await a.page.click('button[data-action=acknowledge]');
    await a.page.waitForSelector('.status-acknowledged');
    await a.page.click('button[data-action=escalate]');
    await a.page.fill('input[name=title]', 'Quét cổng có chủ đích vào Quận Ba Đình');
    await a.page.fill('input[name=reason]', 'Nguồn quét nằm trong mạng nội bộ tỉnh');
    await a.page.click('.triage-form button[type=submit]');
    await a.page.waitForSelector('.status-escalated');
    await a.page.fill('input[name=note]', 'Đã báo đơn vị quản lý mạng của tỉnh');
    await a.page.click('.inline-form button[type=submit]');
    await a.page.waitForSelector('.history li:nth-child(3)');
    await a.page.screenshot({ path: join(SHOTS, 'alert.png') });

    await shoot(a, '#/queue', 'queue', 'tr[data-alert-id]');
    await a.page.selectOption('.toolbar select', 'rule');
    await a.page.waitForSelector('.group-row');
    await a.page.screenshot({ path: join(SHOTS, 'queue-grouped.png') });
    await shoot(a, '#/topology', 'topology', '.tile');
    await shoot(a, '#/topology/01', 'topology-province', '.tile');
    await shoot(a, '#/sensors', 'sensors', 'tr[data-sensor]');
    await shoot(a, '#/cases', 'cases', '.cases tbody tr');
    await a.page.click('.cases tbody tr a');
    await a.page.waitForSelector('.case-detail');
    await a.page.screenshot({ path: join(SHOTS, 'case.png') });

    const auditor = await open('auditor');
    await shoot(auditor, '#/search', 'search', '.histogram canvas');
    await auditor.page.click('.results tbody tr:first-child td:nth-child(5)');
    await auditor.page.waitForSelector('.value-menu');
    await auditor.page.screenshot({ path: join(SHOTS, 'search-value-menu.png') });
    await shoot(auditor, '#/audit', 'audit', 'tr[data-action]');

    const admin = await open('admin');
    await shoot(admin, '#/users', 'users', '.users tbody tr');
    await admin.page.click('.nav button.link');
    await admin.page.waitForTimeout(200);
    await admin.page.screenshot({ path: join(SHOTS, 'users-en.png') });
    for (const x of sessions) {
      expect(x.cspViolations).toEqual([]);
      expect(x.errors).toEqual([]);
    }
  });

  it('the account page, adding a second factor', async () => {
    const a = await open('analyst');
    await shoot(a, '#/account', 'account', '.account-totp[data-totp=off]');
    await a.page.fill('.account-totp input[name=password]', PASSWORD);
    await a.page.click('button[data-action=totp-begin]');
    await a.page.waitForSelector('.account-totp svg.qr');
    await a.page.waitForTimeout(300);
    await a.page.screenshot({ path: join(SHOTS, 'account.png') });
    expect(a.cspViolations).toEqual([]);
    expect(a.errors).toEqual([]);
  });
});

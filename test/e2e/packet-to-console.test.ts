import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { injectFrames, labUp, type TimedFrame } from '../../lab/net/index.js';
import { buildWebClient, launchBrowser, logIn, openSession, type Session } from '../console/support/browser.js';
import { runDemo, tearDownDemo } from '../support/demo.js';
import { freePort } from '../support/spine.js';
import { plaintextSession } from '../../lab/traffic/plaintext-session.js';
import { TEST_STACK } from '../support/test-stack.js';

// Issue 8's first browser test, over the whole product: the demo deployment (enrolled
// sensor on a lab WAN link, collector with the default rules, console) on the test stack,
// with no automatic traffic, so the one alert the test looks for comes from the packets it
// sends after the page is live: a clear-text request to the population-data service.
const prefix = 'chotpc';
const dir = mkdtempSync(join(tmpdir(), 'chot-e2e-'));
const indexPrefix = `chot-e2e${process.pid % 10000}`;

/** A whole clear-text HTTP exchange with the service's TLS port, closed by both sides, a millisecond apart. */
function plaintextFrames(client: string, server: string, port: number, sport: number): TimedFrame[] {
  return plaintextSession(client, server, port, sport).map((frame, i) => ({ ts: BigInt(i) * 1_000_000n, frame }));
}

describe('a packet on the lab WAN to the alert in the console (the demo deployment, Chromium)', () => {
  let env: Record<string, string> | undefined;
  let browser: Browser | undefined;
  const sessions: Session[] = [];
  let web: string;

  beforeAll(async () => {
    await labUp({ prefix, stateDir: join(dir, 'lab') });
    web = join(dir, 'web');
    await buildWebClient(web);
    const base = await freePort();
    env = {
      CHOT_DEMO_DIR: join(dir, 'demo'),
      CHOT_STACK_DIR: TEST_STACK.stateDir,
      CHOT_DEMO_LAB: prefix,
      CHOT_DEMO_PORT_BASE: String(base),
      CHOT_DEMO_INDEX_PREFIX: indexPrefix,
      CHOT_DEMO_ROUNDS: '0',
      CHOT_DEMO_WEB_ROOT: web,
    };
    browser = await launchBrowser();
  }, 300_000);

  afterAll(async () => {
    for (const s of sessions) await s.context.close().catch(() => {});
    await browser?.close();
    await tearDownDemo({ env, labPrefix: prefix, labState: join(dir, 'lab'), indexPrefix, dir });
  }, 120_000);

  it('shows the alert of traffic injected after the page went live, and an acknowledgement in a second session within a second', async () => {
    const up = runDemo('up', env!);
    expect(up.status, up.out).toBe(0);
    expect(up.out).toMatch(/sensor started on chotpc-c-wan/);
    const url = /Console:\s+(https:\/\/\S+)/.exec(up.out)![1]!;
    const password = /Login:\s+demo \/ (\S+)/.exec(up.out)![1]!;

    const open = async () => {
      const s = await openSession(browser!, url);
      sessions.push(s);
      await logIn(s, 'demo', password);
      await s.page.waitForSelector('[data-live=live]');
      return s;
    };
    const a = await open();
    const b = await open();
    // Nothing has crossed the link yet: any row now would not be the one this test makes.
    expect(await a.page.locator('tr[data-alert-id]').count()).toBe(0);

    const client = '198.18.10.77';
    const sent = await injectFrames(`${prefix}-c-wan`, plaintextFrames(client, '198.18.0.10', 8443, 40_123), { pace: 'topspeed' });
    expect(sent.sent).toBe(8);

    // The sensor ends a closed connection after its close delay (Zeek's 5 s), then uplink,
    // detection and the live feed: the row arrives without a reload.
    const row = (s: Session) => s.page.locator('tr[data-alert-id]', { hasText: 'Plaintext to population-data service' }).filter({ hasText: client });
    await row(a).waitFor({ timeout: 30_000 });
    await row(b).waitFor({ timeout: 5_000 });
    const id = (await row(a).getAttribute('data-alert-id'))!;
    expect(await row(a).getAttribute('data-status')).toBe('new');

    // Acknowledged from the queue in session A: the row selected, then the toolbar's action.
    await row(a).locator('input[type=checkbox]').check();
    const t0 = Date.now();
    const answer = a.page.waitForResponse((r) => r.url().endsWith('/api/alerts/bulk'));
    await a.page.click('button[data-action=acknowledge]');
    await b.page.waitForSelector(`tr[data-alert-id="${id}"][data-status=acknowledged]`, { timeout: 1000 });
    expect(Date.now() - t0).toBeLessThan(1000);
    // Acknowledged within a second of appearing: before the alert index's next refresh.
    await expect((await answer).json()).resolves.toMatchObject({ matched: 1, updated: 1, failed: 0 });
    await a.page.waitForSelector(`tr[data-alert-id="${id}"][data-status=acknowledged]`, { timeout: 5000 });
    for (const s of [a, b]) {
      expect(s.errors).toEqual([]);
      expect(s.cspViolations).toEqual([]);
    }

    const down = runDemo('down', env!);
    expect(down.status, down.out).toBe(0);
    env = undefined;
  }, 400_000);
});

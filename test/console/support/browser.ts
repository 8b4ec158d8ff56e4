import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/**
 * Debian's Chromium driven by playwright-core. The background-networking flags keep it
 * from calling out of the closed network; playwright gives each launch a fresh profile.
 */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

export interface Session {
  context: BrowserContext;
  page: Page;
  /** Script dialogs the page opened (an XSS payload that ran would open one). */
  dialogs: string[];
  /** Content-Security-Policy violations the page reported. */
  cspViolations: string[];
  errors: string[];
  /** Requests sent and not yet answered, and every browser console line: what a timeout reports. */
  pending: Set<string>;
  console: string[];
}

/**
 * A browser session at 1440×900. The console's certificate is issued for 127.0.0.1 by a
 * root the test profile does not hold, so certificate errors are ignored here only.
 */
export async function openSession(browser: Browser, baseUrl: string): Promise<Session> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1440, height: 900 }, locale: 'vi-VN', timezoneId: 'Europe/Paris' });
  const page = await context.newPage();
  const s: Session = { context, page, dialogs: [], cspViolations: [], errors: [], pending: new Set(), console: [] };
  const t0 = Date.now();
  const key = (r: { method(): string; url(): string }) => `${r.method()} ${r.url()}`;
  page.on('request', (r) => s.pending.add(key(r)));
  page.on('requestfinished', (r) => s.pending.delete(key(r)));
  page.on('requestfailed', (r) => {
    s.pending.delete(key(r));
    s.console.push(`+${Date.now() - t0}ms request failed: ${key(r)} ${r.failure()?.errorText ?? ''}`);
  });
  page.on('dialog', (d) => {
    s.dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('pageerror', (e) => s.errors.push(e.message));
  page.on('console', (m) => {
    s.console.push(`+${Date.now() - t0}ms ${m.type()}: ${m.text()}`);
    if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) s.cspViolations.push(m.text());
  });
  await page.goto(baseUrl);
  return s;
}

/** What the page shows and waits for, for the message of a failed wait. */
export async function describeSession(s: Session): Promise<string> {
  const html = await s.page
    .locator('#app')
    .evaluate((el) => el.innerHTML)
    .catch((e: Error) => `(no content: ${e.message})`);
  return [`url: ${s.page.url()}`, `pending: ${[...s.pending].join(', ') || 'none'}`, `errors: ${s.errors.join(' | ') || 'none'}`, `console:\n  ${s.console.join('\n  ')}`, `#app: ${html.slice(0, 4000)}`].join('\n');
}

export async function logIn(s: Session, username: string, password: string): Promise<void> {
  try {
    await s.page.waitForSelector('input[name=username]', { timeout: 15_000 });
  } catch (e) {
    throw new Error(`the login form did not render: ${(e as Error).message}\n${await describeSession(s)}`);
  }
  await s.page.fill('input[name=username]', username);
  await s.page.fill('input[name=password]', password);
  await s.page.click('button[type=submit]');
  await s.page.waitForSelector('header.nav');
}

/**
 * Builds the web client into a directory of this test file's own, so two test files
 * building at once never serve each other a half-emptied directory.
 */
export async function buildWebClient(outDir: string): Promise<void> {
  const { runCommand } = await import('../../../common/process.js');
  const { packageRoot } = await import('../../../common/paths.js');
  const { join } = await import('node:path');
  const built = await runCommand(process.execPath, [join(packageRoot, 'console', 'web', 'build.mjs'), '--quiet', '--out', outDir], { timeoutMs: 120_000 });
  if (built.code !== 0) throw new Error(`web build failed: ${built.stderr}`);
}

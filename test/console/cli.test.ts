import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerConsoleCommands } from '../../console/cli.js';
import { tempDir } from '../certs/fixtures.js';
import { startConsoleStack, type ConsoleStack } from './support/console-stack.js';

/** Runs `chot console ...` in process and returns what it printed. */
async function chot(args: string[]): Promise<string> {
  const program = new Command('chot').exitOverride();
  registerConsoleCommands(program);
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(['node', 'chot', 'console', ...args]);
  } finally {
    spy.mockRestore();
  }
  return out;
}

describe('chot console user add|set|disable|list (real Redis)', () => {
  let s: ConsoleStack;
  let pwFile: string;
  let cleanup: () => void;
  beforeAll(async () => {
    s = await startConsoleStack({ name: 'cli' });
    const t = tempDir('console-cli');
    cleanup = t.cleanup;
    pwFile = join(t.dir, 'pw');
    writeFileSync(pwFile, 'a sufficiently long passphrase\n', { mode: 0o600 });
  });
  afterAll(async () => {
    await s?.stop();
    cleanup?.();
  });

  it('adds a scoped user who can then log in', async () => {
    const out = await chot(['user', 'add', 'hue-analyst', '-c', s.configFile, '-r', 'analyst', '--scope', '46', '--display-name', 'Nguyễn Văn Huế', '--password-file', pwFile]);
    expect(out).toBe('added hue-analyst (analyst, scope 46)\n');
    const c = s.client();
    const res = await c.login('hue-analyst', 'a sufficiently long passphrase');
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ name: 'hue-analyst', displayName: 'Nguyễn Văn Huế', scope: '46', roles: ['analyst'] });
  });

  it('refuses a weak password, an unknown role and a bad scope with a usage error', async () => {
    const weak = join(tempDir('console-cli-weak').dir, 'pw');
    writeFileSync(weak, 'short\n');
    await expect(chot(['user', 'add', 'x1', '-c', s.configFile, '-r', 'analyst', '--password-file', weak])).rejects.toThrow(/at least 12 characters/);
    await expect(chot(['user', 'add', 'x2', '-c', s.configFile, '-r', 'wizard', '--password-file', pwFile])).rejects.toThrow(/unknown role wizard/);
    await expect(chot(['user', 'add', 'x3', '-c', s.configFile, '-r', 'analyst', '--scope', '../01', '--password-file', pwFile])).rejects.toThrow(/not a node id/);
  });

  it('changes roles and scope, enrols TOTP, and ends the sessions', async () => {
    const c = s.client();
    await c.login('hue-analyst', 'a sufficiently long passphrase');
    const out = await chot(['user', 'set', 'hue-analyst', '-c', s.configFile, '-r', 'auditor', '--national', '--totp', 'enrol']);
    expect(out).toMatch(/^updated hue-analyst\nTOTP: otpauth:\/\/totp\/Ch%E1%BB%91t%3Ahue-analyst\?secret=[A-Z2-7]{32}&issuer=/);
    expect((await c.call('GET', '/api/session')).status).toBe(401);
    const again = await s.client().login('hue-analyst', 'a sufficiently long passphrase');
    expect(again.body.error.code).toBe('totp_required');
  });

  it('disables a user and lists users without secrets', async () => {
    expect(await chot(['user', 'disable', 'hue-analyst', '-c', s.configFile])).toMatch(/^disabled hue-analyst \(\d+ sessions?/);
    const lines = (await chot(['user', 'list', '-c', s.configFile, '--json'])).trim().split('\n').map((l) => JSON.parse(l));
    const hue = lines.find((u) => u.name === 'hue-analyst');
    expect(hue).toMatchObject({ disabled: true, totp: true, roles: ['auditor'] });
    expect(JSON.stringify(lines)).not.toMatch(/scrypt|totpSecret|passwordHash/);
    expect((await s.client().login('hue-analyst', 'a sufficiently long passphrase')).status).toBe(401);
  });
});

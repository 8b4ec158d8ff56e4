import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { exitCodeOf } from '../../common/errors.js';
import { registerRulesCommands } from '../../rules/cli.js';
import { ruleDir } from './helpers.js';

const cleanups: Array<() => void> = [];
afterAll(() => cleanups.forEach((c) => c()));

/** Runs `chot rules ...` in process; returns the exit code and what it printed. */
async function chot(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const program = new Command('chot');
  registerRulesCommands(program);
  const apply = (c: Command): void => {
    c.exitOverride();
    c.configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
    c.commands.forEach(apply);
  };
  apply(program);
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  let code = 0;
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (x) {
    code = (x as { code?: string }).code?.startsWith('commander.') ? 2 : exitCodeOf(x);
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  return { code, out, err };
}

const GOOD = `- id: ok\n  title: ok\n  severity: low\n  kind: connection\n  match: { destination.port: 22 }\n  tests:\n    - name: fires\n      expect: alert\n      records: [ { destination.port: 22 } ]\n    - name: quiet\n      expect: none\n      records: [ { destination.port: 80 } ]\n`;

describe('chot rules lint | test | import-sigma | fields', () => {
  it('lints and tests the shipped pack cleanly', async () => {
    const lint = await chot('rules', 'lint');
    expect(lint.code).toBe(0);
    expect(lint.err).toMatch(/\d+ files, \d+ rules: 0 errors, 0 warnings/);
    const test = await chot('rules', 'test');
    expect(test.code).toBe(0);
    expect(test.err).toMatch(/tests: \d+ passed, 0 failed/);
  });

  it('lint exits 1 with file:line:col on a broken file, 2 on a bad path', async () => {
    const d = ruleDir({ 'good.yaml': GOOD, 'bad.yaml': `- id: bad\n  title: bad\n  severity: low\n  kind: connection\n  match: { destination.port: { gte: soon } }\n` });
    cleanups.push(d.cleanup);
    const r = await chot('rules', 'lint', d.dir);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/bad\.yaml:5:32: expected a number for destination\.port gte, found "soon"/);
    expect((await chot('rules', 'lint', join(d.dir, 'nope'))).code).toBe(2);
  });

  it('test exits 1 when a case fails, naming the rule, the case and where it is', async () => {
    const d = ruleDir({ 'r.yaml': GOOD.replace('expect: none', 'expect: alert') });
    cleanups.push(d.cleanup);
    const r = await chot('rules', 'test', d.dir);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/FAIL ok: quiet \(.*r\.yaml:10\): expected at least 1 alert, got 0/);
    expect((await chot('rules', 'test', d.dir, '--rule', 'nothing-matches')).code).toBe(0);
  });

  it('import-sigma writes one rule file per converted rule and reports the others', async () => {
    const d = ruleDir({});
    cleanups.push(d.cleanup);
    const r = await chot('rules', 'import-sigma', join(import.meta.dirname, 'sigma'), '--out', join(d.dir, 'out'));
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/12 converted, 5 not converted/);
    expect(r.err).toMatch(/skipped unsupported\.yml#1 \(Windows process creation \(not a Chốt log source\)\): log source/);
    expect(readdirSync(join(d.dir, 'out'))).toHaveLength(12);
    expect((await chot('rules', 'import-sigma', join(import.meta.dirname, 'sigma'), '--out', join(d.dir, 'out2'), '--strict')).code).toBe(1);
    // The converted rules pass lint.
    expect((await chot('rules', 'lint', join(d.dir, 'out'))).code).toBe(0);
    expect(existsSync(join(d.dir, 'out', 'sigma.5b0f6c1e-0d2a-4c61-9d0e-6a3c8d1f0a01.yaml'))).toBe(true);
  });

  it('fields lists the namespace by kind', async () => {
    const r = await chot('rules', 'fields', '--kind', 'dns');
    expect(r.out).toMatch(/^dns\.question\.name\s+string\s+dns\s+the queried name/m);
    expect(r.out).toMatch(/^source\.ip\s+ip\s+/m);
    expect(r.out).not.toMatch(/^tls\.client\.ja3/m);
    expect((await chot('rules', 'fields', '--kind', 'bogus')).code).toBe(2);
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runChot } from '../support/chot.js';

const dir = mkdtempSync(join(tmpdir(), 'chot-cli-'));
const valid = 'elasticsearch:\n  url: http://127.0.0.1:9200\nredis:\n  url: redis://127.0.0.1:6379\ntls:\n  certFile: /nonexistent/cert.pem\n  keyFile: /nonexistent/key.pem\n  caFile: /nonexistent/ca.pem\n';

describe('the chot executable', () => {
  it('has --help on every level, exit 0', async () => {
    const top = await runChot(['--help']);
    expect(top.code).toBe(0);
    for (const role of ['stack', 'sensor', 'collector', 'console', 'certs', 'rules', 'appliance', 'lab']) {
      expect(top.stdout).toMatch(new RegExp(`^\\s+${role}\\b`, 'm'));
      const sub = await runChot([role, '--help']);
      expect(sub.code, role).toBe(0);
      expect(sub.stdout, role).toMatch(/Usage: chot /);
    }
    for (const leaf of [['stack', 'up'], ['stack', 'status'], ['lab', 'up'], ['lab', 'traffic'], ['collector', 'run']]) {
      const r = await runChot([...leaf, '--help']);
      expect(r.code, leaf.join(' ')).toBe(0);
      expect(r.stdout).toContain(`Usage: chot ${leaf.join(' ')}`);
    }
  });

  it("loads only the named role's commands (the others' modules cost startup time), every role for help", async () => {
    const { buildProgram } = await import('../../cli/main.js');
    const names = (p: { commands: readonly { name(): string }[] }) => p.commands.map((c) => c.name());
    expect(names(await buildProgram(['node', 'chot', 'sensor', 'read', 'x.pcap']))).toEqual(['sensor']);
    expect(names(await buildProgram(['node', 'chot', 'collector', 'run', '--config', 'x.yaml']))).toEqual(['collector']);
    expect(names(await buildProgram(['node', 'chot', '--help'])).sort()).toEqual(['appliance', 'certs', 'collector', 'console', 'lab', 'rules', 'sensor', 'stack']);
    expect(names(await buildProgram(['node', 'chot', 'no-such-role'])).length).toBe(8);
    // Help asked before a role is the program's help: every role listed.
    expect(names(await buildProgram(['node', 'chot', '--help', 'sensor'])).length).toBe(8);
    const help = await runChot(['--help', 'sensor']);
    expect(help.code).toBe(0);
    for (const role of ['stack', 'sensor', 'collector', 'console', 'certs', 'rules', 'appliance', 'lab']) expect(help.stdout).toMatch(new RegExp(`^\\s+${role}\\b`, 'm'));
  });

  it('exits 2 on a usage error', async () => {
    const unknown = await runChot(['stack', 'up', '--no-such-flag']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown option '--no-such-flag'/);
    const badPort = await runChot(['stack', 'status', '--es-port', 'ninety']);
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toMatch(/expected a TCP port/);
    const noCommand = await runChot(['no-such-role']);
    expect(noCommand.code).toBe(2);
    const badTiming = await runChot(['sensor', 'read', '/nonexistent.pcap', '--record-at', 'later']);
    expect(badTiming.code).toBe(2);
    expect(badTiming.stderr).toMatch(/--record-at: expected close or close-delay, got "later"/);
  });

  it('exits 2 naming the file and key for a wrong key, a wrong type and a missing file', async () => {
    const wrongKey = join(dir, 'wrong-key.yaml');
    writeFileSync(wrongKey, valid + 'listen:\n  prot: 80\n');
    const a = await runChot(['collector', 'run', '--config', wrongKey]);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain(`chot: config error: ${wrongKey}: listen.prot: unknown key`);

    const wrongType = join(dir, 'wrong-type.yaml');
    writeFileSync(wrongType, valid + 'retentionDays:\n  conn: soon\n');
    const b = await runChot(['collector', 'check-config', wrongType]);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain(`${wrongType}: retentionDays.conn: expected number, got string "soon"`);

    const missing = join(dir, 'absent.yaml');
    const c = await runChot(['collector', 'run', '--config', missing]);
    expect(c.code).toBe(2);
    expect(c.stderr).toContain(`${missing}: file not found`);

    const ok = join(dir, 'ok.yaml');
    writeFileSync(ok, valid);
    const d = await runChot(['collector', 'check-config', ok]);
    expect(d.code).toBe(0);
  });

  it('exits 1 on a runtime failure, with one clear line', async () => {
    const ok = join(dir, 'ok2.yaml');
    // Valid, but the key file it names does not exist: a failure while running, not a usage error.
    writeFileSync(ok, valid.replace('redis://127.0.0.1:6379', 'redis://127.0.0.1:9'));
    const r = await runChot(['collector', 'run', '--config', ok]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^chot: error: cannot reach Redis at 127\.0\.0\.1:9/m);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('chot:'))).toHaveLength(1);
  });
});

import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { exitCodeOf } from '../../common/errors.js';
import { registerCertsCommands } from '../../certs/cli.js';
import { startEnrollmentService } from '../../certs/enroll/service.js';
import { Pki } from '../../certs/pki.js';
import { captureLogger, issueNode, PASSPHRASE, ROOT_PASSPHRASE, tempDir } from './fixtures.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `chot certs …` in this process, the way cli/main.ts will once certs is wired in. */
async function chot(...args: string[]): Promise<Run> {
  const program = new Command('chot');
  registerCertsCommands(program);
  let stdout = '';
  let stderr = '';
  const apply = (cmd: Command): void => {
    cmd.exitOverride().configureOutput({ writeOut: (s) => (stdout += s), writeErr: (s) => (stderr += s) });
    cmd.commands.forEach(apply);
  };
  apply(program);
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
    stdout += String(s);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
    stderr += String(s);
    return true;
  });
  let code = 0;
  try {
    await program.parseAsync(['node', 'chot', 'certs', ...args]);
  } catch (e) {
    if (e instanceof CommanderError) code = e.code === 'commander.helpDisplayed' || e.code === 'commander.help' ? 0 : 2;
    else {
      code = exitCodeOf(e);
      stderr += `chot: error: ${(e as Error).message}\n`;
    }
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return { code, stdout, stderr };
}

describe('chot certs', () => {
  const tmp = tempDir('cli');
  const dir = join(tmp.dir, 'pki');
  const pass = join(tmp.dir, 'pass');
  const rootPass = join(tmp.dir, 'root-pass');
  const ca = ['--dir', dir, '--passphrase-file', pass];

  beforeAll(() => {
    writeFileSync(pass, PASSPHRASE + '\n', { mode: 0o600 });
    writeFileSync(rootPass, ROOT_PASSPHRASE + '\n', { mode: 0o600 });
  });
  afterAll(() => tmp.cleanup());

  it('has --help on every subcommand', async () => {
    for (const sub of ['init', 'token', 'serve', 'enroll', 'renew', 'revoke', 'crl', 'list']) {
      const r = await chot(sub, '--help');
      expect(r.code, sub).toBe(0);
      expect(r.stdout, sub).toContain(`Usage: chot certs ${sub}`);
    }
  });

  it('init creates the CA; a second init refuses; passphrases are required and must be long enough', async () => {
    const short = join(tmp.dir, 'short');
    writeFileSync(short, 'too short\n');
    expect(await chot('init', '--dir', dir, '--passphrase-file', short, '--root-passphrase-file', rootPass)).toMatchObject({ code: 2, stderr: expect.stringContaining('at least 12 characters') });
    expect(await chot('init', '--dir', dir, '--root-passphrase-file', rootPass)).toMatchObject({ code: 2, stderr: expect.stringContaining('give --passphrase-file FILE or set CHOT_CA_PASSPHRASE') });
    const r = await chot('init', ...ca, '--root-passphrase-file', rootPass, '--org', 'Bộ Công an', '--crl-url', 'https://pki.test:8444/crl', '--operator', 'alice');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`CA directory ${dir}`);
    expect(r.stdout).toContain('issuing CA   issuing-1');
    expect(await chot('init', ...ca, '--root-passphrase-file', rootPass)).toMatchObject({ code: 1, stderr: expect.stringContaining('already holds a CA') });
    expect(Pki.open(dir).audit.verify().entries[0]).toMatchObject({ action: 'ca.init', actor: expect.stringMatching(/^cli:alice@/) });
  });

  it('mints a token for one node, and for a whole inventory into a 0600 file', async () => {
    const one = await chot('token', '--dir', dir, '--node', '01/001/00001', '--role', 'sensor', '--ttl', '72h');
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout.trim()).toMatch(/^chot1\.[A-Za-z0-9_-]{12}\.[A-Za-z0-9_-]{43}$/);

    const inventory = join(tmp.dir, 'fleet.json');
    writeFileSync(inventory, JSON.stringify({ data: [{ level1_id: '02', level2s: [{ level2_id: '024', level3s: [{ level3_id: '00688' }, { level3_id: '00691' }] }] }] }));
    const out = join(tmp.dir, 'tokens.jsonl');
    const bulk = await chot('token', '--dir', dir, '--inventory', inventory, '--out', out);
    expect(bulk.code, bulk.stderr).toBe(0);
    expect(bulk.stdout).toContain(`4 token(s) for role sensor`);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { nodeId: string });
    expect(lines.map((l) => l.nodeId)).toEqual(['02', '02/024', '02/024/00688', '02/024/00691']);
    expect(await chot('token', '--dir', dir, '--inventory', inventory, '--out', out)).toMatchObject({ code: 2, stderr: expect.stringContaining('never overwritten') });
  });

  it('refuses bad token requests with exit code 2', async () => {
    expect((await chot('token', '--dir', dir)).code).toBe(2);
    expect((await chot('token', '--dir', dir, '--node', '01', '--inventory', 'x.json')).code).toBe(2);
    expect((await chot('token', '--dir', dir, '--inventory', 'x.json')).stderr).toContain('--inventory needs --out FILE');
    expect((await chot('token', '--dir', dir, '--node', '01', '--role', 'admin')).stderr).toContain('expected one of sensor, collector, enforcer, console, operator');
    expect((await chot('token', '--dir', dir, '--node', '01', '--ttl', 'soon')).code).toBe(2);
    expect(await chot('token', '--dir', dir, '--node', '01/../02')).toMatchObject({ code: 2, stderr: expect.stringContaining('not a node id') });
    expect(await chot('token', '--dir', join(tmp.dir, 'nothing'), '--node', '01')).toMatchObject({ code: 1, stderr: expect.stringContaining('not an initialised CA directory') });
  });

  it('lists, filters, revokes by node and publishes CRLs', async () => {
    const pki = Pki.open(dir);
    const issuing = pki.unlock('issuing-1', PASSPHRASE);
    const a = await issueNode(pki, issuing, '01/001/00001', 'sensor');
    const b = await issueNode(pki, issuing, '01/001/00001', 'sensor'); // a renewal: a is now superseded
    await issueNode(pki, issuing, '01', 'collector');

    const all = JSON.parse((await chot('list', '--dir', dir, '--node', '01', '--json')).stdout) as { serial: string; status: string }[];
    expect(all.map((r) => [r.serial === a.serial ? 'a' : r.serial === b.serial ? 'b' : 'c', r.status]).sort()).toEqual([
      ['a', 'superseded'],
      ['b', 'active'],
      ['c', 'active'],
    ]);
    expect(JSON.parse((await chot('list', '--dir', dir, '--role', 'collector', '--json')).stdout)).toHaveLength(1);
    expect(JSON.parse((await chot('list', '--dir', dir, '--role', 'sensor', '--expiring', '30', '--json')).stdout)).toHaveLength(2);
    expect(JSON.parse((await chot('list', '--dir', dir, '--role', 'sensor', '--expiring', '1', '--json')).stdout)).toHaveLength(0);
    const table = await chot('list', '--dir', dir, '--node', '01/001');
    expect(table.stdout.split('\n')[0]).toMatch(/^SERIAL\s+NODE\s+ROLE\s+STATUS\s+NOT AFTER\s+CA$/);
    expect(table.stdout).toContain(`${b.serial}  01/001/00001  sensor  active`);

    expect((await chot('revoke', '01/001/00001', ...ca)).code).toBe(2); // --reason is required
    expect((await chot('revoke', '01/001/00001', '--reason', 'because', ...ca)).code).toBe(2);
    expect(await chot('revoke', '01/009', '--reason', 'superseded', ...ca)).toMatchObject({ code: 2, stderr: expect.stringContaining('no unexpired certificate for node 01/009') });
    const r = await chot('revoke', '01/001/00001', '--reason', 'key-compromise', ...ca, '--operator', 'bob');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`revoked ${a.serial}`);
    expect(r.stdout).toContain(`revoked ${b.serial}`);
    expect(r.stdout).toMatch(/CRL issuing-1 #2: 2 entries/);
    expect(JSON.parse((await chot('list', '--dir', dir, '--status', 'revoked', '--json')).stdout)).toHaveLength(2);
    expect((await chot('revoke', b.serial, '--reason', 'key-compromise', ...ca)).stdout).toContain(`already revoked ${b.serial}`);

    const show = await chot('crl', '--dir', dir, '--show');
    expect(show.stdout).toMatch(/^root\s+1\s+0\s/m);
    expect(show.stdout).toMatch(/^issuing-1\s+2\s+2\s/m);
    const publish = await chot('crl', ...ca, '--root', '--root-passphrase-file', rootPass);
    expect(publish.code, publish.stderr).toBe(0);
    expect(publish.stdout).toMatch(/CRL root #2: 0 entries/);
    expect(publish.stdout).toMatch(/CRL issuing-1 #3: 2 entries/);
    const wrong = join(tmp.dir, 'wrong');
    writeFileSync(wrong, 'not the right passphrase\n');
    expect(await chot('crl', '--dir', dir, '--passphrase-file', wrong)).toMatchObject({ code: 1, stderr: expect.stringContaining('wrong passphrase') });
  });

  it('enrolls and renews a node against a running service', async () => {
    const pki = Pki.open(dir);
    const service = await startEnrollmentService({ pki, ca: pki.unlock('issuing-1', PASSPHRASE), host: '127.0.0.1', port: 0, names: ['127.0.0.1'], logger: captureLogger().logger });
    try {
      const tokenFile = join(tmp.dir, 'token');
      writeFileSync(tokenFile, (await chot('token', '--dir', dir, '--node', '03/040', '--role', 'enforcer')).stdout);
      const nodeDir = join(tmp.dir, 'node');
      const e = await chot('enroll', '--url', service.url, '--node', '03/040', '--ca-file', pki.paths.root.cert, '--token-file', tokenFile, '--out', nodeDir);
      expect(e.code, e.stderr).toBe(0);
      expect(e.stdout).toMatch(/^enrolled enforcer 03\/040: serial [0-9A-F]{32}, valid until /);
      expect((await chot('renew', '--url', service.url, '--out', nodeDir, '--if-due')).stdout).toMatch(/^not due: renewal at /);
      const r = await chot('renew', '--url', service.url, '--out', nodeDir, '--json');
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ role: 'enforcer', nodeId: '03/040' });
      const again = await chot('enroll', '--url', service.url, '--node', '03/040', '--ca-file', pki.paths.root.cert, '--token-file', tokenFile, '--out', nodeDir);
      expect(again).toMatchObject({ code: 1, stderr: expect.stringContaining('403 token already used') });
    } finally {
      await service.close();
    }
  });
});

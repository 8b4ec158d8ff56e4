import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../common/paths.js';
import type { CertificateAuthority } from '../../certs/ca/authority.js';
import { Pki } from '../../certs/pki.js';
import { AuditLog } from '../../certs/store/audit-log.js';
import { IssuanceStore } from '../../certs/store/issuance-store.js';
import { withLock } from '../../certs/store/lock.js';
import { issueNode, makePki, PASSPHRASE, tempDir } from './fixtures.js';

const dist = (p: string): string => pathToFileURL(join(packageRoot, 'dist', p)).href;

/** A child that issues batches of 250 certificates forever, printing each batch once recorded. */
const CHILD = `
import { generateKeyPairSync } from 'node:crypto';
import { Pki } from '${dist('certs/pki.js')}';
import { issueNodeCertificates } from '${dist('certs/ca/issue.js')}';
import { buildCsr } from '${dist('certs/x509/csr.js')}';
import { nodeUri } from '${dist('certs/node-id.js')}';
const [dir, passphrase, tag] = process.argv.slice(1);
const pki = Pki.open(dir);
const ca = pki.unlock('issuing-1', passphrase);
const kp = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const csrs = Array.from({ length: 250 }, (_, i) => {
  const nodeId = tag + '/' + String(i).padStart(5, '0');
  return { csr: buildCsr({ ...kp, subject: [{ type: 'CN', value: nodeId }], uris: [nodeUri(nodeId)] }), nodeId, role: 'sensor' };
});
for (let batch = 0; ; batch++) {
  await issueNodeCertificates(pki, ca, csrs, { via: 'bulk', actor: 'kill-test' });
  process.stdout.write('batch ' + batch + '\\n');
}
`;

/** Runs the child until it has reported `batches` batches, then SIGKILLs it a little later, mid-batch. */
function runAndKill(dir: string, tag: string, batches: number, delayMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, dir, PASSPHRASE, tag], { stdio: ['ignore', 'pipe', 'pipe'] });
    let reported = 0;
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      reported += d.toString().split('\n').filter((l) => l.startsWith('batch')).length;
      if (reported === batches) setTimeout(() => child.kill('SIGKILL'), delayMs);
    });
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve(reported) : reject(new Error(`child ended ${code ?? signal}: ${stderr}`))));
  });
}

describe('the issuance store and audit log survive crashes', () => {
  const tmp = tempDir('store');
  let pki: Pki;
  let ca: CertificateAuthority;

  beforeAll(async () => {
    if (!existsSync(join(packageRoot, 'dist', 'certs', 'pki.js'))) throw new Error('dist/ is not built: run `npm run build` first (npm test does)');
    ({ pki, ca } = await makePki(join(tmp.dir, 'pki')));
  });
  afterAll(() => tmp.cleanup());

  it('an issuance killed with SIGKILL mid-batch leaves a consistent store', async () => {
    let acknowledged = 0;
    // Killed at different points of a batch: while signing, around the audit write, around the store write.
    for (const [i, delay] of [7, 45, 90].entries()) acknowledged += 250 * (await runAndKill(pki.paths.dir, `9${i}`, 2, delay));
    const reopened = Pki.open(pki.paths.dir);
    const key = ca.x509().publicKey;
    const entries = [...reopened.store.all()].filter((e) => e.via === 'bulk');
    // Nothing acknowledged was lost; whatever was written is complete.
    expect(entries.length).toBeGreaterThanOrEqual(acknowledged);
    for (const e of entries) {
      const cert = new X509Certificate(reopened.store.certificate(e.serial)!);
      expect(cert.serialNumber).toBe(e.serial);
      expect(cert.verify(key)).toBe(true);
      expect(cert.subjectAltName).toBe(`URI:chot://node/${e.nodeId}`);
    }
    // Every stored certificate is in the audit trail, which is an unbroken chain.
    const audit = reopened.audit.verify();
    expect(audit.brokenAt).toBeUndefined();
    const audited = new Set(audit.entries.filter((a) => a.action === 'cert.issue').map((a) => a.serial));
    for (const e of entries) expect(audited.has(e.serial)).toBe(true);
    // And the store takes new writes, cutting off any torn tail first.
    await issueNode(reopened, reopened.unlock('issuing-1', PASSPHRASE), '99', 'sensor');
    expect(reopened.store.tornBytes()).toBe(0);
    expect(Pki.open(pki.paths.dir).store.size).toBe(reopened.store.size);
  });

  it('ignores a torn last line until the next writer cuts it off, and refuses damage in the middle', async () => {
    const file = join(tmp.dir, 'torn.jsonl');
    const good = readFileSync(pki.paths.issued, 'utf8').split('\n').slice(0, 3).join('\n') + '\n';
    writeFileSync(file, good + '{"kind":"issued","serial":"AB');
    const store = new IssuanceStore(file);
    expect(store.size).toBe(3);
    expect(store.tornBytes()).toBeGreaterThan(0);
    await withLock(file + '.lock', () => {
      store.refresh();
      store.append([]);
    });
    const lines = good.split('\n');
    writeFileSync(file, [lines[0], '{"kind":"issued", damaged', lines[1], lines[2], ''].join('\n'));
    expect(() => new IssuanceStore(file)).toThrow(/line 2 is damaged/);
  });

  it('detects an edited or deleted audit line', () => {
    const file = join(tmp.dir, 'audit.jsonl');
    const log = new AuditLog(file);
    log.append([
      { action: 'token.mint', actor: 'a', tokenId: '1' },
      { action: 'token.mint', actor: 'a', tokenId: '2' },
      { action: 'token.mint', actor: 'a', tokenId: '3' },
    ]);
    expect(log.verify().brokenAt).toBeUndefined();
    const lines = readFileSync(file, 'utf8').split('\n');
    writeFileSync(file, [lines[0], lines[1]!.replace('"2"', '"20"'), lines[2], ''].join('\n'));
    expect(log.verify()).toMatchObject({ brokenAt: 3 });
    writeFileSync(file, [lines[0], lines[2], ''].join('\n'));
    expect(log.verify()).toMatchObject({ brokenAt: 2 });
    // A torn final line is not damage: the next append cuts it off and continues the chain.
    writeFileSync(file, lines.slice(0, 3).join('\n') + '\n{"seq":4,"at"');
    log.append([{ action: 'token.mint', actor: 'a', tokenId: '4' }]);
    expect(log.verify()).toEqual({ entries: expect.any(Array) });
    expect(log.verify().entries.map((e) => e.tokenId)).toEqual(['1', '2', '3', '4']);
  });

  it('serialises writers through the lock and breaks a lock left by a dead process', async () => {
    const lock = join(tmp.dir, 'test.lock');
    const order: string[] = [];
    await Promise.all(
      ['a', 'b', 'c'].map((name) =>
        withLock(lock, async () => {
          order.push(`${name}+`);
          await new Promise((r) => setTimeout(r, 10));
          order.push(`${name}-`);
        }),
      ),
    );
    expect(order).toEqual(['a+', 'a-', 'b+', 'b-', 'c+', 'c-']);
    // A lock file whose owner is gone (pid from a process that has exited).
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => dead.on('exit', r));
    writeFileSync(lock, JSON.stringify({ pid: dead.pid, host: (await import('node:os')).hostname() }));
    expect(await withLock(lock, () => 'taken')).toBe('taken');
    expect(existsSync(lock)).toBe(false);
  });

  it('appends across processes: a second Pki sees what the first wrote', async () => {
    const other = Pki.open(pki.paths.dir);
    const before = other.store.size;
    const issued = await issueNode(pki, ca, '98', 'sensor');
    await other.exclusive(() => undefined);
    expect(other.store.size).toBe(before + 1);
    // Certificates stay on disk and are read back from where their record is.
    expect(other.store.certificate(issued.serial)).toEqual(issued.der);
    expect(pki.store.certificate(issued.serial)).toEqual(issued.der);
    expect(statSync(pki.paths.issued).mode & 0o777).toBe(0o600);
  });
});

import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type Server, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CertificateAuthority } from '../../certs/ca/authority.js';
import type { Pki } from '../../certs/pki.js';
import { buildCrl } from '../../certs/revoke/crl.js';
import { revoke } from '../../certs/revoke/revoke.js';
import { TlsContextManager, type PeerPolicy } from '../../certs/tls.js';
import { toPem } from '../../certs/x509/pem.js';
import { captureLogger, handshake, issueNode, listen, makePki, materialFor, PASSPHRASE, portOf, tempDir, type NodeCredentials } from './fixtures.js';

const DAY = 86_400_000;

describe('mutual TLS with the shared helpers', () => {
  const tmp = tempDir('tls');
  let pki: Pki;
  let ca: CertificateAuthority;
  let serverCreds: NodeCredentials;
  let sensor: NodeCredentials;
  const log = captureLogger();
  let manager: TlsContextManager;
  let server: Server;
  let port: number;

  const clientOf = (creds: { keyPem: string; chainPem: string }, extra: object = {}) => ({
    key: creds.keyPem,
    cert: creds.chainPem,
    ca: pki.certPem('root'),
    checkServerIdentity: () => undefined,
    ...extra,
  });
  const refusals = (): Record<string, unknown>[] => log.lines.filter((l) => l.event === 'tls.refused');

  /** A gated server that greets each admitted peer with its identity. */
  async function startServer(m: TlsContextManager, policy: PeerPolicy): Promise<{ server: Server; port: number }> {
    const s = m.createTlsServer(policy, (socket, id) => {
      socket.write(JSON.stringify({ ...id, notAfter: id.notAfter.toISOString() }) + '\n');
      socket.on('data', (d) => socket.write(d)); // echo, for long-lived connections
    });
    await listen(s);
    return { server: s, port: portOf(s) };
  }

  beforeAll(async () => {
    ({ pki, ca } = await makePki(join(tmp.dir, 'pki')));
    serverCreds = await issueNode(pki, ca, '01', 'collector');
    sensor = await issueNode(pki, ca, '01/001/00001', 'sensor');
    manager = await TlsContextManager.create(() => materialFor(pki, serverCreds), { logger: log.logger });
    ({ server, port } = await startServer(manager, { roles: ['sensor', 'enforcer'] }));
  });
  afterAll(() => {
    server.close();
    manager.close();
    tmp.cleanup();
  });

  it('admits a valid sensor and reads its identity back exactly', async () => {
    const r = await handshake(port, clientOf(sensor));
    expect(r.error).toBeUndefined();
    expect(JSON.parse(r.greeting!)).toEqual({ role: 'sensor', nodeId: '01/001/00001', serial: sensor.serial, notAfter: sensor.notAfter.toISOString() });
  });

  it('refuses a client without a certificate, and logs why', async () => {
    const before = refusals().length;
    const r = await handshake(port, { ca: pki.certPem('root'), checkServerIdentity: () => undefined });
    expect(r.greeting).toBeUndefined();
    expect(refusals().slice(before)).toEqual([expect.objectContaining({ code: 'no-certificate', reason: 'no client certificate' })]);
  });

  it('refuses a certificate from a foreign CA', async () => {
    const other = await makePki(join(tmp.dir, 'foreign'));
    const intruder = await issueNode(other.pki, other.ca, '01/001/00001', 'sensor');
    const before = refusals().length;
    const r = await handshake(port, clientOf(intruder));
    expect(r.greeting).toBeUndefined();
    expect(refusals().slice(before)).toEqual([expect.objectContaining({ code: 'untrusted', reason: 'certificate not issued by a trusted Chốt CA' })]);
  });

  it('refuses an expired certificate and one not yet valid', async () => {
    const now = Date.now();
    const expired = await issueNode(pki, ca, '01/001/00002', 'sensor', { notBefore: new Date(now - 2 * DAY), notAfter: new Date(now - DAY) });
    const early = await issueNode(pki, ca, '01/001/00003', 'sensor', { notBefore: new Date(now + DAY), notAfter: new Date(now + 2 * DAY) });
    const before = refusals().length;
    expect((await handshake(port, clientOf(expired))).greeting).toBeUndefined();
    expect((await handshake(port, clientOf(early))).greeting).toBeUndefined();
    expect(refusals().slice(before)).toEqual([
      expect.objectContaining({ code: 'expired', reason: 'certificate expired', serial: expired.serial }),
      expect.objectContaining({ code: 'not-yet-valid', reason: 'certificate not yet valid', serial: early.serial }),
    ]);
  });

  it('refuses a certificate for another role', async () => {
    const consoleCert = await issueNode(pki, ca, '01', 'console');
    const before = refusals().length;
    expect((await handshake(port, clientOf(consoleCert))).greeting).toBeUndefined();
    expect(refusals().slice(before)).toEqual([expect.objectContaining({ code: 'role', reason: 'role console is not allowed here (allowed: sensor, enforcer)' })]);
  });

  it('refuses a revoked certificate, also when the client tries to resume its old TLS session', async () => {
    const victim = await issueNode(pki, ca, '01/001/00004', 'sensor');
    const first = await handshake(port, clientOf(victim));
    expect(first.greeting).toBeDefined();
    expect(first.session).toBeDefined();
    const resumed = await handshake(port, clientOf(victim, { session: first.session }));
    expect(resumed.greeting).toBeDefined();
    expect(resumed.reused).toBe(true); // resumption works, so the next check means something

    await revoke(pki, victim.serial, 'key-compromise', { actor: 'test', unlock: (n) => pki.unlock(n, PASSPHRASE) });
    expect(await manager.reload()).toBe(true);
    const before = refusals().length;
    const again = await handshake(port, clientOf(victim, { session: first.session }));
    expect(again.greeting).toBeUndefined();
    expect(again.reused).toBe(false); // the ticket keys were rotated: a full handshake, with the new CRL
    const fresh = await handshake(port, clientOf(victim));
    expect(fresh.greeting).toBeUndefined();
    expect(refusals().slice(before)).toEqual([
      expect.objectContaining({ code: 'revoked', reason: 'certificate revoked', serial: victim.serial }),
      expect.objectContaining({ code: 'revoked', reason: 'certificate revoked', serial: victim.serial }),
    ]);
    // Valid clients are unaffected.
    expect((await handshake(port, clientOf(sensor))).greeting).toBeDefined();
  });

  it('still refuses a revoked client whose session does resume (a server that kept old ticket keys)', async () => {
    const victim = await issueNode(pki, ca, '01/001/00005', 'sensor');
    const first = await handshake(port, clientOf(victim));
    await revoke(pki, victim.serial, 'privilege-withdrawn', { actor: 'test', unlock: (n) => pki.unlock(n, PASSPHRASE) });
    const keys = server.getTicketKeys();
    await manager.reload();
    server.setTicketKeys(keys); // undo the rotation: only the gate's own CRL check is left
    const before = refusals().length;
    const r = await handshake(port, clientOf(victim, { session: first.session }));
    expect(r.reused).toBe(true);
    expect(r.greeting).toBeUndefined();
    expect(refusals().slice(before)).toEqual([expect.objectContaining({ code: 'revoked', reason: 'certificate revoked (on a resumed session)' })]);
    await manager.reload(); // fresh keys again for the tests after
  });

  it('reloads CRLs while connections are open: new handshakes use the new CRL, valid clients never fail', async () => {
    const victims = await Promise.all([2, 3, 4].map((i) => issueNode(pki, ca, `01/002/0000${i}`, 'sensor')));
    // Long-lived connections: valid ones and a victim's.
    const open = await Promise.all([sensor, sensor, victims[0]!].map((c) => openConnection(port, clientOf(c))));
    let stop = false;
    const valid: { ok: number; failed: number } = { ok: 0, failed: 0 };
    const loops = [0, 1, 2].map(async () => {
      while (!stop) {
        const r = await handshake(port, clientOf(sensor));
        if (r.greeting) valid.ok++;
        else valid.failed++;
      }
    });
    for (const v of victims) {
      expect((await handshake(port, clientOf(v))).greeting).toBeDefined();
      await revoke(pki, v.serial, 'superseded', { actor: 'test', unlock: (n) => pki.unlock(n, PASSPHRASE) });
      await manager.reload();
      expect((await handshake(port, clientOf(v))).greeting).toBeUndefined();
    }
    stop = true;
    await Promise.all(loops);
    expect(valid.failed).toBe(0);
    expect(valid.ok).toBeGreaterThan(10);
    // The valid long-lived connections survived three reloads; the victim's was closed.
    expect(await open[0]!.echo('ping')).toBe('ping');
    expect(await open[1]!.echo('pong')).toBe('pong');
    expect(open[2]!.closed()).toBe(true);
    expect(log.lines.some((l) => l.event === 'tls.closed-revoked' && l.serial === victims[0]!.serial)).toBe(true);
    for (const c of open) c.socket.destroy();
  });

  it('keeps serving on the old material when a reload is unusable', async () => {
    let broken = false;
    const m = await TlsContextManager.create(() => (broken ? { ...materialFor(pki, serverCreds), crls: ['-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n'] } : materialFor(pki, serverCreds)), { logger: log.logger });
    const s = await startServer(m, { roles: ['sensor'] });
    broken = true;
    expect(await m.reload()).toBe(false);
    expect(log.lines.some((l) => l.event === 'tls.reload-failed')).toBe(true);
    expect((await handshake(s.port, clientOf(sensor))).greeting).toBeDefined();
    s.server.close();
    m.close();
  });

  it('warns before a CRL goes stale, and with an expired CRL refuses everyone with that reason', async () => {
    const warnLog = captureLogger();
    const m1 = await TlsContextManager.create(() => materialFor(pki, serverCreds), { logger: warnLog.logger, crlWarnBeforeMs: 8 * DAY });
    const stale = warnLog.lines.filter((l) => l.event === 'tls.crl-stale-soon');
    expect(stale).toHaveLength(1); // the issuing CA's 7-day CRL, not the root's 180-day one
    expect(String(stale[0]!.issuer)).toContain('Issuing CA issuing-1');
    m1.close();

    const now = Date.now();
    const expiredCrl = toPem('X509 CRL', buildCrl({ issuerName: ca.subjectName, issuerKeyId: ca.keyId, number: 99, thisUpdate: new Date(now - 10 * DAY), nextUpdate: new Date(now - DAY), entries: [] }, ca.signer));
    const material = materialFor(pki, serverCreds);
    const expiredLog = captureLogger();
    const m2 = await TlsContextManager.create(() => ({ ...material, crls: [material.crls[0]!, expiredCrl] }), { logger: expiredLog.logger });
    expect(expiredLog.lines.filter((l) => l.event === 'tls.crl-expired')).toHaveLength(1);
    const s = await startServer(m2, { roles: ['sensor'] });
    expect((await handshake(s.port, clientOf(sensor))).greeting).toBeUndefined();
    expect(expiredLog.lines.find((l) => l.event === 'tls.refused')).toEqual(expect.objectContaining({ code: 'crl' }));
    s.server.close();
    m2.close();
  });

  it('reloads by itself when watched files are replaced', async () => {
    const dir = join(tmp.dir, 'files');
    mkdirSync(dir);
    const files = { keyFile: join(dir, 'key.pem'), certFile: join(dir, 'cert.pem'), caFile: join(dir, 'ca.pem'), crlFiles: [join(dir, 'root.crl'), join(dir, 'issuing.crl')] };
    writeFileSync(files.keyFile, serverCreds.keyPem);
    writeFileSync(files.certFile, serverCreds.chainPem);
    copyFileSync(pki.paths.root.cert, files.caFile);
    copyFileSync(pki.paths.root.crl, files.crlFiles[0]!);
    copyFileSync(pki.paths.issuing('issuing-1').crl, files.crlFiles[1]!);
    const m = await TlsContextManager.fromFiles(files, { logger: log.logger, pollMs: 50 });
    const s = await startServer(m, { roles: ['sensor'] });
    const victim = await issueNode(pki, ca, '01/003', 'sensor');
    expect((await handshake(s.port, clientOf(victim))).greeting).toBeDefined();
    await revoke(pki, victim.serial, 'cessation-of-operation', { actor: 'test', unlock: (n) => pki.unlock(n, PASSPHRASE) });
    const reloaded = new Promise((resolve) => m.once('reloaded', resolve));
    copyFileSync(pki.paths.issuing('issuing-1').crl, files.crlFiles[1]! + '.tmp');
    (await import('node:fs')).renameSync(files.crlFiles[1]! + '.tmp', files.crlFiles[1]!);
    await reloaded;
    expect((await handshake(s.port, clientOf(victim))).greeting).toBeUndefined();
    expect((await handshake(s.port, clientOf(sensor))).greeting).toBeDefined();
    s.server.close();
    m.close();
  });

  it('lets clients check the server by role instead of host name', async () => {
    const client = await TlsContextManager.create(() => materialFor(pki, sensor), { logger: log.logger });
    const ok = await handshake(port, { ...client.clientOptions({ roles: ['collector'], nodeId: '01' }), servername: 'anything' });
    expect(ok.greeting).toBeDefined();
    const wrong = await handshake(port, client.clientOptions({ roles: ['enforcer'] }));
    expect(wrong.greeting).toBeUndefined();
    expect(wrong.error).toContain('server refused: role collector is not allowed here (allowed: enforcer)');
    client.close();
  });
});

/** A connection kept open, to echo through later. */
async function openConnection(port: number, opts: object): Promise<{ socket: TLSSocket; echo(text: string): Promise<string>; closed(): boolean }> {
  const socket = connect({ host: '127.0.0.1', port, ...opts });
  socket.setEncoding('utf8');
  let closed = false;
  socket.on('close', () => (closed = true));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('data', () => resolve());
    socket.once('close', () => reject(new Error('closed before the greeting')));
  });
  return {
    socket,
    closed: () => closed || socket.destroyed,
    echo: (text) =>
      new Promise((resolve) => {
        socket.once('data', (d: string) => resolve(d));
        socket.write(text);
      }),
  };
}

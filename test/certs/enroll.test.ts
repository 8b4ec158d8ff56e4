import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, readlinkSync, statSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CertificateAuthority } from '../../certs/ca/authority.js';
import { enrollNode, renewNode } from '../../certs/enroll/client.js';
import { installCredentials, nodeCredentialFiles, writeTrustAnchor } from '../../certs/enroll/credentials.js';
import { RenewalScheduler, renewalTime } from '../../certs/enroll/renewal.js';
import { startEnrollmentService, type EnrollmentService } from '../../certs/enroll/service.js';
import { mintTokens } from '../../certs/enroll/tokens.js';
import { nodeUri } from '../../certs/node-id.js';
import type { Pki } from '../../certs/pki.js';
import { revoke } from '../../certs/revoke/revoke.js';
import { TlsContextManager } from '../../certs/tls.js';
import { buildCsr } from '../../certs/x509/csr.js';
import { toPem } from '../../certs/x509/pem.js';
import { captureLogger, handshake, issueNode, listen, makePki, PASSPHRASE, portOf, tempDir } from './fixtures.js';

const HOUR = 3_600_000;

/** A request to the service, answered with its status, Retry-After and JSON body. */
function requestJson(url: string, ca: string, method: string, path: string, body?: string, contentType = 'application/json'): Promise<{ status: number; retryAfter: string | undefined; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method, ca, headers: { 'content-type': contentType }, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], body: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A CSR for a node, with a fresh key, asking for the given URIs (its node URI by default). */
function csrFor(nodeId: string, uris = [nodeUri(nodeId)]): string {
  const kp = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return toPem('CERTIFICATE REQUEST', buildCsr({ ...kp, subject: [{ type: 'CN', value: nodeId }], uris }));
}

describe('enrollment: tokens, CSRs, renewal over mTLS', () => {
  const tmp = tempDir('enroll');
  const log = captureLogger();
  let pki: Pki;
  let ca: CertificateAuthority;
  let service: EnrollmentService;
  let rootPem: string;

  const token = async (nodeId: string, role: 'sensor' | 'collector' = 'sensor', ttlMs = HOUR): Promise<string> =>
    (await mintTokens(pki, [{ nodeId, role }], { ttlMs, actor: 'test' }))[0]!.token;

  /** POSTs raw JSON to the service, as an attacker or a broken client would. */
  const post = async (path: string, body: string, contentType = 'application/json'): Promise<{ status: number; body: Record<string, unknown> }> => {
    const r = await requestJson(service.url, rootPem, 'POST', path, body, contentType);
    return { status: r.status, body: r.body };
  };
  const refusals = (): Record<string, unknown>[] => log.lines.filter((l) => l.event === 'enroll.refused');

  beforeAll(async () => {
    ({ pki, ca } = await makePki(join(tmp.dir, 'pki')));
    rootPem = pki.certPem('root');
    service = await startEnrollmentService({ pki, ca, host: '127.0.0.1', port: 0, names: ['127.0.0.1'], logger: log.logger });
  });
  afterAll(async () => {
    await service.close();
    tmp.cleanup();
  });

  it('enrolls two nodes whose certificates then pass an mTLS handshake, identity read back exactly', async () => {
    const collectorDir = join(tmp.dir, 'collector');
    const sensorDir = join(tmp.dir, 'sensor');
    const c = await enrollNode({ url: service.url, token: await token('79', 'collector'), nodeId: '79', caPem: rootPem, dir: collectorDir });
    const s = await enrollNode({ url: service.url, token: await token('79/760/26734'), nodeId: 'chot://node/79/760/26734', caPem: rootPem, dir: sensorDir });
    expect(c).toMatchObject({ role: 'collector', nodeId: '79' });
    expect(s).toMatchObject({ role: 'sensor', nodeId: '79/760/26734' });
    // The key was made on the node and stays there, mode 0600; the CRLs came along.
    expect(statSync(nodeCredentialFiles(sensorDir).keyFile).mode & 0o777).toBe(0o600);
    expect(nodeCredentialFiles(sensorDir).crlFiles.map((f) => f.split('/').pop())).toEqual(['issuing-1.pem', 'root.pem']);

    const serverTls = await TlsContextManager.fromFiles(nodeCredentialFiles(collectorDir), { logger: log.logger });
    const clientTls = await TlsContextManager.fromFiles(nodeCredentialFiles(sensorDir), { logger: log.logger });
    const server = serverTls.createTlsServer({ roles: ['sensor'] }, (socket, id) => socket.end(JSON.stringify(id) + '\n'));
    await listen(server);
    const r = await handshake(portOf(server), clientTls.clientOptions({ roles: ['collector'], nodeId: '79' }));
    expect(JSON.parse(r.greeting!)).toEqual({ role: 'sensor', nodeId: '79/760/26734', serial: s.serial, notAfter: s.notAfter.toISOString() });
    server.close();
    serverTls.close();
    clientTls.close();

    const audit = pki.audit.verify();
    expect(audit.brokenAt).toBeUndefined();
    expect(audit.entries.filter((e) => e.action === 'token.use').map((e) => e.nodeId)).toEqual(['79', '79/760/26734']);
  });

  it('stores tokens hashed only', async () => {
    const t = await token('01/001');
    const secret = t.split('.')[2]!;
    expect(readFileSync(pki.paths.tokens, 'utf8')).not.toContain(secret);
    expect(readFileSync(pki.paths.audit, 'utf8')).not.toContain(secret);
    expect(log.lines.map((l) => JSON.stringify(l)).join('\n')).not.toContain(secret);
  });

  it('refuses a reused token, and one used by two requests at once succeeds only once', async () => {
    const t = await token('01/002');
    const dir = join(tmp.dir, 'reuse');
    await enrollNode({ url: service.url, token: t, nodeId: '01/002', caPem: rootPem, dir });
    await expect(enrollNode({ url: service.url, token: t, nodeId: '01/002', caPem: rootPem, dir })).rejects.toThrow(/403 token already used/);
    expect(refusals().at(-1)).toMatchObject({ status: 403, reason: expect.stringMatching(/^token already used/) });
    expect(pki.audit.verify().entries.at(-1)).toMatchObject({ action: 'enroll.refuse', reason: expect.stringMatching(/token already used/) });

    const raced = await token('01/003');
    const results = await Promise.all([0, 1, 2].map(() => post('/v1/enroll', JSON.stringify({ token: raced, csr: csrFor('01/003') }))));
    expect(results.map((r) => r.status).sort()).toEqual([201, 403, 403]);
  });

  it('refuses an expired token', async () => {
    const t = await token('01/004', 'sensor', 1);
    await new Promise((r) => setTimeout(r, 5));
    const r = await post('/v1/enroll', JSON.stringify({ token: t, csr: csrFor('01/004') }));
    expect(r).toEqual({ status: 403, body: { error: expect.stringMatching(/^token expired \(at /) } });
    expect(refusals().at(-1)).toMatchObject({ reason: expect.stringMatching(/^token expired/) });
  });

  it('refuses a CSR whose SAN differs from the token\'s node, without using up the token', async () => {
    const t = await token('01/005');
    const r = await post('/v1/enroll', JSON.stringify({ token: t, csr: csrFor('01/006') }));
    expect(r.status).toBe(403);
    expect(r.body.error).toBe('CSR SAN differs from the identity it may have: it asks for chot://node/01/006, allowed is exactly chot://node/01/005');
    expect(refusals().at(-1)).toMatchObject({ reason: expect.stringContaining('CSR SAN differs') });
    const ok = await post('/v1/enroll', JSON.stringify({ token: t, csr: csrFor('01/005') }));
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ nodeId: '01/005', role: 'sensor' });
  });

  it('answers a malformed CSR, bad JSON and unknown tokens with clear errors, and keeps serving', async () => {
    const t = await token('01/007');
    const malformed = await post('/v1/enroll', JSON.stringify({ token: t, csr: '-----BEGIN CERTIFICATE REQUEST-----\nMIIBaDCCAQ4CAQAwDTEL\n-----END CERTIFICATE REQUEST-----\n' }));
    expect(malformed.status).toBe(400);
    expect(malformed.body.error).toMatch(/^malformed CSR: /);
    expect(refusals().at(-1)).toMatchObject({ status: 400, reason: expect.stringMatching(/^malformed CSR/) });
    expect((await post('/v1/enroll', JSON.stringify({ token: t, csr: 'hello' }))).body.error).toBe('malformed CSR: expected a PEM "CERTIFICATE REQUEST" block');
    expect(await post('/v1/enroll', '{"token":')).toEqual({ status: 400, body: { error: 'request body is not a JSON object' } });
    expect((await post('/v1/enroll', 'x', 'text/plain')).status).toBe(415);
    expect((await post('/v1/enroll', JSON.stringify({ token: t }))).body.error).toBe('missing "csr" (a string)');
    expect((await post('/v1/enroll', JSON.stringify({ token: 'chot1.AAAAAAAAAAAA.' + 'A'.repeat(43), csr: csrFor('01/007') }))).body.error).toBe('token not valid');
    expect((await post('/v1/enroll', JSON.stringify({ token: 'guess', csr: csrFor('01/007') }))).status).toBe(400);
    expect((await post('/v1/enroll', 'x'.repeat(70_000))).status).toBe(413);
    // Still serving, and the token was not spent by any of that.
    const ok = await post('/v1/enroll', JSON.stringify({ token: t, csr: csrFor('01/007') }));
    expect(ok.status).toBe(201);
  });

  it('renews over mTLS for the same identity only, and refuses without a valid certificate', async () => {
    const dir = join(tmp.dir, 'renewing');
    const first = await enrollNode({ url: service.url, token: await token('02/024'), nodeId: '02/024', caPem: rootPem, dir });
    const firstGen = readlinkSync(join(dir, 'current'));
    const second = await renewNode({ url: service.url, dir });
    expect(second).toMatchObject({ role: 'sensor', nodeId: '02/024' });
    expect(second.serial).not.toBe(first.serial);
    expect(readlinkSync(join(dir, 'current'))).not.toBe(firstGen);
    expect(pki.store.get(second.serial)?.via).toBe('renew');
    expect(pki.audit.verify().entries.at(-1)).toMatchObject({ action: 'cert.renew', serial: second.serial, actor: expect.stringMatching(/^node:02\/024@/) });

    // No client certificate at all.
    const anonymous = await post('/v1/renew', JSON.stringify({ csr: csrFor('02/024') }));
    expect(anonymous).toEqual({ status: 401, body: { error: 'renewal needs a valid current certificate: no client certificate' } });

    // A valid certificate asking for another node's identity.
    const csrOther = csrFor('02/025');
    const creds = readCurrentPair(dir);
    const hijack = await new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
      const req = request(`${service.url}/v1/renew`, { method: 'POST', ca: rootPem, key: creds.key, cert: creds.cert, headers: { 'content-type': 'application/json' }, agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
      });
      req.on('error', reject);
      req.end(JSON.stringify({ csr: csrOther }));
    });
    expect(hijack.status).toBe(403);
    expect(hijack.body.error).toContain('CSR SAN differs');

    // Revoked: refused even before the service's TLS has the new CRL (the store says so)...
    await revoke(pki, '02/024', 'key-compromise', { actor: 'test', unlock: (n) => pki.unlock(n, PASSPHRASE) });
    await expect(renewNode({ url: service.url, dir })).rejects.toThrow(/40[13] /);
    // ...and by TLS once it has.
    await service.tls.reload();
    await expect(renewNode({ url: service.url, dir })).rejects.toThrow(/401 renewal needs a valid current certificate: certificate revoked/);
  });

  it('schedules renewal at 2/3 of the lifetime with at most 5% jitter', () => {
    const nb = new Date('2025-01-01T00:00:00Z');
    const na = new Date(nb.getTime() + 14 * 24 * HOUR);
    const life = na.getTime() - nb.getTime();
    expect(renewalTime(nb, na, () => 0.5).getTime()).toBe(nb.getTime() + (2 * life) / 3);
    expect(renewalTime(nb, na, () => 0).getTime()).toBe(nb.getTime() + (2 * life) / 3 - 0.05 * life);
    expect(renewalTime(nb, na, () => 0.999999).getTime()).toBeLessThan(nb.getTime() + (2 * life) / 3 + 0.05 * life);
  });

  it('renews by itself when due, and reports an expired certificate for re-enrollment', async () => {
    const dir = join(tmp.dir, 'scheduled');
    const now = Date.now();
    // A certificate with 3 s of life left: due at 2/3 of its 4.5 s, i.e. in about 2 s.
    const short = await issueNode(pki, ca, '03/040', 'enforcer', { notBefore: new Date(now - 1500), notAfter: new Date(now + 3000) });
    writeTrustAnchor(dir, rootPem);
    installCredentials(dir, { serial: short.serial, keyPem: short.keyPem, chainPem: short.chainPem });
    const scheduler = new RenewalScheduler({ url: service.url, dir, logger: log.logger, random: () => 0.5, minRetryMs: 200 });
    const renewed = new Promise<{ serial: string; role: string }>((resolve) => scheduler.once('renewed', resolve));
    scheduler.start();
    const r = await renewed;
    scheduler.stop();
    expect(r.role).toBe('enforcer');
    expect(r.serial).not.toBe(short.serial);

    const deadDir = join(tmp.dir, 'dead');
    const dead = await issueNode(pki, ca, '03/041', 'sensor', { notBefore: new Date(now - 2 * HOUR), notAfter: new Date(now - HOUR) });
    writeTrustAnchor(deadDir, rootPem);
    installCredentials(deadDir, { serial: dead.serial, keyPem: dead.keyPem, chainPem: dead.chainPem });
    const s2 = new RenewalScheduler({ url: service.url, dir: deadDir, logger: log.logger });
    const expired = new Promise((resolve) => s2.once('expired', resolve));
    s2.start();
    await expired;
    expect(log.lines.some((l) => l.event === 'renewal.expired')).toBe(true);
  });

  it('serves the CA certificate and CRLs, and re-signs its CRL on schedule', async () => {
    const before = pki.store.revokedUnexpired('issuing-1', new Date()).length;
    await service.publishCrl();
    const crls = await new Promise<Record<string, unknown>>((resolve, reject) => {
      request(`${service.url}/v1/crls`, { ca: rootPem, agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => resolve(JSON.parse(text) as Record<string, unknown>));
      })
        .on('error', reject)
        .end();
    });
    expect((crls.crls as { ca: string }[]).map((c) => c.ca)).toEqual(['root', 'issuing-1']);
    expect(service.tls.crlStatus().find((c) => c.issuer.includes('issuing-1'))?.revoked.size).toBe(before);
  });
});

function readCurrentPair(dir: string): { key: string; cert: string } {
  const f = nodeCredentialFiles(dir);
  return { key: readFileSync(f.keyFile, 'utf8'), cert: readFileSync(f.certFile, 'utf8') };
}

describe('enrollment: an address refused too often', () => {
  const tmp = tempDir('enroll-limit');
  const log = captureLogger();
  let pki: Pki;
  let service: EnrollmentService;
  let rootPem: string;

  const call = (method: string, path: string, body?: string) => requestJson(service.url, rootPem, method, path, body);

  beforeAll(async () => {
    let ca: CertificateAuthority;
    ({ pki, ca } = await makePki(join(tmp.dir, 'pki')));
    rootPem = pki.certPem('root');
    // Three refusals at once, one earned back a second.
    service = await startEnrollmentService({ pki, ca, host: '127.0.0.1', port: 0, names: ['127.0.0.1'], logger: log.logger, refusalLimit: { burst: 3, perMinute: 60 } });
  });
  afterAll(async () => {
    await service.close();
    tmp.cleanup();
  });

  it('answers 429 with Retry-After once its refusals are spent (parallel requests included), unaudited; successes cost nothing', async () => {
    const [first, good, other] = await mintTokens(pki, [{ nodeId: '02/001', role: 'sensor' }, { nodeId: '02/002', role: 'sensor' }, { nodeId: '02/003', role: 'sensor' }], { ttlMs: HOUR, actor: 'test' });
    // A success first: it must not count against the address.
    expect((await call('POST', '/v1/enroll', JSON.stringify({ token: first!.token, csr: csrFor('02/001') }))).status).toBe(201);

    // The right token id with a wrong secret: refused, and audited (the id names a real token). Six at once.
    const wrong = `chot1.${other!.id}.${'A'.repeat(43)}`;
    const audited = (): number => pki.audit.verify().entries.filter((e) => e.action === 'enroll.refuse').length;
    const before = audited();
    const parallel = await Promise.all([0, 1, 2, 3, 4, 5].map(() => call('POST', '/v1/enroll', JSON.stringify({ token: wrong, csr: csrFor('02/003') }))));
    expect(parallel.map((r) => r.status).sort()).toEqual([403, 403, 403, 429, 429, 429]);
    expect(audited() - before).toBe(3);

    // Renewal is held back too; even a good token waits; the CA certificate and the CRLs do not.
    expect((await call('POST', '/v1/renew', JSON.stringify({ csr: csrFor('02/001') }))).status).toBe(429);
    const throttled = await call('POST', '/v1/enroll', JSON.stringify({ token: good!.token, csr: csrFor('02/002') }));
    expect(throttled.status).toBe(429);
    expect(Number(throttled.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(throttled.body.error).toMatch(/^too many refused requests from this address: retry in \d+ s$/);
    expect((await call('GET', '/v1/ca')).status).toBe(200);
    expect((await call('GET', '/v1/crls')).status).toBe(200);
    expect(log.lines.filter((l) => l.event === 'enroll.throttling')).toHaveLength(1);

    await new Promise((r) => setTimeout(r, Number(throttled.retryAfter) * 1000 + 100));
    const served = await call('POST', '/v1/enroll', JSON.stringify({ token: good!.token, csr: csrFor('02/002') }));
    expect(served.status).toBe(201);
    expect(served.body.nodeId).toBe('02/002');
  });
});


import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../common/process.js';
import type { CertificateAuthority } from '../../certs/ca/authority.js';
import { addIssuingCa } from '../../certs/ca/init.js';
import { IssuanceRefused, signNodeCertificate } from '../../certs/ca/issue.js';
import { loadEncryptedPrivateKey } from '../../certs/ca/keys.js';
import { nodeUri } from '../../certs/node-id.js';
import type { Pki } from '../../certs/pki.js';
import { parseCrl } from '../../certs/revoke/crl.js';
import { normalizeReason } from '../../certs/revoke/reasons.js';
import { revoke } from '../../certs/revoke/revoke.js';
import { roleOid } from '../../certs/roles.js';
import { buildCsr, CsrError, parseCsr } from '../../certs/x509/csr.js';
import { decodeOid, encodeOid, CHOT_ARC } from '../../certs/x509/oid.js';
import { fromPem, toPem } from '../../certs/x509/pem.js';
import { issueNode, makePki, PASSPHRASE, ROOT_PASSPHRASE, tempDir } from './fixtures.js';

const openssl = async (args: string[], input?: string): Promise<{ code: number | null; out: string }> => {
  const r = await runCommand('openssl', args, { ...(input !== undefined ? { input } : {}) });
  return { code: r.code, out: r.stdout + r.stderr };
};

describe('the CA hierarchy and certificates, checked by openssl', () => {
  const tmp = tempDir('x509');
  let pki: Pki;
  let ca: CertificateAuthority;
  let rootFile: string;
  let issuingFile: string;
  let crlArgs: string[];

  beforeAll(async () => {
    ({ pki, ca } = await makePki(join(tmp.dir, 'pki')));
    rootFile = pki.paths.root.cert;
    issuingFile = pki.paths.issuing('issuing-1').cert;
    crlArgs = ['-crl_check_all', '-CRLfile', pki.paths.root.crl, '-CRLfile', pki.paths.issuing('issuing-1').crl];
  });
  afterAll(() => tmp.cleanup());

  it('keeps CA keys encrypted (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC) in mode 0600 files', async () => {
    for (const key of [pki.paths.root.key, pki.paths.issuing('issuing-1').key]) {
      expect(statSync(key).mode & 0o777).toBe(0o600);
      const pem = readFileSync(key, 'utf8');
      expect(pem).toContain('-----BEGIN ENCRYPTED PRIVATE KEY-----');
      const parsed = await openssl(['asn1parse'], pem);
      expect(parsed.out).toMatch(/PBES2[\s\S]*PBKDF2[\s\S]*hmacWithSHA256[\s\S]*aes-256-cbc/);
      expect(parsed.out).not.toMatch(/hmacWithSHA1\b|sha1/i);
    }
    for (const f of [pki.paths.issued, pki.paths.tokens, pki.paths.audit, pki.paths.config]) {
      if (statSync(f, { throwIfNoEntry: false })) expect(statSync(f).mode & 0o777, f).toBe(0o600);
    }
    expect(statSync(pki.paths.dir).mode & 0o777).toBe(0o700);
  });

  it('refuses a wrong passphrase with a clear error that does not echo it', () => {
    const file = pki.paths.issuing('issuing-1').key;
    expect(() => loadEncryptedPrivateKey(readFileSync(file, 'utf8'), 'not the passphrase', file)).toThrow(/wrong passphrase, or the file is damaged/);
    try {
      loadEncryptedPrivateKey(readFileSync(file, 'utf8'), 'not the passphrase', file);
    } catch (err) {
      expect((err as Error).message).not.toContain('not the passphrase');
    }
  });

  it('builds a root and an issuing CA with the right constraints, and openssl verifies the chain', async () => {
    const root = await openssl(['x509', '-in', rootFile, '-noout', '-text']);
    expect(root.out).toMatch(/Basic Constraints: critical\s+CA:TRUE, pathlen:1/);
    expect(root.out).toMatch(/Key Usage: critical\s+Certificate Sign, CRL Sign/);
    expect(root.out).toContain('ecdsa-with-SHA384');
    const issuing = await openssl(['x509', '-in', issuingFile, '-noout', '-text']);
    expect(issuing.out).toMatch(/Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
    expect(issuing.out).toContain('URI:http://pki.test/crl/root.crl');
    expect(issuing.out).toContain('Issuer: O = Ch\\E1\\BB\\91t test, CN = Ch\\E1\\BB\\91t test Root CA');
    const verify = await openssl(['verify', '-CAfile', rootFile, ...crlArgs.slice(0, 3), issuingFile]);
    expect(verify.out).toContain(': OK');
  });

  it('issues a node certificate that openssl verifies for TLS client and server use, with identity extensions', async () => {
    const node = await issueNode(pki, ca, '01/001/00001', 'sensor');
    const file = join(tmp.dir, 'sensor.pem');
    writeFileSync(file, node.pem);
    const text = (await openssl(['x509', '-in', file, '-noout', '-text'])).out;
    expect(text).toContain('Signature Algorithm: ecdsa-with-SHA256');
    expect(text).toMatch(/Basic Constraints: critical\s+CA:FALSE/);
    expect(text).toMatch(/Key Usage: critical\s+Digital Signature\n/);
    expect(text).toContain(`TLS Web Server Authentication, TLS Web Client Authentication, ${roleOid('sensor')}`);
    expect(text).toContain('URI:chot://node/01/001/00001');
    expect(text).toContain('URI:http://pki.test/crl/issuing-1.crl');
    expect(text).toContain('Subject: O = Ch\\E1\\BB\\91t test, OU = sensor, CN = 01/001/00001');
    expect(text).toMatch(/Subject Key Identifier/);
    expect(text).toMatch(/Authority Key Identifier/);
    expect(text).toMatch(/Serial Number:\s+\n?\s*[0-9a-f:]{47}/);
    expect(text).not.toMatch(/sha1/i);
    for (const purpose of ['sslclient', 'sslserver']) {
      const v = await openssl(['verify', '-CAfile', rootFile, '-untrusted', issuingFile, ...crlArgs, '-purpose', purpose, file]);
      expect(v.out, purpose).toContain(': OK');
    }
    // 1 minute backdated; 14 days of life.
    const life = node.notAfter.getTime() - node.notBefore.getTime();
    expect(life).toBe(14 * 86_400_000 + 60_000);
    expect(node.serial).toMatch(/^[4-7][0-9A-F]{31}$/);
  });

  it('gives an operator certificate clientAuth only', async () => {
    const op = await issueNode(pki, ca, '01', 'operator');
    const file = join(tmp.dir, 'operator.pem');
    writeFileSync(file, op.pem);
    expect((await openssl(['verify', '-CAfile', rootFile, '-untrusted', issuingFile, '-purpose', 'sslclient', file])).out).toContain(': OK');
    expect((await openssl(['verify', '-CAfile', rootFile, '-untrusted', issuingFile, '-purpose', 'sslserver', file])).out).toContain('unsuitable certificate purpose');
  });

  it('issues for RSA-3072 keys with sha256WithRSAEncryption and keyEncipherment', async () => {
    const kp = generateKeyPairSync('rsa', { modulusLength: 3072 });
    const csr = buildCsr({ ...kp, subject: [{ type: 'CN', value: '02' }], uris: [nodeUri('02')] });
    const cert = signNodeCertificate(pki, ca, { csr, nodeId: '02', role: 'collector' });
    const file = join(tmp.dir, 'rsa.pem');
    writeFileSync(file, cert.pem);
    const text = (await openssl(['x509', '-in', file, '-noout', '-text'])).out;
    expect(text).toContain('Public-Key: (3072 bit)');
    expect(text).toMatch(/Key Usage: critical\s+Digital Signature, Key Encipherment/);
    // Signed by the P-256 issuing CA, so the certificate signature itself is ECDSA.
    expect(text).toContain('Signature Algorithm: ecdsa-with-SHA256');
    expect((await openssl(['verify', '-CAfile', rootFile, '-untrusted', issuingFile, file])).out).toContain(': OK');
    // The node's CSR was signed with its RSA key: sha256WithRSAEncryption.
    const req = await openssl(['req', '-noout', '-text', '-verify'], toPem('CERTIFICATE REQUEST', csr));
    expect(req.out).toMatch(/verify OK/i);
    expect(req.out).toContain('sha256WithRSAEncryption');
  });

  it('builds CSRs openssl verifies, and accepts openssl-made CSRs', async () => {
    const kp = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const csr = buildCsr({ ...kp, subject: [{ type: 'CN', value: '03' }], uris: [nodeUri('03')] });
    const ours = await openssl(['req', '-noout', '-text', '-verify'], toPem('CERTIFICATE REQUEST', csr));
    expect(ours.out).toMatch(/verify OK/i);
    expect(ours.out).toContain('URI:chot://node/03');

    const keyFile = join(tmp.dir, 'ossl.key');
    const csrFile = join(tmp.dir, 'ossl.csr');
    const made = await runCommand('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', csrFile, '-subj', '/CN=04', '-addext', 'subjectAltName=URI:chot://node/04']);
    expect(made.code).toBe(0);
    const der = fromPem(readFileSync(csrFile, 'utf8'), 'CERTIFICATE REQUEST')[0]!;
    const cert = signNodeCertificate(pki, ca, { csr: der, nodeId: '04', role: 'enforcer' });
    expect(cert.nodeId).toBe('04');
    // ...but not for another node than the one it names.
    expect(() => signNodeCertificate(pki, ca, { csr: der, nodeId: '05', role: 'enforcer' })).toThrow(IssuanceRefused);
  });

  it('refuses CSRs signed with SHA-1, with weak keys, with extra names, or malformed', async () => {
    const sha1Key = join(tmp.dir, 'sha1.key');
    const sha1Csr = join(tmp.dir, 'sha1.csr');
    await runCommand('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-sha1', '-keyout', sha1Key, '-out', sha1Csr, '-subj', '/CN=05', '-addext', 'subjectAltName=URI:chot://node/05']);
    const sha1 = fromPem(readFileSync(sha1Csr, 'utf8'), 'CERTIFICATE REQUEST')[0]!;
    expect(() => parseCsr(sha1)).toThrow(/signature algorithm 1\.2\.840\.10045\.4\.1 is not allowed/);

    const weak = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const weakCsr = buildCsr({ ...weak, subject: [{ type: 'CN', value: '05' }], uris: [nodeUri('05')] });
    expect(() => signNodeCertificate(pki, ca, { csr: weakCsr, nodeId: '05', role: 'sensor' })).toThrow(/RSA-2048 is not allowed/);

    const kp = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const two = buildCsr({ ...kp, subject: [{ type: 'CN', value: '05' }], uris: [nodeUri('05'), nodeUri('06')] });
    expect(() => signNodeCertificate(pki, ca, { csr: two, nodeId: '05', role: 'sensor' })).toThrow(/CSR SAN differs/);

    const good = buildCsr({ ...kp, subject: [{ type: 'CN', value: '05' }], uris: [nodeUri('05')] });
    const tampered = Buffer.from(good);
    tampered[tampered.length - 5]! ^= 0xff;
    expect(() => parseCsr(tampered)).toThrow(/does not verify/);
    expect(() => parseCsr(Buffer.from('not a CSR at all'))).toThrow(CsrError);
    expect(() => parseCsr(good.subarray(0, 40))).toThrow(/malformed CSR/);
  });

  it('revokes: the CRL lists the serial with its reason, and openssl refuses the certificate', async () => {
    const victim = await issueNode(pki, ca, '01/002', 'sensor');
    const outcome = await revoke(pki, victim.serial, 'key-compromise', { actor: 'test', unlock: (n) => pki.unlock(n, PASSPHRASE) });
    expect(outcome.revoked.map((e) => e.serial)).toEqual([victim.serial]);
    const crlText = (await openssl(['crl', '-in', pki.paths.issuing('issuing-1').crl, '-noout', '-text', '-CAfile', issuingFile])).out;
    expect(crlText).toMatch(/verify OK/);
    expect(crlText).toContain(`Serial Number: ${victim.serial}`);
    expect(crlText).toContain('Key Compromise');
    expect(crlText).toMatch(/CRL Number:\s+2/);
    const parsed = parseCrl(fromPem(readFileSync(pki.paths.issuing('issuing-1').crl, 'utf8'), 'X509 CRL')[0]!);
    expect(parsed.nextUpdate.getTime() - Date.now()).toBeGreaterThan(7 * 86_400_000 - 120_000);
    expect(parsed.revoked.get(victim.serial)?.reason).toBe('key-compromise');
    const file = join(tmp.dir, 'victim.pem');
    writeFileSync(file, victim.pem);
    expect((await openssl(['verify', '-CAfile', rootFile, '-untrusted', issuingFile, ...crlArgs, file])).out).toContain('certificate revoked');
  });

  it('adds a second issuing CA under the same root', async () => {
    const more = await addIssuingCa(pki.paths.dir, { name: 'region-north', passphrase: 'north passphrase 123', rootPassphrase: ROOT_PASSPHRASE, actor: 'test' });
    expect(more.config.issuing).toEqual(['issuing-1', 'region-north']);
    const north = more.unlock('region-north', 'north passphrase 123');
    const node = await issueNode(more, north, '79/760', 'collector');
    const file = join(tmp.dir, 'north.pem');
    writeFileSync(file, node.pem);
    const v = await openssl(['verify', '-CAfile', rootFile, '-untrusted', more.paths.issuing('region-north').cert, '-crl_check_all', '-CRLfile', more.paths.root.crl, '-CRLfile', more.paths.issuing('region-north').crl, file]);
    expect(v.out).toContain(': OK');
    await expect(addIssuingCa(pki.paths.dir, { name: 'region-south', passphrase: 'south passphrase 123', rootPassphrase: 'wrong root passphrase', actor: 'test' })).rejects.toThrow(/wrong passphrase/);
  });

  it('encodes OIDs with arcs beyond 2^53 exactly (Chốt\'s UUID arc)', () => {
    for (const oid of [CHOT_ARC, roleOid('console'), '1.2.840.10045.4.3.2', '2.5.29.17', '0.9.2342.19200300.100.1.1']) {
      expect(decodeOid(encodeOid(oid))).toBe(oid);
    }
    expect(() => encodeOid('1.40.1')).toThrow();
    expect(() => decodeOid('\x80\x01')).toThrow(/minimally/);
  });

  it('takes revocation reasons by CLI name or RFC 5280 name', () => {
    expect(normalizeReason('key-compromise')).toBe('key-compromise');
    expect(normalizeReason('keyCompromise')).toBe('key-compromise');
    expect(normalizeReason('certificateHold')).toBeUndefined();
  });
});

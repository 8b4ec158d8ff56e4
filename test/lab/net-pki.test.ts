import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import { afterAll, describe, expect, it } from 'vitest';
import { createLabPki } from '../../lab/net/pki.js';

const dir = mkdtempSync(join(tmpdir(), 'chot-lab-pki-'));
const files = createLabPki(join(dir, 'pki'), { labName: 'chott', serverIps: ['198.18.0.10', 'fd00:c407::10'], serverDnsNames: ['population.chott.lab'] });
const cert = (path: string): X509Certificate => new X509Certificate(readFileSync(path));

describe('the lab PKI', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('chains the service and client certificates to the lab CA', () => {
    const ca = cert(files.caCert);
    expect(ca.ca).toBe(true);
    expect(ca.verify(ca.publicKey)).toBe(true);
    for (const leaf of [files.serverCert, files.clientCert]) {
      const c = cert(leaf);
      expect(c.ca, leaf).toBe(false);
      expect(c.checkIssued(ca), leaf).toBe(true);
      expect(c.verify(ca.publicKey), leaf).toBe(true);
    }
  });

  it('signs with SHA-256 RSA-2048 keys, never SHA-1', () => {
    for (const path of [files.caCert, files.serverCert, files.clientCert]) {
      const parsed = forge.pki.certificateFromPem(readFileSync(path, 'utf8'));
      expect(forge.pki.oids[parsed.signatureOid], path).toBe('sha256WithRSAEncryption');
    }
    for (const path of [files.caKey, files.serverKey, files.clientKey]) {
      expect(createPrivateKey(readFileSync(path)).asymmetricKeyDetails?.modulusLength, path).toBe(2048);
    }
  });

  it('names the service by its addresses and limits each certificate to its role', () => {
    const server = cert(files.serverCert);
    expect(server.subjectAltName).toBe('IP Address:198.18.0.10, IP Address:FD00:C407:0:0:0:0:0:10, DNS:population.chott.lab');
    expect(server.checkIP('198.18.0.10')).toBe('198.18.0.10');
    expect(server.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(cert(files.clientCert).keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(cert(files.caCert).subject).toContain('CN=Chốt lab CA (chott)');
  });

  it('keeps private keys readable by their owner only', () => {
    for (const key of [files.caKey, files.serverKey, files.clientKey]) expect(statSync(key).mode & 0o777, key).toBe(0o600);
    expect(statSync(join(dir, 'pki')).mode & 0o777).toBe(0o700);
  });
});

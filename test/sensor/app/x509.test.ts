// The DER certificate reader against node:crypto's X509Certificate (OpenSSL),
// over certificates of several shapes, and timed against it.

import { X509Certificate } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { hostMatchesCert, parseCertificate } from '../../../sensor/app/tls/x509.js';
import type { X509Info } from '../../../sensor/app/tls/types.js';
import { Weirds } from './helpers.js';
import { pemToDer, selfSigned } from './pki.js';

const certs: Record<string, string> = {};
beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'chot-x509-'));
  certs.rsa = selfSigned(dir, 'rsa', [
    '-newkey', 'rsa:2048', '-subj', '/C=VN/ST=Ha Noi/L=Ba Dinh/O=Example, Inc./OU=Ops/CN=www.example.vn/emailAddress=ops@example.vn',
    '-addext', 'subjectAltName=DNS:www.example.vn,DNS:example.vn,IP:10.1.2.3,IP:2001:db8::7,email:a@example.vn,URI:https://example.vn/x',
    '-addext', 'basicConstraints=CA:FALSE',
  ]);
  certs.ec384 = selfSigned(dir, 'ec384', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:secp384r1', '-subj', '/CN=ec.example/O=EC', '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:2']);
  certs.ed25519 = selfSigned(dir, 'ed', ['-newkey', 'ed25519', '-subj', '/CN=ed.example']);
  certs.utf8 = selfSigned(dir, 'utf8', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-utf8', '-subj', '/C=VN/O=Bộ Công an/CN=Cục Kỹ thuật']);
});

function parse(pem: string): X509Info {
  const w = new Weirds();
  const der = pemToDer(pem);
  const info = parseCertificate(der, 0, der.length, w);
  expect(w.names).toEqual([]);
  return info!;
}

/** Node prints names in DER order, one attribute per line, RFC 2253 escapes; ours run the other way. */
const rfc4514 = (nodeName: string): string => nodeName.split('\n').reverse().join(',');

describe('X.509 reading', () => {
  it('agrees with X509Certificate on every logged field', () => {
    for (const [name, pem] of Object.entries(certs)) {
      const x = new X509Certificate(pem);
      const info = parse(pem);
      expect(info.sha256, name).toBe(x.fingerprint256.replace(/:/g, '').toLowerCase());
      expect(info.subject, name).toBe(rfc4514(x.subject));
      expect(info.issuer, name).toBe(rfc4514(x.issuer));
      expect(info.notBefore, name).toBe(Date.parse(x.validFrom));
      expect(info.notAfter, name).toBe(Date.parse(x.validTo));
      expect(info.serial, name).toBe(x.serialNumber.toUpperCase().replace(/^(00)+(?=.)/, ''));
      expect(info.version, name).toBe(3);
    }
  });

  it('reads keys, alternative names and constraints', () => {
    expect(parse(certs.rsa!)).toMatchObject({
      keyType: 'rsa',
      keyAlg: 'rsaEncryption',
      keyLength: 2048,
      sigAlg: 'sha256WithRSAEncryption',
      subjectCN: 'www.example.vn',
      subject: 'emailAddress=ops@example.vn,CN=www.example.vn,OU=Ops,O=Example\\, Inc.,L=Ba Dinh,ST=Ha Noi,C=VN',
      sanDns: ['www.example.vn', 'example.vn'],
      sanIp: ['10.1.2.3', '2001:db8::7'],
      sanEmail: ['a@example.vn'],
      sanUri: ['https://example.vn/x'],
      ca: false,
    });
    expect(parse(certs.ec384!)).toMatchObject({ keyType: 'ec', curve: 'secp384r1', keyLength: 384, sigAlg: 'ecdsa-with-SHA256', ca: true, pathLen: 2 });
    expect(parse(certs.ed25519!)).toMatchObject({ keyType: 'ed25519', keyAlg: 'ED25519', sigAlg: 'ED25519' });
    expect(parse(certs.utf8!)).toMatchObject({ subject: 'CN=Cục Kỹ thuật,O=Bộ Công an,C=VN', subjectCN: 'Cục Kỹ thuật' });
  });

  it('matches host names as RFC 6125 allows', () => {
    const c = parse(certs.rsa!);
    expect(hostMatchesCert('WWW.example.vn', c)).toBe(true);
    expect(hostMatchesCert('other.example.vn', c)).toBe(false);
    const wild = { ...c, sanDns: ['*.example.vn'] };
    expect(hostMatchesCert('a.example.vn', wild)).toBe(true);
    expect(hostMatchesCert('a.b.example.vn', wild)).toBe(false);
    expect(hostMatchesCert('example.vn', wild)).toBe(false);
    expect(hostMatchesCert('ed.example', parse(certs.ed25519!))).toBe(true); // no SAN: the CN counts
  });

  it('never throws on a certificate cut or corrupted anywhere', () => {
    const der = pemToDer(certs.rsa!);
    const w = new Weirds();
    for (let cut = 0; cut < der.length; cut++) expect(() => parseCertificate(der, 0, cut, w)).not.toThrow();
    for (let i = 0; i < der.length; i++) {
      const bad = der.slice();
      bad[i] ^= 0xff;
      expect(() => parseCertificate(bad, 0, bad.length, w)).not.toThrow();
    }
  });

});

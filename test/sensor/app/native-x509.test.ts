/**
 * Certificates decoded natively (native/x509.c, which the native TLS analyzer tries before
 * asking JavaScript) against decodeForNative (sensor/app/tls/native-certs.ts, through
 * x509.ts), the reference: whenever the native decoder answers, its subject, issuer,
 * x509.log columns and host names are exactly JavaScript's, and it never answers for a
 * certificate JavaScript would not decode without a weird. What it leaves to JavaScript
 * is listed, and both paths are taken many times by mutated certificates.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { appAnalyzersAddon } from '../../../sensor/app/native.js';
import { decodeForNative } from '../../../sensor/app/tls/native-certs.js';
import { basicConstraints, certDer, CN, der, extension, name, oidBytes, sanExt, tlv, type CertSpec } from './der-builder.js';
import { mutate, rng } from './helpers.js';
import { makePki, pemToDer, selfSigned } from './pki.js';

const loaded = appAnalyzersAddon();
const addon = 'addon' in loaded ? loaded.addon : undefined;

/** Both decoders on one certificate: whether the native one answered (and then, that it answered as JavaScript). */
function same(d: Uint8Array, why = ''): boolean {
  const native = addon!.x509Decode(d);
  if (native === null) return false;
  const js = decodeForNative(d);
  expect(js, `${why}: the native decoder answered where JavaScript does not`).toBeDefined();
  expect(native, why).toEqual(js);
  return true;
}

const openssl: Record<string, Uint8Array> = {};
beforeAll(() => {
  const pki = makePki();
  openssl.server = pemToDer(pki.serverCert);
  openssl.client = pemToDer(pki.clientCert);
  openssl.ca = pemToDer(pki.caCert);
  const dir = pki.dir;
  const pem = (n: string, args: string[]): Uint8Array => pemToDer(selfSigned(dir, n, args));
  openssl.rsa = pem('rsa', ['-newkey', 'rsa:2048', '-subj', '/C=VN/ST=Ha Noi/O=Example, Inc./OU=Ops+CN=www.example.vn/emailAddress=ops@example.vn', '-addext', 'subjectAltName=DNS:www.example.vn,DNS:Example.VN.,IP:10.1.2.3,email:a@example.vn,URI:https://example.vn/x']);
  openssl.rsaIpv6 = pem('rsa6', ['-newkey', 'rsa:2048', '-subj', '/CN=v6.example', '-addext', 'subjectAltName=DNS:v6.example,IP:2001:db8::7']);
  openssl.ec384 = pem('ec384', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:secp384r1', '-subj', '/CN=ec.example/O=EC', '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:2']);
  openssl.ed25519 = pem('ed', ['-newkey', 'ed25519', '-subj', '/CN=ed.example']);
  openssl.ed448 = pem('ed448', ['-newkey', 'ed448', '-subj', '/CN=ed448.example']);
  openssl.utf8 = pem('utf8', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-utf8', '-subj', '/C=VN/O=Bộ Công an/CN=Cục Kỹ thuật']);
}, 60_000);

describe('certificates decoded natively', () => {
  it('as JavaScript decodes them: certificates openssl made (RSA, EC, EdDSA, UTF-8 names, multi-valued RDNs, every kind of alternative name)', () => {
    expect(loaded).toHaveProperty('addon');
    for (const [n, d] of Object.entries(openssl)) {
      if (n === 'rsaIpv6') expect(same(d, n), 'an IPv6 alternative name is left to JavaScript').toBe(false);
      else expect(same(d, n), n).toBe(true);
    }
  });

  it('names: escapes, control characters, Latin-1 and UTF-8 text, attributes without a short name, values that are not strings, empty names', () => {
    const kept: Array<[string, CertSpec]> = [
      ['specials', { subject: name([CN('a,b+c"d\\e<f>g;h'), [['2.5.4.10', 0x13, '#lead'], ['2.5.4.11', 0x13, ' both ']]]) }],
      ['controls', { subject: name([CN('tab\there\x01\x7f'), [['2.5.4.7', 0x16, 'nul\x00byte']]]) }],
      ['latin1', { subject: name([[['2.5.4.3', 0x14, [0x54, 0xe9, 0x6c, 0xe9, 0x63, 0x6f, 0x6d]]], [['2.5.4.6', 0x13, [0x56, 0xff]]]]) }],
      ['utf8', { subject: name([CN('Công an tỉnh Hà Giang 🛡')]) }],
      ['unknown type', { subject: name([[['1.2.3.4.5.6789012345', 0x0c, 'x']], [['2.5.4.99', 0x13, 'y']]]) }],
      ['not a string', { subject: name([[['2.5.4.5', 0x02, [1, 2, 3]]], CN('after')]) }],
      ['several CNs', { subject: name([CN('first.example'), CN('second.example')]) }],
      ['empty', { subject: name([]), issuer: name([]) }],
      ['empty value', { subject: name([CN('')]) }],
      ['every short name', { subject: name(['2.5.4.3', '2.5.4.4', '2.5.4.5', '2.5.4.6', '2.5.4.7', '2.5.4.8', '2.5.4.9', '2.5.4.10', '2.5.4.11', '2.5.4.12', '2.5.4.13', '2.5.4.15', '2.5.4.17', '2.5.4.42', '2.5.4.43', '2.5.4.44', '2.5.4.46', '2.5.4.65', '2.5.4.97', '1.2.840.113549.1.9.1', '0.9.2342.19200300.100.1.25', '0.9.2342.19200300.100.1.1', '1.3.6.1.4.1.311.60.2.1.1', '1.3.6.1.4.1.311.60.2.1.2', '1.3.6.1.4.1.311.60.2.1.3'].map((o) => [[o, 0x13, 'v']])) }],
      ['value escaped into the log', { subject: name([CN('-')]), issuer: name([CN('(empty)')]) }],
      ['at the length limit', { subject: name([CN('x'.repeat(1021))]) }],
    ];
    for (const [why, spec] of kept) expect(same(certDer(spec), why), why).toBe(true);
    const left: Array<[string, CertSpec]> = [
      ['BMP string', { subject: name([CN('bmp', 0x1e)]) }],
      ['universal string', { subject: name([[['2.5.4.3', 0x1c, [0, 0, 0, 0x41]]]]) }],
      ['UTF-8 that is not', { subject: name([[['2.5.4.3', 0x0c, [0x61, 0xc3, 0x28]]]]) }],
      ['over the length limit (a weird)', { subject: name([CN('x'.repeat(1022))]) }],
      ['an RDN that is not a SET', { subject: tlv(0x30, tlv(0x30, [...oidBytes('2.5.4.3'), ...tlv(0x0c, [0x61])])) }],
    ];
    for (const [why, spec] of left) expect(same(certDer(spec), why), why).toBe(false);
  });

  it('times: UTCTime with and without seconds, GeneralizedTime with fractions, fields that roll over, years 1950 to 9999', () => {
    const times: Array<[number, string]> = [
      [0x17, '250101000000Z'], [0x17, '2501010000Z'], [0x17, '491231235959Z'], [0x17, '500101000000Z'], [0x17, '691231235959Z'],
      [0x18, '20250101000000Z'], [0x18, '20250101000000.123Z'], [0x18, '99991231235959Z'], [0x18, '01000101000000Z'], [0x18, '19691231235959.9Z'],
      [0x17, '251301000000Z'], [0x17, '250000000000Z'], [0x17, '250132250000Z'], [0x17, '259999999999Z'], [0x18, '20240229000000Z'], [0x18, '21000229000000Z'],
    ];
    for (const t of times) for (const u of [t, [0x18, '99991231235959Z'] as [number, string]]) expect(same(certDer({ notBefore: t, notAfter: u }), t[1]), t[1]).toBe(true);
    for (const bad of [[0x17, '2501010000000Z'], [0x17, '25010100000Z'], [0x18, '0099010100000Z'], [0x18, '00990101000000Z'], [0x18, '20250101000000.Z'], [0x17, '25010100000+Z'], [0x13, '250101000000Z'], [0x18, '2025010100000000000000000000000Z']] as Array<[number, string]>)
      expect(same(certDer({ notBefore: bad }), bad[1]), bad[1]).toBe(false);
  });

  it('keys, algorithms, serials, versions, constraints, alternative names and extensions', () => {
    const rsaSpki = (modulus: number[]): number[] => tlv(0x30, [...tlv(0x30, [...oidBytes('1.2.840.113549.1.1.1'), 0x05, 0x00]), ...tlv(0x03, [0, ...tlv(0x30, [...tlv(0x02, modulus), ...tlv(0x02, [1, 0, 1])])])]);
    const ecSpki = (curve: string): number[] => tlv(0x30, [...tlv(0x30, [...oidBytes('1.2.840.10045.2.1'), ...oidBytes(curve)]), ...tlv(0x03, [0, 4, 1, 2])]);
    const dsaSpki = tlv(0x30, [...tlv(0x30, [...oidBytes('1.2.840.10040.4.1'), ...tlv(0x30, [...tlv(0x02, [0x00, 0xc0, ...new Array(127).fill(1)]), ...tlv(0x02, [1]), ...tlv(0x02, [2])])]), ...tlv(0x03, [0, 1])]);
    const kept: Array<[string, CertSpec]> = [
      ['rsa 2048', { spki: rsaSpki([0x00, 0xc1, ...new Array(255).fill(3)]) }],
      ['rsa odd bits', { spki: rsaSpki([0x01, ...new Array(64).fill(0)]) }],
      ...['1.3.132.0.34', '1.3.132.0.35', '1.3.132.0.10', '1.3.132.0.33', '1.2.840.10045.3.1.1', '1.3.36.3.3.2.8.1.1.7', '1.3.36.3.3.2.8.1.1.11', '1.3.36.3.3.2.8.1.1.13', '1.2.3.4'].map((c): [string, CertSpec] => [`ec ${c}`, { spki: ecSpki(c) }]),
      ['dsa', { spki: dsaSpki }],
      ...['1.3.101.110', '1.3.101.111', '1.3.101.112', '1.3.101.113', '1.2.643.7.1.1.1.1', '1.9.8.7'].map((o): [string, CertSpec] => [`key ${o}`, { spki: tlv(0x30, [...tlv(0x30, oidBytes(o)), ...tlv(0x03, [0, 1])]) }]),
      ['spki not a pair', { spki: tlv(0x30, tlv(0x30, oidBytes('1.3.101.112'))) }],
      ...['1.2.840.113549.1.1.11', '1.2.840.113549.1.1.5', '1.2.840.10045.4.3.3', '2.16.840.1.101.3.4.3.2', '1.2.643.7.1.1.3.2', '1.2.840.113549.1.1.99'].map((o): [string, CertSpec] => [`sig ${o}`, { sigAlg: tlv(0x30, [...oidBytes(o), 0x05, 0x00]) }]),
      ['sig alg of three parts', { sigAlg: tlv(0x30, [...oidBytes('1.2.840.10045.4.3.2'), 5, 0, 5, 0]) }],
      ['serial zeros', { serial: [0, 0, 0, 0x7f] }],
      ['serial zero', { serial: [0] }],
      ['serial long', { serial: new Array(80).fill(0xab) }],
      ['serial empty', { serial: [] }],
      ['v1', { version: null }],
      ['v3 of another number', { version: 7 }],
      ['ca', { extensions: [basicConstraints(true, [3])] }],
      ['not ca', { extensions: [basicConstraints(false)] }],
      ['constraints empty', { extensions: [basicConstraints()] }],
      ['path length 4 bytes', { extensions: [basicConstraints(true, [0xff, 0xff, 0xff, 0xff])] }],
      ['path length 5 bytes', { extensions: [basicConstraints(true, [1, 0, 0, 0, 0])] }],
      ['alternative names', { extensions: [sanExt([[0x82, 'A.Example.'], [0x82, 'tab\there'], [0x81, 'x@y'], [0x86, 'https://a,b/'], [0x87, [10, 0, 0, 1]], [0x87, [1, 2, 3]], [0x88, [1]], [0x82, ''], [0x82, 'x'.repeat(300)]])] }],
      ['alternative names twice', { extensions: [sanExt([[0x82, 'one.example']]), sanExt([[0x82, 'two.example']])] }],
      ['alternative names, 64', { extensions: [sanExt(Array.from({ length: 64 }, (_, i): [number, string] => [0x82, `n${i}.example`]))] }],
      ['a DNS name in Latin-1', { extensions: [sanExt([[0x82, [0x74, 0xe9, 0x2e, 0x76, 0x6e]]])] }],
      ['a DNS name with a NUL', { extensions: [sanExt([[0x82, 'bank.example\x00.evil.example']])] }],
      ['a CN with a NUL, no DNS names', { subject: name([CN('bank.example\x00.evil.example')]) }],
      ['unknown and odd extensions', { extensions: [extension('1.2.3', tlv(0x30, [])), extension('2.5.29.15', [3, 2, 5, 0xa0]), tlv(0x30, oidBytes('2.5.29.17')), tlv(0x30, [...oidBytes('2.5.29.19'), ...tlv(0x04, tlv(0x02, [1]))])] }],
      ['trailing bytes', { trailing: [1, 2, 3] }],
      ['an extension that is not a sequence', { extensions: [[0x31, 0]] }],
    ];
    for (const [why, spec] of kept) expect(same(certDer(spec), why), why).toBe(true);
    const left: Array<[string, CertSpec]> = [
      ['65 alternative names (a weird)', { extensions: [sanExt(Array.from({ length: 65 }, (_, i): [number, string] => [0x82, `n${i}.example`]))] }],
      ['an IPv6 alternative name', { extensions: [sanExt([[0x87, new Array(16).fill(1)]])] }],
      ['an OID arc past 2^53', { spki: tlv(0x30, [...tlv(0x30, tlv(0x06, [0x2a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])), ...tlv(0x03, [0, 1])]) }],
    ];
    for (const [why, spec] of left) expect(same(certDer(spec), why), why).toBe(false);
    // Not certificates at all.
    for (const d of [new Uint8Array(0), Uint8Array.from([0x30, 0]), Uint8Array.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), der({ cn: 'x', serial: 1 }).subarray(0, 100)]) expect(same(d)).toBe(false);
  });

  // CHOT_NATIVE_X509_FUZZ=<rounds> runs a longer one.
  const rounds = Number(process.env.CHOT_NATIVE_X509_FUZZ ?? 20_000);
  it(`fuzz: ${rounds.toLocaleString('en')} mutated certificates, decoded as JavaScript decodes them or left to it`, () => {
    const r = rng(0x5809);
    const seeds = [...Object.values(openssl), der({ cn: 'seed.example', sans: ['a.example', 'b.example'], serial: 5 }), certDer({ version: null, notAfter: [0x18, '99991231235959Z'], extensions: [basicConstraints(true, [2])] })];
    let native = 0;
    for (let i = 0; i < rounds; i++) {
      const d = mutate(seeds[Math.floor(r() * seeds.length)]!, r);
      if (same(d, `round ${i}`)) native++;
    }
    expect(native).toBeGreaterThan(rounds / 20);
    expect(native).toBeLessThan(rounds);
  }, 120_000);

  it('refuses what is not bytes', () => {
    expect(() => addon!.x509Decode('x' as unknown as Uint8Array)).toThrow('x509Decode(der: Uint8Array)');
  });
});

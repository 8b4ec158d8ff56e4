// The parts of an X.509 certificate (RFC 5280 §4.1) the sensor logs, read
// straight from DER: node:crypto's X509Certificate would do it too, but costs
// a native object and an OpenSSL parse per certificate, and reports names in
// a form that needs re-parsing; this reads only what is logged and never
// throws (test/sensor/app/x509.test.ts compares both and times them).

import { createHash } from 'node:crypto';
import { hex, ipv4, ipv6, view } from '../bytes.js';
import type { AppEvents } from '../events.js';
import { children, oid, TAG, time, tlv, type Tlv } from './der.js';
import { decodeName } from './dn.js';
import type { X509Info } from './types.js';

const MAX_SANS = 64;
const MAX_SAN_LEN = 255;

const ALGS: Record<string, string> = {
  '1.2.840.113549.1.1.1': 'rsaEncryption',
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.113549.1.1.10': 'rsassaPss',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.113549.1.1.14': 'sha224WithRSAEncryption',
  '1.2.840.10045.2.1': 'id-ecPublicKey',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
  '1.2.840.10045.4.3.1': 'ecdsa-with-SHA224',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  '1.2.840.10040.4.1': 'dsaEncryption',
  '1.2.840.10040.4.3': 'dsaWithSHA1',
  '2.16.840.1.101.3.4.3.2': 'dsa_with_SHA256',
  '1.3.101.110': 'X25519',
  '1.3.101.111': 'X448',
  '1.3.101.112': 'ED25519',
  '1.3.101.113': 'ED448',
  '1.2.643.7.1.1.1.1': 'gost2012_256',
  '1.2.643.7.1.1.3.2': 'GOST R 34.10-2012 with GOST R 34.11-2012 (256 bit)',
};

const CURVES: Record<string, [string, number]> = {
  '1.2.840.10045.3.1.7': ['prime256v1', 256],
  '1.3.132.0.34': ['secp384r1', 384],
  '1.3.132.0.35': ['secp521r1', 521],
  '1.3.132.0.10': ['secp256k1', 256],
  '1.3.132.0.33': ['secp224r1', 224],
  '1.2.840.10045.3.1.1': ['prime192v1', 192],
  '1.3.36.3.3.2.8.1.1.7': ['brainpoolP256r1', 256],
  '1.3.36.3.3.2.8.1.1.11': ['brainpoolP384r1', 384],
  '1.3.36.3.3.2.8.1.1.13': ['brainpoolP512r1', 512],
};

export function sha256Hex(b: Uint8Array, start: number, end: number): string {
  return createHash('sha256').update(view(b, start, end)).digest('hex');
}

/** Decodes the certificate DER in b[start, end); undefined (and a weird) when it does not parse. */
export function parseCertificate(b: Uint8Array, start: number, end: number, events: AppEvents): X509Info | undefined {
  const info = decode(b, start, end, events);
  if (!info) events.weird('x509_certificate_parse_error');
  return info;
}

function decode(b: Uint8Array, start: number, end: number, events: AppEvents): X509Info | undefined {
  const cert = tlv(b, start, end);
  if (!cert || cert.tag !== TAG.SEQUENCE) return undefined;
  const top = children(b, cert, 3);
  if (!top || top.length !== 3 || top[0]!.tag !== TAG.SEQUENCE) return undefined;
  const tbs = children(b, top[0]!, 12);
  if (!tbs) return undefined;

  let i = 0;
  let version = 1;
  if (tbs[0]?.tag === 0xa0) {
    const v = tlv(b, tbs[0].start, tbs[0].end);
    if (!v || v.tag !== TAG.INTEGER || v.end - v.start !== 1) return undefined;
    version = b[v.start]! + 1;
    i++;
  }
  const [serial, sig, issuer, validity, subject, spki] = tbs.slice(i, i + 6);
  if (!serial || !sig || !issuer || !validity || !subject || !spki) return undefined;
  if (serial.tag !== TAG.INTEGER || validity.tag !== TAG.SEQUENCE || spki.tag !== TAG.SEQUENCE) return undefined;

  const times = children(b, validity, 2);
  const iss = decodeName(b, issuer);
  const sub = decodeName(b, subject);
  if (!times || times.length !== 2 || !iss || !sub) return undefined;
  if (iss.truncated || sub.truncated) events.weird('x509_name_truncated');

  const info: X509Info = {
    sha256: sha256Hex(b, cert.at, cert.end),
    version,
    serial: serialHex(b, serial),
    subject: sub.text,
    issuer: iss.text,
    subjectCN: sub.cn,
    issuerCN: iss.cn,
    notBefore: time(b, times[0]!),
    notAfter: time(b, times[1]!),
    sigAlg: algorithm(b, top[1]!),
    keyAlg: '',
    sanDns: [],
    sanUri: [],
    sanEmail: [],
    sanIp: [],
  };
  if (Number.isNaN(info.notBefore) || Number.isNaN(info.notAfter)) return undefined;
  publicKey(b, spki, info);

  for (const t of tbs.slice(i + 6)) {
    if (t.tag !== 0xa3) continue; // [3] extensions; [1]/[2] unique ids are ignored
    const seq = tlv(b, t.start, t.end);
    const exts = seq && seq.tag === TAG.SEQUENCE ? children(b, seq, 64) : undefined;
    if (!exts) return undefined;
    for (const ext of exts) extension(b, ext, info, events);
  }
  return info;
}

/** Serial as uppercase hex, sign-padding zero bytes dropped. */
function serialHex(b: Uint8Array, t: Tlv): string {
  let s = t.start;
  while (s < t.end - 1 && b[s] === 0) s++;
  return hex(b, s, Math.min(t.end, s + 64)).toUpperCase();
}

function algorithm(b: Uint8Array, algId: Tlv): string {
  const parts = algId.tag === TAG.SEQUENCE ? children(b, algId, 2) : undefined;
  if (!parts || parts[0]?.tag !== TAG.OID) return '';
  const id = oid(b, parts[0]);
  return ALGS[id] ?? id;
}

function publicKey(b: Uint8Array, spki: Tlv, info: X509Info): void {
  const parts = children(b, spki, 2);
  if (!parts || parts.length !== 2 || parts[0]!.tag !== TAG.SEQUENCE) return;
  const alg = children(b, parts[0]!, 2);
  if (!alg || alg[0]?.tag !== TAG.OID) return;
  const id = oid(b, alg[0]);
  info.keyAlg = ALGS[id] ?? id;
  const key = parts[1]!;
  switch (id) {
    case '1.2.840.113549.1.1.1':
    case '1.2.840.113549.1.1.10': {
      info.keyType = 'rsa';
      // BIT STRING: one unused-bits byte, then RSAPublicKey ::= SEQUENCE { modulus, publicExponent }
      const rsa = key.tag === TAG.BIT_STRING ? tlv(b, key.start + 1, key.end) : undefined;
      const ints = rsa && rsa.tag === TAG.SEQUENCE ? children(b, rsa, 2) : undefined;
      if (ints?.[0]?.tag === TAG.INTEGER) info.keyLength = integerBits(b, ints[0]);
      break;
    }
    case '1.2.840.10045.2.1': {
      info.keyType = 'ec';
      const curve = alg[1]?.tag === TAG.OID ? oid(b, alg[1]) : undefined;
      if (curve) {
        const known = CURVES[curve];
        info.curve = known?.[0] ?? curve;
        if (known) info.keyLength = known[1];
      }
      break;
    }
    case '1.2.840.10040.4.1': {
      info.keyType = 'dsa';
      const params = alg[1]?.tag === TAG.SEQUENCE ? children(b, alg[1], 3) : undefined;
      if (params?.[0]?.tag === TAG.INTEGER) info.keyLength = integerBits(b, params[0]);
      break;
    }
    // Key sizes as OpenSSL's EVP_PKEY_bits reports them.
    case '1.3.101.112':
      info.keyType = 'ed25519';
      info.keyLength = 253;
      break;
    case '1.3.101.113':
      info.keyType = 'ed448';
      info.keyLength = 456;
      break;
    case '1.3.101.110':
      info.keyType = 'x25519';
      info.keyLength = 253;
      break;
    case '1.3.101.111':
      info.keyType = 'x448';
      info.keyLength = 448;
      break;
  }
}

function integerBits(b: Uint8Array, t: Tlv): number {
  let s = t.start;
  while (s < t.end && b[s] === 0) s++;
  if (s >= t.end) return 0;
  return (t.end - s - 1) * 8 + (32 - Math.clz32(b[s]!));
}

function extension(b: Uint8Array, ext: Tlv, info: X509Info, events: AppEvents): void {
  const parts = ext.tag === TAG.SEQUENCE ? children(b, ext, 3) : undefined;
  if (!parts || parts[0]?.tag !== TAG.OID) return;
  const value = parts[parts.length - 1]!;
  if (value.tag !== TAG.OCTET_STRING) return;
  const inner = tlv(b, value.start, value.end);
  if (!inner || inner.tag !== TAG.SEQUENCE) return;
  switch (oid(b, parts[0])) {
    case '2.5.29.17': // subjectAltName
      subjectAltNames(b, inner, info, events);
      break;
    case '2.5.29.19': {
      // basicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER OPTIONAL }
      const bc = children(b, inner, 2) ?? [];
      info.ca = false;
      for (const t of bc) {
        if (t.tag === TAG.BOOLEAN && t.end - t.start === 1) info.ca = b[t.start] !== 0;
        if (t.tag === TAG.INTEGER && t.end - t.start <= 4) {
          let n = 0;
          for (let k = t.start; k < t.end; k++) n = n * 256 + b[k]!;
          info.pathLen = n;
        }
      }
      break;
    }
  }
}

function subjectAltNames(b: Uint8Array, seq: Tlv, info: X509Info, events: AppEvents): void {
  const names = children(b, seq, 1024);
  if (!names) return;
  if (names.length > MAX_SANS) events.weird('x509_too_many_sans');
  for (const n of names.slice(0, MAX_SANS)) {
    const text = (): string => view(b, n.start, Math.min(n.end, n.start + MAX_SAN_LEN)).toString('latin1');
    switch (n.tag) {
      case 0x81: // [1] rfc822Name
        info.sanEmail.push(text());
        break;
      case 0x82: // [2] dNSName
        info.sanDns.push(text());
        break;
      case 0x86: // [6] uniformResourceIdentifier
        info.sanUri.push(text());
        break;
      case 0x87: // [7] iPAddress
        if (n.end - n.start === 4) info.sanIp.push(ipv4(b, n.start));
        else if (n.end - n.start === 16) info.sanIp.push(ipv6(b, n.start));
        break;
    }
  }
}

/** RFC 6125 §6.4: case-insensitive; a '*' may stand for the whole left-most label only. */
export function hostMatchesCert(host: string, cert: X509Info): boolean {
  const names = cert.sanDns.length > 0 ? cert.sanDns : cert.subjectCN !== undefined ? [cert.subjectCN] : [];
  const h = host.toLowerCase().replace(/\.$/, '');
  for (const raw of names) {
    const n = raw.toLowerCase().replace(/\.$/, '');
    if (n === h) return true;
    if (n.startsWith('*.')) {
      const dot = h.indexOf('.');
      if (dot > 0 && h.slice(dot + 1) === n.slice(2) && n.slice(2).includes('.')) return true;
    }
  }
  return false;
}

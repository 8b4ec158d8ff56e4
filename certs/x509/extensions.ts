import { createHash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import {
  binary,
  bitStringBits,
  boolean,
  bytesOf,
  children,
  decode,
  DerError,
  encode,
  expectSequence,
  implicitConstructed,
  implicitPrimitive,
  octetString,
  oid,
  readBoolean,
  readOctets,
  readOid,
  readSmallInteger,
  readTlv,
  sequence,
  smallInteger,
  Tag,
  type Asn1,
} from './der.js';
import { OID } from './oid.js';

/** One extension as found in a certificate, CSR or CRL: its value still DER-encoded. */
export interface RawExtension {
  critical: boolean;
  value: Buffer;
}

export function extension(extnId: string, critical: boolean, value: Asn1): Asn1 {
  return sequence(oid(extnId), critical ? boolean(true) : undefined, octetString(encode(value)));
}

/** Reads an Extensions SEQUENCE; a repeated extension is malformed (RFC 5280 4.2). */
export function readExtensions(node: Asn1, what: string): Map<string, RawExtension> {
  const out = new Map<string, RawExtension>();
  for (const ext of expectSequence(node, `${what} extensions`)) {
    const parts = expectSequence(ext, `${what} extension`, 2);
    const id = readOid(parts[0], `${what} extension id`);
    const critical = parts.length === 3 ? readBoolean(parts[1], `${what} extension ${id} critical flag`) : false;
    const value = readOctets(parts[parts.length - 1], `${what} extension ${id} value`);
    if (out.has(id)) throw new DerError(`${what}: extension ${id} appears twice`);
    out.set(id, { critical, value });
  }
  return out;
}

// ---- basic constraints --------------------------------------------------------

export function basicConstraints(ca: boolean, pathLength?: number): Asn1 {
  // cA DEFAULT FALSE: DER leaves a default value out.
  const value = sequence(ca ? boolean(true) : undefined, ca && pathLength !== undefined ? smallInteger(pathLength) : undefined);
  return extension(OID.basicConstraints, true, value);
}

export function decodeBasicConstraints(value: Buffer): { ca: boolean; pathLength?: number } {
  const parts = expectSequence(decode(value, 'basicConstraints'), 'basicConstraints');
  let i = 0;
  let ca = false;
  if (parts[i]?.type === Tag.BOOLEAN) ca = readBoolean(parts[i++], 'basicConstraints cA');
  const pathLength = parts[i] ? readSmallInteger(parts[i], 'basicConstraints pathLen') : undefined;
  return pathLength === undefined ? { ca } : { ca, pathLength };
}

// ---- key usage ----------------------------------------------------------------

const KEY_USAGE_BITS = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
} as const;
export type KeyUsageBit = keyof typeof KEY_USAGE_BITS;

/** DER named bit list: trailing zero bits removed and counted as unused (X.690 11.2.2). */
export function keyUsage(bits: KeyUsageBit[]): Asn1 {
  let mask = 0;
  for (const b of bits) mask |= 0x80 >> KEY_USAGE_BITS[b];
  let unused = 0;
  while (unused < 8 && (mask & (1 << unused)) === 0) unused++;
  return extension(OID.keyUsage, true, bitStringBits(Buffer.of(mask), unused));
}

// ---- extended key usage -------------------------------------------------------

export function extKeyUsage(oids: string[]): Asn1 {
  return extension(OID.extKeyUsage, false, sequence(...oids.map((o) => oid(o))));
}

export function decodeExtKeyUsage(value: Buffer): string[] {
  return expectSequence(decode(value, 'extKeyUsage'), 'extKeyUsage', 1).map((n) => readOid(n, 'extKeyUsage purpose'));
}

// ---- subject alternative name -------------------------------------------------

export interface AltNames {
  uris: string[];
  dnsNames: string[];
  ips: string[];
  /** How many names of other kinds (email, directoryName, otherName...) were present. */
  others: number;
}

const GN_DNS = 2;
const GN_URI = 6;
const GN_IP = 7;

function ipBytes(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  if (isIPv6(ip)) {
    const [head = '', tail = ''] = ip.split('::');
    const groups = (s: string): string[] => (s ? s.split(':') : []);
    const h = groups(head);
    const t = groups(tail);
    const all = ip.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
    return Buffer.from(all.map((g) => g.padStart(4, '0')).join(''), 'hex');
  }
  throw new Error(`not an IP address: ${ip}`);
}

function ipText(bytes: Buffer): string {
  if (bytes.length === 4) return [...bytes].join('.');
  if (bytes.length === 16) return (bytes.toString('hex').match(/.{4}/g) ?? []).map((g) => g.replace(/^0+(?=.)/, '')).join(':');
  throw new DerError('subjectAltName: iPAddress of bad length');
}

/** IA5String content: refuses anything outside ASCII (IA5) and any control character. */
function ia5(value: string, what: string): string {
  if (!/^[\x20-\x7e]*$/.test(value)) throw new DerError(`${what}: not printable IA5 text`);
  return value;
}

export function subjectAltName(names: { uris?: string[]; dnsNames?: string[]; ips?: string[] }, critical = false): Asn1 {
  const items = [
    ...(names.dnsNames ?? []).map((n) => implicitPrimitive(GN_DNS, ia5(n, 'dNSName'))),
    ...(names.uris ?? []).map((u) => implicitPrimitive(GN_URI, ia5(u, 'uniformResourceIdentifier'))),
    ...(names.ips ?? []).map((ip) => implicitPrimitive(GN_IP, binary(ipBytes(ip)))),
  ];
  return extension(OID.subjectAltName, critical, sequence(...items));
}

export function decodeGeneralNames(nodes: Asn1[], what: string): AltNames {
  const out: AltNames = { uris: [], dnsNames: [], ips: [], others: 0 };
  for (const n of nodes) {
    const isCtx = n.tagClass === 0x80;
    if (isCtx && !n.constructed && typeof n.value === 'string' && n.type === GN_URI) out.uris.push(ia5(n.value, `${what} URI`));
    else if (isCtx && !n.constructed && typeof n.value === 'string' && n.type === GN_DNS) out.dnsNames.push(ia5(n.value, `${what} dNSName`));
    else if (isCtx && !n.constructed && typeof n.value === 'string' && n.type === GN_IP) out.ips.push(ipText(bytesOf(n.value)));
    else out.others++;
  }
  return out;
}

export function decodeSubjectAltName(value: Buffer): AltNames {
  return decodeGeneralNames(expectSequence(decode(value, 'subjectAltName'), 'subjectAltName', 1), 'subjectAltName');
}

// ---- key identifiers ----------------------------------------------------------

/**
 * RFC 7093 method 1: the leftmost 160 bits of the SHA-256 of the subjectPublicKey
 * BIT STRING's value. (RFC 5280's own method uses SHA-1, which Chốt never uses.)
 */
export function keyIdentifier(spki: Uint8Array): Buffer {
  const outer = readTlv(spki, 0, 'SubjectPublicKeyInfo');
  const algorithm = readTlv(spki, outer.contentStart, 'SubjectPublicKeyInfo algorithm');
  const key = readTlv(spki, algorithm.end, 'SubjectPublicKeyInfo key');
  if (key.tag !== 0x03) throw new DerError('SubjectPublicKeyInfo: expected a BIT STRING');
  // Skip the unused-bits byte.
  return createHash('sha256')
    .update(spki.subarray(key.contentStart + 1, key.end))
    .digest()
    .subarray(0, 20);
}

export function subjectKeyIdentifier(id: Uint8Array): Asn1 {
  return extension(OID.subjectKeyIdentifier, false, octetString(id));
}

export function authorityKeyIdentifier(id: Uint8Array): Asn1 {
  return extension(OID.authorityKeyIdentifier, false, sequence(implicitPrimitive(0, binary(id))));
}

export function decodeAuthorityKeyIdentifier(value: Buffer): Buffer | undefined {
  const first = expectSequence(decode(value, 'authorityKeyIdentifier'), 'authorityKeyIdentifier')[0];
  return first && first.tagClass === 0x80 && first.type === 0 && typeof first.value === 'string' ? bytesOf(first.value) : undefined;
}

export function decodeSubjectKeyIdentifier(value: Buffer): Buffer {
  return readOctets(decode(value, 'subjectKeyIdentifier'), 'subjectKeyIdentifier');
}

// ---- CRL distribution points --------------------------------------------------

export function crlDistributionPoints(urls: string[]): Asn1 {
  // DistributionPointName is a CHOICE, so its [0] tag is explicit; fullName [0] is implicit GeneralNames.
  const points = urls.map((u) => sequence(implicitConstructed(0, [implicitConstructed(0, [implicitPrimitive(GN_URI, ia5(u, 'CRL URL'))])])));
  return extension(OID.crlDistributionPoints, false, sequence(...points));
}

export function decodeCrlDistributionPoints(value: Buffer): string[] {
  const urls: string[] = [];
  for (const point of expectSequence(decode(value, 'crlDistributionPoints'), 'crlDistributionPoints')) {
    const name = expectSequence(point, 'DistributionPoint')[0];
    if (!name || name.tagClass !== 0x80 || name.type !== 0) continue;
    const full = children(name, 'DistributionPointName')[0];
    if (!full || full.type !== 0) continue;
    urls.push(...decodeGeneralNames(children(full, 'fullName'), 'CRL distribution point').uris);
  }
  return urls;
}

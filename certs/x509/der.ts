import forge from 'node-forge';
import { decodeOid, encodeOid } from './oid.js';

/**
 * A thin layer over forge's ASN.1 objects. forge represents bytes as "binary strings"
 * (one char per byte); everything outside this folder sees Buffers.
 */
export type Asn1 = forge.asn1.Asn1;

const { asn1 } = forge;
const U = asn1.Class.UNIVERSAL;
const CTX = asn1.Class.CONTEXT_SPECIFIC;
const T = asn1.Type;

export class DerError extends Error {
  override name = 'DerError';
}

export const binary = (buf: Uint8Array): string => Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('latin1');
export const bytesOf = (s: string): Buffer => Buffer.from(s, 'latin1');

export function encode(node: Asn1): Buffer {
  return bytesOf(asn1.toDer(node).getBytes());
}

/** Parses DER strictly; `what` names the structure in the error ("CSR", "certificate"). */
export function decode(der: Uint8Array, what: string): Asn1 {
  try {
    // decodeBitStrings off: a BIT STRING's content is a key or a signature, never ASN.1 we want parsed.
    const options = { strict: true, parseAllBytes: true, decodeBitStrings: false };
    return asn1.fromDer(binary(der), options as unknown as boolean);
  } catch (err) {
    throw new DerError(`${what} is not valid DER (${(err as Error).message})`);
  }
}

// ---- builders -------------------------------------------------------------------

export const sequence = (...children: (Asn1 | undefined)[]): Asn1 => asn1.create(U, T.SEQUENCE, true, children.filter((c): c is Asn1 => c !== undefined));
export const set = (...children: Asn1[]): Asn1 => asn1.create(U, T.SET, true, children);
export const oid = (dotted: string): Asn1 => asn1.create(U, T.OID, false, encodeOid(dotted));
export const nullValue = (): Asn1 => asn1.create(U, T.NULL, false, '');
export const boolean = (v: boolean): Asn1 => asn1.create(U, T.BOOLEAN, false, v ? '\xff' : '\x00');
export const utf8 = (s: string): Asn1 => asn1.create(U, T.UTF8, false, binary(Buffer.from(s, 'utf8')));
export const printable = (s: string): Asn1 => asn1.create(U, T.PRINTABLESTRING, false, s);
export const octetString = (bytes: Uint8Array): Asn1 => asn1.create(U, T.OCTETSTRING, false, binary(bytes));
/** A BIT STRING holding whole bytes (keys, signatures): zero unused bits. */
export const bitString = (bytes: Uint8Array): Asn1 => asn1.create(U, T.BITSTRING, false, '\x00' + binary(bytes));
/** A BIT STRING with a given unused-bit count (named bit lists such as KeyUsage). */
export const bitStringBits = (bytes: Uint8Array, unusedBits: number): Asn1 =>
  asn1.create(U, T.BITSTRING, false, String.fromCharCode(unusedBits) + binary(bytes));

/** INTEGER from unsigned big-endian magnitude bytes (a leading 0x00 is added when needed). */
export function unsignedInteger(magnitude: Uint8Array): Asn1 {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  const trimmed = magnitude.subarray(i);
  const body = (trimmed[0]! & 0x80) !== 0 ? Buffer.concat([Buffer.of(0), trimmed]) : trimmed;
  return asn1.create(U, T.INTEGER, false, binary(body));
}

export const smallInteger = (n: number): Asn1 => {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`not a small non-negative integer: ${n}`);
  let hex = n.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  return unsignedInteger(Buffer.from(hex, 'hex'));
};

/** RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050, always whole seconds in UTC. */
export function time(date: Date): Asn1 {
  const d = new Date(Math.floor(date.getTime() / 1000) * 1000);
  return d.getUTCFullYear() < 2050
    ? asn1.create(U, T.UTCTIME, false, asn1.dateToUtcTime(d))
    : asn1.create(U, T.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(d));
}

/** [n] EXPLICIT wrapper. */
export const explicit = (tag: number, child: Asn1): Asn1 => asn1.create(CTX, tag, true, [child]);
/** [n] IMPLICIT primitive (e.g. a GeneralName's uniformResourceIdentifier). */
export const implicitPrimitive = (tag: number, bytes: string): Asn1 => asn1.create(CTX, tag, false, bytes);
/** [n] IMPLICIT constructed (e.g. a CSR's attributes, a DistributionPointName). */
export const implicitConstructed = (tag: number, children: Asn1[]): Asn1 => asn1.create(CTX, tag, true, children);

/** A pre-encoded structure (a Name or SubjectPublicKeyInfo copied from elsewhere) as a node. */
export const preEncoded = (der: Uint8Array, what: string): Asn1 => decode(der, what);

// ---- readers --------------------------------------------------------------------

export function isContext(node: Asn1, tag: number): boolean {
  return node.tagClass === CTX && node.type === tag;
}

export function children(node: Asn1 | undefined, what: string): Asn1[] {
  if (!node || !Array.isArray(node.value)) throw new DerError(`${what}: expected a constructed value`);
  return node.value;
}

export function expectSequence(node: Asn1 | undefined, what: string, minItems = 0): Asn1[] {
  if (!node || node.tagClass !== U || node.type !== T.SEQUENCE || !Array.isArray(node.value)) throw new DerError(`${what}: expected a SEQUENCE`);
  if (node.value.length < minItems) throw new DerError(`${what}: expected at least ${minItems} elements`);
  return node.value;
}

export function primitive(node: Asn1 | undefined, type: number, what: string): string {
  if (!node || node.tagClass !== U || node.type !== type || typeof node.value !== 'string') throw new DerError(`${what}: expected ASN.1 type ${type}`);
  return node.value;
}

export const readOid = (node: Asn1 | undefined, what: string): string => {
  try {
    return decodeOid(primitive(node, T.OID, what));
  } catch (err) {
    throw err instanceof DerError ? err : new DerError(`${what}: ${(err as Error).message}`);
  }
};

export function readBoolean(node: Asn1 | undefined, what: string): boolean {
  const v = primitive(node, T.BOOLEAN, what);
  if (v.length !== 1) throw new DerError(`${what}: malformed BOOLEAN`);
  return v !== '\x00';
}

/** INTEGER as uppercase hex of its magnitude (how Node and OpenSSL print serials); refuses negatives. */
export function readUnsignedHex(node: Asn1 | undefined, what: string): string {
  const v = primitive(node, T.INTEGER, what);
  if (v.length === 0 || (v.charCodeAt(0) & 0x80) !== 0) throw new DerError(`${what}: expected a positive INTEGER`);
  const hex = bytesOf(v).toString('hex').toUpperCase().replace(/^(00)+(?=.)/, '');
  return hex;
}

export function readSmallInteger(node: Asn1 | undefined, what: string): number {
  const hex = readUnsignedHex(node, what);
  const n = Number.parseInt(hex, 16);
  if (!Number.isSafeInteger(n)) throw new DerError(`${what}: INTEGER too large`);
  return n;
}

export function readTime(node: Asn1 | undefined, what: string): Date {
  if (node?.tagClass === U && typeof node.value === 'string') {
    if (node.type === T.UTCTIME && /^\d{12}Z$/.test(node.value)) return asn1.utcTimeToDate(node.value);
    if (node.type === T.GENERALIZEDTIME && /^\d{14}Z$/.test(node.value)) return asn1.generalizedTimeToDate(node.value);
  }
  throw new DerError(`${what}: expected a UTCTime or GeneralizedTime in UTC`);
}

/** BIT STRING content bytes; refuses unused bits (keys and signatures are whole bytes). */
export function readBitStringBytes(node: Asn1 | undefined, what: string): Buffer {
  const v = primitive(node, T.BITSTRING, what);
  if (v.length < 1 || v.charCodeAt(0) !== 0) throw new DerError(`${what}: expected a BIT STRING of whole bytes`);
  return bytesOf(v.slice(1));
}

export const readOctets = (node: Asn1 | undefined, what: string): Buffer => bytesOf(primitive(node, T.OCTETSTRING, what));

export const Tag = T;

// ---- raw TLV slicing ------------------------------------------------------------

export interface Tlv {
  tag: number;
  /** Offset of the tag byte. */
  start: number;
  /** Offset of the first content byte. */
  contentStart: number;
  /** Offset just past the value. */
  end: number;
}

/**
 * Reads one DER TLV header at `offset`. Used to slice the exact signed bytes
 * (TBSCertificate, CertificationRequestInfo, TBSCertList) out of a structure,
 * because a signature covers the bytes as sent, never a re-encoding of them.
 */
export function readTlv(buf: Uint8Array, offset: number, what: string): Tlv {
  if (offset + 2 > buf.length) throw new DerError(`${what}: truncated`);
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError(`${what}: multi-byte tags are not used here`);
  let len = buf[offset + 1]!;
  let p = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0) throw new DerError(`${what}: indefinite length is not DER`);
    if (n > 4 || p + n > buf.length) throw new DerError(`${what}: bad length`);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p + i]!;
    p += n;
  }
  if (p + len > buf.length) throw new DerError(`${what}: truncated`);
  return { tag, start: offset, contentStart: p, end: p + len };
}

/**
 * Splits a signed structure SEQUENCE { toBeSigned, AlgorithmIdentifier, BIT STRING }
 * into the exact bytes of its first element and the whole.
 */
export function signedParts(der: Uint8Array, what: string): { toBeSigned: Buffer } {
  const outer = readTlv(der, 0, what);
  if (outer.tag !== 0x30 || outer.end !== der.length) throw new DerError(`${what}: expected one DER SEQUENCE`);
  const first = readTlv(der, outer.contentStart, what);
  return { toBeSigned: Buffer.from(der.subarray(first.start, first.end)) };
}

/**
 * SEQUENCE of already-encoded elements. Used for the outer signed structure, whose
 * first element must be the exact bytes that were signed (re-parsing them into
 * forge objects only to encode them again would cost time and risk a change).
 */
export function sequenceOfEncoded(parts: readonly Buffer[]): Buffer {
  const len = parts.reduce((n, p) => n + p.length, 0);
  let header: Buffer;
  if (len < 0x80) header = Buffer.of(0x30, len);
  else if (len < 0x100) header = Buffer.of(0x30, 0x81, len);
  else if (len < 0x10000) header = Buffer.of(0x30, 0x82, len >> 8, len & 0xff);
  else if (len < 0x1000000) header = Buffer.of(0x30, 0x83, len >> 16, (len >> 8) & 0xff, len & 0xff);
  else throw new Error('structure too large');
  return Buffer.concat([header, ...parts]);
}

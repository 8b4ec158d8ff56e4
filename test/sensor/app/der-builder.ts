// Certificates built field by field in DER (X.690), for the TLS and X.509 tests: no
// signature is made or checked, since the parsers read only what is logged.

import { createHash } from 'node:crypto';
import { be24 } from './helpers.js';

export function tlv(tag: number, content: number[]): number[] {
  const n = content.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return [tag, ...len, ...content];
}

export function oidBytes(dotted: string): number[] {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out = [a! * 40 + b!];
  for (const v of rest) {
    const parts = [v & 0x7f];
    for (let x = v >>> 7; x > 0; x >>>= 7) parts.unshift((x & 0x7f) | 0x80);
    out.push(...parts);
  }
  return tlv(0x06, out);
}

const bytesOf = (v: number[] | string): number[] => (typeof v === 'string' ? [...Buffer.from(v, 'utf8')] : v);

/** One attribute of a name: its type, the tag of its value and the value's bytes (a string as UTF-8). */
export type Atv = [oid: string, tag: number, value: number[] | string];

/** A Name from its RDNs in DER order, each one or more attributes. */
export function name(rdns: Atv[][]): number[] {
  return tlv(0x30, rdns.flatMap((rdn) => tlv(0x31, rdn.flatMap(([oid, tag, v]) => tlv(0x30, [...oidBytes(oid), ...tlv(tag, bytesOf(v))])))));
}

export const CN = (cn: string, tag = 0x0c): Atv[] => [['2.5.4.3', tag, cn]];

export const EC_P256_SPKI = tlv(0x30, [...tlv(0x30, [...oidBytes('1.2.840.10045.2.1'), ...oidBytes('1.2.840.10045.3.1.7')]), ...tlv(0x03, [0, 4, ...new Array(64).fill(7)])]);

export interface CertSpec {
  /** The [0] version's value (2 for v3); null for none (v1). */
  version?: number | null;
  serial?: number[];
  sigAlg?: number[];
  issuer?: number[];
  subject?: number[];
  notBefore?: [tag: number, text: string];
  notAfter?: [tag: number, text: string];
  spki?: number[];
  /** Extension SEQUENCEs, in [3]; none: no [3]. */
  extensions?: number[][];
  /** Bytes after the certificate's SEQUENCE. */
  trailing?: number[];
  /** The signature's bytes; by default 70 made from the rest (different certificates end differently, as signed ones do). */
  signature?: number[];
}

export function certDer(c: CertSpec): Uint8Array {
  const alg = c.sigAlg ?? tlv(0x30, oidBytes('1.2.840.10045.4.3.2'));
  const version = c.version === null ? [] : tlv(0xa0, tlv(0x02, [c.version ?? 2]));
  const validity = tlv(0x30, [...tlv(c.notBefore?.[0] ?? 0x17, bytesOf(c.notBefore?.[1] ?? '250101000000Z')), ...tlv(c.notAfter?.[0] ?? 0x17, bytesOf(c.notAfter?.[1] ?? '350101000000Z'))]);
  const exts = c.extensions === undefined ? [] : tlv(0xa3, tlv(0x30, c.extensions.flat()));
  const tbs = tlv(0x30, [
    ...version, ...tlv(0x02, c.serial ?? [1]), ...alg, ...(c.issuer ?? name([[['2.5.4.6', 0x13, 'VN']], CN('Chot Test CA')])), ...validity,
    ...(c.subject ?? name([CN('leaf.example')])), ...(c.spki ?? EC_P256_SPKI), ...exts,
  ]);
  const signature = c.signature ?? [...createHash('sha512').update(Uint8Array.from(tbs)).digest().subarray(0, 64), 9, 9, 9, 9, 9, 9];
  return Uint8Array.from([...tlv(0x30, [...tbs, ...alg, ...tlv(0x03, [0, ...signature])]), ...(c.trailing ?? [])]);
}

export function extension(oid: string, value: number[], critical = false): number[] {
  return tlv(0x30, [...oidBytes(oid), ...(critical ? tlv(0x01, [0xff]) : []), ...tlv(0x04, value)]);
}

/** subjectAltName from [tag, bytes] pairs (0x82 DNS, 0x81 e-mail, 0x86 URI, 0x87 IP). */
export function sanExt(names: Array<[tag: number, value: number[] | string]>): number[] {
  return extension('2.5.29.17', tlv(0x30, names.flatMap(([t, v]) => tlv(t, bytesOf(v)))));
}

export function basicConstraints(ca?: boolean, pathLen?: number[]): number[] {
  return extension('2.5.29.19', tlv(0x30, [...(ca === undefined ? [] : tlv(0x01, [ca ? 0xff : 0])), ...(pathLen === undefined ? [] : tlv(0x02, pathLen))]), true);
}

/** The simple leaf the TLS tests use: a CN (UTF-8), DNS names, a serial. */
export function der(o: { cn: string; sans?: string[]; serial: number; signature?: number[] }): Uint8Array {
  const sans = o.sans ?? [];
  return certDer({
    signature: o.signature,
    serial: [(o.serial >> 16) & 0x7f, (o.serial >> 8) & 0xff, o.serial & 0xff],
    subject: name([[['2.5.4.6', 0x13, 'VN']], CN(o.cn)]),
    extensions: sans.length === 0 ? undefined : [sanExt(sans.map((s) => [0x82, s]))],
  });
}

/** A Certificate handshake message of these certificates. */
export function certificateList(ders: Uint8Array[]): number[] {
  const list = ders.flatMap((d) => [...be24(d.length), ...d]);
  return [11, ...be24(list.length + 3), ...be24(list.length), ...list];
}

// JA4 TLS client fingerprint (FoxIO, github.com/FoxIO-LLC/ja4,
// technical_details/JA4.md; BSD 3-Clause). For TLS over TCP:
//
//   t<version><d|i><ciphers:02><extensions:02><alpn first+last>
//   _<sha256[:12] of the sorted cipher hex list>
//   _<sha256[:12] of the sorted extension hex list without SNI and ALPN, "_", the signature algorithms in order>
//
// GREASE is ignored everywhere; counts stop at 99; lists are 4-digit
// lowercase hex joined by ","; an empty list hashes to "000000000000".

import { createHash } from 'node:crypto';
import { hex4 } from '../bytes.js';
import { EXT, isGrease } from './consts.js';
import type { ClientHello } from './hello.js';

const VERSIONS: Record<number, string> = {
  0x0304: '13', 0x0303: '12', 0x0302: '11', 0x0301: '10', 0x0300: 's3', 0x0002: 's2',
  0xfeff: 'd1', 0xfefd: 'd2', 0xfefc: 'd3',
};

export interface Ja4Parts {
  /** The readable first section, e.g. "t13d1516h2". */
  a: string;
  /** Sorted cipher list ("002f,0035,..."). */
  ciphers: string;
  /** Sorted extensions without SNI/ALPN, then "_" and the signature algorithms, as hashed. */
  extensions: string;
}

export function ja4Parts(ch: ClientHello): Ja4Parts {
  const ciphers = ch.ciphers.filter((c) => !isGrease(c));
  const exts = ch.extensions.filter((e) => !isGrease(e));
  const sigs = ch.sigAlgs.filter((s) => !isGrease(s));

  // supported_versions (when present) outranks the hello's version field.
  let version = ch.version;
  if (exts.includes(EXT.SUPPORTED_VERSIONS)) {
    const offered = ch.supportedVersions.filter((v) => !isGrease(v));
    if (offered.length > 0) version = Math.max(...offered);
  }
  const a =
    't' +
    (VERSIONS[version] ?? '00') +
    (exts.includes(EXT.SERVER_NAME) ? 'd' : 'i') +
    count(ciphers.length) +
    count(exts.length) +
    alpnChars(ch.alpnFirst);

  const sortedExts = exts.filter((e) => e !== EXT.SERVER_NAME && e !== EXT.ALPN).sort((x, y) => x - y);
  let extensions = sortedExts.map(hex4).join(',');
  if (sigs.length > 0) extensions += '_' + sigs.map(hex4).join(',');
  return {
    a,
    ciphers: ciphers.sort((x, y) => x - y).map(hex4).join(','),
    extensions: sortedExts.length > 0 ? extensions : '',
  };
}

export function ja4(ch: ClientHello): string {
  const p = ja4Parts(ch);
  return `${p.a}_${hash12(p.ciphers)}_${hash12(p.extensions)}`;
}

/** JA4_r: the same with the lists in clear instead of hashed (for analysts and tests). */
export function ja4Raw(ch: ClientHello): string {
  const p = ja4Parts(ch);
  return `${p.a}_${p.ciphers}_${p.extensions}`;
}

function count(n: number): string {
  return n > 99 ? '99' : n < 10 ? `0${n}` : String(n);
}

function hash12(s: string): string {
  if (s === '') return '000000000000';
  return createHash('sha256').update(s, 'latin1').digest('hex').slice(0, 12);
}

function isAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/**
 * First and last character of the first ALPN value; "00" without one. A
 * one-character value gives that character twice. When the first or last byte
 * is not ASCII alphanumeric, the first and last hex digits of the value are used.
 */
function alpnChars(v: Uint8Array | undefined): string {
  if (!v || v.length === 0) return '00';
  const first = v[0]!;
  const last = v[v.length - 1]!;
  if (isAlnum(first) && isAlnum(last)) return String.fromCharCode(first, last);
  const HEX = '0123456789abcdef';
  return HEX[first >> 4]! + HEX[last & 15]!;
}

// JA3 and JA3S (Salesforce, github.com/salesforce/ja3): MD5 of the decimal
// fields of a hello, GREASE values removed, "," between fields and "-"
// between values:
//   JA3  = SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats
//   JA3S = SSLVersion,Cipher,Extensions
// SSLVersion is the hello's own version field (not supported_versions).

import { createHash } from 'node:crypto';
import { isGrease } from './consts.js';
import type { ClientHello, ServerHello } from './hello.js';
import { md5Hex } from './md5.js';

function join(values: readonly number[]): string {
  let s = '';
  for (const v of values) {
    if (isGrease(v)) continue;
    s += (s ? '-' : '') + v;
  }
  return s;
}

export function ja3String(ch: ClientHello): string {
  return `${ch.version},${join(ch.ciphers)},${join(ch.extensions)},${join(ch.groups)},${ch.pointFormats.join('-')}`;
}

export function ja3sString(sh: ServerHello): string {
  return `${sh.version},${sh.cipher},${join(sh.extensions)}`;
}

export function md5(s: string): string {
  return createHash('md5').update(s, 'latin1').digest('hex');
}

// The JA3 and JA3S strings are written as bytes into one scratch buffer and
// hashed there (md5.ts): the same bytes as ja3String/ja3sString, no string built.
let text = new Uint8Array(2048);
let n = 0;

function room(k: number): void {
  // md5Hex pads in place: keep 72 bytes spare.
  if (n + k + 72 <= text.length) return;
  const bigger = new Uint8Array((n + k + 72) * 2);
  bigger.set(text.subarray(0, n));
  text = bigger;
}

function putChar(c: number): void {
  room(1);
  text[n++] = c;
}

function putNum(v: number): void {
  room(20);
  if (v < 10) {
    text[n++] = 0x30 + v;
    return;
  }
  const s = String(v);
  for (let i = 0; i < s.length; i++) text[n++] = s.charCodeAt(i);
}

/** join(): values without GREASE, '-' between. */
function putList(values: readonly number[]): void {
  let first = true;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (isGrease(v)) continue;
    if (!first) putChar(0x2d);
    first = false;
    putNum(v);
  }
}

export function ja3(ch: ClientHello): string {
  n = 0;
  putNum(ch.version);
  putChar(0x2c);
  putList(ch.ciphers);
  putChar(0x2c);
  putList(ch.extensions);
  putChar(0x2c);
  putList(ch.groups);
  putChar(0x2c);
  for (let i = 0; i < ch.pointFormats.length; i++) {
    if (i > 0) putChar(0x2d);
    putNum(ch.pointFormats[i]!);
  }
  return md5Hex(text, n);
}

export function ja3s(sh: ServerHello): string {
  n = 0;
  putNum(sh.version);
  putChar(0x2c);
  putNum(sh.cipher);
  putChar(0x2c);
  putList(sh.extensions);
  return md5Hex(text, n);
}

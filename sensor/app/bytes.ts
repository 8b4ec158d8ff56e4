// Small, allocation-free readers shared by the application parsers.
//
// Every reader takes (buf, offset) and trusts the caller to have checked that
// the bytes exist: the parsers check `off + n <= end` once per field, which is
// cheaper and clearer than a bounds check inside each read.

import { Buffer, isUtf8 } from 'node:buffer';

export function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

export function u24(b: Uint8Array, o: number): number {
  return (b[o]! << 16) | (b[o + 1]! << 8) | b[o + 2]!;
}

export function u32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) >>> 0) + ((b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!);
}

/** A Buffer view of bytes [start, end) without copying them. */
export function view(b: Uint8Array, start: number, end: number): Buffer {
  return Buffer.from(b.buffer, b.byteOffset + start, end - start);
}

/**
 * A copy of bytes [start, end), for the few values an analyzer must keep after
 * deliver() returns. Uint8Array's slice, not the argument's own: on a Node
 * Buffer (what the capture readers pass) slice() is a view of the reused
 * capture buffer, which later packets overwrite.
 */
export function copy(b: Uint8Array, start: number, end: number): Uint8Array {
  return Uint8Array.prototype.slice.call(b, start, end);
}

/**
 * A string for bytes that came off the wire as text (HTTP fields, SSH banners, SNI).
 * ASCII and valid UTF-8 decode as such; anything else decodes byte for byte
 * (latin1), so no byte is lost or replaced and the log writer can escape it.
 * At most `max` bytes are decoded; the caller counts the truncation.
 */
export function wireString(b: Uint8Array, start: number, end: number, max: number): string {
  if (end - start > max) end = start + max;
  if (end <= start) return '';
  let ascii = true;
  for (let i = start; i < end; i++) {
    if (b[i]! >= 0x80) {
      ascii = false;
      break;
    }
  }
  // A Buffer (what the capture readers pass) decodes a range in place; a view is an object per field.
  if (ascii && Buffer.isBuffer(b)) return b.toString('latin1', start, end);
  const v = view(b, start, end);
  if (ascii) return v.toString('latin1');
  return isUtf8(v) ? v.toString('utf8') : v.toString('latin1');
}

const HEX = '0123456789abcdef';

export function hex(b: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += HEX[b[i]! >> 4]! + HEX[b[i]! & 15]!;
  return s;
}

/** Four lowercase hex digits, as JA4 writes cipher and extension codes. */
export function hex4(n: number): string {
  return HEX[(n >> 12) & 15]! + HEX[(n >> 8) & 15]! + HEX[(n >> 4) & 15]! + HEX[n & 15]!;
}

/** Case-insensitive ASCII comparison of b[start..start+lit.length) with a lowercase literal. */
export function asciiEqualsLower(b: Uint8Array, start: number, end: number, lit: string): boolean {
  if (end - start !== lit.length) return false;
  for (let i = 0; i < lit.length; i++) {
    let c = b[start + i]!;
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (c !== lit.charCodeAt(i)) return false;
  }
  return true;
}

/** True when b[start..) begins with the ASCII literal (case-sensitive). */
export function startsWith(b: Uint8Array, start: number, end: number, lit: string): boolean {
  if (end - start < lit.length) return false;
  for (let i = 0; i < lit.length; i++) if (b[start + i] !== lit.charCodeAt(i)) return false;
  return true;
}

/** The IPv4 address at b[o..o+4) in dotted form. */
export function ipv4(b: Uint8Array, o: number): string {
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
}

/** The IPv6 address at b[o..o+16) in RFC 5952 form (lowercase, longest zero run compressed). */
export function ipv6(b: Uint8Array, o: number): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push(u16(b, o + 2 * i));
  // IPv4-mapped addresses read better with the dotted tail, as every tool prints them.
  if (w[0] === 0 && w[1] === 0 && w[2] === 0 && w[3] === 0 && w[4] === 0 && w[5] === 0xffff) {
    return `::ffff:${ipv4(b, o + 12)}`;
  }
  let bestAt = -1;
  let bestLen = 1; // RFC 5952: a single zero group is not compressed
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const part = (from: number, to: number): string => w.slice(from, to).map((x) => x.toString(16)).join(':');
  if (bestAt < 0) return part(0, 8);
  return `${part(0, bestAt)}::${part(bestAt + bestLen, 8)}`;
}

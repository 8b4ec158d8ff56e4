/**
 * IP text → numbers without allocating: the engine parses a record's address once per
 * test on the hot path, so this is a hand-written scanner, not split()/parseInt().
 * IPv4 goes to out[0]; IPv6 to out[0..3] (four 32-bit words, most significant first).
 * An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is reported as the IPv4 address, so an
 * IPv4 list matches it.
 */
import { formatAddr, formatIpv4 } from '../../sensor/flow/key.js';

export const NOT_IP = 0;
export const V4 = 4;
export const V6 = 6;

const groups = new Uint32Array(8);

export function parseIp(s: string, out: Uint32Array): 0 | 4 | 6 {
  const n = s.length;
  if (n === 0) return NOT_IP;
  let colon = false;
  for (let i = 0; i < n; i++) {
    if (s.charCodeAt(i) === 58) {
      colon = true;
      break;
    }
  }
  if (!colon) {
    const v = parseV4(s, 0, n);
    if (v < 0) return NOT_IP;
    out[0] = v;
    return V4;
  }
  return parseV6(s, n, out);
}

/** The IPv4 address in s[start, end), as an unsigned 32-bit number, or -1. */
function parseV4(s: string, start: number, end: number): number {
  let v = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      v = v * 256 + part;
      part = 0;
      digits = 0;
    } else return -1;
  }
  if (digits === 0 || dots !== 3) return -1;
  return v * 256 + part;
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

function parseV6(s: string, len: number, out: Uint32Array): 0 | 4 | 6 {
  let end = len;
  for (let i = 0; i < len; i++) {
    if (s.charCodeAt(i) === 37) {
      end = i; // zone id ("%eth0") is not part of the address
      break;
    }
  }
  let g = 0;
  let gap = -1;
  let i = 0;
  if (end >= 2 && s.charCodeAt(0) === 58) {
    if (s.charCodeAt(1) !== 58) return NOT_IP;
    gap = 0;
    i = 2;
    if (i === end) {
      out[0] = out[1] = out[2] = out[3] = 0;
      return V6;
    }
  }
  while (i < end) {
    if (g >= 8) return NOT_IP;
    // An embedded IPv4 tail ("::ffff:1.2.3.4") takes the last two groups.
    let j = i;
    let dot = false;
    while (j < end && s.charCodeAt(j) !== 58) {
      if (s.charCodeAt(j) === 46) dot = true;
      j++;
    }
    if (dot) {
      if (j !== end || g > 6) return NOT_IP;
      const v = parseV4(s, i, end);
      if (v < 0) return NOT_IP;
      groups[g++] = v >>> 16;
      groups[g++] = v & 0xffff;
      i = end;
      break;
    }
    if (j - i < 1 || j - i > 4) return NOT_IP;
    let val = 0;
    for (let k = i; k < j; k++) {
      const h = hexVal(s.charCodeAt(k));
      if (h < 0) return NOT_IP;
      val = val * 16 + h;
    }
    groups[g++] = val;
    i = j;
    if (i < end) {
      i++; // the ':'
      if (i < end && s.charCodeAt(i) === 58) {
        if (gap >= 0) return NOT_IP;
        gap = g;
        i++;
      } else if (i === end) return NOT_IP;
    }
  }
  if (gap < 0 ? g !== 8 : g > 7) return NOT_IP;
  // Expand "::" into the missing zero groups.
  const fill = 8 - g;
  let w0 = 0;
  let w1 = 0;
  let w2 = 0;
  let w3 = 0;
  for (let k = 0; k < 8; k++) {
    let val: number;
    if (gap < 0 || k < gap) val = groups[k]!;
    else if (k < gap + fill) val = 0;
    else val = groups[k - fill]!;
    switch (k >> 1) {
      case 0: w0 = w0 * 65536 + val; break;
      case 1: w1 = w1 * 65536 + val; break;
      case 2: w2 = w2 * 65536 + val; break;
      default: w3 = w3 * 65536 + val;
    }
  }
  if (w0 === 0 && w1 === 0 && w2 === 0xffff) {
    out[0] = w3;
    return V4;
  }
  out[0] = w0;
  out[1] = w1;
  out[2] = w2;
  out[3] = w3;
  return V6;
}

/** What quickV4 returns for text that is not dotted IPv4 (no int32 is this). */
export const NOT_V4 = 2 ** 31;

/**
 * An IPv4 address in dotted text as a sortable int32 key (the address with its top bit
 * flipped, so signed order is address order), or NOT_V4 for anything else (IPv6, junk:
 * left to parseIp). One pass; the result stays a small integer, so nothing is boxed or
 * allocated on the hot path (an unsigned 32-bit value above 2^31 would be a heap number).
 */
export function quickV4(s: string): number {
  const n = s.length;
  if (n < 7 || n > 15) return NOT_V4;
  let v = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return NOT_V4;
    } else if (c === 46) {
      if (digits === 0 || ++dots > 3) return NOT_V4;
      v = ((v << 8) | part) | 0;
      part = 0;
      digits = 0;
    } else return NOT_V4;
  }
  return digits === 0 || dots !== 3 ? NOT_V4 : (((v << 8) | part) ^ 0x80000000) | 0;
}

/** The sortable int32 key of an unsigned IPv4 address. */
export function v4Key(u: number): number {
  return (u ^ 0x80000000) | 0;
}

const scratch = new Uint32Array(4);

/** The canonical text of an address (IPv4 dotted, IPv6 as RFC 5952), or undefined when not one. */
export function canonicalIp(text: string): string | undefined {
  const v = parseIp(text.trim(), scratch);
  if (v === V4) return formatV4(scratch[0]!);
  if (v === V6) return formatV6(scratch);
  return undefined;
}

/** Dotted-quad text of an IPv4 address held as a number: the sensor's formatter, so a list and a record print an address alike. */
export const formatV4 = formatIpv4;

/** RFC 5952 text of an IPv6 address held as four 32-bit words. */
export function formatV6(w: Uint32Array | number[]): string {
  return formatAddr(w[0]!, w[1]!, w[2]!, w[3]!, false);
}

/** An address or CIDR as an inclusive range: IPv4 as numbers, IPv6 as 4-word arrays. */
export type IpRange = { v: 4; lo: number; hi: number } | { v: 6; lo: number[]; hi: number[] };

/** Parses "a.b.c.d", "a.b.c.d/n", IPv6 and IPv6/n; throws with the reason. */
export function parseCidrRange(text: string): IpRange {
  const t = text.trim();
  const slash = t.indexOf('/');
  const addr = slash < 0 ? t : t.slice(0, slash);
  const w = new Uint32Array(4);
  const v = parseIp(addr, w);
  if (v === NOT_IP) throw new Error(`not an IP address or CIDR: "${text}"`);
  const max = v === V4 ? 32 : 128;
  let bits = max;
  if (slash >= 0) {
    const b = t.slice(slash + 1);
    if (!/^\d{1,3}$/.test(b) || Number(b) > max) throw new Error(`bad prefix length in "${text}" (0-${max})`);
    bits = Number(b);
    // A mapped IPv4 written as IPv6 with a /96+ prefix: its prefix counts from the IPv4 part.
    if (v === V4 && addr.includes(':')) {
      if (bits < 96) throw new Error(`prefix /${bits} of an IPv4-mapped address covers more than IPv4: "${text}"`);
      bits -= 96;
    }
  }
  if (v === V4) {
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    const lo = (w[0]! & mask) >>> 0;
    return { v: 4, lo, hi: (lo | (~mask >>> 0)) >>> 0 };
  }
  const lo: number[] = [];
  const hi: number[] = [];
  for (let i = 0; i < 4; i++) {
    const take = Math.max(0, Math.min(32, bits - i * 32));
    const mask = take === 0 ? 0 : take === 32 ? 0xffffffff : (0xffffffff << (32 - take)) >>> 0;
    lo.push((w[i]! & mask) >>> 0);
    hi.push(((w[i]! & mask) | (~mask >>> 0)) >>> 0);
  }
  return { v: 6, lo, hi };
}

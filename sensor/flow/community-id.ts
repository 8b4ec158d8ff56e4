/**
 * Community ID v1 (the flow hash Zeek, Suricata and Elastic share):
 * "1:" + base64(SHA-1(seed16 · saddr · daddr · proto · 0 · sport · dport)),
 * with the endpoints ordered so both directions give the same value, and
 * ICMP types/codes in the port fields. The input is at most 40 bytes, one
 * SHA-1 block, so a small single-block SHA-1 here avoids a crypto object per
 * record (this runs once per connection record).
 */
import type { Conn } from './conn.js';

const W = new Int32Array(80);
const M = new Uint8Array(64);
const OUT = new Uint8Array(20);
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function rotl(x: number, n: number): number {
  return (x << n) | (x >>> (32 - n));
}

const H0 = 0x67452301;
const H1 = 0xefcdab89 | 0;
const H2 = 0x98badcfe | 0;
const H3 = 0x10325476;
const H4 = 0xc3d2e1f0 | 0;

/** SHA-1 of M[0, len) for len <= 55 (one block), into OUT. The four rounds' kinds in loops of their own: no branch per step. */
function sha1OneBlock(len: number): void {
  M.fill(0, len);
  M[len] = 0x80;
  const bits = len * 8;
  M[62] = bits >>> 8;
  M[63] = bits & 0xff;
  for (let i = 0; i < 16; i++) W[i] = (M[i * 4]! << 24) | (M[i * 4 + 1]! << 16) | (M[i * 4 + 2]! << 8) | M[i * 4 + 3]!;
  for (let i = 16; i < 80; i++) W[i] = rotl(W[i - 3]! ^ W[i - 8]! ^ W[i - 14]! ^ W[i - 16]!, 1);
  let a = H0;
  let b = H1;
  let c = H2;
  let d = H3;
  let e = H4;
  let t: number;
  for (let i = 0; i < 20; i++) {
    t = (rotl(a, 5) + ((b & c) | (~b & d)) + e + 0x5a827999 + W[i]!) | 0;
    e = d;
    d = c;
    c = rotl(b, 30);
    b = a;
    a = t;
  }
  for (let i = 20; i < 40; i++) {
    t = (rotl(a, 5) + (b ^ c ^ d) + e + 0x6ed9eba1 + W[i]!) | 0;
    e = d;
    d = c;
    c = rotl(b, 30);
    b = a;
    a = t;
  }
  for (let i = 40; i < 60; i++) {
    t = (rotl(a, 5) + ((b & c) | (b & d) | (c & d)) + e + (0x8f1bbcdc | 0) + W[i]!) | 0;
    e = d;
    d = c;
    c = rotl(b, 30);
    b = a;
    a = t;
  }
  for (let i = 60; i < 80; i++) {
    t = (rotl(a, 5) + (b ^ c ^ d) + e + (0xca62c1d6 | 0) + W[i]!) | 0;
    e = d;
    d = c;
    c = rotl(b, 30);
    b = a;
    a = t;
  }
  put32(OUT, 0, (H0 + a) | 0);
  put32(OUT, 4, (H1 + b) | 0);
  put32(OUT, 8, (H2 + c) | 0);
  put32(OUT, 12, (H3 + d) | 0);
  put32(OUT, 16, (H4 + e) | 0);
}

/** "1:" and the base64 of the 20-byte digest, built as one flat string. */
const TEXT = new Uint16Array(30);
TEXT[0] = 0x31; // '1'
TEXT[1] = 0x3a; // ':'

function digestText(bytes: Uint8Array): string {
  let o = 2;
  let i = 0;
  for (; i + 2 < 20; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    TEXT[o++] = B64.charCodeAt(v >>> 18);
    TEXT[o++] = B64.charCodeAt((v >>> 12) & 63);
    TEXT[o++] = B64.charCodeAt((v >>> 6) & 63);
    TEXT[o++] = B64.charCodeAt(v & 63);
  }
  // 20 = 6 * 3 + 2: two bytes left, one '=' of padding.
  const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
  TEXT[o++] = B64.charCodeAt(v >>> 18);
  TEXT[o++] = B64.charCodeAt((v >>> 12) & 63);
  TEXT[o++] = B64.charCodeAt((v >>> 6) & 63);
  TEXT[o++] = 0x3d;
  // Spelled out rather than apply(): apply copies the array into an argument list first, once per record.
  const t = TEXT;
  return String.fromCharCode(
    t[0]!, t[1]!, t[2]!, t[3]!, t[4]!, t[5]!, t[6]!, t[7]!, t[8]!, t[9]!, t[10]!, t[11]!, t[12]!, t[13]!, t[14]!,
    t[15]!, t[16]!, t[17]!, t[18]!, t[19]!, t[20]!, t[21]!, t[22]!, t[23]!, t[24]!, t[25]!, t[26]!, t[27]!, t[28]!, t[29]!,
  );
}

/** v big-endian at to[o, o+4); the offset after it. */
function put32(to: Uint8Array, o: number, v: number): number {
  to[o] = v >>> 24;
  to[o + 1] = (v >>> 16) & 0xff;
  to[o + 2] = (v >>> 8) & 0xff;
  to[o + 3] = v & 0xff;
  return o + 4;
}

/** ICMP ports per the spec: the type and the type of its answer (or the code, for one-way messages). */
export function communityId(c: Conn, seed = 0): string {
  const v4 = c.ipVersion === 4;
  let sa0 = c.oa0, sa1 = c.oa1, sa2 = c.oa2, sa3 = c.oa3, sp = c.op;
  let da0 = c.ra0, da1 = c.ra1, da2 = c.ra2, da3 = c.ra3, dp = c.rp;
  const hasPorts = c.proto === 6 || c.proto === 17 || c.proto === 1 || c.proto === 58 || c.proto === 132;
  // Order the endpoints: smaller address first, then smaller port (one-way ICMP keeps its direction).
  let swap = false;
  if (!c.oneWay) {
    const cmp = sa0 !== da0 ? sa0 - da0 : sa1 !== da1 ? sa1 - da1 : sa2 !== da2 ? sa2 - da2 : sa3 - da3;
    swap = cmp > 0 || (cmp === 0 && hasPorts && sp > dp);
  }
  if (swap) {
    let t = sa0;
    sa0 = da0;
    da0 = t;
    t = sa1;
    sa1 = da1;
    da1 = t;
    t = sa2;
    sa2 = da2;
    da2 = t;
    t = sa3;
    sa3 = da3;
    da3 = t;
    t = sp;
    sp = dp;
    dp = t;
  }
  let o = 0;
  M[o++] = (seed >>> 8) & 0xff;
  M[o++] = seed & 0xff;
  if (v4) {
    o = put32(M, o, sa3);
    o = put32(M, o, da3);
  } else {
    o = put32(M, o, sa0);
    o = put32(M, o, sa1);
    o = put32(M, o, sa2);
    o = put32(M, o, sa3);
    o = put32(M, o, da0);
    o = put32(M, o, da1);
    o = put32(M, o, da2);
    o = put32(M, o, da3);
  }
  M[o++] = c.proto;
  M[o++] = 0;
  if (hasPorts) {
    M[o++] = sp >>> 8;
    M[o++] = sp & 0xff;
    M[o++] = dp >>> 8;
    M[o++] = dp & 0xff;
  }
  sha1OneBlock(o);
  return digestText(OUT);
}

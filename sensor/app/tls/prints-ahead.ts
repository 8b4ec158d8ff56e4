// The fingerprints of TLS hellos that the native reader computed on its own thread
// (native/tls-hello.c), handed to the TLS session in place of computing them here.
//
// The pipeline arms this with the descriptor of each packet the reader found a hello
// at the start of (and disarms it for every other packet), before the packet goes
// through the flow table. The session asks for the fingerprints of a hello body
// b[start, end): they are given only when b is that packet's buffer and start and end
// are the offsets the reader found the body at. Those are then the very bytes the
// reader hashed, and the fingerprints a pure function of them, so the answer is the
// one ja3.ts and ja4.ts would give; any other hello (split across segments, after
// another message, from a copy) is computed here as before. The reader fingerprints
// only hellos its parser finds nothing unusual in: the weirds stay hello.ts's.

import { Buffer } from 'node:buffer';
import { D_HELLO, D_HELLO_END, D_HELLO_START, D_HELLO_TEXT, HELLO_CLIENT, HELLO_SERVER } from '../../decode/predecoded.js';
import type { ClientFingerprints } from './fingerprints.js';

/** The armed packet: its buffer (null: none armed) and its descriptor (a slot's, unchanged while the packet is processed). */
let buf: Uint8Array | null = null;
let desc: Int32Array = new Int32Array(0);
let at = 0;

/** Whether a packet's fingerprints are armed (the pipeline disarms before any other packet). */
export let armed = false;

/** The packet in b described at d[a...] is next through the pipeline; its descriptor names a hello (D_HELLO). */
export function armPrints(b: Uint8Array, d: Int32Array, a: number): void {
  buf = b;
  desc = d;
  at = a;
  armed = true;
}

export function disarmPrints(): void {
  buf = null;
  armed = false;
}

/**
 * Whether the armed packet is in b: then armedDesc() at armedAt() is its descriptor, for
 * the native TLS analyzer, which reads the fingerprints from it in the same way.
 */
export function armedIn(b: Uint8Array): boolean {
  return b === buf;
}

export function armedDesc(): Int32Array {
  return desc;
}

export function armedAt(): number {
  return at;
}

/** Hellos whose fingerprints were taken from the reader (for tests and profiles). */
export const printsAheadStats = { used: 0 };

/** Whether the armed descriptor names a hello of this kind at exactly b[s, e). */
function names(b: Uint8Array, s: number, e: number, kind: number): boolean {
  return b === buf && desc[at + D_HELLO] === kind && desc[at + D_HELLO_START] === s && desc[at + D_HELLO_END] === e;
}

/** The armed descriptor's fingerprint text, bytes [from, to) after D_HELLO_TEXT. */
function text(from: number, to: number): string {
  const o = (at + D_HELLO_TEXT) * 4;
  return bytesOf(desc).toString('latin1', o + from, o + to);
}

/** JA3 and JA4 of the ClientHello body b[s, e), if the reader computed them. */
export function clientPrintsAhead(b: Uint8Array, s: number, e: number): ClientFingerprints | undefined {
  if (!names(b, s, e, HELLO_CLIENT)) return undefined;
  printsAheadStats.used++;
  return { ja3: text(0, 32), ja4: text(32, 68) };
}

/** JA3S of the ServerHello body b[s, e), if the reader computed it. */
export function serverPrintAhead(b: Uint8Array, s: number, e: number): string | undefined {
  if (!names(b, s, e, HELLO_SERVER)) return undefined;
  printsAheadStats.used++;
  return text(0, 32);
}

/** Byte views of the descriptor arrays (a reader has a few slots, used in turn). */
const views: { desc: Int32Array; bytes: Buffer }[] = [];

function bytesOf(d: Int32Array): Buffer {
  for (let i = 0; i < views.length; i++) if (views[i]!.desc === d) return views[i]!.bytes;
  const bytes = Buffer.from(d.buffer, d.byteOffset, d.byteLength);
  if (views.length >= 16) views.length = 0;
  views.push({ desc: d, bytes });
  return bytes;
}

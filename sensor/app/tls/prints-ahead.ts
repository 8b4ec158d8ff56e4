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

let buf: Uint8Array | null = null;
let kind = 0;
let start = -1;
let end = -1;
let text: Buffer | null = null;
let textAt = 0;

/** Byte views of the descriptor arrays (a reader has a few slots, used in turn). */
const views: { desc: Int32Array; bytes: Buffer }[] = [];

function bytesOf(desc: Int32Array): Buffer {
  for (let i = 0; i < views.length; i++) if (views[i]!.desc === desc) return views[i]!.bytes;
  const bytes = Buffer.from(desc.buffer, desc.byteOffset, desc.byteLength);
  if (views.length >= 16) views.length = 0;
  views.push({ desc, bytes });
  return bytes;
}

/** Whether a packet's fingerprints are armed (the pipeline disarms before any other packet). */
export let armed = false;

/** The packet in b described at desc[at...] is next through the pipeline; its descriptor names a hello (D_HELLO). */
export function armPrints(b: Uint8Array, desc: Int32Array, at: number): void {
  buf = b;
  kind = desc[at + D_HELLO]!;
  start = desc[at + D_HELLO_START]!;
  end = desc[at + D_HELLO_END]!;
  text = bytesOf(desc);
  textAt = (at + D_HELLO_TEXT) * 4;
  armed = true;
}

export function disarmPrints(): void {
  buf = null;
  text = null;
  kind = 0;
  armed = false;
}

/** Hellos whose fingerprints were taken from the reader (for tests and profiles). */
export const printsAheadStats = { used: 0 };

/** JA3 and JA4 of the ClientHello body b[s, e), if the reader computed them. */
export function clientPrintsAhead(b: Uint8Array, s: number, e: number): ClientFingerprints | undefined {
  if (b !== buf || s !== start || e !== end || kind !== HELLO_CLIENT) return undefined;
  printsAheadStats.used++;
  return { ja3: text!.toString('latin1', textAt, textAt + 32), ja4: text!.toString('latin1', textAt + 32, textAt + 68) };
}

/** JA3S of the ServerHello body b[s, e), if the reader computed it. */
export function serverPrintAhead(b: Uint8Array, s: number, e: number): string | undefined {
  if (b !== buf || s !== start || e !== end || kind !== HELLO_SERVER) return undefined;
  printsAheadStats.used++;
  return text!.toString('latin1', textAt, textAt + 32);
}

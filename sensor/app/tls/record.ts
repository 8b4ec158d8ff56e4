// The TLS record layer of one direction (RFC 8446 §5.1): 5-byte headers and
// bodies, without buffering bodies. The handler decides per record what to do
// with the body: stream it into handshake reassembly, collect a 2-byte alert,
// or skip it (ciphertext, application data) by counting.
//
// An SSLv2-format record (RFC 6101 Appendix E: high bit set, 2-byte header) is
// accepted as the first record of the client only, where old clients put
// their SSLv2-compatible ClientHello.

import { Carry } from '../carry.js';
import { u16 } from '../bytes.js';

/** RFC 8446 §5.2: TLSCiphertext may carry 2^14 + 256; RFC 5246 allows 2^14 + 2048. */
export const MAX_RECORD = 16384 + 2048;

export const Body = { Skip: 0, Handshake: 1, Alert: 2 } as const;
export type Body = (typeof Body)[keyof typeof Body];

export interface RecordHandler {
  /** A record begins; says what to do with its body. */
  record(type: number, version: number, length: number): Body;
  handshake(b: Uint8Array, start: number, end: number): void;
  alert(level: number, description: number): void;
  /** The body of an SSLv2-format first record. */
  v2record(b: Uint8Array, start: number, end: number): void;
  /** The stream is not TLS (any more): the reader stops. */
  violation(weird: string): void;
}

export class RecordReader {
  // The header and alert bytes are plain fields, not small typed arrays: a
  // reader is made per direction of every TLS connection, and each typed
  // array would be two more objects to allocate and collect.
  /** The five header bytes as they arrive: type, version (2), length (2). */
  private h0 = 0;
  private h1 = 0;
  private h2 = 0;
  private h3 = 0;
  private h4 = 0;
  private headerLen = 0;
  private remaining = 0;
  private body: Body = Body.Skip;
  private alertLen = 0;
  private alert0 = 0;
  private alert1 = 0;
  private first = true;
  private v2: Carry | undefined;
  private v2Need = 0;
  stopped = false;

  constructor(
    private readonly h: RecordHandler,
    /** Whether this direction may start with an SSLv2-format record. */
    private readonly allowV2: boolean,
  ) {}

  feed(b: Uint8Array, start: number, end: number): void {
    let off = start;
    while (off < end && !this.stopped) {
      if (this.v2) {
        off = this.feedV2(b, off, end);
        continue;
      }
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, end - off);
        if (this.body === Body.Handshake) this.h.handshake(b, off, off + n);
        else if (this.body === Body.Alert) {
          for (let i = 0; i < n && this.alertLen < 2; i++) {
            if (this.alertLen++ === 0) this.alert0 = b[off + i]!;
            else this.alert1 = b[off + i]!;
          }
        }
        this.remaining -= n;
        off += n;
        if (this.remaining === 0) this.endRecord();
        continue;
      }
      if (this.first && this.headerLen === 0 && this.allowV2 && b[off]! & 0x80) {
        this.first = false;
        this.v2 = new Carry(2 + 0x7fff);
        continue;
      }
      if (this.headerLen === 0 && end - off >= 5) {
        // The whole header in this delivery (the usual case).
        this.h0 = b[off]!;
        this.h1 = b[off + 1]!;
        this.h2 = b[off + 2]!;
        this.h3 = b[off + 3]!;
        this.h4 = b[off + 4]!;
        off += 5;
        this.headerLen = 5;
        this.startRecord();
        continue;
      }
      this.headerByte(this.headerLen++, b[off++]!);
      if (this.headerLen === 5) this.startRecord();
    }
  }

  /** Skips `bytes` missed bytes. True if framing survived (the gap fell inside a skipped body). */
  gap(bytes: number): boolean {
    if (this.stopped) return false;
    if (this.headerLen === 0 && !this.v2 && this.body === Body.Skip && bytes <= this.remaining) {
      this.remaining -= bytes;
      return true;
    }
    this.stopped = true;
    return false;
  }

  private headerByte(i: number, v: number): void {
    if (i === 0) this.h0 = v;
    else if (i === 1) this.h1 = v;
    else if (i === 2) this.h2 = v;
    else if (i === 3) this.h3 = v;
    else this.h4 = v;
  }

  private startRecord(): void {
    this.headerLen = 0;
    this.first = false;
    const type = this.h0;
    const version = (this.h1 << 8) | this.h2;
    const length = (this.h3 << 8) | this.h4;
    if (type < 20 || type > 24) return this.stop('tls_unknown_content_type');
    if (this.h1 !== 3) return this.stop('tls_invalid_record_version');
    if (length > MAX_RECORD) return this.stop('tls_record_too_large');
    this.body = this.h.record(type, version, length);
    if (this.stopped) return;
    this.remaining = length;
    this.alertLen = 0;
    if (length === 0) this.endRecord();
  }

  private endRecord(): void {
    if (this.body === Body.Alert && this.alertLen === 2) this.h.alert(this.alert0, this.alert1);
    this.body = Body.Skip;
  }

  private feedV2(b: Uint8Array, off: number, end: number): number {
    const c = this.v2!;
    if (c.length < 2) {
      const n = Math.min(2 - c.length, end - off);
      c.append(b, off, off + n);
      if (c.length === 2) this.v2Need = 2 + (u16(c.bytes, 0) & 0x7fff);
      return off + n;
    }
    const n = Math.min(this.v2Need - c.length, end - off);
    c.append(b, off, off + n);
    if (c.length === this.v2Need) {
      this.h.v2record(c.bytes, 2, c.length);
      this.v2 = undefined;
    }
    return off + n;
  }

  private stop(weird: string): void {
    this.stopped = true;
    this.h.violation(weird);
  }
}

// Handshake message framing of one direction (RFC 8446 §4): type(1) length(3)
// body, where a message may span records and a record may hold several
// messages. A message complete in the caller's buffer is handed over in
// place; only a message split across deliveries is copied, up to
// MAX_HANDSHAKE. A larger one (a certificate chain gone wild) is skipped by
// counting, reported by type only.

import { Carry } from '../carry.js';
import { u24 } from '../bytes.js';

export const MAX_HANDSHAKE = 64 * 1024;

export interface HandshakeHandler {
  message(type: number, b: Uint8Array, start: number, end: number): void;
  tooLarge(type: number, length: number): void;
}

export class HandshakeReader {
  private readonly carry = new Carry(4 + MAX_HANDSHAKE);
  private skip = 0;

  constructor(private readonly h: HandshakeHandler) {}

  feed(b: Uint8Array, start: number, end: number): void {
    let off = start;
    while (off < end) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, end - off);
        this.skip -= n;
        off += n;
        continue;
      }
      const c = this.carry;
      if (c.length > 0) {
        const need = c.length < 4 ? 4 - c.length : 4 + u24(c.bytes, 1) - c.length;
        const n = Math.min(need, end - off);
        c.append(b, off, off + n);
        off += n;
        if (c.length < 4) continue;
        const len = u24(c.bytes, 1);
        if (len > MAX_HANDSHAKE) {
          this.h.tooLarge(c.bytes[0]!, len);
          this.skip = len - (c.length - 4);
          c.clear();
        } else if (c.length === 4 + len) {
          this.h.message(c.bytes[0]!, c.bytes, 4, 4 + len);
          c.clear();
        }
        continue;
      }
      if (end - off < 4) {
        c.append(b, off, end);
        return;
      }
      const len = u24(b, off + 1);
      if (len > MAX_HANDSHAKE) {
        this.h.tooLarge(b[off]!, len);
        this.skip = len;
        off += 4;
        continue;
      }
      if (off + 4 + len > end) {
        c.append(b, off, end);
        return;
      }
      this.h.message(b[off]!, b, off + 4, off + 4 + len);
      off += 4 + len;
    }
  }
}

// CRLF (or bare LF) terminated lines of one direction (HTTP headers, SSH
// banners), bounded.
//
// A line complete in the caller's buffer is handed over in place. A line
// split across deliveries is copied, at most `max` bytes of it; the rest of an
// overlong line is dropped up to its LF and the kept prefix is handed over
// marked truncated, so an 80 KB URI costs `max`, not 80 KB.

import { Carry } from './carry.js';

export class LineReader {
  private readonly carry: Carry;
  private overlong = false;

  constructor(private readonly max: number) {
    this.carry = new Carry(max, Math.min(max, 512));
  }

  /** Bytes held for an incomplete line. */
  get pending(): number {
    return this.carry.length;
  }

  /**
   * Takes one line from b[start, end) if one completes there: calls `line` with its
   * bytes (CR LF removed) and returns the offset after its LF. Returns `end`
   * when the line continues past the buffer (the bytes are kept for next time).
   */
  next(
    b: Uint8Array,
    start: number,
    end: number,
    line: (b: Uint8Array, start: number, end: number, truncated: boolean) => void,
  ): number {
    const lf = lineEnd(b, start, end);
    const stop = lf < 0 ? end : lf;
    const c = this.carry;
    if (!this.overlong) {
      const room = this.max - c.length;
      if (stop - start > room) {
        c.append(b, start, start + room);
        this.overlong = true;
      } else if (lf < 0 || c.length > 0) {
        c.append(b, start, stop);
      }
    }
    if (lf < 0) return end;
    // The line ends at lf.
    const truncated = this.overlong;
    this.overlong = false;
    if (c.length > 0) {
      let e = c.length;
      if (!truncated && e > 0 && c.bytes[e - 1] === 0x0d) e--;
      line(c.bytes, 0, e, truncated);
      c.clear();
    } else {
      let e = lf;
      if (e > start && b[e - 1] === 0x0d) e--;
      line(b, start, e, false);
    }
    return lf + 1;
  }

  reset(): void {
    this.carry.clear();
    this.overlong = false;
  }
}

/** Short ranges searched in place; past this, a view's indexOf (memchr) is faster than the loop. */
const SCAN_IN_PLACE = 128;

/**
 * The LF in b[start, end), or -1. Never past end: the caller's buffer may be a whole block
 * of packets, and indexOf(0x0a, start) would search on into the packets after this one.
 */
export function lineEnd(b: Uint8Array, start: number, end: number): number {
  if (end - start <= SCAN_IN_PLACE) {
    for (let i = start; i < end; i++) if (b[i] === 0x0a) return i;
    return -1;
  }
  const i = b.subarray(start, end).indexOf(0x0a);
  return i < 0 ? -1 : start + i;
}

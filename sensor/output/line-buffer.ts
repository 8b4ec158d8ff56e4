/**
 * Log lines written as bytes, field by field, straight into a large buffer.
 * Building each row as a string first (concatenations, then one UTF-8 encode
 * of the flattened result) cost more than everything else the output does;
 * here numbers become digits and ASCII strings become bytes in place, and only
 * a string with non-ASCII characters takes the native UTF-8 encoder.
 *
 * The buffer is handed to the sink in whole lines only (a line that does not
 * fit is moved to the front of the next block), so several writers' blocks
 * can be interleaved in one file without ever splitting a row.
 */

/** Receives complete lines; it must consume (or copy) the bytes before returning: the buffer is reused. */
export type LineSink = (bytes: Uint8Array) => void;

const DEFAULT_SIZE = 1 << 20;
const DIGITS = 0x30;
const TAB = 0x09;
const NL = 0x0a;
const HEX = '0123456789abcdef';

export class LineBuffer {
  private buf: Buffer;
  private pos = 0;
  /** Where the line being written starts (everything before it is complete lines). */
  private lineStart = 0;

  constructor(
    private readonly sink: LineSink,
    size = DEFAULT_SIZE,
  ) {
    this.buf = Buffer.allocUnsafe(size);
  }

  /** Makes room for n more bytes of the current line. */
  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    if (this.lineStart > 0) {
      this.sink(this.buf.subarray(0, this.lineStart));
      this.buf.copyWithin(0, this.lineStart, this.pos);
      this.pos -= this.lineStart;
      this.lineStart = 0;
    }
    if (this.pos + n > this.buf.length) {
      // One line longer than the block: grow (rare; a row is bounded by the analyzers' limits).
      let size = this.buf.length * 2;
      while (size < this.pos + n) size *= 2;
      const bigger = Buffer.allocUnsafe(size);
      this.buf.copy(bigger, 0, 0, this.pos);
      this.buf = bigger;
    }
  }

  /** Text that is whole lines, each ending in a newline (a log's header). */
  textLines(s: string): void {
    this.text(s);
    this.lineStart = this.pos;
  }

  /**
   * Whole lines written elsewhere (the native flow core's conn.log rows), between lines:
   * copied in, or, when they are most of a block, handed to the sink as they are, after
   * the lines before them.
   */
  lines(src: Uint8Array): void {
    if (this.pos !== this.lineStart) throw new Error('LineBuffer.lines: a line is being written');
    if (src.length >= this.buf.length >> 1) {
      if (this.pos > 0) this.sink(this.buf.subarray(0, this.pos));
      this.pos = 0;
      this.lineStart = 0;
      if (src.length > 0) this.sink(src);
      return;
    }
    this.room(src.length);
    this.buf.set(src, this.pos);
    this.pos += src.length;
    this.lineStart = this.pos;
  }

  /** Ends the current line. */
  endLine(): void {
    if (this.pos >= this.buf.length) this.room(1);
    this.buf[this.pos++] = NL;
    this.lineStart = this.pos;
  }

  tab(): void {
    if (this.pos >= this.buf.length) this.room(1);
    this.buf[this.pos++] = TAB;
  }

  byte(c: number): void {
    if (this.pos >= this.buf.length) this.room(1);
    this.buf[this.pos++] = c;
  }

  /** s[start, end) as bytes, one per character: text already in the log's encoding and escaped (rows a native analyzer wrote). */
  bytes(s: string, start: number, end: number): void {
    const n = end - start;
    this.room(n);
    if (n > 64) {
      // (a long run is copied natively: a substring of a flat string costs no copy of its own)
      this.pos += this.buf.write(s.substring(start, end), this.pos, n, 'latin1');
      return;
    }
    const b = this.buf;
    let p = this.pos;
    for (let i = start; i < end; i++) b[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** A string as UTF-8, unescaped (text the caller knows is safe: tokens, numbers, addresses). */
  text(s: string): void {
    const n = s.length;
    this.room(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        this.pos = p;
        this.utf8(s.slice(i));
        return;
      }
      b[p++] = c;
    }
    this.pos = p;
  }

  /**
   * A string value of a Zeek log field, escaped as Zeek does (see escapeZeek in
   * zeek-log.ts, which this must match byte for byte): control characters, DEL
   * and the backslash (and in sets the comma) become \xNN, and a whole value
   * of "-" or "(empty)" gets its first character escaped.
   */
  zeek(s: string, inSet = false): void {
    const n = s.length;
    if (n === 0) return;
    if ((n === 1 && s === '-') || (n === 7 && s === '(empty)')) {
      this.hexEscape(s.charCodeAt(0));
      this.text(s.slice(1));
      return;
    }
    this.room(n);
    let b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x20 && c < 0x7f && c !== 0x5c && !(inSet && c === 0x2c)) {
        b[p++] = c;
        continue;
      }
      this.pos = p;
      if (c >= 0x80) {
        // Non-ASCII from here on: escape the rest as text, then encode it natively.
        this.utf8(escapeRest(s, i, inSet));
        return;
      }
      this.hexEscape(c);
      this.room(n - i);
      // (room() may have moved the line or grown the buffer.)
      b = this.buf;
      p = this.pos;
    }
    this.pos = p;
  }

  private hexEscape(c: number): void {
    this.room(4);
    const b = this.buf;
    b[this.pos] = 0x5c;
    b[this.pos + 1] = 0x78;
    b[this.pos + 2] = HEX.charCodeAt(c >> 4);
    b[this.pos + 3] = HEX.charCodeAt(c & 15);
    this.pos += 4;
  }

  private utf8(s: string): void {
    this.room(s.length * 3);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /** A number as String(n) writes it; integers below 2^53 without building a string. */
  num(v: number): void {
    if (!Number.isSafeInteger(v)) {
      this.text(String(v));
      return;
    }
    if (v < 0) {
      this.byte(0x2d);
      v = -v;
    }
    this.uint(v);
  }

  /** A non-negative safe integer's digits. */
  uint(v: number): void {
    this.room(16);
    const b = this.buf;
    if (v <= 0x7fffffff) {
      let x = v | 0;
      const digits = x < 10 ? 1 : x < 100 ? 2 : x < 1000 ? 3 : x < 10000 ? 4 : x < 100000 ? 5 : x < 1000000 ? 6 : x < 10000000 ? 7 : x < 100000000 ? 8 : x < 1000000000 ? 9 : 10;
      let p = this.pos + digits;
      this.pos = p;
      do {
        const q = (x / 10) | 0;
        b[--p] = DIGITS + x - q * 10;
        x = q;
      } while (x !== 0);
      return;
    }
    let digits = 1;
    for (let t = v; t >= 10; t = Math.floor(t / 10)) digits++;
    let p = this.pos + digits;
    this.pos = p;
    while (v >= 10) {
      const q = Math.floor(v / 10);
      b[--p] = DIGITS + (v - q * 10); // (48 + v first would round above 2^53)
      v = q;
    }
    b[--p] = DIGITS + v;
  }

  /** Zeek's time and interval format: seconds, '.', six digits of microseconds (formatTime in zeek-log.ts). */
  time(sec: number, nsec: number): void {
    this.num(sec);
    this.room(7);
    const b = this.buf;
    b[this.pos++] = 0x2e;
    let us = Math.floor(nsec / 1000);
    if (!(us >= 0 && us < 1e6) || !Number.isInteger(us)) {
      // Outside the ordinary range: exactly what String(us).padStart(6, '0') gives.
      this.text(String(us).padStart(6, '0'));
      return;
    }
    us |= 0;
    for (let i = 5; i >= 0; i--) {
      const q = (us / 10) | 0;
      b[this.pos + i] = DIGITS + us - q * 10;
      us = q;
    }
    this.pos += 6;
  }

  /** Hands every complete line to the sink. */
  flush(): void {
    if (this.lineStart === 0) return;
    this.sink(this.buf.subarray(0, this.lineStart));
    this.buf.copyWithin(0, this.lineStart, this.pos);
    this.pos -= this.lineStart;
    this.lineStart = 0;
  }
}

/** escapeZeek's treatment of s from index i on (the caller has written s[0, i) already). */
function escapeRest(s: string, i: number, inSet: boolean): string {
  let out = '';
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || c === 0x5c || (inSet && c === 0x2c)) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += s[i];
  }
  return out;
}

// The bytes of one direction that a parser needs but that have not all arrived.
//
// TCP hands an analyzer segments, not messages: a TLS handshake message, a
// DNS-over-TCP message or an HTTP header line can straddle deliveries. The
// parsers read directly from the caller's buffer whenever a unit is complete
// in it, and only copy the incomplete tail of a unit here. The copy is bounded
// (`max`); growing past it is the caller's "too large" weird.

const NONE = new Uint8Array(0);

export class Carry {
  // Allocated on first use: most flows never split a unit across deliveries,
  // and a sensor holds a great many flows.
  private buf: Uint8Array = NONE;
  private len = 0;

  constructor(
    private readonly max: number,
    private readonly initial = 256,
  ) {}

  get length(): number {
    return this.len;
  }

  /** The backing array; the carried bytes are [0, length). Valid until the next append or consume. */
  get bytes(): Uint8Array {
    return this.buf;
  }

  /** Appends b[start, end). False, appending nothing, when that would exceed the bound. */
  append(b: Uint8Array, start: number, end: number): boolean {
    const n = end - start;
    if (n <= 0) return true;
    if (this.len + n > this.max) return false;
    if (this.len + n > this.buf.length) {
      let size = Math.max(this.buf.length * 2, this.initial);
      while (size < this.len + n) size *= 2;
      const next = new Uint8Array(Math.min(size, this.max));
      next.set(this.buf.subarray(0, this.len));
      this.buf = next;
    }
    this.buf.set(b.subarray(start, end), this.len);
    this.len += n;
    return true;
  }

  /** Drops the first n carried bytes. */
  consume(n: number): void {
    if (n >= this.len) {
      this.len = 0;
      return;
    }
    this.buf.copyWithin(0, n, this.len);
    this.len -= n;
  }

  clear(): void {
    this.len = 0;
    // Give back a buffer that grew for one large unit; the common case is small.
    if (this.buf.length > 4096) this.buf = NONE;
  }
}

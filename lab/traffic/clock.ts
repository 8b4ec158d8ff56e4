/**
 * The capture's time base. Inside the generator a timestamp is a whole number of
 * nanoseconds since the capture's start, held in a double (exact for 104 days); only at
 * the edges is it turned into epoch seconds and a fraction. In microsecond captures
 * every timestamp is truncated to a whole microsecond before it is written, and the
 * ground truth reports the same truncated value, so the truth is what the file says.
 */
export class CaptureClock {
  private readonly baseSec: number;
  private readonly baseNs: number;
  readonly resolutionNs: 1 | 1000;

  constructor(start: Date, nanosecond: boolean) {
    const ms = start.getTime();
    if (!Number.isFinite(ms)) throw new Error('the start time is not a valid date');
    this.baseSec = Math.floor(ms / 1000);
    this.baseNs = (ms - this.baseSec * 1000) * 1e6;
    this.resolutionNs = nanosecond ? 1 : 1000;
  }

  /** The timestamp as the file stores it (truncated to the file's resolution). */
  quantize(relNs: number): number {
    return relNs - (relNs % this.resolutionNs);
  }

  /** Epoch seconds of a relative timestamp. */
  seconds(relNs: number): number {
    return this.baseSec + Math.floor((this.baseNs + relNs) / 1e9);
  }

  /** The sub-second part in the file's unit (µs or ns). */
  fraction(relNs: number): number {
    const total = this.baseNs + relNs;
    return (total - Math.floor(total / 1e9) * 1e9) / this.resolutionNs;
  }

  /** Exact epoch nanoseconds, as a decimal string (JSON numbers cannot hold them). */
  epochNsText(relNs: number): string {
    return (BigInt(this.baseSec) * 1_000_000_000n + BigInt(this.baseNs + relNs)).toString();
  }

  epochNs(relNs: number): bigint {
    return BigInt(this.baseSec) * 1_000_000_000n + BigInt(this.baseNs + relNs);
  }

  /** Epoch seconds as a double, the way Zeek's `ts` is printed (µs precision survives). */
  epochSeconds(relNs: number): number {
    const total = this.baseNs + relNs;
    const whole = Math.floor(total / 1e9);
    return this.baseSec + whole + (total - whole * 1e9) / 1e9;
  }
}

/**
 * A token bucket per sensor, in records per second. Over the limit a sensor is slowed
 * (its socket paused for the deficit), never refused: its records wait in its spool.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerS: number,
    private readonly burst: number,
    now = Date.now(),
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** Takes n tokens; returns how many ms the caller should wait before the next take (0 if none). */
  take(n: number, now = Date.now()): number {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerS);
    this.last = now;
    this.tokens -= n;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.ratePerS) * 1000);
  }
}

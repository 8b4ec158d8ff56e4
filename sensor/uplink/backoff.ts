/**
 * Exponential back-off with full jitter: the delay is uniform in
 * [0, min(max, max(spread, base·2^n))]. The spread is the narrowest window even the
 * first retry is drawn from: when a collector dies, every sensor connected to it loses
 * its connection in the same instant, and retries drawn from [0, base] would bring them
 * all to the surviving collector (or to the restarted one) within half a second. Drawn
 * from 10 s, a collector's 10,000 sensors arrive at about 1,000 a second; after a long
 * outage the growing windows spread them wider still.
 */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly baseMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
    private readonly spreadMs = 0,
  ) {}

  next(): number {
    const ceiling = Math.min(this.maxMs, Math.max(this.spreadMs, this.baseMs * 2 ** Math.min(this.attempt, 30)));
    this.attempt++;
    return Math.floor(this.random() * ceiling);
  }

  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}

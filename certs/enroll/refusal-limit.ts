/**
 * Refused requests per client address, as a token bucket: an address may be refused
 * `burst` times, and earns one more refusal every 60 / perMinute seconds. Past that its
 * enrollment and renewal requests are answered 429 without being looked at, until it has
 * earned one again. The tokens themselves cannot be guessed (tokens.ts), so this is not
 * about guessing: every refused token is written to the audit trail and the log, and an
 * address hammering the service with bad tokens or CSRs would otherwise fill both and keep
 * the CA busy. Successful requests cost nothing.
 */
export interface RefusalLimitOptions {
  /** Refusals an address may have at once (default 30). */
  burst?: number;
  /** Refusals an address earns back per minute (default 30). */
  perMinute?: number;
  /** Addresses tracked at most (default 100,000); beyond, the longest-quiet are forgotten. */
  maxAddresses?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class RefusalLimit {
  private readonly burst: number;
  private readonly perMs: number;
  private readonly max: number;
  private readonly buckets = new Map<string, Bucket>();

  constructor(o: RefusalLimitOptions = {}) {
    this.burst = o.burst ?? 30;
    this.perMs = (o.perMinute ?? 30) / 60_000;
    this.max = o.maxAddresses ?? 100_000;
  }

  /** Seconds until the address may be refused again (0: its request may be handled now). */
  waitSeconds(address: string, now = Date.now()): number {
    const b = this.refill(address, now);
    if (b === undefined || b.tokens >= 1) return 0;
    return Math.max(1, Math.ceil((1 - b.tokens) / this.perMs / 1000));
  }

  /** Counts a refusal of the address's request. */
  refused(address: string, now = Date.now()): void {
    const b = this.refill(address, now) ?? { tokens: this.burst, at: now };
    b.tokens = Math.max(0, b.tokens - 1);
    // Re-inserted, so that the Map's order is the order of last refusal: the first entries are the quietest.
    this.buckets.delete(address);
    this.buckets.set(address, b);
    if (this.buckets.size > this.max) this.buckets.delete(this.buckets.keys().next().value!);
  }

  get size(): number {
    return this.buckets.size;
  }

  private refill(address: string, now: number): Bucket | undefined {
    const b = this.buckets.get(address);
    if (b === undefined) return undefined;
    b.tokens = Math.min(this.burst, b.tokens + (now - b.at) * this.perMs);
    b.at = now;
    if (b.tokens >= this.burst) {
      this.buckets.delete(address); // back to a full allowance: nothing to remember
      return undefined;
    }
    return b;
  }
}

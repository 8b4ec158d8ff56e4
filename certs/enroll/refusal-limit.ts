/**
 * Refused requests per client address, as a token bucket: an address may be refused
 * `burst` times, and earns one more refusal every 60 / perMinute seconds. Past that its
 * enrollment and renewal requests are answered 429 without being looked at, until it has
 * earned one again. The tokens themselves cannot be guessed (tokens.ts), so this is not
 * about guessing: every refusal is logged, one naming a real token is also audited, and
 * an address hammering the service with bad tokens or CSRs would otherwise fill both and
 * keep the CA busy. A request takes its refusal when it arrives and gives it back when it
 * succeeds (so requests in flight at once cannot exceed the allowance); successful
 * requests cost nothing.
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

  /**
   * Takes one refusal from the address's allowance for a request about to be handled:
   * 0 when taken, else the seconds until one is earned back (the request is not handled).
   */
  take(address: string, now = Date.now()): number {
    const b = this.refill(address, now) ?? { tokens: this.burst, at: now };
    if (b.tokens < 1) return Math.max(1, Math.ceil((1 - b.tokens) / this.perMs / 1000));
    b.tokens -= 1;
    // Re-inserted, so that the Map's order is the order of last use: the first entries are the quietest.
    this.buckets.delete(address);
    this.buckets.set(address, b);
    if (this.buckets.size > this.max) this.buckets.delete(this.buckets.keys().next().value!);
    return 0;
  }

  /** Gives back what take() took: the request was not refused. */
  giveBack(address: string, now = Date.now()): void {
    const b = this.refill(address, now);
    if (b === undefined) return;
    b.tokens = Math.min(this.burst, b.tokens + 1);
    if (b.tokens >= this.burst) this.buckets.delete(address);
  }

  /** Whether the address has no refusal left (its next request gets 429). */
  exhausted(address: string, now = Date.now()): boolean {
    const b = this.refill(address, now);
    return b !== undefined && b.tokens < 1;
  }

  get size(): number {
    return this.buckets.size;
  }

  private refill(address: string, now: number): Bucket | undefined {
    const b = this.buckets.get(address);
    if (b === undefined) return undefined;
    // (A clock stepped back earns nothing, and costs nothing either.)
    b.tokens = Math.min(this.burst, b.tokens + Math.max(0, now - b.at) * this.perMs);
    b.at = now;
    if (b.tokens >= this.burst) {
      this.buckets.delete(address); // back to a full allowance: nothing to remember
      return undefined;
    }
    return b;
  }
}

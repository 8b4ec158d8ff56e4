import type { RedisClient } from '../../../collector/streams/redis.js';

/**
 * Login throttling in Redis, shared by every console instance: an attacker gains nothing
 * by spreading guesses across instances. Two counters, each a fixed window:
 *   - failures per account: locks the account's password guessing for the window;
 *   - attempts per client address: slows one source spraying many accounts.
 */
export class LoginLimiter {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly limits: { maxFailuresPerUser: number; maxAttemptsPerAddress: number; windowMs: number },
  ) {}

  private userKey(name: string): string {
    return `${this.prefix}console:login-failures:${name}`;
  }
  private addressKey(address: string): string {
    return `${this.prefix}console:login-attempts:${address}`;
  }

  /** Counts an attempt from the address; returns seconds to wait when over a limit, else 0. */
  async admit(name: string, address: string): Promise<number> {
    const addrKey = this.addressKey(address);
    const attempts = await this.redis.incr(addrKey);
    if (attempts === 1) await this.redis.pexpire(addrKey, this.limits.windowMs);
    if (attempts > this.limits.maxAttemptsPerAddress) return this.retryAfter(addrKey);
    const failures = Number((await this.redis.get(this.userKey(name))) ?? 0);
    if (failures >= this.limits.maxFailuresPerUser) return this.retryAfter(this.userKey(name));
    return 0;
  }

  async failed(name: string): Promise<void> {
    const key = this.userKey(name);
    const n = await this.redis.incr(key);
    if (n === 1) await this.redis.pexpire(key, this.limits.windowMs);
  }

  async succeeded(name: string): Promise<void> {
    await this.redis.del(this.userKey(name));
  }

  private async retryAfter(key: string): Promise<number> {
    const ms = await this.redis.pttl(key);
    return Math.max(1, Math.ceil((ms > 0 ? ms : this.limits.windowMs) / 1000));
  }
}

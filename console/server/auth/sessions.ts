import { createHash, randomBytes } from 'node:crypto';
import type { RedisClient } from '../../../collector/streams/redis.js';
import type { UserStore } from './users.js';

export interface Session {
  /** The hashed id: what Redis holds; the raw id lives only in the browser's cookie. */
  key: string;
  user: string;
  /** The synchronizer token every state-changing request must carry in X-CSRF-Token. */
  csrf: string;
  createdAt: number;
  lastSeenAt: number;
}

/** __Host- cookies must be Secure, Path=/ and carry no Domain: no sibling host can set or shadow them. */
export const SESSION_COOKIE = '__Host-chot_session';

function hashId(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}

/**
 * Sessions in Redis so any console instance serves any user. Only a hash of the session
 * id is stored: a copy of Redis does not hold usable cookies. Sessions end after an idle
 * time (renewed as the user works) and after an absolute lifetime, whichever is first.
 */
export class SessionStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly users: UserStore,
    private readonly limits: { idleMs: number; absoluteMs: number },
  ) {}

  private key(hashed: string): string {
    return `${this.prefix}console:session:${hashed}`;
  }

  /** A new session; returns the raw id for the cookie. */
  async create(user: string): Promise<{ id: string; session: Session }> {
    const id = randomBytes(32).toString('base64url');
    const now = Date.now();
    const session: Session = { key: hashId(id), user, csrf: randomBytes(32).toString('base64url'), createdAt: now, lastSeenAt: now };
    await this.redis.hset(this.key(session.key), { user, csrf: session.csrf, createdAt: String(now), lastSeenAt: String(now) });
    await this.redis.pexpire(this.key(session.key), this.limits.idleMs);
    await this.redis.sadd(this.users.sessionsKey(user), session.key);
    return { id, session };
  }

  /** The live session of a raw id, renewing its idle time; undefined when unknown or expired. */
  async resolve(id: string): Promise<Session | undefined> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(id)) return undefined;
    const hashed = hashId(id);
    const h = await this.redis.hgetall(this.key(hashed));
    if (!h.user || !h.csrf) return undefined;
    const now = Date.now();
    const session: Session = { key: hashed, user: h.user, csrf: h.csrf, createdAt: Number(h.createdAt), lastSeenAt: Number(h.lastSeenAt) };
    if (now - session.createdAt > this.limits.absoluteMs) {
      await this.destroyKey(hashed, session.user);
      return undefined;
    }
    // Renew at most once a minute: a busy client does not write to Redis on every request.
    if (now - session.lastSeenAt > 60_000) {
      await this.redis.multi().hset(this.key(hashed), 'lastSeenAt', String(now)).pexpire(this.key(hashed), this.limits.idleMs).exec();
      session.lastSeenAt = now;
    }
    return session;
  }

  /** Whether a session (by its hashed key) still exists: the WebSocket re-checks this while open. */
  async alive(hashed: string): Promise<boolean> {
    return (await this.redis.exists(this.key(hashed))) === 1;
  }

  async destroy(session: Session): Promise<void> {
    await this.destroyKey(session.key, session.user);
  }

  private async destroyKey(hashed: string, user: string): Promise<void> {
    await this.redis.del(this.key(hashed));
    await this.redis.srem(this.users.sessionsKey(user), hashed);
  }

  /** Ends every session of a user (disabled, password or role changed). */
  async destroyAll(user: string): Promise<number> {
    const keys = await this.redis.smembers(this.users.sessionsKey(user));
    for (const k of keys) await this.redis.del(this.key(k));
    await this.redis.del(this.users.sessionsKey(user));
    return keys.length;
  }
}

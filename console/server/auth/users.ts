import { z } from 'zod';
import type { RedisClient } from '../../../collector/streams/redis.js';
import { parseNodeId } from '../../../certs/node-id.js';
import { isConsoleRole, type ConsoleRole } from './roles.js';
import { isSealed, type SecretBox } from './secret-box.js';

export const userNameSchema = z.string().regex(/^[a-z0-9][a-z0-9._-]{1,63}$/, 'a user name is 2-64 characters: lower-case letters, digits, ".", "_", "-"');

export interface ConsoleUser {
  name: string;
  displayName: string;
  roles: ConsoleRole[];
  /** The subtree the user is limited to (a node id like "01" or "01/001"); undefined: the whole country. */
  scope?: string;
  disabled: boolean;
  passwordHash: string;
  totpSecret?: string;
  createdAt: string;
  updatedAt: string;
}

/** What the console shows of a user: never the hash or the TOTP secret. */
export interface PublicUser {
  name: string;
  displayName: string;
  roles: ConsoleRole[];
  scope?: string;
  disabled: boolean;
  totp: boolean;
  createdAt: string;
  updatedAt: string;
}

export function publicUser(u: ConsoleUser): PublicUser {
  return {
    name: u.name,
    displayName: u.displayName,
    roles: u.roles,
    ...(u.scope ? { scope: u.scope } : {}),
    disabled: u.disabled,
    totp: !!u.totpSecret,
    createdAt: u.createdAt,
    updatedAt: u.updatedAt,
  };
}

export class UserExistsError extends Error {}

/**
 * Console users in Redis, so every console instance and the CLI see one set. A user's
 * keys share a hash tag, so its record, its session list and its TOTP replay guard sit
 * on one Redis Cluster slot.
 */
export class UserStore {
  /** box: seals TOTP secrets at rest (see SecretBox); without it they are stored as given. */
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly box?: SecretBox,
  ) {}

  private tag(name: string): string {
    return `${this.prefix}{console-user:${name}}`;
  }
  private userKey(name: string): string {
    return `${this.tag(name)}:record`;
  }
  /** The (hashed) ids of the user's sessions, so disabling a user or changing a password ends them all. */
  sessionsKey(name: string): string {
    return `${this.tag(name)}:sessions`;
  }
  private totpUsedKey(name: string): string {
    return `${this.tag(name)}:totp-used`;
  }
  private totpPendingKey(name: string): string {
    return `${this.tag(name)}:totp-pending`;
  }
  private get namesKey(): string {
    return `${this.prefix}console:users`;
  }

  async get(name: string): Promise<ConsoleUser | undefined> {
    if (!userNameSchema.safeParse(name).success) return undefined;
    const h = await this.redis.hgetall(this.userKey(name));
    if (!h.name || !h.passwordHash) return undefined;
    const roles = (JSON.parse(h.roles ?? '[]') as string[]).filter(isConsoleRole);
    return {
      name: h.name,
      displayName: h.displayName ?? h.name,
      roles,
      ...(h.scope ? { scope: h.scope } : {}),
      disabled: h.disabled === '1',
      passwordHash: h.passwordHash,
      ...(h.totpSecret ? { totpSecret: this.openSecret(h.totpSecret, h.name) } : {}),
      createdAt: h.createdAt ?? '',
      updatedAt: h.updatedAt ?? '',
    };
  }

  async list(): Promise<ConsoleUser[]> {
    const names = (await this.redis.smembers(this.namesKey)).sort();
    const users = await Promise.all(names.map((n) => this.get(n)));
    return users.filter((u): u is ConsoleUser => !!u);
  }

  async create(u: Omit<ConsoleUser, 'createdAt' | 'updatedAt' | 'disabled'> & { disabled?: boolean }): Promise<ConsoleUser> {
    const now = new Date().toISOString();
    const user: ConsoleUser = { ...u, disabled: u.disabled ?? false, createdAt: now, updatedAt: now };
    validateScope(user.scope);
    // HSETNX on the name field makes creation atomic: two admins adding one name, one wins.
    const created = await this.redis.hsetnx(this.userKey(u.name), 'name', u.name);
    if (created !== 1) throw new UserExistsError(`user ${u.name} already exists`);
    await this.redis.hset(this.userKey(u.name), this.fields(user));
    await this.redis.sadd(this.namesKey, u.name);
    return user;
  }

  /** Applies a change; returns the updated user, or undefined if there is no such user. */
  async update(
    name: string,
    change: Partial<Pick<ConsoleUser, 'displayName' | 'roles' | 'disabled' | 'passwordHash'>> & { scope?: string | null; totpSecret?: string | null },
  ): Promise<ConsoleUser | undefined> {
    const user = await this.get(name);
    if (!user) return undefined;
    const next: ConsoleUser = { ...user, updatedAt: new Date().toISOString() };
    if (change.displayName !== undefined) next.displayName = change.displayName;
    if (change.roles !== undefined) next.roles = change.roles;
    if (change.disabled !== undefined) next.disabled = change.disabled;
    if (change.passwordHash !== undefined) next.passwordHash = change.passwordHash;
    if (change.scope === null) delete next.scope;
    else if (change.scope !== undefined) next.scope = change.scope;
    if (change.totpSecret === null) delete next.totpSecret;
    else if (change.totpSecret !== undefined) next.totpSecret = change.totpSecret;
    validateScope(next.scope);
    const drop = [...(next.scope ? [] : ['scope']), ...(next.totpSecret ? [] : ['totpSecret'])];
    const tx = this.redis.multi().hset(this.userKey(name), this.fields(next));
    if (drop.length) tx.hdel(this.userKey(name), ...drop);
    await tx.exec();
    return next;
  }

  /**
   * Records a TOTP step as used; false if it (or a later one) was used before, so a code
   * seen over someone's shoulder cannot be replayed within its validity.
   */
  async claimTotpStep(name: string, step: number): Promise<boolean> {
    const key = this.totpUsedKey(name);
    // Compare-and-set in one script: two logins racing with one code, one wins.
    const res = await this.redis.eval(
      "local last = tonumber(redis.call('GET', KEYS[1]) or '-1') if tonumber(ARGV[1]) <= last then return 0 end redis.call('SET', KEYS[1], ARGV[1], 'PX', 600000) return 1",
      1,
      key,
      String(step),
    );
    return res === 1;
  }

  /**
   * A secret a user is enrolling (shown to them, not yet confirmed with a code), sealed
   * like an enrolled one, for ttlSeconds: an enrolment left half-done expires.
   */
  async setPendingTotp(name: string, secret: string, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.totpPendingKey(name), this.box ? this.box.seal(secret, name) : secret, 'EX', ttlSeconds);
  }

  async pendingTotp(name: string): Promise<string | undefined> {
    const stored = await this.redis.get(this.totpPendingKey(name));
    return stored === null ? undefined : this.openSecret(stored, name);
  }

  async clearPendingTotp(name: string): Promise<void> {
    await this.redis.del(this.totpPendingKey(name));
  }

  private fields(u: ConsoleUser): Record<string, string> {
    return {
      name: u.name,
      displayName: u.displayName,
      roles: JSON.stringify(u.roles),
      disabled: u.disabled ? '1' : '0',
      passwordHash: u.passwordHash,
      createdAt: u.createdAt,
      updatedAt: u.updatedAt,
      ...(u.scope ? { scope: u.scope } : {}),
      ...(u.totpSecret ? { totpSecret: this.box ? this.box.seal(u.totpSecret, u.name) : u.totpSecret } : {}),
    };
  }

  private openSecret(stored: string, name: string): string {
    if (this.box) return this.box.open(stored, name);
    // Better a clear failure than a login that silently compares codes against ciphertext.
    if (isSealed(stored)) throw new Error(`the TOTP secret of ${name} is sealed, and this console has no totpKeyFile to open it`);
    return stored;
  }
}

function validateScope(scope: string | undefined): void {
  if (scope !== undefined) parseNodeId(scope);
}

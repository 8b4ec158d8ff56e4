import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Pki } from '../pki.js';
import type { Role } from '../roles.js';
import type { MintedTokenRecord } from '../store/records.js';
import type { TokenEntry } from '../store/token-store.js';

/**
 * Enrollment tokens: "chot1.<id>.<secret>". The id (72 random bits) finds the record
 * and names the token in logs and the audit trail; the secret (256 random bits) is
 * stored only as its SHA-256. With that much entropy a plain hash is enough: there is
 * nothing to brute-force, so no slow password hash is needed.
 */
const PREFIX = 'chot1';
const TOKEN = /^chot1\.([A-Za-z0-9_-]{12})\.([A-Za-z0-9_-]{43})$/;

export interface MintedToken {
  token: string;
  id: string;
  nodeId: string;
  role: Role;
  expiresAt: Date;
}

/** Why a token was refused; `code` is stable, the message is for people. */
export class TokenRefused extends Error {
  override name = 'TokenRefused';
  constructor(
    readonly code: 'malformed' | 'unknown' | 'used' | 'expired',
    message: string,
    readonly tokenId?: string,
  ) {
    super(message);
  }
}

export function parseToken(text: string): { id: string; secret: string } {
  const m = TOKEN.exec(text.trim());
  if (!m) throw new TokenRefused('malformed', 'token malformed (expected chot1.<id>.<secret>)');
  return { id: m[1]!, secret: m[2]! };
}

const hashOf = (secret: string): Buffer => createHash('sha256').update(secret).digest();

/**
 * The token's record if the token may be used now. Call under `pki.exclusive` (after
 * its refresh) for the decision that counts; a check outside is only an early refusal.
 */
export function checkToken(pki: Pki, token: string, now: Date): TokenEntry {
  const { id, secret } = parseToken(token);
  const entry = pki.tokens.get(id);
  // Unknown id and wrong secret get the same answer: nothing to learn from probing.
  if (!entry || !timingSafeEqual(hashOf(secret), Buffer.from(entry.minted.hash, 'hex'))) {
    throw new TokenRefused('unknown', 'token not valid', entry ? id : undefined);
  }
  if (entry.used) throw new TokenRefused('used', `token already used (at ${entry.used.at})`, id);
  if (new Date(entry.minted.expiresAt) <= now) throw new TokenRefused('expired', `token expired (at ${entry.minted.expiresAt})`, id);
  return entry;
}

/** Mints tokens for nodes, recording only their hashes; the tokens themselves are returned once, here. */
export async function mintTokens(
  pki: Pki,
  requests: readonly { nodeId: string; role: Role }[],
  opts: { ttlMs: number; actor: string; now?: Date },
): Promise<MintedToken[]> {
  if (!(opts.ttlMs > 0)) throw new Error('token lifetime must be positive');
  const now = opts.now ?? new Date();
  const expiresAt = new Date(now.getTime() + opts.ttlMs);
  const minted = requests.map((r) => {
    const id = randomBytes(9).toString('base64url');
    const secret = randomBytes(32).toString('base64url');
    return { token: `${PREFIX}.${id}.${secret}`, id, nodeId: r.nodeId, role: r.role, expiresAt, hash: hashOf(secret).toString('hex') };
  });
  const records: MintedTokenRecord[] = minted.map((m) => ({
    kind: 'minted',
    id: m.id,
    hash: m.hash,
    nodeId: m.nodeId,
    role: m.role,
    expiresAt: expiresAt.toISOString(),
    at: now.toISOString(),
    by: opts.actor,
  }));
  await pki.exclusive(() => {
    pki.audit.append(
      minted.map((m) => ({ action: 'token.mint', actor: opts.actor, tokenId: m.id, nodeId: m.nodeId, role: m.role, expiresAt: expiresAt.toISOString() })),
      now,
    );
    pki.tokens.append(records);
  });
  return minted.map(({ token, id, nodeId, role }) => ({ token, id, nodeId, role, expiresAt }));
}

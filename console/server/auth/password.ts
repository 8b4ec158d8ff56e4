import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Password hashing with scrypt (memory-hard, in Node's crypto, run on the thread pool so
 * a login never blocks the event loop). The parameters travel with each hash, so they
 * can be raised later and old hashes still verify (and are re-hashed at next login).
 *
 * N=2^15, r=8 costs 32 MiB and about 60-100 ms per hash here: slow enough to make
 * offline guessing of a stolen hash expensive, fast enough for interactive logins.
 */
export const SCRYPT_PARAMS = { N: 2 ** 15, r: 8, p: 1, keyLen: 32 } as const;
const FORMAT = 'scrypt';

function derive(password: string, salt: Buffer, p: { N: number; r: number; p: number; keyLen: number }): Promise<Buffer> {
  const opts: ScryptOptions = { N: p.N, r: p.r, p: p.p, maxmem: 256 * p.N * p.r };
  return new Promise((resolve, reject) => scrypt(password.normalize('NFC'), salt, p.keyLen, opts, (err, key) => (err ? reject(err) : resolve(key))));
}

/** "scrypt$N$r$p$salt$hash" (salt and hash base64). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, SCRYPT_PARAMS);
  const { N, r, p } = SCRYPT_PARAMS;
  return [FORMAT, N, r, p, salt.toString('base64'), key.toString('base64')].join('$');
}

export interface Verification {
  ok: boolean;
  /** The hash was made with weaker parameters than today's: store a fresh one. */
  rehash: boolean;
}

export async function verifyPassword(password: string, stored: string): Promise<Verification> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== FORMAT) return { ok: false, rehash: false };
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const salt = Buffer.from(parts[4]!, 'base64');
  const expected = Buffer.from(parts[5]!, 'base64');
  if (!Number.isInteger(N) || !Number.isInteger(r) || !Number.isInteger(p) || expected.length < 16) return { ok: false, rehash: false };
  const key = await derive(password, salt, { N, r, p, keyLen: expected.length });
  const ok = timingSafeEqual(key, expected);
  return { ok, rehash: ok && (N < SCRYPT_PARAMS.N || r < SCRYPT_PARAMS.r) };
}

/**
 * A hash of a random password, verified against when the user does not exist, so an
 * unknown name costs the same time as a wrong password and names cannot be probed.
 */
let decoy: Promise<string> | undefined;
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(randomBytes(24).toString('base64'));
  return decoy;
}

/** Length and variety rules for new passwords; returns the problem, or undefined. */
export function passwordProblem(password: string): string | undefined {
  if (password.length < 12) return 'a password needs at least 12 characters';
  if (password.length > 256) return 'a password may have at most 256 characters';
  if (new Set(password).size < 5) return 'a password needs more different characters';
  return undefined;
}

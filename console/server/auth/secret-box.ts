import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../../common/errors.js';

const PREFIX = 'sealed:v1:';

/**
 * Seals the users' TOTP secrets before they go to Redis (AES-256-GCM, a random nonce per
 * secret, the user name as associated data so a sealed secret moved onto another user's
 * record does not open). A Redis dump, replica or AOF backup then holds nothing that
 * lets anyone mint second-factor codes; the key stays on the console hosts.
 */
export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('the secret key must be 32 bytes');
  }

  /** The key file holds 32 random bytes, base64 (e.g. `openssl rand -base64 32`). */
  static fromFile(file: string): SecretBox {
    let text: string;
    try {
      text = readFileSync(file, 'utf8').trim();
    } catch (err) {
      throw new ConfigError(file, '', `cannot read the TOTP key file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    const key = Buffer.from(text, 'base64');
    if (key.length !== 32 || key.toString('base64').replace(/=+$/, '') !== text.replace(/=+$/, '')) {
      throw new ConfigError(file, '', 'expected 32 random bytes in base64 (openssl rand -base64 32)');
    }
    return new SecretBox(key);
  }

  seal(plain: string, owner: string): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    c.setAAD(Buffer.from(owner, 'utf8'));
    const ct = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    return PREFIX + Buffer.concat([iv, c.getAuthTag(), ct]).toString('base64');
  }

  open(stored: string, owner: string): string {
    if (!isSealed(stored)) return stored;
    const raw = Buffer.from(stored.slice(PREFIX.length), 'base64');
    const d = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
    d.setAAD(Buffer.from(owner, 'utf8'));
    d.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString('utf8');
  }
}

export function isSealed(stored: string): boolean {
  return stored.startsWith(PREFIX);
}

import { createPrivateKey, generateKeyPair as generateKeyPairCb, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';

const generate = promisify(generateKeyPairCb);

/** The key types Chốt issues for. ECDSA P-256 is the default for nodes (fast on small appliances). */
export const KEY_ALGORITHMS = ['ec-p256', 'ec-p384', 'rsa-3072'] as const;
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

export function isKeyAlgorithm(v: string): v is KeyAlgorithm {
  return (KEY_ALGORITHMS as readonly string[]).includes(v);
}

export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** Generates a key pair in OpenSSL, off the event loop. */
export async function generateKeyPair(algorithm: KeyAlgorithm): Promise<KeyPair> {
  switch (algorithm) {
    case 'ec-p256':
      return generate('ec', { namedCurve: 'P-256' });
    case 'ec-p384':
      return generate('ec', { namedCurve: 'P-384' });
    case 'rsa-3072':
      return generate('rsa', { modulusLength: 3072, publicExponent: 0x10001 });
  }
}

export function spkiDer(publicKey: KeyObject): Buffer {
  return publicKey.export({ type: 'spki', format: 'der' });
}

export const MIN_PASSPHRASE_LENGTH = 12;

/**
 * PKCS#8 encrypted with AES-256-CBC under the passphrase. OpenSSL 3 derives the key
 * with PBES2/PBKDF2-HMAC-SHA256 (2048 iterations, its fixed default through Node):
 * the passphrase itself must carry the strength, hence the minimum length.
 */
export function encryptedPrivateKeyPem(privateKey: KeyObject, passphrase: string): string {
  return privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase }).toString();
}

/** A key for a node's own use: unencrypted PKCS#8, protected by file mode 0600 (services start unattended). */
export function plainPrivateKeyPem(privateKey: KeyObject): string {
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

export class KeyDecryptionError extends Error {
  override name = 'KeyDecryptionError';
}

/** Loads an encrypted PKCS#8 key; a wrong passphrase is reported as such, never with the passphrase. */
export function loadEncryptedPrivateKey(pem: string, passphrase: string, file: string): KeyObject {
  if (!pem.includes('-----BEGIN ENCRYPTED PRIVATE KEY-----')) {
    throw new KeyDecryptionError(`${file}: not an encrypted PKCS#8 key (CA keys must be encrypted at rest)`);
  }
  try {
    return createPrivateKey({ key: pem, format: 'pem', passphrase });
  } catch {
    throw new KeyDecryptionError(`${file}: cannot decrypt the key: wrong passphrase, or the file is damaged`);
  }
}

/**
 * The public keys a node certificate may carry: P-256 or P-384, or RSA of 3072 to
 * 8192 bits. Returns the reason a key is refused, or undefined when it is fine.
 */
export function publicKeyPolicyViolation(key: KeyObject): string | undefined {
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    return curve === 'prime256v1' || curve === 'secp384r1' ? undefined : `EC curve ${curve ?? 'unknown'} is not allowed (use P-256 or P-384)`;
  }
  if (key.asymmetricKeyType === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    return bits >= 3072 && bits <= 8192 ? undefined : `RSA-${bits} is not allowed (use 3072 to 8192 bits)`;
  }
  return `key type ${key.asymmetricKeyType ?? 'unknown'} is not allowed (use EC P-256 or RSA-3072)`;
}

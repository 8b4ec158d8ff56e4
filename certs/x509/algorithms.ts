import { sign as nativeSign, verify as nativeVerify, type KeyObject } from 'node:crypto';
import { sequence, oid, nullValue, type Asn1 } from './der.js';
import { OID } from './oid.js';

/**
 * Signature algorithms. Signing always goes through Node's native crypto (OpenSSL);
 * forge only lays out the bytes. The digest follows the key so a P-384 CA signs
 * with SHA-384; SHA-1 and MD5 are neither produced nor accepted.
 */
export type Digest = 'sha256' | 'sha384' | 'sha512';

export interface SignatureAlgorithm {
  oid: string;
  digest: Digest;
  family: 'ecdsa' | 'rsa';
}

const ALGORITHMS: readonly SignatureAlgorithm[] = [
  { oid: OID.ecdsaWithSha256, digest: 'sha256', family: 'ecdsa' },
  { oid: OID.ecdsaWithSha384, digest: 'sha384', family: 'ecdsa' },
  { oid: OID.ecdsaWithSha512, digest: 'sha512', family: 'ecdsa' },
  { oid: OID.sha256WithRsa, digest: 'sha256', family: 'rsa' },
  { oid: OID.sha384WithRsa, digest: 'sha384', family: 'rsa' },
  { oid: OID.sha512WithRsa, digest: 'sha512', family: 'rsa' },
];

/** The allowed algorithm for an OID, or undefined (SHA-1, MD5, PSS, anything unknown). */
export function signatureAlgorithmByOid(dotted: string): SignatureAlgorithm | undefined {
  return ALGORITHMS.find((a) => a.oid === dotted);
}

/** The algorithm a key signs with: ECDSA with the digest matching the curve; RSA with SHA-256. */
export function signatureAlgorithmFor(key: KeyObject): SignatureAlgorithm {
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return ALGORITHMS[0]!;
    if (curve === 'secp384r1') return ALGORITHMS[1]!;
    throw new Error(`unsupported EC curve ${curve ?? '(unknown)'}: use P-256 or P-384`);
  }
  if (key.asymmetricKeyType === 'rsa') return ALGORITHMS[3]!;
  throw new Error(`unsupported key type ${key.asymmetricKeyType ?? '(unknown)'}: use EC or RSA`);
}

/** AlgorithmIdentifier: ECDSA leaves the parameters absent, RSA PKCS#1 v1.5 has NULL (RFC 5758, RFC 4055). */
export function algorithmIdentifier(alg: SignatureAlgorithm): Asn1 {
  return alg.family === 'ecdsa' ? sequence(oid(alg.oid)) : sequence(oid(alg.oid), nullValue());
}

/** A private key and the algorithm it signs with. */
export interface Signer {
  key: KeyObject;
  algorithm: SignatureAlgorithm;
}

export function signerFor(key: KeyObject): Signer {
  return { key, algorithm: signatureAlgorithmFor(key) };
}

/** Signs with native crypto; ECDSA signatures come out DER-encoded, as X.509 wants them. */
export function signBytes(signer: Signer, data: Uint8Array): Buffer {
  return nativeSign(signer.algorithm.digest, data, signer.key);
}

export function verifyBytes(alg: SignatureAlgorithm, data: Uint8Array, signature: Uint8Array, publicKey: KeyObject): boolean {
  const family = publicKey.asymmetricKeyType === 'ec' ? 'ecdsa' : publicKey.asymmetricKeyType === 'rsa' ? 'rsa' : undefined;
  if (family !== alg.family) return false;
  try {
    return nativeVerify(alg.digest, data, publicKey, signature);
  } catch {
    return false;
  }
}

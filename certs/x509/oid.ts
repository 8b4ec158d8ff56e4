/**
 * Object identifiers, encoded and decoded here rather than with forge's helpers:
 * those parse each arc as a JavaScript number and silently corrupt arcs above
 * 2^53, and Chốt's own arc (below) is a 128-bit UUID arc.
 */

/**
 * Chốt's private arc. 2.25 is the ITU-T X.667 arc in which anyone may allocate an
 * OID from a UUID without registration; this UUID (6ae1cdfd-c7ab-4bdb-b588-ad34858db1a2)
 * was generated for Chốt. Never reuse an arc below it for a different meaning.
 */
export const CHOT_ARC = '2.25.142070612346859884945543063606601298338';

export const OID = {
  // algorithms
  ecPublicKey: '1.2.840.10045.2.1',
  prime256v1: '1.2.840.10045.3.1.7',
  secp384r1: '1.3.132.0.34',
  rsaEncryption: '1.2.840.113549.1.1.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  ecdsaWithSha512: '1.2.840.10045.4.3.4',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  sha384WithRsa: '1.2.840.113549.1.1.12',
  sha512WithRsa: '1.2.840.113549.1.1.13',
  // names
  commonName: '2.5.4.3',
  countryName: '2.5.4.6',
  organizationName: '2.5.4.10',
  organizationalUnitName: '2.5.4.11',
  // certificate and CRL extensions
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  cRLNumber: '2.5.29.20',
  cRLReason: '2.5.29.21',
  crlDistributionPoints: '2.5.29.31',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  // PKCS#9 attribute carrying requested extensions in a CSR
  extensionRequest: '1.2.840.113549.1.9.14',
  /** Role extended key usages live under CHOT_ARC.1 (see certs/roles.ts). */
  chotRoleArc: `${CHOT_ARC}.1`,
} as const;

const encodeCache = new Map<string, string>();

/** Dotted OID to the DER content bytes (no tag or length), as a forge binary string. */
export function encodeOid(dotted: string): string {
  const cached = encodeCache.get(dotted);
  if (cached !== undefined) return cached;
  if (!/^[0-2](\.(0|[1-9][0-9]*))+$/.test(dotted)) throw new Error(`not an object identifier: ${dotted}`);
  const arcs = dotted.split('.').map((a) => BigInt(a));
  const [first, second] = [arcs[0]!, arcs[1]!];
  if (first < 2n && second > 39n) throw new Error(`not an object identifier: ${dotted}`);
  let out = '';
  for (const arc of [first * 40n + second, ...arcs.slice(2)]) {
    let chunk = String.fromCharCode(Number(arc & 0x7fn));
    for (let v = arc >> 7n; v > 0n; v >>= 7n) chunk = String.fromCharCode(Number((v & 0x7fn) | 0x80n)) + chunk;
    out += chunk;
  }
  encodeCache.set(dotted, out);
  return out;
}

/** DER content bytes (a forge binary string) to a dotted OID; throws on a malformed encoding. */
export function decodeOid(bytes: string): string {
  if (bytes.length === 0) throw new Error('empty object identifier');
  const arcs: bigint[] = [];
  let v = 0n;
  let started = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes.charCodeAt(i);
    // A leading 0x80 would be a non-minimal encoding of an arc.
    if (!started && b === 0x80) throw new Error('object identifier arc is not minimally encoded');
    started = true;
    v = (v << 7n) | BigInt(b & 0x7f);
    if ((b & 0x80) === 0) {
      arcs.push(v);
      v = 0n;
      started = false;
    }
  }
  if (started) throw new Error('object identifier ends inside an arc');
  const head = arcs[0]!;
  const [first, second] = head < 40n ? [0n, head] : head < 80n ? [1n, head - 40n] : [2n, head - 80n];
  return [first, second, ...arcs.slice(1)].join('.');
}

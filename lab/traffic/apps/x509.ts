import type { Prng } from '../prng.js';
import { bitString, boolean, explicit, octetString, oid, printableString, sequence, set, smallInteger, tlv, unsignedInteger, utcTime, utf8String } from './der.js';

/**
 * Structurally valid X.509 v3 certificates (ECDSA P-256) for the TLS handshakes. The
 * key and signature are random bytes of the right shape: a sensor can parse subject,
 * issuer, validity and SANs as from any certificate, but nothing verifies against them.
 * These are traffic props, not credentials.
 */

export interface DistinguishedName {
  country?: string;
  organization?: string;
  organizationalUnit?: string;
  commonName: string;
}

export interface CertificateSpec {
  subject: DistinguishedName;
  issuer: DistinguishedName;
  notBefore: Date;
  notAfter: Date;
  dnsNames?: readonly string[];
  isCa?: boolean;
  usage: 'server' | 'client' | 'ca';
}

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecPublicKey: '1.2.840.10045.2.1',
  prime256v1: '1.2.840.10045.3.1.7',
  country: '2.5.4.6',
  organization: '2.5.4.10',
  organizationalUnit: '2.5.4.11',
  commonName: '2.5.4.3',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

export function buildCertificate(rng: Prng, spec: CertificateSpec): Buffer {
  const serial = rng.bytes(16);
  serial[0] = serial[0]! & 0x7f;
  const signatureAlgorithm = sequence(oid(OID.ecdsaWithSha256));
  const publicKey = Buffer.concat([Buffer.from([0x04]), rng.bytes(64)]);
  const spki = sequence(sequence(oid(OID.ecPublicKey), oid(OID.prime256v1)), bitString(publicKey));
  const tbs = sequence(
    explicit(0, smallInteger(2)),
    unsignedInteger(serial),
    signatureAlgorithm,
    encodeName(spec.issuer),
    sequence(utcTime(spec.notBefore), utcTime(spec.notAfter)),
    encodeName(spec.subject),
    spki,
    explicit(3, sequence(...extensions(spec))),
  );
  const signature = sequence(unsignedInteger(rng.bytes(32)), unsignedInteger(rng.bytes(32)));
  return sequence(tbs, signatureAlgorithm, bitString(signature));
}

/** The name as Zeek's ssl.log and x509.log print it: most specific attribute first. */
export function formatName(dn: DistinguishedName): string {
  const parts = [`CN=${dn.commonName}`];
  if (dn.organizationalUnit) parts.push(`OU=${dn.organizationalUnit}`);
  if (dn.organization) parts.push(`O=${dn.organization}`);
  if (dn.country) parts.push(`C=${dn.country}`);
  return parts.join(',');
}

function encodeName(dn: DistinguishedName): Buffer {
  const rdns: Buffer[] = [];
  const attr = (type: string, value: Buffer): Buffer => set(sequence(oid(type), value));
  if (dn.country) rdns.push(attr(OID.country, printableString(dn.country)));
  if (dn.organization) rdns.push(attr(OID.organization, utf8String(dn.organization)));
  if (dn.organizationalUnit) rdns.push(attr(OID.organizationalUnit, utf8String(dn.organizationalUnit)));
  rdns.push(attr(OID.commonName, utf8String(dn.commonName)));
  return sequence(...rdns);
}

function extensions(spec: CertificateSpec): Buffer[] {
  const ext = (id: string, critical: boolean, value: Buffer): Buffer =>
    critical ? sequence(oid(id), boolean(true), octetString(value)) : sequence(oid(id), octetString(value));
  const out: Buffer[] = [];
  out.push(ext(OID.basicConstraints, true, spec.usage === 'ca' ? sequence(boolean(true)) : sequence()));
  // keyUsage bits: digitalSignature (0x80) for end entities; keyCertSign + cRLSign (0x06) for CAs.
  out.push(ext(OID.keyUsage, true, tlv(0x03, spec.usage === 'ca' ? Buffer.from([1, 0x06]) : Buffer.from([7, 0x80]))));
  if (spec.usage !== 'ca') out.push(ext(OID.extKeyUsage, false, sequence(oid(spec.usage === 'server' ? OID.serverAuth : OID.clientAuth))));
  if (spec.dnsNames?.length) out.push(ext(OID.subjectAltName, false, sequence(...spec.dnsNames.map((n) => tlv(0x82, Buffer.from(n, 'latin1'))))));
  return out;
}

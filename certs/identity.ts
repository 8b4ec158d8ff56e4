import { X509Certificate } from 'node:crypto';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { nodeIdFromUri } from './node-id.js';
import { roleFromOid, type Role } from './roles.js';
import { parseCertificate, type ParsedCertificate } from './x509/certificate.js';
import { decodeBasicConstraints, decodeExtKeyUsage, decodeSubjectAltName } from './x509/extensions.js';
import { OID } from './x509/oid.js';

export type { Role } from './roles.js';
export { ROLES, isRole } from './roles.js';

/**
 * Who a peer is, read from its certificate. This is the one place other modules get
 * a node's identity from: never from what a peer says in a message.
 */
export interface PeerIdentity {
  readonly role: Role;
  /** The node's place in the inventory, e.g. "01/001/00001". */
  readonly nodeId: string;
  /** Uppercase hex, as Node and OpenSSL print it. */
  readonly serial: string;
  readonly notAfter: Date;
}

/** What a caller accepts. Omitted fields accept anything the CA issues. */
export interface IdentityPolicy {
  roles?: readonly Role[];
  nodeId?: string;
  /** The time to check validity at (default now). */
  now?: Date;
}

/** Why a peer was refused, as a short stable word (for metrics and tests); the message has the detail. */
export type RefusalCode =
  | 'no-certificate'
  | 'untrusted'
  | 'revoked'
  | 'expired'
  | 'not-yet-valid'
  | 'crl'
  | 'not-a-node'
  | 'role'
  | 'node'
  | 'malformed';

/** A certificate refused as an identity; `reason` is one line, fit for a log and for the peer. */
export class IdentityError extends Error {
  override name = 'IdentityError';
  constructor(
    readonly code: RefusalCode,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** A certificate as Node hands it over: an X509Certificate, a TLS peer certificate (with `raw`), or DER. */
export type CertificateInput = X509Certificate | PeerCertificate | Uint8Array;

function derOf(input: CertificateInput): Buffer {
  if (input instanceof X509Certificate) return input.raw;
  if (input instanceof Uint8Array) return Buffer.from(input);
  if (input && Buffer.isBuffer((input as PeerCertificate).raw)) return (input as PeerCertificate).raw;
  throw new IdentityError('no-certificate', 'no certificate');
}

/**
 * Reads a Chốt node identity out of a certificate and refuses anything else: a CA
 * certificate, a certificate naming no node or more than one, one with no role or
 * several, one outside its validity, one whose role or node the policy excludes.
 * It does not check the signature chain or revocation: TLS does that (see tls.ts).
 */
export function identityFromPeerCertificate(input: CertificateInput, policy: IdentityPolicy = {}): PeerIdentity {
  let cert: ParsedCertificate;
  try {
    cert = parseCertificate(derOf(input));
  } catch (err) {
    if (err instanceof IdentityError) throw err;
    throw new IdentityError('malformed', `not a readable X.509 v3 certificate (${(err as Error).message})`);
  }
  const identity = readIdentity(cert);
  const now = policy.now ?? new Date();
  if (now < cert.notBefore) throw new IdentityError('not-yet-valid', `certificate not yet valid (valid from ${cert.notBefore.toISOString()})`);
  if (now > cert.notAfter) throw new IdentityError('expired', `certificate expired (at ${cert.notAfter.toISOString()})`);
  if (policy.roles && !policy.roles.includes(identity.role)) {
    throw new IdentityError('role', `role ${identity.role} is not allowed here (allowed: ${policy.roles.join(', ')})`);
  }
  if (policy.nodeId !== undefined && policy.nodeId !== identity.nodeId) {
    throw new IdentityError('node', `certificate is for node ${identity.nodeId}, expected ${policy.nodeId}`);
  }
  return identity;
}

function readIdentity(cert: ParsedCertificate): PeerIdentity {
  try {
    const bc = cert.extensions.get(OID.basicConstraints);
    if (bc && decodeBasicConstraints(bc.value).ca) throw new IdentityError('not-a-node', 'a CA certificate is not a node identity');

    const san = cert.extensions.get(OID.subjectAltName);
    if (!san) throw new IdentityError('not-a-node', 'certificate names no Chốt node (no subjectAltName)');
    const names = decodeSubjectAltName(san.value);
    if (names.uris.length !== 1 || names.dnsNames.length || names.ips.length || names.others) {
      throw new IdentityError('not-a-node', 'certificate must name exactly one Chốt node and nothing else in its subjectAltName');
    }
    const nodeId = nodeIdFromUri(names.uris[0]!);
    if (nodeId === undefined) throw new IdentityError('not-a-node', `certificate names ${JSON.stringify(names.uris[0]!.slice(0, 80))}, not a Chốt node`);

    const eku = cert.extensions.get(OID.extKeyUsage);
    if (!eku) throw new IdentityError('not-a-node', 'certificate carries no role (no extendedKeyUsage)');
    const roles: Role[] = [];
    for (const oid of decodeExtKeyUsage(eku.value)) {
      const role = roleFromOid(oid);
      if (role) roles.push(role);
    }
    if (roles.length !== 1) throw new IdentityError('not-a-node', roles.length ? `certificate carries several roles (${roles.join(', ')})` : 'certificate carries no Chốt role');
    return Object.freeze({ role: roles[0]!, nodeId, serial: cert.serial, notAfter: cert.notAfter });
  } catch (err) {
    if (err instanceof IdentityError) throw err;
    throw new IdentityError('malformed', `certificate extensions are malformed (${(err as Error).message})`);
  }
}

/** What an OpenSSL verification error means for a Chốt peer: a refusal code and words for the log. */
export function describeVerifyError(opensslCode: string): { code: RefusalCode; reason: string } {
  switch (opensslCode) {
    case 'CERT_REVOKED':
      return { code: 'revoked', reason: 'certificate revoked' };
    case 'CERT_HAS_EXPIRED':
      return { code: 'expired', reason: 'certificate expired' };
    case 'CERT_NOT_YET_VALID':
      return { code: 'not-yet-valid', reason: 'certificate not yet valid' };
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'CERT_SIGNATURE_FAILURE':
      return { code: 'untrusted', reason: 'certificate not issued by a trusted Chốt CA' };
    case 'UNABLE_TO_GET_CRL':
      return { code: 'crl', reason: 'no CRL loaded for the certificate issuer (configuration error)' };
    case 'CRL_HAS_EXPIRED':
      return { code: 'crl', reason: 'the loaded CRL has expired: every client is refused until a fresh CRL is loaded' };
    case 'CRL_NOT_YET_VALID':
      return { code: 'crl', reason: 'the loaded CRL is not yet valid (clock skew?)' };
    case 'INVALID_PURPOSE':
      return { code: 'role', reason: 'certificate not allowed for this TLS use (extended key usage)' };
    default:
      return { code: 'untrusted', reason: `certificate verification failed (${opensslCode})` };
  }
}

/**
 * The identity of the peer on a TLS socket whose chain OpenSSL verified (against the
 * CA and the CRLs of the context). Throws IdentityError with the reason otherwise.
 */
export function identityOfTlsSocket(socket: TLSSocket, policy: IdentityPolicy = {}): PeerIdentity {
  const cert = socket.getPeerCertificate(true);
  if (!cert || !Buffer.isBuffer(cert.raw)) throw new IdentityError('no-certificate', 'no client certificate');
  if (!socket.authorized) {
    const { code, reason } = describeVerifyError(String(socket.authorizationError ?? 'UNKNOWN'));
    throw new IdentityError(code, reason);
  }
  return identityFromPeerCertificate(cert, policy);
}

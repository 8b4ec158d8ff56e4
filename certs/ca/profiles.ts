import type { KeyObject } from 'node:crypto';
import { extendedKeyUsagesFor, type Role } from '../roles.js';
import { nodeUri } from '../node-id.js';
import type { Asn1 } from '../x509/der.js';
import {
  authorityKeyIdentifier,
  basicConstraints,
  crlDistributionPoints,
  extKeyUsage,
  keyUsage,
  subjectAltName,
  subjectKeyIdentifier,
  type KeyUsageBit,
} from '../x509/extensions.js';
import { OID } from '../x509/oid.js';

/**
 * The certificate profiles: which extensions each kind of certificate carries.
 * Root: may sign CAs. Issuing CA: may sign only end entities (pathLen 0).
 * Node: one URI SAN (its inventory place) and one role EKU. Service: the enrollment
 * service's own server certificate, named by host for ordinary hostname checks.
 */

export function rootCaExtensions(keyId: Buffer): Asn1[] {
  return [basicConstraints(true, 1), keyUsage(['keyCertSign', 'cRLSign']), subjectKeyIdentifier(keyId)];
}

export function issuingCaExtensions(p: { keyId: Buffer; issuerKeyId: Buffer; crlUrl: string }): Asn1[] {
  return [
    basicConstraints(true, 0),
    keyUsage(['keyCertSign', 'cRLSign']),
    subjectKeyIdentifier(p.keyId),
    authorityKeyIdentifier(p.issuerKeyId),
    crlDistributionPoints([p.crlUrl]),
  ];
}

/** ECDHE suites need only digitalSignature; RSA keys also get keyEncipherment for TLS 1.2 RSA key transport. */
function endEntityKeyUsage(subjectKey: KeyObject): KeyUsageBit[] {
  return subjectKey.asymmetricKeyType === 'rsa' ? ['digitalSignature', 'keyEncipherment'] : ['digitalSignature'];
}

export function nodeExtensions(p: { role: Role; nodeId: string; subjectKey: KeyObject; keyId: Buffer; issuerKeyId: Buffer; crlUrl: string }): Asn1[] {
  return [
    basicConstraints(false),
    keyUsage(endEntityKeyUsage(p.subjectKey)),
    extKeyUsage(extendedKeyUsagesFor(p.role)),
    subjectAltName({ uris: [nodeUri(p.nodeId)] }),
    subjectKeyIdentifier(p.keyId),
    authorityKeyIdentifier(p.issuerKeyId),
    crlDistributionPoints([p.crlUrl]),
  ];
}

export function serviceExtensions(p: { dnsNames: string[]; ips: string[]; subjectKey: KeyObject; keyId: Buffer; issuerKeyId: Buffer; crlUrl: string }): Asn1[] {
  return [
    basicConstraints(false),
    keyUsage(endEntityKeyUsage(p.subjectKey)),
    extKeyUsage([OID.serverAuth]),
    subjectAltName({ dnsNames: p.dnsNames, ips: p.ips }),
    subjectKeyIdentifier(p.keyId),
    authorityKeyIdentifier(p.issuerKeyId),
    crlDistributionPoints([p.crlUrl]),
  ];
}

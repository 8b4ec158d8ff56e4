import type { ConnectionOptions, PeerCertificate } from 'node:tls';
import { IdentityError, identityFromPeerCertificate, type IdentityPolicy } from '../identity.js';
import type { TlsMaterial } from './material.js';

/**
 * Options for connecting to a Chốt server with this node's certificate. A Chốt
 * server is known by its identity (role, node), not by a host name, so the host
 * name check is replaced by an identity check; the chain and the CRLs are still
 * verified by OpenSSL (rejectUnauthorized stays on).
 */
export function clientTlsOptions(material: TlsMaterial, expect: Omit<IdentityPolicy, 'now'> = {}): ConnectionOptions {
  return {
    key: material.key,
    cert: material.cert,
    ca: material.ca,
    ...(material.crls.length ? { crl: material.crls } : {}),
    ...(material.passphrase !== undefined ? { passphrase: material.passphrase } : {}),
    minVersion: 'TLSv1.2',
    rejectUnauthorized: true,
    checkServerIdentity: (_host: string, cert: PeerCertificate): Error | undefined => {
      try {
        identityFromPeerCertificate(cert, expect);
        return undefined;
      } catch (err) {
        return err instanceof IdentityError ? new Error(`server refused: ${err.reason}`) : (err as Error);
      }
    },
  };
}

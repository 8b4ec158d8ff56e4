import type { CertificateAuthority } from '../ca/authority.js';
import { issuedAuditEvent, issuedRecord, signNodeCertificate, type IssuedCertificate } from '../ca/issue.js';
import type { PeerIdentity } from '../identity.js';
import type { Pki } from '../pki.js';
import { checkToken, parseToken, TokenRefused } from './tokens.js';

/**
 * What the enrollment service does once the HTTP layer has a request in hand. Each
 * refusal is an exception whose message is the reason given back and logged.
 */

/** First enrollment: a single-use token decides the node and role; the CSR must ask for exactly that node. */
export async function enrollWithToken(
  pki: Pki,
  ca: CertificateAuthority,
  req: { token: string; csr: Buffer; remote: string },
  now = new Date(),
): Promise<IssuedCertificate> {
  const { id } = parseToken(req.token);
  const actor = `enroll:${id}@${req.remote}`;
  // An early check, so nothing is signed for a token that is plainly unusable...
  pki.tokens.refresh();
  const early = checkToken(pki, req.token, now);
  let issued: IssuedCertificate;
  try {
    issued = signNodeCertificate(pki, ca, { csr: req.csr, nodeId: early.minted.nodeId, role: early.minted.role }, now);
  } catch (err) {
    await auditRefusal(pki, 'enroll.refuse', actor, { tokenId: id, nodeId: early.minted.nodeId, reason: (err as Error).message }, now);
    throw err;
  }
  // ...and the check that counts, as the only writer, with the use recorded before the
  // certificate leaves: a crash after this point costs a token, never reuses one.
  return pki.exclusive(() => {
    checkToken(pki, req.token, now);
    pki.audit.append([{ action: 'token.use', actor, tokenId: id, nodeId: issued.nodeId, serial: issued.serial }, issuedAuditEvent(issued, ca.name, 'enroll', actor)], now);
    pki.tokens.append([{ kind: 'used', id, serial: issued.serial, at: now.toISOString(), by: actor }]);
    pki.store.append([issuedRecord(issued, ca.name, 'enroll', actor, now)]);
    return issued;
  });
}

/** Audits a refusal that concerns a real token (reuse, expiry, wrong SAN), so an auditor sees attempts. */
export async function auditRefusal(pki: Pki, action: 'enroll.refuse' | 'renew.refuse', actor: string, detail: Record<string, unknown>, now: Date): Promise<void> {
  await pki.exclusive(() => pki.audit.append([{ action, actor, ...detail }], now));
}

export function isAuditableTokenRefusal(err: unknown): err is TokenRefused {
  return err instanceof TokenRefused && err.tokenId !== undefined;
}

/** Renewal: the peer's current certificate (verified by mTLS) decides the identity; the new one is for the same node and role only. */
export async function renewForPeer(
  pki: Pki,
  ca: CertificateAuthority,
  req: { peer: PeerIdentity; csr: Buffer; remote: string },
  now = new Date(),
): Promise<IssuedCertificate> {
  const actor = `node:${req.peer.nodeId}@${req.remote}`;
  let issued: IssuedCertificate;
  try {
    issued = signNodeCertificate(pki, ca, { csr: req.csr, nodeId: req.peer.nodeId, role: req.peer.role }, now);
  } catch (err) {
    await auditRefusal(pki, 'renew.refuse', actor, { serial: req.peer.serial, nodeId: req.peer.nodeId, reason: (err as Error).message }, now);
    throw err;
  }
  return pki.exclusive(() => {
    // The store is the CA's own word on revocation, ahead of any CRL a server has loaded.
    const current = pki.store.get(req.peer.serial);
    if (current?.revocation) throw new RenewalRefused(`certificate ${req.peer.serial} is revoked`);
    pki.audit.append([issuedAuditEvent(issued, ca.name, 'renew', actor)], now);
    pki.store.append([issuedRecord(issued, ca.name, 'renew', actor, now)]);
    return issued;
  });
}

export class RenewalRefused extends Error {
  override name = 'RenewalRefused';
}

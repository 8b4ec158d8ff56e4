import { UsageError } from '../../common/errors.js';
import type { CertificateAuthority } from '../ca/authority.js';
import { NODE_URI_PREFIX, parseNodeId } from '../node-id.js';
import type { Pki } from '../pki.js';
import type { CertificateEntry } from '../store/issuance-store.js';
import type { RevokedRecord } from '../store/records.js';
import { publishCrl, type PublishedCrl } from './publish.js';
import { normalizeReason, type RevocationReasonInput } from './reasons.js';

export interface RevocationOutcome {
  revoked: CertificateEntry[];
  alreadyRevoked: CertificateEntry[];
  crls: PublishedCrl[];
}

const SERIAL = /^[0-9A-Fa-f]{16,40}$/;

/**
 * What `target` names: a serial the store knows, or a node (all of its certificates
 * still valid). A short hex string such as "01" is a province, not a serial: serials
 * are 16 bytes.
 */
export function findTargets(pki: Pki, target: string, now: Date): CertificateEntry[] {
  const compact = target.replace(/:/g, '');
  if (SERIAL.test(compact)) {
    const entry = pki.store.get(compact.toUpperCase());
    if (entry) return [entry];
  }
  let nodeId: string;
  try {
    nodeId = parseNodeId(target);
  } catch {
    throw new UsageError(`no certificate with serial ${target}, and it is not a node id either`);
  }
  const entries = pki.store.forNode(nodeId).filter((e) => e.notAfter > now);
  if (entries.length === 0) {
    throw new UsageError(`no unexpired certificate for node ${nodeId}${target.startsWith(NODE_URI_PREFIX) ? '' : ' (and no certificate with that serial)'}`);
  }
  return entries;
}

/**
 * Revokes a certificate by serial, or every unexpired certificate of a node, then
 * re-signs the CRL of each CA concerned. `unlock` supplies those CAs' keys (root for
 * an issuing CA's own certificate). Recorded in the store and the audit log first,
 * so a crash before the CRL is signed is caught by the next CRL publication.
 */
export async function revoke(
  pki: Pki,
  target: string,
  reasonInput: RevocationReasonInput,
  opts: { actor: string; unlock: (caName: string) => CertificateAuthority; now?: Date },
): Promise<RevocationOutcome> {
  const reason = normalizeReason(reasonInput);
  if (!reason) throw new UsageError(`unknown revocation reason ${JSON.stringify(reasonInput)}`);
  const now = opts.now ?? new Date();
  return pki.exclusive(() => {
    const entries = findTargets(pki, target, now);
    const fresh = entries.filter((e) => !e.revocation);
    const alreadyRevoked = entries.filter((e) => e.revocation);
    // Unlock every CA concerned before recording anything, so a wrong passphrase changes nothing.
    const cas = new Map([...new Set(fresh.map((e) => e.ca))].map((name) => [name, opts.unlock(name)]));
    const records: RevokedRecord[] = fresh.map((e) => ({ kind: 'revoked', serial: e.serial, ca: e.ca, reason, at: now.toISOString(), by: opts.actor }));
    pki.audit.append(
      fresh.map((e) => ({ action: 'cert.revoke', actor: opts.actor, serial: e.serial, ca: e.ca, nodeId: e.nodeId, role: e.role, reason })),
      now,
    );
    pki.store.append(records);
    const crls = [...cas.values()].map((ca) => publishCrl(pki, ca, opts.actor, now));
    return { revoked: fresh.map((e) => pki.store.get(e.serial)!), alreadyRevoked, crls };
  });
}

import type { Pki } from './pki.js';
import type { Role } from './roles.js';
import type { CertificateEntry, CertificateStatus } from './store/issuance-store.js';

export const STATUSES: readonly CertificateStatus[] = ['active', 'superseded', 'expired', 'revoked', 'pending'];

export interface ListFilter {
  /** A node and everything under it ("01" matches "01/001/00001"). */
  node?: string;
  role?: Role;
  status?: CertificateStatus;
  /** Only certificates still valid that expire within this many days. */
  expiringWithinDays?: number;
}

export interface ListedCertificate {
  serial: string;
  nodeId: string | null;
  role: Role | null;
  subject: string;
  status: CertificateStatus;
  ca: string;
  notBefore: string;
  notAfter: string;
  issuedAt: string;
  issuedBy: string;
  via: string;
  revokedAt?: string;
  revocationReason?: string;
}

/** The issuance store filtered for `chot certs list`, newest expiry last. */
export function listCertificates(pki: Pki, filter: ListFilter, now = new Date()): ListedCertificate[] {
  const horizon = filter.expiringWithinDays === undefined ? undefined : now.getTime() + filter.expiringWithinDays * 86_400_000;
  const out: ListedCertificate[] = [];
  for (const e of pki.store.all()) {
    if (filter.node !== undefined && !(e.nodeId === filter.node || e.nodeId?.startsWith(`${filter.node}/`))) continue;
    if (filter.role !== undefined && e.role !== filter.role) continue;
    const status = pki.store.statusOf(e, now);
    if (filter.status !== undefined && status !== filter.status) continue;
    if (horizon !== undefined && (status === 'expired' || status === 'revoked' || e.notAfter.getTime() > horizon)) continue;
    out.push(describe(e, status));
  }
  return out.sort((a, b) => a.notAfter.localeCompare(b.notAfter) || a.serial.localeCompare(b.serial));
}

function describe(e: CertificateEntry, status: CertificateStatus): ListedCertificate {
  return {
    serial: e.serial,
    nodeId: e.nodeId,
    role: e.role,
    subject: e.subject,
    status,
    ca: e.ca,
    notBefore: e.notBefore.toISOString(),
    notAfter: e.notAfter.toISOString(),
    issuedAt: e.issuedAt.toISOString(),
    issuedBy: e.issuedBy,
    via: e.via,
    ...(e.revocation ? { revokedAt: e.revocation.at.toISOString(), revocationReason: e.revocation.reason } : {}),
  };
}

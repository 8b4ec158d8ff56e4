import { isRole, type Role } from '../roles.js';
import { isRevocationReason, type RevocationReason } from '../revoke/reasons.js';

/**
 * The lines of the issuance and token journals. Checked field by field when read,
 * so a record written by a different version or by hand cannot slip through half-valid.
 */

/** How a certificate came about: token enrollment, mTLS renewal, bulk issuance, the enrollment service's own, a CA. */
export type IssuedVia = 'enroll' | 'renew' | 'bulk' | 'service' | 'ca';

export interface IssuedRecord {
  kind: 'issued';
  serial: string;
  /** The issuing CA's name. */
  ca: string;
  /** Null for the enrollment service's own TLS certificate, which names no node. */
  nodeId: string | null;
  role: Role | null;
  subject: string;
  notBefore: string;
  notAfter: string;
  via: IssuedVia;
  at: string;
  by: string;
  /** The certificate, DER in base64. */
  cert: string;
}

export interface RevokedRecord {
  kind: 'revoked';
  serial: string;
  ca: string;
  reason: RevocationReason;
  at: string;
  by: string;
}

export type IssuanceRecord = IssuedRecord | RevokedRecord;

export interface MintedTokenRecord {
  kind: 'minted';
  /** Public part of the token, for lookup and for the audit trail. */
  id: string;
  /** SHA-256 of the secret part, hex; the secret itself is never stored. */
  hash: string;
  nodeId: string;
  role: Role;
  expiresAt: string;
  at: string;
  by: string;
}

export interface UsedTokenRecord {
  kind: 'used';
  id: string;
  serial: string;
  at: string;
  by: string;
}

export type TokenRecord = MintedTokenRecord | UsedTokenRecord;

class RecordError extends Error {}

function str(o: Record<string, unknown>, key: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v.length === 0) throw new RecordError(`field "${key}" missing or not text`);
  return v;
}

function time(o: Record<string, unknown>, key: string): string {
  const v = str(o, key);
  if (Number.isNaN(Date.parse(v))) throw new RecordError(`field "${key}" is not a time`);
  return v;
}

function object(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new RecordError('not an object');
  return value as Record<string, unknown>;
}

function wrap<T>(file: string, line: number, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof RecordError) throw new Error(`${file}: line ${line}: ${err.message}`);
    throw err;
  }
}

export function parseIssuanceRecord(file: string) {
  return (value: unknown, line: number): IssuanceRecord =>
    wrap(file, line, () => {
      const o = object(value);
      if (o.kind === 'issued') {
        const role = o.role === null ? null : str(o, 'role');
        if (role !== null && !isRole(role)) throw new RecordError(`unknown role "${role}"`);
        const via = str(o, 'via');
        if (!['enroll', 'renew', 'bulk', 'service', 'ca'].includes(via)) throw new RecordError(`unknown "via" ${via}`);
        return {
          kind: 'issued',
          serial: str(o, 'serial'),
          ca: str(o, 'ca'),
          nodeId: o.nodeId === null ? null : str(o, 'nodeId'),
          role,
          subject: str(o, 'subject'),
          notBefore: time(o, 'notBefore'),
          notAfter: time(o, 'notAfter'),
          via: via as IssuedVia,
          at: time(o, 'at'),
          by: str(o, 'by'),
          cert: str(o, 'cert'),
        };
      }
      if (o.kind === 'revoked') {
        const reason = str(o, 'reason');
        if (!isRevocationReason(reason)) throw new RecordError(`unknown revocation reason "${reason}"`);
        return { kind: 'revoked', serial: str(o, 'serial'), ca: str(o, 'ca'), reason, at: time(o, 'at'), by: str(o, 'by') };
      }
      throw new RecordError(`unknown record kind ${JSON.stringify(o.kind)}`);
    });
}

export function parseTokenRecord(file: string) {
  return (value: unknown, line: number): TokenRecord =>
    wrap(file, line, () => {
      const o = object(value);
      if (o.kind === 'minted') {
        const role = str(o, 'role');
        if (!isRole(role)) throw new RecordError(`unknown role "${role}"`);
        return {
          kind: 'minted',
          id: str(o, 'id'),
          hash: str(o, 'hash'),
          nodeId: str(o, 'nodeId'),
          role,
          expiresAt: time(o, 'expiresAt'),
          at: time(o, 'at'),
          by: str(o, 'by'),
        };
      }
      if (o.kind === 'used') return { kind: 'used', id: str(o, 'id'), serial: str(o, 'serial'), at: time(o, 'at'), by: str(o, 'by') };
      throw new RecordError(`unknown record kind ${JSON.stringify(o.kind)}`);
    });
}

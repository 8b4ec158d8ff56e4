import { OID } from './x509/oid.js';

/**
 * What a certificate lets its holder be. A role is carried as one extended key usage
 * under Chốt's arc (CHOT_ARC.1.n), next to the standard TLS usages that OpenSSL itself
 * checks: every service role both serves and calls, an operator only calls.
 */
export const ROLES = ['sensor', 'collector', 'enforcer', 'console', 'operator'] as const;
export type Role = (typeof ROLES)[number];

const ROLE_NUMBER: Record<Role, number> = { sensor: 1, collector: 2, enforcer: 3, console: 4, operator: 5 };

export function isRole(v: string): v is Role {
  return (ROLES as readonly string[]).includes(v);
}

export function roleOid(role: Role): string {
  return `${OID.chotRoleArc}.${ROLE_NUMBER[role]}`;
}

/** The role an OID names; undefined for OIDs outside the role arc; throws for unknown ones inside it. */
export function roleFromOid(dotted: string): Role | undefined {
  if (!dotted.startsWith(`${OID.chotRoleArc}.`)) return undefined;
  const role = ROLES.find((r) => roleOid(r) === dotted);
  if (!role) throw new Error(`unknown Chốt role OID ${dotted}`);
  return role;
}

/** The extended key usages of a role's certificate: its TLS purposes, then the role. */
export function extendedKeyUsagesFor(role: Role): string[] {
  const tls = role === 'operator' ? [OID.clientAuth] : [OID.serverAuth, OID.clientAuth];
  return [...tls, roleOid(role)];
}

/**
 * RFC 5280 CRLReason codes Chốt uses, by their CLI names. certificateHold is left
 * out on purpose: a revocation here is final.
 */
export const REVOCATION_REASONS = {
  unspecified: 0,
  'key-compromise': 1,
  'ca-compromise': 2,
  'affiliation-changed': 3,
  superseded: 4,
  'cessation-of-operation': 5,
  'privilege-withdrawn': 9,
} as const;

export type RevocationReason = keyof typeof REVOCATION_REASONS;

/** The same reasons by their RFC 5280 ASN.1 names, accepted as input too. */
const RFC_NAMES = {
  unspecified: 'unspecified',
  keyCompromise: 'key-compromise',
  cACompromise: 'ca-compromise',
  affiliationChanged: 'affiliation-changed',
  superseded: 'superseded',
  cessationOfOperation: 'cessation-of-operation',
  privilegeWithdrawn: 'privilege-withdrawn',
} as const satisfies Record<string, RevocationReason>;

export type RevocationReasonInput = RevocationReason | keyof typeof RFC_NAMES;

export function isRevocationReason(v: string): v is RevocationReason {
  return Object.hasOwn(REVOCATION_REASONS, v);
}

/** A reason given by its CLI name or its RFC 5280 name, as the CLI name; undefined if neither. */
export function normalizeReason(v: string): RevocationReason | undefined {
  if (isRevocationReason(v)) return v;
  return Object.hasOwn(RFC_NAMES, v) ? RFC_NAMES[v as keyof typeof RFC_NAMES] : undefined;
}

export function reasonCode(reason: RevocationReason): number {
  return REVOCATION_REASONS[reason];
}

export function reasonFromCode(code: number): RevocationReason | undefined {
  return (Object.keys(REVOCATION_REASONS) as RevocationReason[]).find((r) => REVOCATION_REASONS[r] === code);
}

/**
 * Console roles. A user holds one or more; each route names the roles that may call it.
 *   analyst  – the live queue and triage, cases, hunting in connection logs
 *   engineer – sensors, fleet and topology (and reading alerts, to see what a sensor raised)
 *   auditor  – connection logs, audit trails, exports; reads alerts but never triages
 *   admin    – users, and the audit trail of what users did
 */
export const CONSOLE_ROLES = ['analyst', 'engineer', 'auditor', 'admin'] as const;
export type ConsoleRole = (typeof CONSOLE_ROLES)[number];

export function isConsoleRole(v: string): v is ConsoleRole {
  return (CONSOLE_ROLES as readonly string[]).includes(v);
}

/** Role sets routes share, named once so the route table reads as a policy. */
export const ROLE_SETS = {
  alertReaders: ['analyst', 'engineer', 'auditor'],
  triage: ['analyst'],
  fleet: ['analyst', 'engineer'],
  topology: ['analyst', 'engineer', 'auditor'],
  hunt: ['analyst', 'auditor'],
  export: ['auditor'],
  audit: ['auditor', 'admin'],
  users: ['admin'],
} as const satisfies Record<string, readonly ConsoleRole[]>;

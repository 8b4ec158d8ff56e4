/**
 * The console's own indices, beside the collector's: the audit trail (daily, like every
 * time-based index, so retention deletes whole days) and the cases (one index: few
 * documents, edited in place).
 */
export function auditIndex(prefix: string, timeMs: number): string {
  const d = new Date(timeMs);
  const day = `${d.getUTCFullYear()}.${String(d.getUTCMonth() + 1).padStart(2, '0')}.${String(d.getUTCDate()).padStart(2, '0')}`;
  return `${prefix}-console-audit-${day}`;
}

export function auditPattern(prefix: string): string {
  return `${prefix}-console-audit-*`;
}

export function casesIndex(prefix: string): string {
  return `${prefix}-console-cases`;
}

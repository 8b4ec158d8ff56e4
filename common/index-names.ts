/**
 * Time-based index names. Retention deletes whole days, which works on every cluster
 * (the test distribution has no ILM or data streams).
 */
export type IndexKind = 'conn' | 'alerts' | 'health' | 'deadletter' | 'enforcer';

export function indexPattern(prefix: string, kind: IndexKind): string {
  return `${prefix}-${kind}-*`;
}

/** The daily index for an event time, in UTC so every collector agrees. */
export function dailyIndex(prefix: string, kind: IndexKind, timeMs: number): string {
  const d = new Date(timeMs);
  const day = `${d.getUTCFullYear()}.${String(d.getUTCMonth() + 1).padStart(2, '0')}.${String(d.getUTCDate()).padStart(2, '0')}`;
  return `${prefix}-${kind}-${day}`;
}

/** The UTC day of a daily index name, or undefined for a name that is not one of ours. */
export function dayOfIndex(prefix: string, kind: IndexKind, name: string): number | undefined {
  const head = `${prefix}-${kind}-`;
  if (!name.startsWith(head)) return undefined;
  const m = /^(\d{4})\.(\d{2})\.(\d{2})$/.exec(name.slice(head.length));
  if (!m) return undefined;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return Number.isNaN(t) ? undefined : t;
}

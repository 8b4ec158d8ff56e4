/**
 * ECS timestamps: ISO 8601 in UTC with microseconds, as Date writes a time with its
 * milliseconds replaced by the microseconds. Date's text up to the second is
 * remembered per second in a bounded table: a document carries several times, records
 * arrive in time order and certificates' validity dates recur, and formatting a Date
 * cost more than the rest of an ECS document's fields.
 */

const prefixes = new Map<number, string>();
const MAX_PREFIXES = 4096;

/** sec: seconds since the epoch; nsec: the nanoseconds within it. Throws Date's RangeError beyond the years Date holds. */
export function isoMicros(sec: number, nsec: number): string {
  let p = prefixes.get(sec);
  if (p === undefined) {
    // (Date's text always ends in ".mmmZ": five characters.)
    p = new Date(sec * 1000).toISOString().slice(0, -5);
    if (prefixes.size >= MAX_PREFIXES) prefixes.clear();
    prefixes.set(sec, p);
  }
  return `${p}.${String(Math.floor(nsec / 1000)).padStart(6, '0')}Z`;
}

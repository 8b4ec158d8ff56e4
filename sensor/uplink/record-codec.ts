import type { ConnRecord } from '../record.js';

/**
 * How records travel on the uplink. App metadata carries nanosecond times as bigints
 * (tsNs, rttNs), which JSON cannot hold: they are sent as exact decimal strings and made
 * bigints again on the collector, so the record it indexes is the record the sensor made.
 */
const NANOSECOND_FIELDS = new Set(['tsNs', 'rttNs']);
const DIGITS = /^\d{1,30}$/;

function bigintAsString(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

export function encodeRecord(record: ConnRecord): string {
  // Only app metadata holds bigints; a replacer costs a call per value, so records
  // without app metadata (most of them) are stringified without one.
  return record.app === undefined ? JSON.stringify(record) : JSON.stringify(record, bigintAsString);
}

/** Makes the nanosecond fields under `v` bigints again, in place. */
function reviveNanoseconds(v: unknown): void {
  if (Array.isArray(v)) {
    for (const item of v) if (typeof item === 'object' && item !== null) reviveNanoseconds(item);
    return;
  }
  const o = v as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    const value = o[key];
    if (typeof value === 'object' && value !== null) reviveNanoseconds(value);
    else if (typeof value === 'string' && NANOSECOND_FIELDS.has(key) && DIGITS.test(value)) o[key] = BigInt(value);
  }
}

/** Makes the nanosecond fields of parsed records' app metadata bigints again, in place. */
export function reviveRecords(records: unknown): ConnRecord[] {
  if (Array.isArray(records)) {
    for (const r of records) {
      const app = typeof r === 'object' && r !== null ? (r as { app?: unknown }).app : undefined;
      if (typeof app === 'object' && app !== null) reviveNanoseconds(app);
    }
  }
  return records as ConnRecord[];
}

/**
 * The records of a batch, from its JSON text or the bytes of it. A record's own fields
 * are never nanosecond fields (the schema admits none), so only app metadata is walked;
 * JSON.parse with a reviver would call back for every value of every record.
 */
export function decodeRecords(json: string | Buffer): ConnRecord[] {
  return reviveRecords(JSON.parse(typeof json === 'string' ? json : json.toString('utf8')));
}

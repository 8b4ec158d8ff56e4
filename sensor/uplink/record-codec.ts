import type { ConnRecord } from '../record.js';

/**
 * How records travel on the uplink. App metadata carries nanosecond times as bigints
 * (tsNs, rttNs), which JSON cannot hold: they are sent as exact decimal strings and made
 * bigints again on the collector, so the record it indexes is the record the sensor made.
 */
const NANOSECOND_FIELDS = new Set(['tsNs', 'rttNs']);

export function encodeRecord(record: ConnRecord): string {
  return JSON.stringify(record, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
}

export function decodeRecords(json: string): ConnRecord[] {
  return JSON.parse(json, (key, value: unknown) =>
    NANOSECOND_FIELDS.has(key) && typeof value === 'string' && /^\d{1,30}$/.test(value) ? BigInt(value) : value,
  ) as ConnRecord[];
}

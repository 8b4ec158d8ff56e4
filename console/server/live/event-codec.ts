import type { AlertEvent } from '../../../rules/alert.js';

/**
 * How an AlertEvent sits in a stream entry: one field, "event", holding its JSON. The
 * collector's detection workers and the console append entries the same way; the
 * rules module owns the type, and this encoding belongs beside it once it lands there.
 */
export const EVENT_FIELD = 'event';

export function encodeAlertEvent(e: AlertEvent): [string, string] {
  return [EVENT_FIELD, JSON.stringify(e)];
}

/** The event of an entry's fields ([k1, v1, k2, v2...]), or undefined for an entry that is not one. */
export function decodeAlertEvent(fields: readonly string[]): { event: AlertEvent; json: string } | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] !== EVENT_FIELD) continue;
    const json = fields[i + 1]!;
    try {
      const e = JSON.parse(json) as AlertEvent;
      if ((e.type === 'created' || e.type === 'updated') && typeof e.alertId === 'string' && Array.isArray(e.hierarchy) && e.doc) return { event: e, json };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Stream entry ids ("ms-seq") compared as numbers, never as strings ("9-0" < "10-0"). */
export function compareStreamIds(a: string, b: string): number {
  const [am, as] = a.split('-');
  const [bm, bs] = b.split('-');
  const d = BigInt(am!) - BigInt(bm!);
  if (d !== 0n) return d < 0n ? -1 : 1;
  const e = BigInt(as ?? '0') - BigInt(bs ?? '0');
  return e === 0n ? 0 : e < 0n ? -1 : 1;
}

export const STREAM_ID = /^\d{1,20}-\d{1,20}$/;

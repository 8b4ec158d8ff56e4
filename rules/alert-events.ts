import type { AlertDocument, AlertEvent } from './alert.js';

/**
 * How an AlertEvent sits in a stream entry of the alert event stream: one field,
 * "event", holding its JSON. The collector's detection workers append `created` and
 * `updated` events this way and the console appends its triage changes the same way,
 * so every console instance follows one stream.
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

/** The event of an alert document after a change. */
export function alertEventOf(type: AlertEvent['type'], index: string, doc: AlertDocument, by?: string): AlertEvent {
  return {
    type,
    alertId: doc.event.id,
    index,
    node: doc.observer.id,
    hierarchy: doc.observer.hierarchy,
    severity: doc.chot.alert.severity,
    ruleId: doc.rule.id,
    status: doc.chot.triage.status,
    doc,
    ...(by ? { by } : {}),
  };
}

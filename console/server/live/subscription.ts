import { z } from 'zod';
import { ALERT_STATUSES, SEVERITIES, type AlertEvent } from '../../../rules/alert.js';
import { STREAM_ID } from './event-codec.js';

export const subscribeSchema = z.strictObject({
  type: z.literal('subscribe'),
  filters: z
    .strictObject({
      severity: z.array(z.enum(SEVERITIES)).max(4).optional(),
      ruleId: z.array(z.string().min(1).max(200)).max(100).optional(),
      node: z.string().min(1).max(200).optional(),
      status: z.array(z.enum(ALERT_STATUSES)).max(4).optional(),
    })
    .default({}),
  /** The last cursor the client received: everything after it is sent, once. */
  cursor: z.string().regex(STREAM_ID).optional(),
  /**
   * Without a cursor: also send the events of the last this-many milliseconds. A page that
   * loads alerts from Elasticsearch misses those raised within a refresh interval before
   * it subscribed (not yet searchable, already past); these cover that gap.
   */
  recentMs: z.number().int().min(0).max(60_000).optional(),
});
export type Subscribe = z.infer<typeof subscribeSchema>;

export interface LiveFilter {
  /** The user's scope narrowed by the subscription's node: always applied. */
  subtree?: string;
  severity?: ReadonlySet<string>;
  ruleId?: ReadonlySet<string>;
  status?: ReadonlySet<string>;
}

/**
 * Whether an event goes to a subscriber. The status filter applies to new alerts only:
 * a change is always sent (within scope, severity and rule), so a client watching "new"
 * alerts learns that one was acknowledged and takes it off its queue.
 */
export function matches(f: LiveFilter, e: AlertEvent): boolean {
  if (f.subtree && !e.hierarchy.includes(f.subtree)) return false;
  if (f.severity && !f.severity.has(e.severity)) return false;
  if (f.ruleId && !f.ruleId.has(e.ruleId)) return false;
  if (f.status && e.type === 'created' && !f.status.has(e.status)) return false;
  return true;
}

import type { RedisClient } from '../../../collector/streams/redis.js';
import { alertEventsStream, type AlertDocument, type AlertEvent } from '../../../rules/alert.js';
import { encodeAlertEvent } from './event-codec.js';

/** The event of an alert document, as the collector and the console both append it. */
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

/** Appends alert events to the stream every console instance follows. */
export class AlertEventPublisher {
  readonly stream: string;
  constructor(
    private readonly redis: RedisClient,
    keyPrefix: string,
    private readonly maxLen: number,
  ) {
    this.stream = alertEventsStream(keyPrefix);
  }

  /** Returns the entry id (the cursor of this event). */
  async publish(e: AlertEvent): Promise<string> {
    // Approximate trimming (~) lets Redis drop whole nodes: cheap, and the length stays near maxLen.
    const id = await this.redis.xadd(this.stream, 'MAXLEN', '~', String(this.maxLen), '*', ...encodeAlertEvent(e));
    return id!;
  }
}

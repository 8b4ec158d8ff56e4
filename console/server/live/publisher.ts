import type { RedisClient } from '../../../collector/streams/redis.js';
import { alertEventsStream, type AlertEvent } from '../../../rules/alert.js';
import { encodeAlertEvent } from '../../../rules/alert-events.js';

export { alertEventOf } from '../../../rules/alert-events.js';

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

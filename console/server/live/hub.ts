import type { Redis } from 'ioredis';
import type { Logger } from '../../../common/log.js';
import type { RedisClient } from '../../../collector/streams/redis.js';
import type { AlertEvent } from '../../../rules/alert.js';
import { compareStreamIds, decodeAlertEvent } from './event-codec.js';

/** One stream entry as clients receive it: the event, and the message already serialised once for all. */
export interface LiveEntry {
  id: string;
  event: AlertEvent;
  message: string;
}

export interface LiveSubscriber {
  offer(entry: LiveEntry): void;
  /**
   * Called after each batch of offers: the subscriber sends what it queued, in as few
   * frames as it can. Frames are shared through `frames` (same messages, same bytes), so
   * two hundred clients watching the same feed cost one encoding, not two hundred.
   */
  flush(frames: FrameCache): void;
}

/** Encoded frames of one flush, by the ids of the messages they carry. */
export type FrameCache = Map<string, Buffer>;

type RawEntry = [string, string[]];

/**
 * Follows the alert event stream for this console instance: one blocking XREAD loop on
 * its own connection, each entry parsed and serialised once and offered to every
 * connected client, which filters it by scope and subscription. Reads for clients that
 * catch up (reconnects) go through the shared connection, page by page.
 */
export class LiveHub {
  /** The id of the last entry offered to subscribers. */
  lastId = '0-0';
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly subscribers = new Set<LiveSubscriber>();

  constructor(
    private readonly blocking: Redis | RedisClient,
    private readonly redis: RedisClient,
    readonly stream: string,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const last = (await this.redis.xrevrange(this.stream, '+', '-', 'COUNT', 1)) as RawEntry[];
    this.lastId = last[0]?.[0] ?? '0-0';
    this.running = true;
    this.loop = this.follow();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.blocking.disconnect();
    await this.loop?.catch(() => {});
  }

  add(s: LiveSubscriber): void {
    this.subscribers.add(s);
  }

  remove(s: LiveSubscriber): void {
    this.subscribers.delete(s);
  }

  get clients(): number {
    return this.subscribers.size;
  }

  private async follow(): Promise<void> {
    while (this.running) {
      let res: Array<[string, RawEntry[]]> | null;
      try {
        res = (await this.blocking.xread('COUNT', 1000, 'BLOCK', 2000, 'STREAMS', this.stream, this.lastId)) as Array<[string, RawEntry[]]> | null;
      } catch (err) {
        if (!this.running) return;
        this.log.warn({ err: (err as Error).message }, 'reading the alert event stream failed; retrying');
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      for (const [, entries] of res ?? []) {
        for (const raw of entries) {
          const entry = toEntry(raw);
          this.lastId = raw[0];
          if (!entry) continue;
          for (const s of this.subscribers) s.offer(entry);
        }
        const frames: FrameCache = new Map();
        for (const s of this.subscribers) s.flush(frames);
      }
    }
  }

  /** Entries after `afterId` (exclusive), at most count. */
  async range(afterId: string, count: number): Promise<Array<{ id: string; entry?: LiveEntry }>> {
    const raw = (await this.redis.xrange(this.stream, `(${afterId}`, '+', 'COUNT', count)) as RawEntry[];
    return raw.map((r) => ({ id: r[0], entry: toEntry(r) }));
  }

  /**
   * Whether entries after the cursor may have been trimmed away (the client is too far
   * behind for the stream's retention). Trimming removes the oldest entries first, so
   * nothing after the cursor is gone while the oldest entry left is not after it;
   * deletions by id (XDEL) are covered by the highest deleted id Redis 7 records.
   */
  async lostAfter(cursor: string): Promise<boolean> {
    const info = (await this.redis.xinfo('STREAM', this.stream).catch(() => undefined)) as unknown[] | undefined;
    if (!info) return false;
    const field = (name: string): unknown => {
      const i = info.indexOf(name);
      return i >= 0 ? info[i + 1] : undefined;
    };
    const maxDeleted = field('max-deleted-entry-id');
    if (typeof maxDeleted === 'string' && compareStreamIds(maxDeleted, cursor) > 0) return true;
    const added = field('entries-added');
    if (typeof added === 'number' && added === field('length')) return false; // nothing ever removed
    const first = field('first-entry') as RawEntry | null | undefined;
    return !!first && compareStreamIds(first[0], cursor) > 0;
  }
}

function toEntry(raw: RawEntry): LiveEntry | undefined {
  const decoded = decodeAlertEvent(raw[1]);
  if (!decoded) return undefined;
  // The event's JSON is reused as it came from Redis (decoding has shown it parses): serialised once, sent to all.
  return { id: raw[0], event: decoded.event, message: `{"type":"alert","cursor":"${raw[0]}","event":${decoded.json}}` };
}

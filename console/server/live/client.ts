import type { WebSocket } from 'ws';
import type { Logger } from '../../../common/log.js';
import { effectiveSubtree } from '../scope.js';
import type { AuthedUser } from '../http/route.js';
import { compareStreamIds } from './event-codec.js';
import type { FrameCache, LiveEntry, LiveHub, LiveSubscriber } from './hub.js';
import { matches, subscribeSchema, type LiveFilter } from './subscription.js';

export interface LiveLimits {
  maxQueuedMessages: number;
  maxBufferedBytes: number;
}

/** How far back a re-synchronised client is replayed: covers the alert indices' refresh interval. */
const RESYNC_REPLAY_MS = 2_000;
const CATCH_UP_PAGE = 500;
/** Messages sent together in one frame: fewer frames, TLS records and wake-ups per client at high rates. */
const FRAME_MESSAGES = 200;

/** One frame for several messages: {"type":"batch","messages":[...]} (each already serialised). */
function frameOf(messages: readonly string[]): string {
  return messages.length === 1 ? messages[0]! : `{"type":"batch","messages":[${messages.join(',')}]}`;
}

type State = 'waiting' | 'catching-up' | 'live' | 'closed';

/**
 * One browser's live feed. It is either catching up (reading the stream from its cursor,
 * page by page, as fast as the socket drains) or live (taking entries from the hub).
 * The switch between the two is made synchronously when the catch-up has reached what
 * the hub has offered, and entries at or before the position are never sent again: no
 * gap, no duplicate.
 *
 * Memory is bounded: live entries wait in a queue of at most maxQueuedMessages while the
 * socket holds maxBufferedBytes unsent; past that the queue is dropped, the client is
 * told it is catching up, and the feed continues from the stream instead.
 */
export class LiveClient implements LiveSubscriber {
  private state: State = 'waiting';
  private filter: LiveFilter = {};
  /** The id of the last entry this client has been given or passed over (by its filter). */
  private position = '0-0';
  /** Entries given to the socket; the last one's id is where a catch-up resumes. */
  private sentPosition = '0-0';
  private queue: Array<{ id: string; message: string }> = [];
  private pumpTimer: NodeJS.Timeout | undefined;
  private generation = 0;
  private subscribes = 0;

  constructor(
    private readonly ws: WebSocket,
    private readonly user: AuthedUser,
    private readonly hub: LiveHub,
    private readonly limits: LiveLimits,
    private readonly log: Logger,
  ) {
    ws.on('message', (data, isBinary) => this.onMessage(isBinary ? '' : data.toString()));
    ws.on('close', () => this.close());
    ws.on('error', () => this.close());
    const windowReset = setInterval(() => (this.subscribes = 0), 10_000);
    windowReset.unref();
    ws.once('close', () => clearInterval(windowReset));
  }

  /** Called by the heartbeat: a live client with nothing queued has seen everything up to the hub's position. */
  heartbeat(): void {
    if (this.state !== 'live' || this.queue.length > 0) return;
    if (compareStreamIds(this.hub.lastId, this.position) > 0) this.position = this.hub.lastId;
    if (compareStreamIds(this.position, this.sentPosition) > 0) {
      this.sentPosition = this.position;
      this.send(JSON.stringify({ type: 'cursor', cursor: this.position }));
    }
  }

  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.queue = [];
    clearTimeout(this.pumpTimer);
    this.hub.remove(this);
  }

  private onMessage(text: string): void {
    if (++this.subscribes > 20) {
      this.ws.close(4429, 'too many messages');
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      this.sendError('bad_json', 'messages are JSON');
      return;
    }
    const r = subscribeSchema.safeParse(parsed);
    if (!r.success) {
      this.sendError('invalid_input', r.error.issues[0]?.message ?? 'invalid message');
      return;
    }
    let subtree: string | undefined;
    try {
      subtree = effectiveSubtree(this.user, r.data.filters.node);
    } catch (err) {
      this.sendError('forbidden', (err as Error).message);
      return;
    }
    const f = r.data.filters;
    this.filter = {
      ...(subtree ? { subtree } : {}),
      ...(f.severity?.length ? { severity: new Set(f.severity) } : {}),
      ...(f.ruleId?.length ? { ruleId: new Set(f.ruleId) } : {}),
      ...(f.status?.length ? { status: new Set(f.status) } : {}),
    };
    this.queue = [];
    const gen = ++this.generation;
    const from = r.data.cursor ?? (r.data.recentMs ? `${Math.max(0, Date.now() - r.data.recentMs)}-0` : undefined);
    if (from) {
      // Recent events were never promised, so a trimmed stream is no loss for them.
      void this.catchUp(from, gen, { checkLoss: !!r.data.cursor }).catch((err: Error) => {
        this.log.warn({ err: err.message, user: this.user.name }, 'live catch-up failed');
        this.ws.close(1011, 'catch-up failed');
      });
    } else {
      this.position = this.sentPosition = this.hub.lastId;
      this.goLive();
      this.send(JSON.stringify({ type: 'subscribed', cursor: this.position }));
    }
  }

  private goLive(): void {
    this.state = 'live';
    this.hub.add(this);
  }

  offer(entry: LiveEntry): void {
    if (this.state !== 'live' || compareStreamIds(entry.id, this.position) <= 0) return;
    this.position = entry.id;
    if (!matches(this.filter, entry.event)) return;
    this.queue.push({ id: entry.id, message: entry.message });
    if (this.queue.length > this.limits.maxQueuedMessages) this.overflow();
  }

  flush(frames: FrameCache): void {
    if (this.state === 'live') this.pump(frames);
  }

  /** Too slow for the live rate: drop the queue and continue from the stream where the socket left off. */
  private overflow(): void {
    this.queue = [];
    this.hub.remove(this);
    const from = this.sentPosition;
    this.send(JSON.stringify({ type: 'catch-up', reason: 'slow', cursor: from }));
    const gen = ++this.generation;
    void this.catchUp(from, gen).catch((err: Error) => {
      this.log.warn({ err: err.message, user: this.user.name }, 'live catch-up failed');
      this.ws.close(1011, 'catch-up failed');
    });
  }

  private pump(frames?: FrameCache): void {
    while (this.queue.length > 0 && this.ws.bufferedAmount < this.limits.maxBufferedBytes) {
      const batch = this.queue.splice(0, FRAME_MESSAGES);
      const key = batch.map((m) => m.id).join(',');
      let frame = frames?.get(key);
      if (!frame) {
        frame = Buffer.from(frameOf(batch.map((m) => m.message)));
        frames?.set(key, frame);
      }
      this.sendFrame(frame);
      this.sentPosition = batch[batch.length - 1]!.id;
    }
    if (this.queue.length > 0 && !this.pumpTimer && this.state !== 'closed') {
      this.pumpTimer = setTimeout(() => {
        this.pumpTimer = undefined;
        this.pump();
      }, 25);
    }
  }

  private async catchUp(cursor: string, gen: number, opts: { checkLoss: boolean } = { checkLoss: true }): Promise<void> {
    this.hub.remove(this);
    this.state = 'catching-up';
    let pos = cursor;
    if (opts.checkLoss && (await this.hub.lostAfter(cursor))) {
      // Too far behind the stream's retention: the client reloads from Elasticsearch and
      // is replayed the last moments, which the alert indices may not show yet.
      pos = `${Math.max(0, Date.now() - RESYNC_REPLAY_MS)}-0`;
      this.send(JSON.stringify({ type: 'resync', reason: 'too-far-behind', cursor: pos }));
    }
    this.sentPosition = pos;
    for (;;) {
      if (this.stale(gen)) return;
      const page = await this.hub.range(pos, CATCH_UP_PAGE);
      if (this.stale(gen)) return;
      let frame: string[] = [];
      for (const { id, entry } of page) {
        pos = id;
        if (entry && matches(this.filter, entry.event)) {
          frame.push(entry.message);
          if (frame.length === FRAME_MESSAGES) {
            this.send(frameOf(frame));
            frame = [];
          }
          this.sentPosition = id;
        }
      }
      if (frame.length) this.send(frameOf(frame));
      await this.drained(gen);
      if (this.stale(gen)) return;
      // Synchronously from here: everything the hub offered is at or before pos, so going live now leaves no gap.
      if (page.length < CATCH_UP_PAGE && compareStreamIds(this.hub.lastId, pos) <= 0) {
        this.position = pos;
        if (compareStreamIds(pos, this.sentPosition) > 0) {
          this.sentPosition = pos;
          this.send(JSON.stringify({ type: 'cursor', cursor: pos }));
        }
        this.goLive();
        this.send(JSON.stringify({ type: 'subscribed', cursor: pos }));
        return;
      }
    }
  }

  /** Waits until the socket holds less than half its byte budget, so a catch-up never piles up in memory. */
  private async drained(gen: number): Promise<void> {
    while (this.ws.bufferedAmount > this.limits.maxBufferedBytes / 2 && !this.stale(gen)) {
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Whether a catch-up was superseded (a new subscription) or the client left. A method, so the state is read afresh after each await. */
  private stale(gen: number): boolean {
    return gen !== this.generation || this.state === 'closed';
  }

  private send(message: string): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(message);
  }

  /** An encoded frame, sent as text (it is UTF-8 JSON). */
  private sendFrame(frame: Buffer): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(frame, { binary: false });
  }

  private sendError(code: string, message: string): void {
    this.send(JSON.stringify({ type: 'error', error: { code, message } }));
  }
}

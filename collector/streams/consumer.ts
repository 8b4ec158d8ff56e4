import type { Logger } from '../../common/log.js';
import { sleep } from '../../common/process.js';
import type { RedisClient } from './redis.js';

export interface StreamEntry {
  stream: string;
  id: string;
  /**
   * Field names and values as bytes: a batch's records are turned into text only when
   * they must be parsed (see DecodedBatches), not on every read by every group.
   */
  fields: Buffer[];
}

export interface ConsumerOptions {
  streams: string[];
  group: string;
  consumer: string;
  log: Logger;
  /** Entries taken per read. */
  count?: number;
  blockMs?: number;
  /** Pending entries idle this long belong to a consumer presumed dead, and are claimed. */
  claimIdleMs?: number;
  /** Must resolve only once the entries' effects are durable; they are acknowledged after. */
  handle: (entries: StreamEntry[]) => Promise<void>;
  /**
   * Waits up to waitMs for new entries to add up to this many records before handling
   * them (the indexers: Elasticsearch pays per request, and one batch per request, which a
   * consumer keeping up with the stream would otherwise send, cost it more per document).
   */
  fill?: { records: number; waitMs: number; recordsOf: (e: StreamEntry) => number; maxEntries: number };
}

type XReadReply = Array<[Buffer, Array<[Buffer, Buffer[] | null]>]> | null;

export async function ensureGroup(redis: RedisClient, stream: string, group: string): Promise<void> {
  try {
    await redis.xgroup('CREATE', stream, group, '0', 'MKSTREAM');
  } catch (err) {
    if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
  }
}

/**
 * One member of a consumer group over a set of streams. It first finishes what it had
 * pending (after a restart under the same name), claims entries left pending by members
 * that died (XAUTOCLAIM), then reads new entries; each batch of entries is acknowledged
 * only after `handle` resolves, so a crash anywhere leaves them pending, never lost.
 */
export class StreamConsumer {
  private stopping = false;
  private loop: Promise<void> | undefined;
  private readonly count: number;
  /**
   * Entries per read of own pending entries and per claim: recovering after a crash goes in
   * larger steps than the steady reads, which are sized for one request.
   */
  private readonly recoverCount: number;
  private readonly blockMs: number;
  private readonly claimIdleMs: number;
  private lastClaim = 0;

  constructor(
    private readonly redis: RedisClient,
    private readonly opts: ConsumerOptions,
  ) {
    this.count = opts.count ?? 64;
    this.recoverCount = Math.max(this.count, 100);
    this.blockMs = opts.blockMs ?? 1000;
    this.claimIdleMs = opts.claimIdleMs ?? 30_000;
  }

  async start(): Promise<void> {
    for (const s of this.opts.streams) await ensureGroup(this.redis, s, this.opts.group);
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    let ownPending = true;
    let failures = 0;
    while (!this.stopping) {
      try {
        let worked = false;
        if (ownPending) {
          worked = await this.readOnce('0');
          ownPending = worked;
        }
        if (!worked && Date.now() - this.lastClaim >= Math.min(this.claimIdleMs, 5000)) {
          this.lastClaim = Date.now();
          worked = await this.claimAbandoned();
        }
        if (!worked) await this.readOnce('>');
        failures = 0;
      } catch (err) {
        failures++;
        // Whatever failed (Redis away, Elasticsearch away) stays pending; try again later.
        this.opts.log.warn({ err: (err as Error).message, group: this.opts.group, failures }, 'stream consumer step failed; entries stay pending');
        ownPending = true;
        await sleep(Math.min(200 * 2 ** Math.min(failures, 6), 10_000));
      }
    }
  }

  /** Reads with the given id ('0' = own pending entries, '>' = new ones) and handles them. */
  private async readOnce(id: '0' | '>'): Promise<boolean> {
    const entries = await this.read(id, id === '>' ? this.count : this.recoverCount, id === '>' ? this.blockMs : undefined);
    if (entries.length === 0) return false;
    const fill = this.opts.fill;
    if (id === '>' && fill) {
      // Entries read are pending with this consumer: should it die while waiting, they are claimed.
      let records = entries.reduce((n, e) => n + fill.recordsOf(e), 0);
      const until = Date.now() + fill.waitMs;
      while (records < fill.records && entries.length < fill.maxEntries && !this.stopping) {
        const left = until - Date.now();
        if (left <= 0) break;
        const more = await this.read('>', Math.min(this.count, fill.maxEntries - entries.length), left);
        if (more.length === 0) break;
        for (const e of more) {
          entries.push(e);
          records += fill.recordsOf(e);
        }
      }
    }
    await this.handleAndAck(entries);
    return true;
  }

  private async read(id: '0' | '>', count: number, blockMs: number | undefined): Promise<StreamEntry[]> {
    const { streams, group, consumer } = this.opts;
    const args: Array<string | number> = ['GROUP', group, consumer, 'COUNT', count];
    if (blockMs !== undefined) args.push('BLOCK', blockMs);
    args.push('STREAMS', ...streams, ...streams.map(() => id));
    const reply = (await this.redis.callBuffer('XREADGROUP', ...args)) as XReadReply;
    const entries: StreamEntry[] = [];
    for (const [stream, items] of reply ?? []) {
      const name = stream.toString();
      for (const [entryId, fields] of items) if (fields) entries.push({ stream: name, id: entryId.toString(), fields });
    }
    return entries;
  }

  /**
   * Claims and handles every entry left idle by dead consumers, a page at a time, walking
   * each stream's pending list once from its start (a backlog goes in one turn, and the
   * entries live consumers are working on are passed over, not scanned again and again).
   */
  private async claimAbandoned(): Promise<boolean> {
    let any = false;
    for (const stream of this.opts.streams) {
      let cursor = '0';
      do {
        const reply = (await this.redis.callBuffer('XAUTOCLAIM', stream, this.opts.group, this.opts.consumer, this.claimIdleMs, cursor, 'COUNT', this.recoverCount)) as [Buffer, Array<[Buffer, Buffer[] | null] | null>, Buffer[]?];
        cursor = reply[0].toString();
        const entries: StreamEntry[] = [];
        for (const item of reply[1]) if (item && item[1]) entries.push({ stream, id: item[0].toString(), fields: item[1] });
        if (entries.length > 0) {
          this.opts.log.info({ stream, group: this.opts.group, claimed: entries.length }, 'claimed entries left pending by a stopped consumer');
          await this.handleAndAck(entries);
          any = true;
        }
      } while (cursor !== '0-0' && !this.stopping);
    }
    return any;
  }

  private async handleAndAck(entries: StreamEntry[]): Promise<void> {
    await this.opts.handle(entries);
    const byStream = new Map<string, string[]>();
    for (const e of entries) {
      const ids = byStream.get(e.stream);
      if (ids) ids.push(e.id);
      else byStream.set(e.stream, [e.id]);
    }
    for (const [stream, ids] of byStream) await this.redis.xack(stream, this.opts.group, ...ids);
  }
}

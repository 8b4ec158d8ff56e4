import type { RedisClient } from './redis.js';
import { lastSeqKey, shardOf, streamKey } from './redis.js';

/**
 * Appends a sensor's batch to its shard's stream unless that sequence number was stored
 * before, in one atomic step, so a batch replayed after a lost ack is recognised and not
 * stored twice. Redis runs with AOF: once this returns, the batch survives a Redis restart
 * and may be acknowledged to the sensor.
 */
const APPEND_ONCE = `
local last = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '-1')
local seq = tonumber(ARGV[2])
if seq <= last then return {0, last} end
local id = redis.call('XADD', KEYS[1], '*', 'sensor', ARGV[1], 'seq', ARGV[2], 'node', ARGV[3], 'received', ARGV[4], 'count', ARGV[5], 'records', ARGV[6])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return {1, id}
`;

export interface StoredBatch {
  sensorId: string;
  seq: number;
  /** The sensor's place in the hierarchy, from its certificate. */
  node: string;
  receivedMs: number;
  count: number;
  /**
   * The batch's records as JSON (an array), stored as received after validation: text,
   * or the bytes of it (as they came off the wire, or as read back from the stream).
   */
  recordsJson: string | Buffer;
}

export type AppendResult = { stored: true; stream: string; entryId: string } | { stored: false; lastSeq: number };

export class BatchStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    readonly shards: number,
  ) {
    this.redis.defineCommand('chotAppendOnce', { numberOfKeys: 2, lua: APPEND_ONCE });
  }

  async append(b: StoredBatch): Promise<AppendResult> {
    const shard = shardOf(b.sensorId, this.shards);
    const stream = streamKey(this.prefix, shard);
    const r = (await (this.redis as unknown as { chotAppendOnce: (...a: (string | number | Buffer)[]) => Promise<[number, string | number]> }).chotAppendOnce(
      stream,
      lastSeqKey(this.prefix, shard),
      b.sensorId,
      b.seq,
      b.node,
      b.receivedMs,
      b.count,
      b.recordsJson,
    )) as [number, string | number];
    return r[0] === 1 ? { stored: true, stream, entryId: String(r[1]) } : { stored: false, lastSeq: Number(r[1]) };
  }

  /** The highest sequence stored for a sensor (-1 for none): told to a reconnecting sensor so it can drop what is already safe. */
  async lastSeq(sensorId: string): Promise<number> {
    const v = await this.redis.hget(lastSeqKey(this.prefix, shardOf(sensorId, this.shards)), sensorId);
    return v === null ? -1 : Number(v);
  }
}

/**
 * A stream entry's batch, from its fields as text or as bytes (consumers read bytes, so
 * that the records are turned into text only when they must be parsed).
 */
export function parseStreamEntry(fields: ReadonlyArray<string | Buffer>): StoredBatch {
  const m = new Map<string, string | Buffer>();
  for (let i = 0; i + 1 < fields.length; i += 2) m.set(String(fields[i]!), fields[i + 1]!);
  const text = (k: string): string => String(m.get(k) ?? '');
  return {
    sensorId: text('sensor'),
    seq: Number(text('seq')),
    node: text('node'),
    receivedMs: Number(text('received')),
    count: Number(text('count')),
    recordsJson: m.get('records') ?? '[]',
  };
}

const COUNT_FIELD = Buffer.from('count');

/** A stream entry's record count, from its fields as read (0 if it has none). */
export function entryRecordCount(fields: ReadonlyArray<Buffer>): number {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i]!.equals(COUNT_FIELD)) return Number(fields[i + 1]!.toString()) || 0;
  return 0;
}

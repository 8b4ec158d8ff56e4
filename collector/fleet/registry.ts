import type { SensorStats } from '../../sensor/uplink/protocol.js';
import type { RedisClient } from '../streams/redis.js';

export interface SensorEntry {
  sensorId: string;
  /** The node's place in the hierarchy (province/district/commune). */
  node: string;
  lastSeenMs: number;
  address: string;
  collector: string;
  connected: boolean;
  certNotAfter?: string;
  stats?: SensorStats;
}

/**
 * The fleet's registry in Redis, written by whichever collector a sensor is connected to
 * and read by every collector and the console: one hash per sensor and a sorted set by
 * last-seen time, which makes "who went silent" one range query at national scale.
 */
export class SensorRegistry {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  private key(sensorId: string): string {
    return `${this.prefix}sensor:${sensorId}`;
  }

  private get seenKey(): string {
    return `${this.prefix}sensors:last-seen`;
  }

  async seen(e: Omit<SensorEntry, 'stats'> & { stats?: SensorStats }): Promise<void> {
    const fields: Record<string, string> = {
      sensorId: e.sensorId,
      node: e.node,
      lastSeenMs: String(e.lastSeenMs),
      address: e.address,
      collector: e.collector,
      connected: e.connected ? '1' : '0',
    };
    if (e.certNotAfter) fields.certNotAfter = e.certNotAfter;
    if (e.stats) fields.stats = JSON.stringify(e.stats);
    await this.redis.multi().hset(this.key(e.sensorId), fields).zadd(this.seenKey, e.lastSeenMs, e.sensorId).exec();
  }

  async disconnected(sensorId: string, collector: string): Promise<void> {
    // Only the collector holding the connection may mark it gone (a reconnect elsewhere may have won).
    const current = await this.redis.hget(this.key(sensorId), 'collector');
    if (current === collector) await this.redis.hset(this.key(sensorId), 'connected', '0');
  }

  async get(sensorId: string): Promise<SensorEntry | undefined> {
    return entryOf(await this.redis.hgetall(this.key(sensorId)));
  }

  /** Every sensor ever registered, read in pipelined chunks (10,800 hashes are one round trip per thousand). */
  async all(chunk = 1000): Promise<SensorEntry[]> {
    const ids = await this.redis.zrange(this.seenKey, 0, -1);
    const out: SensorEntry[] = [];
    for (let i = 0; i < ids.length; i += chunk) {
      const p = this.redis.pipeline();
      for (const id of ids.slice(i, i + chunk)) p.hgetall(this.key(id));
      for (const [err, h] of (await p.exec()) ?? []) {
        if (err) throw err;
        const e = entryOf(h as Record<string, string>);
        if (e) out.push(e);
      }
    }
    return out;
  }

  /** Sensors not heard from since the given time. */
  async silentSince(beforeMs: number, limit = 1000): Promise<string[]> {
    return this.redis.zrangebyscore(this.seenKey, '-inf', `(${beforeMs}`, 'LIMIT', 0, limit);
  }

  async count(): Promise<number> {
    return this.redis.zcard(this.seenKey);
  }
}

function entryOf(h: Record<string, string>): SensorEntry | undefined {
  if (!h.sensorId) return undefined;
  return {
    sensorId: h.sensorId,
    node: h.node ?? '',
    lastSeenMs: Number(h.lastSeenMs),
    address: h.address ?? '',
    collector: h.collector ?? '',
    connected: h.connected === '1',
    certNotAfter: h.certNotAfter,
    stats: h.stats ? (JSON.parse(h.stats) as SensorStats) : undefined,
  };
}

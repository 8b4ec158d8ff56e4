import { Cluster, Redis } from 'ioredis';
import type { RedisConfig } from '../../common/connections.js';

export type RedisClient = Redis | Cluster;

/**
 * A Redis client that never gives up reconnecting (a restarted Redis must not stop the
 * collector) and never silently queues commands forever while disconnected.
 */
export function createRedis(cfg: RedisConfig, name: string): RedisClient {
  const common = {
    connectionName: name,
    maxRetriesPerRequest: 20,
    enableOfflineQueue: true,
    retryStrategy: (times: number) => Math.min(100 * 2 ** Math.min(times, 6), 5000),
  };
  if (cfg.clusterNodes && cfg.clusterNodes.length > 0) {
    const url = new URL(cfg.url);
    return new Cluster(
      cfg.clusterNodes.map((n) => ({ host: n.split(':')[0]!, port: Number(n.split(':')[1]) })),
      { redisOptions: { ...common, password: decodeURIComponent(url.password) || undefined, username: decodeURIComponent(url.username) || undefined }, clusterRetryStrategy: common.retryStrategy },
    );
  }
  return new Redis(cfg.url, common);
}

/** Keys share a hash tag per shard so a shard's stream and its dedup state live on one cluster slot. */
export function streamKey(prefix: string, shard: number): string {
  return `${prefix}{records-${shard}}:stream`;
}

export function lastSeqKey(prefix: string, shard: number): string {
  return `${prefix}{records-${shard}}:last-seq`;
}

/** A sensor always lands on the same shard, so its batches stay in order. */
export function shardOf(sensorId: string, shards: number): number {
  let h = 2166136261;
  for (let i = 0; i < sensorId.length; i++) {
    h ^= sensorId.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return (h >>> 0) % shards;
}

/** One PING without retries, so a wrong address fails start-up at once with a clear reason. */
export async function probeRedisOnce(cfg: RedisConfig): Promise<void> {
  const url = cfg.clusterNodes?.length ? undefined : cfg.url;
  if (!url) return;
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 5000, enableOfflineQueue: false });
  probe.on('error', () => {});
  try {
    await probe.connect();
    await probe.ping();
  } finally {
    probe.disconnect();
  }
}

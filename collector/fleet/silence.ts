import type { Client } from '@elastic/elasticsearch';
import type { Logger } from '../../common/log.js';
import type { BulkIndexer } from '../index/bulk.js';
import { dailyIndex } from '../../common/index-names.js';
import type { RedisClient } from '../streams/redis.js';
import type { SensorRegistry } from './registry.js';

/**
 * Raises a health event when a sensor has been silent for N heartbeats. Every collector
 * runs the check; a short Redis lock per sensor and silence makes it raised once for the
 * fleet, and a sensor that speaks again may raise a new one when it next falls silent.
 */
export function watchSilentSensors(p: {
  sensors: SensorRegistry;
  es: Client;
  indexer: BulkIndexer;
  prefix: string;
  redis: RedisClient;
  keyPrefix: string;
  log: Logger;
  silentAfterMs: number;
  checkEveryMs?: number;
}): { stop(): void; checkNow(): Promise<number> } {
  const check = async (): Promise<number> => {
    const now = Date.now();
    let raised = 0;
    for (const sensorId of await p.sensors.silentSince(now - p.silentAfterMs)) {
      const entry = await p.sensors.get(sensorId);
      if (!entry) continue;
      // One event per silence: keyed by the last-seen time it refers to.
      const claim = await p.redis.set(`${p.keyPrefix}silence:${sensorId}:${entry.lastSeenMs}`, '1', 'PX', 7 * 86_400_000, 'NX');
      if (claim !== 'OK') continue;
      const doc = {
        '@timestamp': new Date(now).toISOString(),
        event: { kind: 'alert', category: ['host'], type: ['info'], action: 'sensor-silent', dataset: 'chot.health', severity: 3, reason: `sensor ${sensorId} silent for ${Math.round((now - entry.lastSeenMs) / 1000)} s` },
        observer: { id: sensorId, type: 'sensor' },
        sensor: { last_seen: new Date(entry.lastSeenMs).toISOString(), address: entry.address, collector: entry.collector },
      };
      await p.indexer.indexAll([{ index: dailyIndex(p.prefix, 'health', now), id: `silent:${sensorId}:${entry.lastSeenMs}`, doc }]);
      p.log.warn({ sensor: sensorId, lastSeen: doc.sensor.last_seen }, 'sensor silent');
      raised++;
    }
    return raised;
  };
  const timer = setInterval(() => void check().catch((err: Error) => p.log.warn({ err: err.message }, 'silent-sensor check failed')), p.checkEveryMs ?? Math.max(1000, Math.floor(p.silentAfterMs / 3)));
  timer.unref();
  return { stop: () => clearInterval(timer), checkNow: check };
}

import type { Client } from '@elastic/elasticsearch';
import type { Logger } from '../../common/log.js';
import type { HealthRecord } from '../../rules/records.js';
import { DetectionEngine } from '../../rules/worker.js';
import { decodeRecords } from '../../sensor/uplink/record-codec.js';
import type { CollectorConfig } from '../config.js';
import type { SensorRegistry } from '../fleet/registry.js';
import type { BulkIndexer } from '../index/bulk.js';
import type { CollectorMetrics } from '../metrics.js';
import { parseStreamEntry } from '../streams/batch-store.js';
import { type DecodedBatches, entryKey } from '../streams/decoded-batches.js';
import { StreamConsumer } from '../streams/consumer.js';
import { createRedis, type RedisClient } from '../streams/redis.js';
import { AlertWriter, type WriteOutcome } from './alert-writer.js';
import { detectOrSkip } from './poison.js';

/** The consumer group the rules engine reads the record streams as. */
export const DETECTOR_GROUP = 'detectors';

export interface Detection {
  engine: DetectionEngine;
  /** Runs the fleet's health through the health rules now (what the timer does). */
  sweepHealth(): Promise<number>;
  stop(): Promise<void>;
}

function count(metrics: CollectorMetrics, w: WriteOutcome): void {
  for (const k of ['created', 'existed', 'updated', 'orphaned'] as const) if (w[k] > 0) metrics.alerts.inc({ outcome: k }, w[k]);
}

/**
 * The detection workers of one collector instance: one engine (rules and lists loaded
 * once, reloaded live), fed every stream entry through the 'detectors' group. An entry
 * is acknowledged only after its alerts are in Elasticsearch and on the event stream;
 * a crash before that leaves it pending, and processing it again is harmless (the
 * engine's windows count each record once, alert ids are deterministic).
 */
export async function startDetection(p: {
  cfg: CollectorConfig;
  es: Client;
  indexer: BulkIndexer;
  redis: RedisClient;
  sensors: SensorRegistry;
  streams: string[];
  /** Records this instance parsed at ingest, shared with its indexers. */
  decoded?: DecodedBatches;
  instanceId: string;
  metrics: CollectorMetrics;
  log: Logger;
  whenIndexReady: Promise<void>;
  signal: AbortSignal;
}): Promise<Detection> {
  const { cfg, log, metrics } = p;
  const d = cfg.detection;
  const keyPrefix = cfg.redis.keyPrefix;
  const engine = new DetectionEngine({
    redis: p.redis,
    keyPrefix,
    esPrefix: cfg.elasticsearch.indexPrefix,
    log: log.child({ component: 'rules' }),
    ...(d.rules ? { rulesDir: d.rules } : {}),
    ...(d.lists ? { listsDir: d.lists } : {}),
  });
  const report = await engine.start();
  metrics.rulesLoaded.set(report.rules);
  const writer = new AlertWriter({ es: p.es, indexer: p.indexer, redis: p.redis, keyPrefix, log, eventsMaxLen: d.eventsMaxLen, signal: p.signal });
  const closers: Array<() => Promise<void> | void> = [() => engine.stop()];

  for (let i = 0; i < d.consumers; i++) {
    const conn = createRedis(cfg.redis, `chot-detector-${p.instanceId}-${i}`);
    const consumer = new StreamConsumer(conn, {
      streams: p.streams,
      group: DETECTOR_GROUP,
      consumer: `${p.instanceId}-${i}`,
      log,
      count: d.entriesPerRead,
      claimIdleMs: cfg.indexer.claimIdleSeconds * 1000,
      handle: async (entries) => {
        await p.whenIndexReady;
        const started = performance.now();
        const created = [];
        const updated = [];
        let records = 0;
        for (const e of entries) {
          const batch = parseStreamEntry(e.fields);
          let decoded;
          try {
            decoded = p.decoded?.take(entryKey(e.stream, e.id)) ?? decodeRecords(batch.recordsJson);
          } catch (err) {
            // The indexer dead-letters what cannot be decoded; the rules have nothing to read.
            log.warn({ sensor: batch.sensorId, seq: batch.seq, err: (err as Error).message }, 'batch not decodable; skipped by detection');
            continue;
          }
          records += decoded.length;
          const out = await detectOrSkip(
            () => engine.processBatch(decoded, { sensorId: batch.sensorId, seq: batch.seq, node: batch.node }),
            async (reason) => {
              log.error({ sensor: batch.sensorId, seq: batch.seq, entry: e.id, reason }, 'the rules fail on this batch every time; detection skips it (recorded in det:failed)');
              metrics.detectionFailures.inc();
              await p.redis.xadd(`${keyPrefix}det:failed`, 'MAXLEN', '~', '10000', '*', 'stream', e.stream, 'entry', e.id, 'sensor', batch.sensorId, 'seq', String(batch.seq), 'reason', reason);
            },
          );
          if (!out) continue;
          created.push(...out.created);
          updated.push(...out.updated);
        }
        metrics.detectionSeconds.inc((performance.now() - started) / 1000);
        metrics.recordsDetected.inc(records);
        metrics.rulesLoaded.set(engine.rules.rules.length);
        count(metrics, await writer.write({ created, updated }));
      },
    });
    await consumer.start();
    closers.push(async () => {
      await consumer.stop();
      conn.disconnect();
    });
  }

  const sweepHealth = async (): Promise<number> => {
    const now = Date.now();
    const entries = await p.sensors.all();
    const records: HealthRecord[] = entries.map((e) => ({
      sensorId: e.sensorId,
      node: e.node,
      tsMs: now,
      lastSeenMs: e.lastSeenMs,
      connected: e.connected,
      ...(e.stats ? { stats: e.stats } : {}),
      ...(e.certNotAfter ? { certNotAfter: e.certNotAfter } : {}),
    }));
    if (records.length === 0) return 0;
    await p.whenIndexReady;
    const out = await engine.processHealth(records);
    count(metrics, await writer.write(out));
    return out.created.length;
  };
  const everyMs = d.healthEverySeconds * 1000;
  const healthTimer = setInterval(() => {
    void (async () => {
      // One instance sweeps per period: the others would raise the same alerts (same ids) for nothing.
      const turn = await p.redis.set(`${keyPrefix}det:health-sweep`, p.instanceId, 'PX', Math.max(1000, everyMs - 500), 'NX');
      if (turn === 'OK') await sweepHealth();
    })().catch((err: Error) => log.warn({ err: err.message }, 'health sweep failed; next period tries again'));
  }, everyMs);
  healthTimer.unref();
  closers.push(() => clearInterval(healthTimer));

  return {
    engine,
    sweepHealth,
    stop: async () => {
      for (const close of closers.reverse()) await close();
    },
  };
}

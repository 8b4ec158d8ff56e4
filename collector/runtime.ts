import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Client } from '@elastic/elasticsearch';
import { Counter, Registry } from 'prom-client';
import { TlsContextManager } from '../certs/tls/context-manager.js';
import { RuntimeError } from '../common/errors.js';
import type { Logger } from '../common/log.js';
import { sleep } from '../common/process.js';
import { startMetricsEndpoint, type MetricsEndpoint } from '../common/metrics.js';
import type { CollectorConfig } from './config.js';
import { DETECTOR_GROUP, startDetection } from './detect/detection.js';
import { SensorRegistry } from './fleet/registry.js';
import { watchSilentSensors } from './fleet/silence.js';
import { IngestServer } from './ingest/server.js';
import { BulkIndexer } from './index/bulk.js';
import { BulkBody } from './index/bulk-body.js';
import { clusterVersion, createEsClient } from './index/client.js';
import { appendBatch } from './index/documents.js';
import { INDEX_KINDS } from './index/names.js';
import { deleteExpiredIndices } from './index/retention.js';
import { installIndexTemplates } from './index/templates.js';
import { CollectorMetrics } from './metrics.js';
import { BatchStore, entryRecordCount, parseStreamEntry } from './streams/batch-store.js';
import { StreamConsumer, type StreamEntry } from './streams/consumer.js';
import { DecodedBatches, entryKey } from './streams/decoded-batches.js';
import { createRedis, probeRedisOnce, streamKey, type RedisClient } from './streams/redis.js';
import { trimProcessed } from './streams/trim.js';

async function whenElasticsearchReady(es: Client, prefix: string, url: string, log: Logger, signal: AbortSignal): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    signal.throwIfAborted();
    try {
      const version = await clusterVersion(es);
      await installIndexTemplates(es, prefix, INDEX_KINDS);
      log.info({ url, version }, 'Elasticsearch ready, index templates installed');
      return;
    } catch (err) {
      log.warn({ url, err: (err as Error).message, attempt }, 'Elasticsearch not ready; records wait in Redis');
      await sleep(Math.min(500 * 2 ** Math.min(attempt, 5), 15_000));
      signal.throwIfAborted();
    }
  }
}

/** Consumer groups every stream entry must pass through before it may be trimmed. */
export const INDEXER_GROUP = 'indexers';

/** Documents per bulk request: large enough that per-request costs vanish, small enough to hold few at a time. */
const INDEXER_DOCS_PER_REQUEST = 5000;

export interface RunningCollector {
  ingestPort: number;
  metricsUrl?: string;
  stop(): Promise<void>;
}

/**
 * One collector instance: the ingest endpoint, the indexers, and the housekeeping
 * (trimming, retention, silent sensors). Any number of instances can run against one
 * Redis and one Elasticsearch; they share the work through consumer groups.
 */
export async function startCollector(cfg: CollectorConfig, log: Logger, configFile = '(config)'): Promise<RunningCollector> {
  const instanceId = cfg.instanceId ?? `${hostname()}-${process.pid}`;
  const prefix = cfg.redis.keyPrefix;
  const esPrefix = cfg.elasticsearch.indexPrefix;
  const registry = new Registry();
  const metrics = new CollectorMetrics(registry);
  const timers: NodeJS.Timeout[] = [];
  const closers: Array<() => Promise<void> | void> = [];
  const stop = async (): Promise<void> => {
    for (const t of timers) clearInterval(t);
    for (const close of closers.reverse()) await close();
  };

  try {
    const es: Client = createEsClient(cfg.elasticsearch, configFile);
    closers.push(() => es.close());
    // Elasticsearch may be down when we start: sensors are still taken in (Redis holds
    // their batches) and indexing begins once the templates are in place.
    const shutdown = new AbortController();
    closers.push(() => shutdown.abort());
    const esReady = whenElasticsearchReady(es, esPrefix, cfg.elasticsearch.url, log, shutdown.signal);
    esReady.catch(() => {}); // rejected only by shutdown

    await probeRedisOnce(cfg.redis).catch((err: Error) => {
      throw new RuntimeError(`cannot reach Redis at ${new URL(cfg.redis.url).host}: ${err.message}`);
    });
    const redis: RedisClient = createRedis(cfg.redis, `chot-collector-${instanceId}`);
    closers.push(() => void redis.disconnect());

    const store = new BatchStore(redis, prefix, cfg.streams.shards);
    const sensors = new SensorRegistry(redis, prefix);
    // Every group that runs here reads each entry once.
    const decoded = new DecodedBatches(cfg.streams.sharedDecodeMb * 1024 * 1024, cfg.detection.enabled ? 2 : 1);
    new Counter({
      name: 'chot_collector_shared_decodes_total',
      help: 'stream entries a consumer group took already parsed from ingest (hit) or parsed itself (miss: stored by another instance, or past the sharedDecodeMb bound)',
      labelNames: ['outcome'],
      registers: [registry],
      collect() {
        this.reset();
        this.inc({ outcome: 'hit' }, decoded.hits);
        this.inc({ outcome: 'miss' }, decoded.misses);
      },
    });
    const passphrase = cfg.tls.passphraseFile ? readFileSync(cfg.tls.passphraseFile, 'utf8').trim() : undefined;
    const tls = await TlsContextManager.fromFiles({ ...cfg.tls, ...(passphrase ? { passphrase } : {}) }, { logger: log, registry });
    const ingest = new IngestServer({ host: cfg.listen.host, port: cfg.listen.port, tls, instanceId, store, decoded, registry: sensors, metrics, log, limits: cfg.limits });
    const address = await ingest.listen();
    closers.push(() => ingest.close());
    log.info({ host: cfg.listen.host, port: address.port }, 'ingest endpoint listening');

    const streams = Array.from({ length: cfg.streams.shards }, (_, i) => streamKey(prefix, i));
    // Consumers fill bodies to at least a request's worth, a whole batch at a time: the last
    // batch may carry one past it, and goes in the same request rather than in a small one of its own.
    const indexer = new BulkIndexer(es, { prefix: esPrefix, log, maxDocsPerRequest: 2 * INDEXER_DOCS_PER_REQUEST, maxBytesPerRequest: 16 * 1024 * 1024, onRetry: (status) => metrics.esErrors.inc({ status: String(status) }) });
    for (let i = 0; i < cfg.indexer.consumers; i++) {
      // Each consumer blocks on its own connection.
      const conn = createRedis(cfg.redis, `chot-indexer-${instanceId}-${i}`);
      const body = new BulkBody(8 * 1024 * 1024, INDEXER_DOCS_PER_REQUEST + 1024);
      const consumer = new StreamConsumer(conn, {
        streams,
        group: INDEXER_GROUP,
        consumer: `${instanceId}-${i}`,
        log,
        count: cfg.indexer.entriesPerRead,
        ...(cfg.indexer.fillMs > 0 ? { fill: { records: INDEXER_DOCS_PER_REQUEST, waitMs: cfg.indexer.fillMs, recordsOf: (e: StreamEntry) => entryRecordCount(e.fields), maxEntries: 1000 } } : {}),
        claimIdleMs: cfg.indexer.claimIdleSeconds * 1000,
        handle: async (entries) => {
          await esReady;
          // Documents are written one bulk request's worth at a time, into this consumer's one
          // body: Elasticsearch starts on the first request sooner, and none of them is held
          // on the heap (where it would be promoted, the costly kind of garbage) while it works.
          for (let i = 0; i < entries.length; ) {
            body.clear();
            while (i < entries.length && body.count < INDEXER_DOCS_PER_REQUEST) {
              const e = entries[i++]!;
              appendBatch(body, esPrefix, parseStreamEntry(e.fields), decoded.take(entryKey(e.stream, e.id)));
            }
            const out = await indexer.indexBody(body);
            metrics.recordsIndexed.inc(out.created + out.existed);
            metrics.deadLettered.inc(out.deadLettered);
          }
        },
      });
      await consumer.start();
      closers.push(async () => {
        await consumer.stop();
        conn.disconnect();
      });
    }

    // Entries may be trimmed only once every group that runs has finished with them.
    const groups = cfg.detection.enabled ? [INDEXER_GROUP, DETECTOR_GROUP] : [INDEXER_GROUP];
    if (cfg.detection.enabled) {
      const detection = await startDetection({ cfg, es, indexer, redis, sensors, streams, decoded, instanceId, metrics, log, whenIndexReady: esReady, signal: shutdown.signal });
      closers.push(() => detection.stop());
    }

    const housekeeping = setInterval(() => {
      void (async () => {
        let length = 0;
        const pending = new Map(groups.map((g) => [g, 0]));
        const oldestPendingMs = new Map(groups.map((g) => [g, Infinity]));
        for (const s of streams) {
          await trimProcessed(redis, s, groups);
          length += await redis.xlen(s);
          for (const g of groups) {
            const summary = (await redis.xpending(s, g).catch(() => [0, null])) as [number, string | null];
            pending.set(g, pending.get(g)! + Number(summary[0]));
            if (summary[1]) oldestPendingMs.set(g, Math.min(oldestPendingMs.get(g)!, Number(summary[1].split('-')[0])));
          }
        }
        metrics.streamLength.set(length);
        for (const g of groups) {
          metrics.streamPending.set({ group: g }, pending.get(g)!);
          // Lag: how old the oldest entry still being worked on is (0 when nothing waits).
          const oldest = oldestPendingMs.get(g)!;
          metrics.streamLagSeconds.set({ group: g }, oldest === Infinity ? 0 : Math.max(0, (Date.now() - oldest) / 1000));
        }
      })().catch((err: Error) => log.warn({ err: err.message }, 'stream housekeeping failed'));
    }, 5_000);
    timers.push(housekeeping);

    const retention = setInterval(() => {
      void deleteExpiredIndices(es, esPrefix, cfg.retentionDays)
        .then((deleted) => deleted.length && log.info({ deleted }, 'deleted indices past retention'))
        .catch((err: Error) => log.warn({ err: err.message }, 'retention run failed'));
    }, 3_600_000);
    timers.push(retention);

    const silence = watchSilentSensors({ sensors, es, indexer, prefix: esPrefix, redis, keyPrefix: prefix, log, silentAfterMs: cfg.health.heartbeatSeconds * cfg.health.silentAfterHeartbeats * 1000 });
    closers.push(() => silence.stop());

    let metricsEndpoint: MetricsEndpoint | undefined;
    if (cfg.metrics) {
      metricsEndpoint = await startMetricsEndpoint({ role: 'collector', host: cfg.metrics.host, port: cfg.metrics.port, registry });
      closers.push(() => metricsEndpoint!.close());
    }
    return { ingestPort: address.port, metricsUrl: metricsEndpoint?.url, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

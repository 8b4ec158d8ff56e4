import { z } from 'zod';
import { elasticsearchConfig, metricsConfig, redisConfig } from '../common/connections.js';

const positive = z.number().int().min(1);

/** The collector's config file: where it listens for sensors and how it reaches Redis and Elasticsearch. */
export const collectorConfig = z.strictObject({
  elasticsearch: elasticsearchConfig,
  redis: redisConfig,
  metrics: metricsConfig.optional(),
  /** This instance's name in the fleet registry and consumer groups (default: host name and PID). */
  instanceId: z.string().min(1).max(100).optional(),
  listen: z
    .strictObject({
      host: z.string().default('0.0.0.0'),
      port: z.number().int().min(0).max(65535).default(8765),
    })
    .default({ host: '0.0.0.0', port: 8765 }),
  tls: z.strictObject({
    certFile: z.string().min(1),
    keyFile: z.string().min(1),
    caFile: z.string().min(1),
    crlFiles: z.array(z.string().min(1)).default([]),
    passphraseFile: z.string().min(1).optional(),
  }),
  streams: z
    .strictObject({
      shards: positive.max(1024).default(4),
      /**
       * MiB of batch JSON whose parsed records are kept for this instance's indexers and
       * detectors, so a batch is parsed once here rather than once per group; 0: none.
       */
      sharedDecodeMb: z.number().int().min(0).max(4096).default(32),
    })
    .prefault({}),
  indexer: z
    .strictObject({
      consumers: positive.max(64).default(4),
      entriesPerRead: positive.max(1000).default(5),
      /** Entries pending this long with a consumer are presumed abandoned (its instance died) and claimed. */
      claimIdleSeconds: positive.max(3600).default(30),
      /**
       * How long a consumer that read less than a full bulk request (5,000 documents) waits
       * for more before sending it; 0: sends what it read at once.
       */
      fillMs: z.number().int().min(0).max(5000).default(200),
    })
    .default({ consumers: 4, entriesPerRead: 5, claimIdleSeconds: 30, fillMs: 200 }),
  limits: z
    .strictObject({
      maxBatchBytes: positive.default(4 * 1024 * 1024),
      maxRecordsPerBatch: positive.default(10_000),
      recordsPerSecond: positive.default(50_000),
      burstRecords: positive.default(200_000),
    })
    .default({ maxBatchBytes: 4 * 1024 * 1024, maxRecordsPerBatch: 10_000, recordsPerSecond: 50_000, burstRecords: 200_000 }),
  detection: z
    .strictObject({
      /** Run the rules in this instance (the 'detectors' consumer group). */
      enabled: z.boolean().default(true),
      /** Rule directories or files; default: the shipped pack. */
      rules: z.array(z.string().min(1)).min(1).optional(),
      /** Named-list directories; default: each rule directory's lists/. */
      lists: z.array(z.string().min(1)).min(1).optional(),
      consumers: positive.max(64).default(1),
      entriesPerRead: positive.max(1000).default(16),
      /** Approximate length of the live alert event stream the consoles follow. */
      eventsMaxLen: positive.default(100_000),
      /** How often the fleet's health is run through the health rules (by one instance at a time). */
      healthEverySeconds: positive.max(3600).default(30),
    })
    .default({ enabled: true, consumers: 1, entriesPerRead: 16, eventsMaxLen: 100_000, healthEverySeconds: 30 }),
  health: z
    .strictObject({ heartbeatSeconds: positive.default(10), silentAfterHeartbeats: positive.default(3) })
    .default({ heartbeatSeconds: 10, silentAfterHeartbeats: 3 }),
  retentionDays: z
    .strictObject({ conn: positive.default(30), alerts: positive.default(365), health: positive.default(30), deadletter: positive.default(30) })
    .default({ conn: 30, alerts: 365, health: 30, deadletter: 30 }),
});
export type CollectorConfig = z.infer<typeof collectorConfig>;

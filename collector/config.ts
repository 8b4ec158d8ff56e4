import { z } from 'zod';
import { elasticsearchConfig, metricsConfig, redisConfig } from '../common/connections.js';

/** The collector's config file: where it listens for sensors and how it reaches Redis and Elasticsearch. */
export const collectorConfig = z.strictObject({
  elasticsearch: elasticsearchConfig,
  redis: redisConfig,
  metrics: metricsConfig.optional(),
  listen: z
    .strictObject({
      host: z.string().default('0.0.0.0'),
      port: z.number().int().min(1).max(65535).default(8765),
    })
    .default({ host: '0.0.0.0', port: 8765 }),
  tls: z
    .strictObject({
      certFile: z.string().min(1),
      keyFile: z.string().min(1),
      caFile: z.string().min(1),
      crlFiles: z.array(z.string().min(1)).default([]),
    })
    .optional(),
  retentionDays: z.number().int().min(1).default(30),
});
export type CollectorConfig = z.infer<typeof collectorConfig>;

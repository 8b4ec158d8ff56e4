import { z } from 'zod';
import { elasticsearchConfig, metricsConfig, redisConfig } from '../common/connections.js';

/** The console server's config file. */
export const consoleConfig = z.strictObject({
  elasticsearch: elasticsearchConfig,
  redis: redisConfig,
  metrics: metricsConfig.optional(),
  listen: z
    .strictObject({ host: z.string().default('127.0.0.1'), port: z.number().int().min(1).max(65535).default(8443) })
    .default({ host: '127.0.0.1', port: 8443 }),
  tls: z.strictObject({ certFile: z.string().min(1), keyFile: z.string().min(1), caFile: z.string().min(1).optional() }).optional(),
});
export type ConsoleConfig = z.infer<typeof consoleConfig>;

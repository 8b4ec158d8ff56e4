import { z } from 'zod';

/**
 * How every role reaches the shared services. The schemas live here, in the one
 * common place, because every role's config file embeds them.
 */
export const elasticsearchConfig = z
  .strictObject({
    url: z.url({ protocol: /^https?$/ }).describe('Elasticsearch URL, e.g. https://es.example:9200'),
    username: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    /** A file holding the password, so configs can be shared without the secret. */
    passwordFile: z.string().min(1).optional(),
    /** An API key (base64 "id:key"), the usual credential on production clusters. */
    apiKey: z.string().min(1).optional(),
    /** PEM CA bundle that signed the cluster's HTTP certificate. */
    caFile: z.string().min(1).optional(),
    indexPrefix: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/).default('chot'),
  })
  .refine((c) => !(c.apiKey && c.username), { message: 'give either apiKey or username/password, not both' });
export type ElasticsearchConfig = z.infer<typeof elasticsearchConfig>;

export const redisConfig = z.strictObject({
  url: z.url({ protocol: /^rediss?$/ }).describe('redis://[:password@]host:port[/db]'),
  /** Redis Cluster seed nodes; when set, `url` supplies the credentials. */
  clusterNodes: z.array(z.string().regex(/^[^:]+:\d+$/)).optional(),
  keyPrefix: z.string().default('chot:'),
});
export type RedisConfig = z.infer<typeof redisConfig>;

export const metricsConfig = z.strictObject({
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65535),
});
export type MetricsConfig = z.infer<typeof metricsConfig>;

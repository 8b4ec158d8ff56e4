import { z } from 'zod';
import { elasticsearchConfig, metricsConfig, redisConfig } from '../common/connections.js';

const positive = z.number().int().min(1);

/** The console server's config file. */
export const consoleConfig = z.strictObject({
  elasticsearch: elasticsearchConfig,
  redis: redisConfig,
  metrics: metricsConfig.optional(),
  /** This instance's name in logs (default: host name and PID). Any number of instances may share one Redis. */
  instanceId: z.string().min(1).max(100).optional(),
  listen: z
    .strictObject({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535).default(8443) })
    .default({ host: '127.0.0.1', port: 8443 }),
  /** The console's certificate from Chốt's PKI (role "console"); browsers trust the sector root. */
  tls: z.strictObject({
    certFile: z.string().min(1),
    keyFile: z.string().min(1),
    caFile: z.string().min(1),
    crlFiles: z.array(z.string().min(1)).default([]),
    passphraseFile: z.string().min(1).optional(),
  }),
  /**
   * The origins browsers reach the console by (e.g. https://soc.example:8443). Requests
   * whose Origin is not one of these are refused (CSRF and cross-site WebSocket
   * hijacking). Empty: the origin must match the request's Host header.
   */
  allowedOrigins: z.array(z.url({ protocol: /^https$/ })).default([]),
  /**
   * 32 random bytes, base64 (`openssl rand -base64 32`), mode 0600: seals users' TOTP
   * secrets in Redis. Every console instance and `chot console user` need the same file.
   */
  totpKeyFile: z.string().min(1).optional(),
  /** The fleet inventory (province/district/commune with names) for the topology page. */
  inventoryFile: z.string().min(1).optional(),
  /** The built web client (default: dist/console-web under the package root). */
  webRoot: z.string().min(1).optional(),
  sessions: z
    .strictObject({ idleMinutes: positive.max(24 * 60).default(30), absoluteHours: positive.max(7 * 24).default(12) })
    .default({ idleMinutes: 30, absoluteHours: 12 }),
  login: z
    .strictObject({
      /** Failed attempts on one account within the window before it is locked for the window. */
      maxFailuresPerUser: positive.default(5),
      /** Attempts (good or bad) from one address within the window. */
      maxAttemptsPerAddress: positive.default(30),
      windowMinutes: positive.default(15),
    })
    .default({ maxFailuresPerUser: 5, maxAttemptsPerAddress: 30, windowMinutes: 15 }),
  live: z
    .strictObject({
      /** Messages queued for one WebSocket client before it is told to catch up instead. */
      maxQueuedMessages: positive.default(2000),
      /** Bytes the socket may hold unsent before the same happens. */
      maxBufferedBytes: positive.default(1024 * 1024),
      /** Approximate length the alert event stream is trimmed to when the console appends to it. */
      streamMaxLen: positive.default(200_000),
    })
    .default({ maxQueuedMessages: 2000, maxBufferedBytes: 1024 * 1024, streamMaxLen: 200_000 }),
  search: z
    .strictObject({
      /** Rows in one export; an export that would pass it stops there and says so. */
      maxExportRows: positive.default(5_000_000),
      /** How long a point in time stays open between two pages. */
      pitKeepAlive: z.string().regex(/^\d+[smh]$/).default('2m'),
    })
    .default({ maxExportRows: 5_000_000, pitKeepAlive: '2m' }),
});
export type ConsoleConfig = z.infer<typeof consoleConfig>;

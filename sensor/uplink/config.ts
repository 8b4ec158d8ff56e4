import { z } from 'zod';

/** Deflate level of batches on the wire by default (see UplinkOptions.compressionLevel). */
export const DEFAULT_COMPRESSION_LEVEL = 3;
/** The window a lost connection's first retry is drawn from by default (see Backoff). */
export const DEFAULT_RECONNECT_SPREAD_SECONDS = 10;

/** The `uplink` section of the sensor config: where records go, with what identity, spooled where. */
export const uplinkConfigSchema = z.strictObject({
  /** Collector base URLs, tried in turn (failover): wss://host:port */
  collectors: z.array(z.url({ protocol: /^wss$/ })).min(1),
  tls: z.strictObject({
    keyFile: z.string().min(1),
    certFile: z.string().min(1),
    caFile: z.string().min(1),
    crlFiles: z.array(z.string().min(1)).default([]),
  }),
  spool: z
    .strictObject({
      dir: z.string().min(1).default('/var/lib/chot/sensor/spool'),
      maxMb: z.number().int().min(1).max(1_048_576).default(2048),
      fsync: z.enum(['always', 'interval', 'never']).default('interval'),
    })
    .prefault({}),
  batch: z
    .strictObject({
      maxRecords: z.number().int().min(1).max(10_000).default(1000),
      /** Records wait at most this long before their batch is sent (alerts must be fast). */
      maxDelayMs: z.number().int().min(10).max(60_000).default(200),
    })
    .prefault({}),
  heartbeatSeconds: z.number().int().min(1).max(3600).default(10),
  /** Deflate level on the wire: 1 fastest … 9 smallest, 0 uncompressed (see UplinkOptions). */
  compressionLevel: z.number().int().min(0).max(9).default(DEFAULT_COMPRESSION_LEVEL),
  /** Even the first retry after a lost connection waits a random time up to this (a fleet must not reconnect in one second); at most the back-off's 60 s ceiling. */
  reconnectSpreadSeconds: z.number().min(0).max(60).default(DEFAULT_RECONNECT_SPREAD_SECONDS),
});
export type UplinkConfig = z.infer<typeof uplinkConfigSchema>;

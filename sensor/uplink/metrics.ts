import type { Registry } from 'prom-client';
import { scrapedGauge, scrapedTotal } from '../../common/metrics.js';
import type { Spool } from './spool.js';

/**
 * The uplink's part of the sensor's /metrics: what waits in the spool, what it had to drop,
 * whether its writes reach the disk, and whether a collector holds the connection. The same
 * figures go to the collector in heartbeats; these are for the sensor's own monitoring.
 */
export function registerUplinkMetrics(registry: Registry, spool: Spool, connected: () => boolean): void {
  scrapedGauge(registry, 'chot_sensor_spool_batches', 'Batches in the spool not yet acknowledged by a collector', () => spool.stats().depthBatches);
  scrapedGauge(registry, 'chot_sensor_spool_bytes', 'Bytes in the spool not yet acknowledged by a collector', () => spool.stats().depthBytes);
  scrapedTotal(registry, 'chot_sensor_spool_dropped_total', 'Batches dropped unsent because the spool was full', () => spool.stats().droppedBatches);
  scrapedTotal(registry, 'chot_sensor_spool_sync_errors_total', "The spool's failed fsyncs: batches written before them may not survive a crash of this machine", () => spool.stats().syncErrors);
  scrapedGauge(registry, 'chot_sensor_uplink_connected', '1 while a collector holds the uplink connection', () => (connected() ? 1 : 0));
}

import { Counter, Gauge, type Registry } from 'prom-client';
import type { Spool } from './spool.js';

/**
 * The uplink's part of the sensor's /metrics: what waits in the spool, what it had to drop,
 * whether its writes reach the disk, and whether a collector holds the connection. The same
 * figures go to the collector in heartbeats; these are for the sensor's own monitoring.
 */
export function registerUplinkMetrics(registry: Registry, spool: Spool, connected: () => boolean): void {
  const totals = new Map<string, number>();
  // Spool counters only grow; the registry's counters are moved on by the difference.
  const advance = (c: Counter, value: number): void => {
    const name = (c as unknown as { name: string }).name;
    const prev = totals.get(name) ?? 0;
    if (value > prev) c.inc(value - prev);
    totals.set(name, Math.max(prev, value));
  };
  new Gauge({
    name: 'chot_sensor_spool_batches',
    help: 'Batches in the spool not yet acknowledged by a collector',
    registers: [registry],
    collect() {
      this.set(spool.stats().depthBatches);
    },
  });
  new Gauge({
    name: 'chot_sensor_spool_bytes',
    help: 'Bytes in the spool not yet acknowledged by a collector',
    registers: [registry],
    collect() {
      this.set(spool.stats().depthBytes);
    },
  });
  new Counter({
    name: 'chot_sensor_spool_dropped_total',
    help: 'Batches dropped unsent because the spool was full',
    registers: [registry],
    collect() {
      advance(this, spool.stats().droppedBatches);
    },
  });
  new Counter({
    name: 'chot_sensor_spool_sync_errors_total',
    help: "The spool's failed fsyncs: batches written before them may not survive a crash of this machine",
    registers: [registry],
    collect() {
      advance(this, spool.stats().syncErrors);
    },
  });
  new Gauge({
    name: 'chot_sensor_uplink_connected',
    help: '1 while a collector holds the uplink connection',
    registers: [registry],
    collect() {
      this.set(connected() ? 1 : 0);
    },
  });
}

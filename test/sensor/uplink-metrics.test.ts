import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { registerUplinkMetrics } from '../../sensor/uplink/metrics.js';
import { Spool } from '../../sensor/uplink/spool.js';

const value = (text: string, name: string): number | undefined => {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
};

describe("the uplink's metrics on the sensor's /metrics", () => {
  it('show what waits in the spool, what it dropped, its failed fsyncs, and the connection', async () => {
    // Segments of two 100-byte batches, at most three segments' worth kept: the oldest are dropped.
    const spool = new Spool({ dir: mkdtempSync(join(tmpdir(), 'chot-uplink-metrics-')), maxBytes: 700, segmentBytes: 240 });
    const registry = new Registry();
    let connected = false;
    registerUplinkMetrics(registry, spool, () => connected);
    const seqs = Array.from({ length: 4 }, () => spool.append(Buffer.alloc(100, 1)));
    spool.ack(seqs[1]!);
    let text = await registry.metrics();
    expect(value(text, 'chot_sensor_spool_batches')).toBe(2);
    expect(value(text, 'chot_sensor_spool_bytes')).toBe(spool.stats().depthBytes);
    expect(value(text, 'chot_sensor_spool_dropped_total')).toBe(0);
    expect(value(text, 'chot_sensor_spool_sync_errors_total')).toBe(0);
    expect(value(text, 'chot_sensor_uplink_connected')).toBe(0);

    for (let i = 0; i < 8; i++) spool.append(Buffer.alloc(100, 2));
    connected = true;
    text = await registry.metrics();
    const dropped = spool.stats().droppedBatches;
    expect(dropped).toBeGreaterThan(0);
    expect(value(text, 'chot_sensor_spool_dropped_total')).toBe(dropped);
    expect(value(text, 'chot_sensor_spool_batches')).toBe(spool.stats().depthBatches);
    expect(value(text, 'chot_sensor_uplink_connected')).toBe(1);
    // A counter keeps its total across scrapes.
    expect(value(await registry.metrics(), 'chot_sensor_spool_dropped_total')).toBe(dropped);
    spool.close();
  });
});

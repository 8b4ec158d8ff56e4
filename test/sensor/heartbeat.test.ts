// What a sensor's heartbeat says of its capture: links whose kernel drops it cannot count
// are reported as such (never as 0 drops), and fields newer than older collectors' strict
// schema are sent only when they say something, so those collectors keep their stats.
import { describe, expect, it } from 'vitest';
import { liveTotals } from '../../sensor/run.js';
import { heartbeatStats } from '../../sensor/uplink/output.js';
import { sensorStatsSchema, type SensorStats } from '../../sensor/uplink/protocol.js';

const base = (live: ReturnType<typeof liveTotals>, spoolSyncErrors: number): SensorStats => ({ ...live, version: 'test', recordsOut: 5, spoolBatches: 0, spoolBytes: 0, spoolDropped: 0, spoolSyncErrors });

describe("a sensor's heartbeat", () => {
  it('counts a link whose kernel drops are unknown as uncounted, not as 0 drops', () => {
    const t = liveTotals(60, [
      { capture: { received: 1000, droppedKernel: 7, droppedInterface: 1, truncated: 0 }, activeFlows: 10 },
      { capture: { received: 500, droppedKernel: undefined, droppedInterface: undefined, truncated: 0 }, activeFlows: 4 },
    ]);
    expect(t).toEqual({ uptimeS: 60, packets: 1500, captureDropsKernel: 7, captureDropsInterface: 1, captureDropsUnknown: 1, activeFlows: 14 });
  });

  it('leaves out the newer fields while they are 0, so an older collector takes it; sends them when they are not', () => {
    const older = sensorStatsSchema.omit({ captureDropsUnknown: true, spoolSyncErrors: true });
    const quiet = heartbeatStats(base(liveTotals(1, [{ capture: { received: 1, droppedKernel: 0, droppedInterface: 0, truncated: 0 }, activeFlows: 0 }]), 0));
    expect(quiet).not.toHaveProperty('captureDropsUnknown');
    expect(quiet).not.toHaveProperty('spoolSyncErrors');
    expect(sensorStatsSchema.safeParse(quiet).success).toBe(true);
    expect(older.safeParse(quiet).success).toBe(true);

    const troubled = heartbeatStats(base(liveTotals(1, [{ capture: { received: 1, droppedKernel: undefined, droppedInterface: undefined, truncated: 0 }, activeFlows: 0 }]), 2));
    expect(troubled).toMatchObject({ captureDropsUnknown: 1, spoolSyncErrors: 2 });
    expect(sensorStatsSchema.safeParse(troubled).success).toBe(true);
    expect(older.safeParse(troubled).success).toBe(false); // (an older collector drops such a heartbeat: upgrade collectors first)
  });
});

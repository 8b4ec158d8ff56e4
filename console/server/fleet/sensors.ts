import type { SensorEntry, SensorRegistry } from '../../../collector/fleet/registry.js';

export type SensorHealth = 'ok' | 'silent' | 'disconnected';

export interface SensorView extends SensorEntry {
  health: SensorHealth;
}

/**
 * The fleet as the console shows it, read from the collectors' registry in Redis and
 * cached for a few seconds: every page of every analyst asks, the fleet changes slowly.
 */
export class SensorDirectory {
  private cache: { at: number; sensors: SensorView[] } | undefined;

  constructor(
    private readonly registry: SensorRegistry,
    private readonly silentAfterMs: number,
    private readonly cacheMs = 5_000,
  ) {}

  async all(): Promise<SensorView[]> {
    const now = Date.now();
    if (this.cache && now - this.cache.at < this.cacheMs) return this.cache.sensors;
    // Every sensor has been seen before the end of time: the registry's public range query lists them all.
    const ids = await this.registry.silentSince(Number.MAX_SAFE_INTEGER, 100_000);
    const entries = await Promise.all(ids.map((id) => this.registry.get(id)));
    const sensors = entries
      .filter((e): e is SensorEntry => !!e)
      .map((e) => ({ ...e, health: healthOf(e, now, this.silentAfterMs) }))
      .sort((a, b) => a.node.localeCompare(b.node) || a.sensorId.localeCompare(b.sensorId));
    this.cache = { at: now, sensors };
    return sensors;
  }
}

function healthOf(e: SensorEntry, now: number, silentAfterMs: number): SensorHealth {
  if (now - e.lastSeenMs > silentAfterMs) return 'silent';
  return e.connected ? 'ok' : 'disconnected';
}

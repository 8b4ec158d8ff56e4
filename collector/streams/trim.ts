import type { RedisClient } from './redis.js';

/** Stream ids compare as (milliseconds, sequence). */
export function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number) as [number, number];
  const [bm, bs] = b.split('-').map(Number) as [number, number];
  return am !== bm ? am - bm : as - bs;
}

/**
 * Trims a stream to what every consumer group still needs: nothing at or after the oldest
 * entry that some group has not yet acknowledged (or not yet read) is removed. A group
 * that is required but missing (not created yet) blocks trimming entirely, so no group
 * ever misses data because it started late.
 */
export async function trimProcessed(redis: RedisClient, stream: string, requiredGroups: readonly string[]): Promise<number> {
  const groups = (await redis.xinfo('GROUPS', stream).catch(() => [])) as Array<Array<string | number>>;
  const byName = new Map<string, Record<string, string | number>>();
  for (const g of groups) {
    const rec: Record<string, string | number> = {};
    for (let i = 0; i + 1 < g.length; i += 2) rec[String(g[i])] = g[i + 1]!;
    byName.set(String(rec.name), rec);
  }
  let keepFrom: string | undefined;
  for (const name of requiredGroups) {
    const g = byName.get(name);
    if (!g) return 0;
    let needed: string;
    if (Number(g.pending) > 0) {
      const summary = (await redis.xpending(stream, name)) as [number, string, string, unknown];
      needed = summary[1];
    } else {
      // Everything up to last-delivered-id is acknowledged; keep that one entry as a marker.
      needed = String(g['last-delivered-id']);
    }
    if (needed === '0-0') return 0;
    if (keepFrom === undefined || compareIds(needed, keepFrom) < 0) keepFrom = needed;
  }
  if (!keepFrom) return 0;
  return Number(await redis.xtrim(stream, 'MINID', keepFrom));
}

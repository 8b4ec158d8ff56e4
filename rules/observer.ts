/**
 * The observer fields of a node, from its id (the inventory path "01/001/00001"). The
 * same derivation as the collector's indexer (collector/index/documents.ts), repeated
 * here because rules may not import the collector: alerts and connection documents
 * must scope by the same hierarchy.
 */
export interface Observer {
  id: string;
  hierarchy: string[];
  province?: string;
  district?: string;
  commune?: string;
}

const cache = new Map<string, Observer>();

export function observerOf(nodeId: string): Observer {
  const hit = cache.get(nodeId);
  if (hit) return hit;
  const parts = nodeId.split('/');
  const hierarchy = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  const o: Observer = { id: nodeId, hierarchy, province: parts[0] };
  if (parts.length >= 3) {
    o.district = parts[1];
    o.commune = parts[2];
  } else if (parts.length === 2) o.commune = parts[1];
  // Bounded: one entry per node of the fleet (~10,800), never per record.
  if (cache.size < 100_000) cache.set(nodeId, o);
  return o;
}

/** The daily index of an event time, as collector/index/names.ts names them (UTC days). */
export function dailyIndexName(prefix: string, kind: 'conn' | 'alerts' | 'health' | 'enforcer', timeMs: number): string {
  const d = new Date(timeMs);
  const day = `${d.getUTCFullYear()}.${String(d.getUTCMonth() + 1).padStart(2, '0')}.${String(d.getUTCDate()).padStart(2, '0')}`;
  return `${prefix}-${kind}-${day}`;
}

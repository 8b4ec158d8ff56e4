/**
 * The observer fields of a node, from its id (the inventory path "01/001/00001").
 * `hierarchy` lists the node and every ancestor, so "all of a province" is one term
 * query whatever the depth; the named levels follow the path (province first; with three
 * levels district then commune, with two just commune, as after the 2025 reform removed
 * districts). Connection documents and alerts both take it from here, so they scope by
 * the same hierarchy.
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

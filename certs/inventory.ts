import { readFileSync } from 'node:fs';
import { ConfigError } from '../common/errors.js';
import { parseNodeId } from './node-id.js';

/**
 * The fleet inventory, read as node ids. The file nests administrative levels:
 *   { "data": [ { "level1_id": "01", "name": …, "level2s": [ { "level2_id": "001", … "level3s": [...] } ] } ] }
 * Every unit at every level is a node ("01", "01/001", "01/001/00001"). How many
 * levels there are is read from the file (the 2025 reform removed districts), never
 * assumed.
 *
 * This belongs in common/ once the appliance module needs it too; it lives here until then.
 */
export interface InventoryNode {
  nodeId: string;
  /** 1 for the top level. */
  level: number;
  name: string;
}

export function readInventory(file: string): InventoryNode[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(file, '', code === 'ENOENT' ? 'file not found' : code ? String(code) : `not valid JSON: ${(err as Error).message}`);
  }
  return parseInventory(raw, file);
}

export function parseInventory(raw: unknown, file = 'inventory'): InventoryNode[] {
  const top = Array.isArray(raw) ? raw : (raw as { data?: unknown } | null)?.data;
  if (!Array.isArray(top)) throw new ConfigError(file, 'data', 'expected an array of top-level units');
  const out: InventoryNode[] = [];
  const seen = new Set<string>();
  const walk = (units: unknown[], level: number, parent: string, path: string): void => {
    units.forEach((unit, i) => {
      const where = `${path}[${i}]`;
      if (typeof unit !== 'object' || unit === null) throw new ConfigError(file, where, 'expected an object');
      const u = unit as Record<string, unknown>;
      const id = u[`level${level}_id`];
      if (typeof id !== 'string') throw new ConfigError(file, `${where}.level${level}_id`, 'expected a string id');
      let nodeId: string;
      try {
        nodeId = parseNodeId(parent ? `${parent}/${id}` : id);
      } catch (err) {
        throw new ConfigError(file, `${where}.level${level}_id`, (err as Error).message);
      }
      if (seen.has(nodeId)) throw new ConfigError(file, where, `node ${nodeId} appears twice`);
      seen.add(nodeId);
      out.push({ nodeId, level, name: typeof u.name === 'string' ? u.name : '' });
      const below = u[`level${level + 1}s`];
      if (below === undefined) return;
      if (!Array.isArray(below)) throw new ConfigError(file, `${where}.level${level + 1}s`, 'expected an array');
      walk(below, level + 1, nodeId, `${where}.level${level + 1}s`);
    });
  };
  walk(top, 1, '', 'data');
  return out;
}

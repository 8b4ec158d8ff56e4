/**
 * The configuration references (docs/sensor.md, docs/collector.md) stay true: their
 * example file is accepted by the schema the program loads, and it shows every key the
 * schema has, so a key added to the code without its documentation fails here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import type { z } from 'zod';
import { collectorConfig } from '../../collector/config.js';
import { SensorConfigSchema } from '../../sensor/config.js';

const root = join(import.meta.dirname, '..', '..');

function exampleOf(doc: string): string {
  const m = /```yaml\n([\s\S]*?)```/.exec(readFileSync(join(root, doc), 'utf8'));
  if (!m) throw new Error(`${doc} has no yaml example`);
  return m[1]!;
}

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  element?: z.ZodType;
  out?: z.ZodType;
  in?: z.ZodType;
  options?: z.ZodType[];
}
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** Every key path of a schema: "flows.timeouts.tcpInactivity", "interfaces[].bpf". */
function schemaPaths(s: z.ZodType, at = ''): string[] {
  const d = defOf(s);
  switch (d.type) {
    case 'object':
      return Object.entries(d.shape!).flatMap(([k, v]) => [`${at}${k}`, ...schemaPaths(v, `${at}${k}.`)]);
    case 'default':
    case 'prefault':
    case 'optional':
    case 'nullable':
      return schemaPaths(d.innerType!, at);
    case 'array':
      return schemaPaths(d.element!, at.replace(/\.$/, '[].'));
    case 'pipe':
      return [...schemaPaths(d.in!, at), ...schemaPaths(d.out!, at)];
    case 'union':
      return d.options!.flatMap((o) => schemaPaths(o, at));
    default:
      return [];
  }
}

/** Every key path of a parsed document, arrays as "[]". */
function docPaths(v: unknown, at = ''): string[] {
  if (Array.isArray(v)) return v.flatMap((x) => docPaths(x, at.replace(/\.$/, '[].')));
  if (v === null || typeof v !== 'object') return [];
  return Object.entries(v).flatMap(([k, x]) => [`${at}${k}`, ...docPaths(x, `${at}${k}.`)]);
}

describe.each([
  { doc: 'docs/sensor.md', schema: SensorConfigSchema as z.ZodType },
  { doc: 'docs/collector.md', schema: collectorConfig as z.ZodType },
])('$doc', ({ doc, schema }) => {
  const text = exampleOf(doc);

  it('its example configuration is accepted as it stands', () => {
    const r = schema.safeParse(YAML.parse(text));
    expect(r.success, r.success ? '' : JSON.stringify(r.error.issues)).toBe(true);
  });

  it('shows every key of the configuration (commented-out alternatives count)', () => {
    const shown = new Set(docPaths(YAML.parse(text)));
    const commented = new Set([...text.matchAll(/^\s*#\s*([A-Za-z]\w*):/gm)].map((m) => m[1]!));
    const missing = [...new Set(schemaPaths(schema))].filter((p) => p !== 'kind' && !p.endsWith('.kind') && !shown.has(p) && !commented.has(p.split(/[.\]]/).pop()!));
    expect(missing).toEqual([]);
  });
});

/**
 * Test-case records: each entry of a test's `records:` is one record (or `repeat: N` of
 * them, `every:` apart), built from a plausible default of its kind with the given
 * fields set through the rule namespace. "{i}" in a value is the repetition index, so
 * `destination.port: "{i}"` with `repeat: 150` makes ports 0..149.
 */
import { FIELDS } from '../fields/index.js';
import { newTarget, type TestTarget } from '../fields/target.js';
import { numberIn } from '../language/check.js';
import type { TestCaseAst } from '../language/ast.js';
import { canonicalIp } from '../lists/ip.js';

/** Test time starts here unless a record says otherwise (a fixed instant: results are reproducible). */
export const TEST_EPOCH_MS = Date.UTC(2026, 0, 1, 0, 0, 0);

export interface BuiltRecord {
  target: TestTarget;
  timeMs: number;
}

function substitute(v: unknown, i: number): unknown {
  if (typeof v === 'string') {
    const whole = /^\{i(?:([+-])(\d+))?\}$/.exec(v);
    if (whole) return whole[1] === '-' ? i - Number(whole[2]) : i + Number(whole[2] ?? 0);
    return v.replace(/\{i\}/g, String(i));
  }
  if (Array.isArray(v)) return v.map((x) => substitute(x, i));
  return v;
}

function typed(field: string, v: unknown): unknown {
  const f = FIELDS.get(field)!;
  const one = (x: unknown): unknown => {
    if (f.type === 'number') return numberIn(f, x) ?? Number(x);
    if (f.type === 'bool') return x === true || x === 'true';
    if (f.type === 'ip') return canonicalIp(String(x)) ?? String(x);
    return String(x);
  };
  if (f.array) return Array.isArray(v) ? v.map(one) : [one(v)];
  return one(v);
}

export function buildRecords(t: TestCaseAst, epochMs = TEST_EPOCH_MS): BuiltRecord[] {
  const out: BuiltRecord[] = [];
  let next = epochMs;
  for (const r of t.records) {
    for (let i = 0; i < r.repeat; i++) {
      const timeMs = r.atMs !== undefined ? epochMs + r.atMs + i * r.everyMs : next;
      next = timeMs + r.everyMs;
      const target = newTarget(r.kind, timeMs);
      for (const s of r.set) {
        const setter = FIELDS.get(s.field)?.kinds.get(r.kind)?.set;
        if (setter) setter(target, typed(s.field, substitute(s.value, i)) as never);
      }
      out.push({ target, timeMs });
    }
  }
  return out;
}

/** The registry of field definitions; each kind's module adds its fields at load. */
import type { RecordKind } from '../records.js';
import type { TestTarget } from './target.js';
import type { FieldDef, FieldType, Getter } from './types.js';

export interface FieldOpts {
  array?: boolean;
  unit?: FieldDef['unit'];
  card?: FieldDef['cardinality'];
  costly?: boolean;
  doc: string;
}

export type SetFn = (t: TestTarget, value: unknown) => void;

export class FieldTable {
  private readonly defs = new Map<string, FieldDef>();

  /** Adds a field (or, for a name already defined, the same field for more kinds). */
  add(name: string, type: FieldType, opts: FieldOpts, kinds: readonly RecordKind[], source: string, get: Getter, set?: SetFn): void {
    let d = this.defs.get(name);
    if (!d) {
      d = { name, type, array: opts.array ?? false, unit: opts.unit, cardinality: opts.card ?? 'medium', costly: opts.costly ?? false, doc: opts.doc, kinds: new Map() };
      this.defs.set(name, d);
    } else if (d.type !== type || d.array !== (opts.array ?? false)) {
      throw new Error(`field ${name} redefined with another type`);
    }
    for (const k of kinds) d.kinds.set(k, { source, get, set: set as never });
  }

  get(name: string): FieldDef | undefined {
    return this.defs.get(name);
  }

  all(): FieldDef[] {
    return [...this.defs.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  forKind(kind: RecordKind): FieldDef[] {
    return this.all().filter((d) => d.kinds.has(kind));
  }

  /** The closest field name a kind has, for "did you mean" in errors. */
  suggest(name: string, kind: RecordKind): string | undefined {
    let best: string | undefined;
    let bestD = Math.max(3, Math.floor(name.length / 3));
    for (const d of this.forKind(kind)) {
      const dist = editDistance(name, d.name);
      if (dist < bestD) {
        bestD = dist;
        best = d.name;
      }
    }
    return best;
  }
}

function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

export const FIELDS = new FieldTable();

// Value coercions for setters (test records): the checker has already typed the value.
export const str = (x: unknown): string => String(x);
export const num = (x: unknown): number => Number(x);
export const bool = (x: unknown): boolean => x === true || x === 'true';
export const strs = (x: unknown): string[] => (Array.isArray(x) ? x.map(String) : [String(x)]);
export const nums = (x: unknown): number[] => (Array.isArray(x) ? x.map(Number) : [Number(x)]);

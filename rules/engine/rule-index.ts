/**
 * The index of one record kind's matchers (the way Suricata groups signatures by their
 * cheapest selective keyword): for each indexed field, a map from value to the matchers
 * filed under it; per named list, the matchers that test it; CIDR blocks in a sorted
 * interval table; label-aligned suffixes; numeric lower bounds sorted; and a residual
 * list for matchers with no indexable test. A record visits one map lookup per indexed
 * field and then only the matchers its values reach.
 */
import type { Matcher } from '../compile/rule.js';
import { endsFold, lowerIfNeeded } from '../compile/strings.js';
import type { Getter } from '../fields/types.js';
import type { View } from '../fields/view.js';
import { NOT_V4, parseIp, quickV4, v4Key, V4, V6, type IpRange } from '../lists/ip.js';
import type { ListHolder } from '../lists/list.js';

export interface Visitor {
  consider(m: Matcher, v: View): void;
}

type Key = string | number | boolean;

interface EqField {
  field: string;
  get: Getter;
  array: boolean;
  exact: Map<Key, Matcher[]>;
  folded: Map<string, Matcher[]>;
}

interface ListPosting {
  get: Getter;
  array: boolean;
  holder: ListHolder;
  matchers: Matcher[];
}

interface CidrField {
  get: Getter;
  array: boolean;
  /** Elementary IPv4 intervals: starts[i] .. starts[i+1]-1 is covered by sets[i]. */
  starts: Float64Array;
  sets: Array<Matcher[]>;
  v6: Array<{ r: Extract<IpRange, { v: 6 }>; m: Matcher }>;
}

interface SuffixField {
  get: Getter;
  array: boolean;
  /** Suffixes (lower case, with their leading dot) by a hash of their text read right to left. */
  map: Map<number, Array<{ suffix: string; matchers: Matcher[] }>>;
}

interface ExistsField {
  get: Getter;
  array: boolean;
  matchers: Matcher[];
}

interface MinField {
  get: Getter;
  array: boolean;
  /** Sorted by bound: a value reaches every entry whose bound it passes. */
  bounds: Float64Array;
  strict: Uint8Array;
  matchers: Matcher[];
}

const scratch = new Uint32Array(4);

function push<K>(map: Map<K, Matcher[]>, k: K, m: Matcher): void {
  const list = map.get(k);
  if (list) {
    if (!list.includes(m)) list.push(m);
  } else map.set(k, [m]);
}

export class KindIndex {
  private readonly eq: EqField[] = [];
  private readonly lists: ListPosting[] = [];
  private readonly cidr: CidrField[] = [];
  private readonly suffix: SuffixField[] = [];
  private readonly min: MinField[] = [];
  /** Upper bounds, stored negated so the same ascending walk serves them. */
  private readonly max: MinField[] = [];
  private readonly exists: ExistsField[] = [];
  readonly residual: Matcher[] = [];
  readonly size: number;

  constructor(matchers: Matcher[]) {
    this.size = matchers.length;
    const eqBy = new Map<string, EqField>();
    const listBy = new Map<string, ListPosting>();
    const cidrBy = new Map<string, { get: Getter; array: boolean; items: Array<{ r: IpRange; m: Matcher }> }>();
    const sufBy = new Map<string, SuffixField>();
    const minBy = new Map<string, { get: Getter; array: boolean; items: Array<{ bound: number; strict: boolean; m: Matcher }> }>();
    const maxBy = new Map<string, { get: Getter; array: boolean; items: Array<{ bound: number; strict: boolean; m: Matcher }> }>();
    const existsBy = new Map<string, ExistsField>();
    for (const m of matchers) {
      if (!m.plan) {
        this.residual.push(m);
        continue;
      }
      for (const p of m.plan.postings) {
        switch (p.t) {
          case 'eq': {
            let f = eqBy.get(p.field);
            if (!f) eqBy.set(p.field, (f = { field: p.field, get: p.get, array: p.array, exact: new Map(), folded: new Map() }));
            for (const k of p.keys) push(p.nocase ? f.folded : f.exact, p.nocase ? String(k) : k, m);
            break;
          }
          case 'list': {
            const key = `${p.field}\u0000${p.holder.name}`;
            let l = listBy.get(key);
            if (!l) listBy.set(key, (l = { get: p.get, array: p.array, holder: p.holder, matchers: [] }));
            if (!l.matchers.includes(m)) l.matchers.push(m);
            break;
          }
          case 'cidr': {
            let c = cidrBy.get(p.field);
            if (!c) cidrBy.set(p.field, (c = { get: p.get, array: p.array, items: [] }));
            for (const r of p.ranges) c.items.push({ r, m });
            break;
          }
          case 'suffix': {
            let s = sufBy.get(p.field);
            if (!s) sufBy.set(p.field, (s = { get: p.get, array: p.array, map: new Map() }));
            for (const x of p.suffixes) {
              const h = hashRight(x);
              const list = s.map.get(h) ?? [];
              let entry = list.find((e) => e.suffix === x);
              if (!entry) list.push((entry = { suffix: x, matchers: [] }));
              if (!entry.matchers.includes(m)) entry.matchers.push(m);
              s.map.set(h, list);
            }
            break;
          }
          case 'min':
          case 'max': {
            const by = p.t === 'min' ? minBy : maxBy;
            let n = by.get(p.field);
            if (!n) by.set(p.field, (n = { get: p.get, array: p.array, items: [] }));
            n.items.push({ bound: p.t === 'min' ? p.bound : -p.bound, strict: p.strict, m });
            break;
          }
          case 'exists': {
            let e = existsBy.get(p.field);
            if (!e) existsBy.set(p.field, (e = { get: p.get, array: p.array, matchers: [] }));
            if (!e.matchers.includes(m)) e.matchers.push(m);
            break;
          }
        }
      }
    }
    this.eq.push(...eqBy.values());
    this.lists.push(...listBy.values());
    for (const c of cidrBy.values()) this.cidr.push(buildCidr(c.get, c.array, c.items));
    this.suffix.push(...sufBy.values());
    for (const [by, into] of [[minBy, this.min], [maxBy, this.max]] as const) {
      for (const n of by.values()) {
        n.items.sort((a, b) => a.bound - b.bound);
        into.push({ get: n.get, array: n.array, bounds: Float64Array.from(n.items.map((i) => i.bound)), strict: Uint8Array.from(n.items.map((i) => (i.strict ? 1 : 0))), matchers: n.items.map((i) => i.m) });
      }
    }
    this.exists.push(...existsBy.values());
  }

  /** Every matcher the view's values reach, each at most once per view (the visitor dedupes by stamp). */
  visit(v: View, to: Visitor): void {
    const eq = this.eq;
    for (let i = 0; i < eq.length; i++) {
      const f = eq[i]!;
      const x = f.get(v);
      if (x === undefined) continue;
      if (f.array) {
        const xs = x as Key[];
        for (let j = 0; j < xs.length; j++) this.eqOne(f, xs[j]!, v, to);
      } else this.eqOne(f, x as Key, v, to);
    }
    const lists = this.lists;
    for (let i = 0; i < lists.length; i++) {
      const l = lists[i]!;
      const data = l.holder.current.data;
      if (data.size === 0) continue; // an empty feed costs nothing
      const x = l.get(v);
      if (x === undefined) continue;
      let hit = false;
      if (l.array) {
        const xs = x as string[];
        for (let j = 0; j < xs.length && !hit; j++) hit = data.has(String(xs[j]));
      } else if (typeof x === 'string') {
        if (data.hasKey4 !== undefined) {
          const k = v4Of(v, x);
          hit = k !== NOT_V4 ? data.hasKey4(k) : data.has(x);
        } else hit = data.has(x);
      }
      if (hit) for (let j = 0; j < l.matchers.length; j++) to.consider(l.matchers[j]!, v);
    }
    const cidr = this.cidr;
    for (let i = 0; i < cidr.length; i++) {
      const c = cidr[i]!;
      const x = c.get(v);
      if (x === undefined) continue;
      if (c.array) for (const y of x as string[]) cidrOne(c, y, v, to);
      else cidrOne(c, x as string, v, to);
    }
    const suffix = this.suffix;
    for (let i = 0; i < suffix.length; i++) {
      const s = suffix[i]!;
      const x = s.get(v);
      if (x === undefined) continue;
      if (s.array) for (const y of x as string[]) suffixOne(s, y, v, to);
      else suffixOne(s, x as string, v, to);
    }
    const min = this.min;
    for (let i = 0; i < min.length; i++) {
      const n = min[i]!;
      const x = n.get(v);
      if (x === undefined) continue;
      if (n.array) for (const y of x as number[]) minOne(n, y, v, to);
      else minOne(n, x as number, v, to);
    }
    const max = this.max;
    for (let i = 0; i < max.length; i++) {
      const n = max[i]!;
      const x = n.get(v);
      if (x === undefined) continue;
      if (n.array) for (const y of x as number[]) minOne(n, -y, v, to);
      else minOne(n, -(x as number), v, to);
    }
    const exists = this.exists;
    for (let i = 0; i < exists.length; i++) {
      const e = exists[i]!;
      const x = e.get(v);
      if (x === undefined || (e.array && (x as unknown[]).length === 0)) continue;
      for (let j = 0; j < e.matchers.length; j++) to.consider(e.matchers[j]!, v);
    }
    const residual = this.residual;
    for (let i = 0; i < residual.length; i++) to.consider(residual[i]!, v);
  }

  private eqOne(f: EqField, x: Key, v: View, to: Visitor): void {
    const a = f.exact.get(x);
    if (a !== undefined) for (let k = 0; k < a.length; k++) to.consider(a[k]!, v);
    if (f.folded.size > 0 && typeof x === 'string') {
      const b = f.folded.get(lowerIfNeeded(x));
      if (b !== undefined) for (let k = 0; k < b.length; k++) to.consider(b[k]!, v);
    }
  }

  /** For diagnostics and tests: how the matchers are filed. */
  describe(): { eq: Record<string, number>; lists: number; cidr: number; suffix: number; min: number; max: number; exists: number; residual: number } {
    return {
      eq: Object.fromEntries(this.eq.map((f) => [f.field, f.exact.size + f.folded.size])),
      lists: this.lists.length,
      cidr: this.cidr.length,
      suffix: this.suffix.length,
      min: this.min.length,
      max: this.max.length,
      exists: this.exists.length,
      residual: this.residual.length,
    };
  }
}

/** An IPv4 address parsed once per record: the view remembers the last two. */
function v4Of(v: View, text: string): number {
  if (v.ipA === text) return v.ipAv;
  if (v.ipB === text) return v.ipBv;
  const a = quickV4(text);
  v.ipB = v.ipA;
  v.ipBv = v.ipAv;
  v.ipA = text;
  v.ipAv = a;
  return a;
}

function cidrOne(c: CidrField, text: string, v: View, to: Visitor): void {
  const q = v4Of(v, text);
  const kind = q !== NOT_V4 ? V4 : parseIp(text, scratch);
  if (kind === V4) {
    const a = q !== NOT_V4 ? q : v4Key(scratch[0]!);
    const s = c.starts;
    let l = 0;
    let r = s.length;
    // The last interval starting at or before a.
    while (l < r) {
      const m = (l + r) >>> 1;
      if (s[m]! <= a) l = m + 1;
      else r = m;
    }
    const set = l > 0 ? c.sets[l - 1]! : undefined;
    if (set !== undefined) for (let k = 0; k < set.length; k++) to.consider(set[k]!, v);
  } else if (kind === V6) {
    for (const { r, m } of c.v6) if (inV6(r, scratch)) to.consider(m, v);
  }
}

function inV6(r: Extract<IpRange, { v: 6 }>, w: Uint32Array): boolean {
  let lo = true;
  let hi = true;
  for (let i = 0; i < 4; i++) {
    const x = w[i]!;
    if (lo) {
      if (x < r.lo[i]!) return false;
      if (x > r.lo[i]!) lo = false;
    }
    if (hi) {
      if (x > r.hi[i]!) return false;
      if (x < r.hi[i]!) hi = false;
    }
  }
  return true;
}

function fold(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 16777619;

/** The hash suffixOne computes for a suffix: its characters right to left, ASCII folded. */
function hashRight(s: string): number {
  let h = FNV_OFFSET;
  for (let i = s.length - 1; i >= 0; i--) h = Math.imul(h ^ fold(s.charCodeAt(i)), FNV_PRIME);
  return h;
}

/** Every indexed suffix the name ends with at a label boundary: one right-to-left pass, no copies. */
function suffixOne(s: SuffixField, name: string, v: View, to: Visitor): void {
  let h = FNV_OFFSET;
  const n = name.length;
  for (let i = n - 1; i >= 0; i--) {
    const c = fold(name.charCodeAt(i));
    h = Math.imul(h ^ c, FNV_PRIME);
    if (c !== 46) continue;
    const list = s.map.get(h);
    if (list === undefined) continue;
    for (let k = 0; k < list.length; k++) {
      const e = list[k]!;
      if (e.suffix.length !== n - i || !endsFold(name, e.suffix)) continue;
      for (let j = 0; j < e.matchers.length; j++) to.consider(e.matchers[j]!, v);
    }
  }
}

function minOne(n: MinField, x: number, v: View, to: Visitor): void {
  const b = n.bounds;
  for (let i = 0; i < b.length; i++) {
    const bound = b[i]!;
    if (x < bound) break;
    if (x === bound && n.strict[i] === 1) continue;
    to.consider(n.matchers[i]!, v);
  }
}

function buildCidr(get: Getter, array: boolean, items: Array<{ r: IpRange; m: Matcher }>): CidrField {
  const v4 = items.filter((i): i is { r: Extract<IpRange, { v: 4 }>; m: Matcher } => i.r.v === 4);
  const v6 = items.filter((i): i is { r: Extract<IpRange, { v: 6 }>; m: Matcher } => i.r.v === 6);
  // In sortable-key space (see quickV4), so lookups compare small integers.
  const cuts = new Set<number>();
  for (const { r } of v4) {
    cuts.add(v4Key(r.lo));
    cuts.add(v4Key(r.hi) + 1);
  }
  const starts = Float64Array.from([...cuts].sort((a, b) => a - b));
  const sets: Array<Matcher[]> = starts.length === 0 ? [] : Array.from({ length: starts.length }, () => []);
  for (const { r, m } of v4) {
    // Elementary intervals inside [lo, hi]: from the one starting at lo to the one before hi+1.
    let i = lowerBound(starts, v4Key(r.lo));
    for (; i < starts.length && starts[i]! <= v4Key(r.hi); i++) if (!sets[i]!.includes(m)) sets[i]!.push(m);
  }
  return { get, array, starts, sets, v6 };
}

function lowerBound(a: Float64Array, x: number): number {
  let l = 0;
  let r = a.length;
  while (l < r) {
    const m = (l + r) >>> 1;
    if (a[m]! < x) l = m + 1;
    else r = m;
  }
  return l;
}

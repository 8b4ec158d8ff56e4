/**
 * One field test compiled into a closure over the field's getter. Semantics:
 * - a missing field satisfies nothing except `exists: false` and `ne`;
 * - on a list field a test holds when any element satisfies it (`ne`: when none equals);
 * - string comparisons are case-sensitive unless `nocase: true`;
 * - IP equality compares canonical text; `cidr:` and IP lists compare numerically.
 */
import type { Getter } from '../fields/types.js';
import type { View } from '../fields/view.js';
import type { LeafAst } from '../language/ast.js';
import { parseCidrRange } from '../lists/ip.js';
import { IpSet } from '../lists/ip-set.js';
import type { ListHolder } from '../lists/list.js';
import { endsFold, eqFold, includesFold, startsFold } from './strings.js';

export type Pred = (v: View) => boolean;
type Scalar = string | number | boolean;
type Test = (x: Scalar) => boolean;

export interface CompiledLeaf {
  field: string;
  op: string;
  expected: unknown;
  get: Getter;
  test: Pred;
}

export interface LeafContext {
  list(name: string): ListHolder;
}

function anyOf(values: Scalar[], one: (want: Scalar) => Test): Test {
  const tests = values.map(one);
  if (tests.length === 1) return tests[0]!;
  return (x) => {
    for (let i = 0; i < tests.length; i++) if (tests[i]!(x)) return true;
    return false;
  };
}

/** The scalar test of an operator (the field-level wrapper handles missing and list values). */
function scalarTest(l: LeafAst, ctx: LeafContext): Test {
  const vs = l.values;
  const nc = l.nocase;
  const lower = (x: Scalar) => String(x).toLowerCase();
  switch (l.op) {
    case 'eq':
    case 'ne':
    case 'in': {
      if (nc) {
        const set = new Set(vs.map(lower));
        if (set.size === 1) {
          const want = [...set][0]!;
          return (x) => typeof x === 'string' && eqFold(x, want);
        }
        return (x) => typeof x === 'string' && (set.has(x) || set.has(x.toLowerCase()));
      }
      if (vs.length === 1) {
        const want = vs[0];
        return (x) => x === want;
      }
      const set = new Set<Scalar>(vs);
      return (x) => set.has(x);
    }
    case 'prefix':
      return anyOf(vs, (w) => {
        const s = nc ? lower(w) : String(w);
        return nc ? (x) => startsFold(String(x), s) : (x) => String(x).startsWith(s);
      });
    case 'suffix':
      return anyOf(vs, (w) => {
        const s = nc ? lower(w) : String(w);
        return nc ? (x) => endsFold(String(x), s) : (x) => String(x).endsWith(s);
      });
    case 'contains':
      return anyOf(vs, (w) => {
        const s = nc ? lower(w) : String(w);
        return nc ? (x) => includesFold(String(x), s) : (x) => String(x).includes(s);
      });
    case 'regex':
      return anyOf(vs, (w) => {
        const re = new RegExp(String(w), nc ? 'i' : '');
        return (x) => re.test(String(x));
      });
    case 'gt': {
      const n = Number(vs[0]);
      return (x) => (x as number) > n;
    }
    case 'gte': {
      const n = Number(vs[0]);
      return (x) => (x as number) >= n;
    }
    case 'lt': {
      const n = Number(vs[0]);
      return (x) => (x as number) < n;
    }
    case 'lte': {
      const n = Number(vs[0]);
      return (x) => (x as number) <= n;
    }
    case 'cidr': {
      const set = IpSet.fromRanges(vs.map((v) => parseCidrRange(String(v))));
      return (x) => typeof x === 'string' && set.has(x);
    }
    case 'in_list': {
      const holders = vs.map((n) => ctx.list(String(n)));
      if (holders.length === 1) {
        const h = holders[0]!;
        // Read through the holder on every test: a reloaded list is swapped in there.
        return (x) => {
          const data = h.current.data;
          return data.size !== 0 && typeof x === 'string' && data.has(x);
        };
      }
      return (x) => {
        if (typeof x !== 'string') return false;
        for (let i = 0; i < holders.length; i++) {
          const data = holders[i]!.current.data;
          if (data.size !== 0 && data.has(x)) return true;
        }
        return false;
      };
    }
    default:
      throw new Error(`no scalar test for ${l.op}`);
  }
}

export function compileLeaf(l: LeafAst, get: Getter, array: boolean, ctx: LeafContext): CompiledLeaf {
  const expected = l.op === 'exists' || (l.values.length === 1 && l.op !== 'in') ? l.values[0] : l.values;
  const base = { field: l.field, op: l.nocase ? `${l.op}|nocase` : l.op, expected, get };
  if (l.op === 'exists') {
    const want = l.values[0] === true;
    const test: Pred = array
      ? (v) => {
          const x = get(v) as unknown[] | undefined;
          return (x !== undefined && x.length > 0) === want;
        }
      : (v) => (get(v) !== undefined) === want;
    return { ...base, test };
  }
  const t = scalarTest(l, ctx);
  const negate = l.op === 'ne';
  let test: Pred;
  if (array) {
    test = (v) => {
      const xs = get(v) as Scalar[] | undefined;
      if (xs === undefined) return negate;
      for (let i = 0; i < xs.length; i++) if (t(xs[i]!)) return !negate;
      return negate;
    };
  } else if (negate) {
    test = (v) => {
      const x = get(v) as Scalar | undefined;
      return x === undefined || !t(x);
    };
  } else {
    test = (v) => {
      const x = get(v) as Scalar | undefined;
      return x !== undefined && t(x);
    };
  }
  return { ...base, test };
}

/**
 * A condition tree compiled into one closure, built once per rule version. Besides the
 * predicate, `explain` re-walks the tree on a record that matched and reports which
 * tests held with which values: the "why" an alert carries. It runs only for records
 * that raise an alert, never on the hot path.
 */
import type { MatchedCondition } from '../alert.js';
import type { FieldDef } from '../fields/types.js';
import type { View } from '../fields/view.js';
import type { CondAst } from '../language/ast.js';
import type { RecordKind } from '../records.js';
import { compileLeaf, type CompiledLeaf, type LeafContext, type Pred } from './leaf.js';

export interface CompiledCond {
  pred: Pred;
  explain(v: View, out: MatchedCondition[]): void;
}

export type FieldLookup = (name: string) => FieldDef;

function and(ps: Pred[]): Pred {
  switch (ps.length) {
    case 1:
      return ps[0]!;
    case 2: {
      const [a, b] = ps as [Pred, Pred];
      return (v) => a(v) && b(v);
    }
    case 3: {
      const [a, b, c] = ps as [Pred, Pred, Pred];
      return (v) => a(v) && b(v) && c(v);
    }
    default:
      return (v) => {
        for (let i = 0; i < ps.length; i++) if (!ps[i]!(v)) return false;
        return true;
      };
  }
}

function or(ps: Pred[]): Pred {
  if (ps.length === 1) return ps[0]!;
  if (ps.length === 2) {
    const [a, b] = ps as [Pred, Pred];
    return (v) => a(v) || b(v);
  }
  return (v) => {
    for (let i = 0; i < ps.length; i++) if (ps[i]!(v)) return true;
    return false;
  };
}

function snapshot(x: unknown): unknown {
  return Array.isArray(x) ? x.slice(0, 20) : x;
}

/**
 * A rough cost of evaluating a condition, to run the cheap tests of an AND (or OR)
 * first: comparisons of plain fields, then lists and CIDRs, then text searches and
 * regexes, then costly derived fields (entropy, registered domain...).
 */
function cost(c: CondAst, fields: FieldLookup): number {
  switch (c.t) {
    case 'leaf': {
      const f = fields(c.field);
      const op = c.op === 'regex' ? 8 : c.op === 'contains' || c.op === 'in_list' || c.op === 'cidr' ? 4 : c.nocase ? 2 : 1;
      return op + (f.costly ? 20 : 0) + (f.array ? 3 : 0);
    }
    case 'not':
      return cost(c.item, fields);
    default:
      return c.items.reduce((a, i) => a + cost(i, fields), 0);
  }
}

function cheapFirst(items: CondAst[], fields: FieldLookup): CondAst[] {
  return items
    .map((item, i) => ({ item, i, c: cost(item, fields) }))
    .sort((a, b) => a.c - b.c || a.i - b.i)
    .map((x) => x.item);
}

export function compileCond(c: CondAst, kind: RecordKind, fields: FieldLookup, ctx: LeafContext): CompiledCond {
  switch (c.t) {
    case 'all': {
      // Evaluation order is ours to choose (AND and OR commute); explanations keep the written order.
      const written = c.items.map((i) => compileCond(i, kind, fields, ctx));
      const parts = written;
      const pred = and(cheapFirst(c.items, fields).map((i) => written[c.items.indexOf(i)]!.pred));
      return {
        pred,
        explain: (v, out) => {
          for (const p of parts) p.explain(v, out);
        },
      };
    }
    case 'any': {
      const parts = c.items.map((i) => compileCond(i, kind, fields, ctx));
      return {
        pred: or(cheapFirst(c.items, fields).map((i) => parts[c.items.indexOf(i)]!.pred)),
        explain: (v, out) => {
          for (const p of parts) if (p.pred(v)) p.explain(v, out);
        },
      };
    }
    case 'not': {
      const inner = compileCond(c.item, kind, fields, ctx);
      const leaves: CompiledLeaf[] = [];
      collectLeaves(c.item, kind, fields, ctx, leaves);
      return {
        pred: (v) => !inner.pred(v),
        // The tests under a not held false: report them, negated, with the values seen.
        explain: (v, out) => {
          for (const l of leaves) out.push({ field: l.field, op: `not ${l.op}`, expected: l.expected, actual: snapshot(l.get(v)) });
        },
      };
    }
    default: {
      const f = fields(c.field);
      const leaf = compileLeaf(c, f.kinds.get(kind)!.get, f.array, ctx);
      return {
        pred: leaf.test,
        explain: (v, out) => {
          out.push({ field: leaf.field, op: leaf.op, expected: leaf.expected, actual: snapshot(leaf.get(v)) });
        },
      };
    }
  }
}

function collectLeaves(c: CondAst, kind: RecordKind, fields: FieldLookup, ctx: LeafContext, out: CompiledLeaf[]): void {
  if (c.t === 'leaf') {
    const f = fields(c.field);
    out.push(compileLeaf(c, f.kinds.get(kind)!.get, f.array, ctx));
  } else if (c.t === 'not') collectLeaves(c.item, kind, fields, ctx, out);
  else for (const i of c.items) collectLeaves(i, kind, fields, ctx, out);
}

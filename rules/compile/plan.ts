/**
 * Which test of a rule the engine indexes it by. A rule is filed under postings: values
 * of a field (equality), a named list, CIDR blocks, domain suffixes or a numeric lower
 * or upper bound, or mere presence. A record reaches a rule only through a posting that its own values hit (or
 * through the residual list, for rules with no indexable test), so the cost per record
 * follows the rules that could match, not the number of rules. An index only narrows:
 * the full predicate still decides.
 *
 * AND: the most selective child is enough (all must hold). OR: every branch must be
 * indexable, and the rule is filed under each. NOT: never indexable.
 */
import type { FieldDef, Getter } from '../fields/types.js';
import type { CondAst, LeafAst } from '../language/ast.js';
import { parseCidrRange, type IpRange } from '../lists/ip.js';
import type { ListHolder } from '../lists/list.js';
import type { RecordKind } from '../records.js';
import type { FieldLookup } from './predicate.js';

export type Posting =
  | { t: 'eq'; field: string; get: Getter; array: boolean; nocase: boolean; keys: Array<string | number | boolean> }
  | { t: 'list'; field: string; get: Getter; array: boolean; holder: ListHolder }
  | { t: 'cidr'; field: string; get: Getter; array: boolean; ranges: IpRange[] }
  | { t: 'suffix'; field: string; get: Getter; array: boolean; suffixes: string[] }
  | { t: 'min'; field: string; get: Getter; array: boolean; bound: number; strict: boolean }
  | { t: 'max'; field: string; get: Getter; array: boolean; bound: number; strict: boolean }
  | { t: 'exists'; field: string; get: Getter; array: boolean };

export interface Plan {
  postings: Posting[];
  /** Higher is more selective. */
  score: number;
  /**
   * Reaching the rule through any of its postings proves the whole condition (a single
   * equality, list or CIDR test, or an OR of them): the engine skips re-checking it.
   */
  exact: boolean;
}

const CARD: Record<FieldDef['cardinality'], number> = { high: 100, medium: 50, low: 10 };

export interface PlanContext {
  list(name: string): ListHolder;
}

function leafPlan(l: LeafAst, kind: RecordKind, fields: FieldLookup, ctx: PlanContext): Plan | undefined {
  const f = fields(l.field);
  const plan = leafPlanOf(l, f, kind, ctx);
  // A costly derived field is computed for every record of the kind once indexed: prefer any cheaper test.
  if (plan && f.costly) plan.score -= 60;
  return plan;
}

function leafPlanOf(l: LeafAst, f: FieldDef, kind: RecordKind, ctx: PlanContext): Plan | undefined {
  const base = { field: l.field, get: f.kinds.get(kind)!.get, array: f.array };
  switch (l.op) {
    case 'eq':
    case 'in': {
      const keys = l.nocase ? l.values.map((v) => String(v).toLowerCase()) : l.values;
      // An equality on a low-cardinality field (a boolean, a transport) barely narrows.
      return { postings: [{ t: 'eq', ...base, nocase: l.nocase, keys }], score: CARD[f.cardinality] - Math.min(9, l.values.length - 1), exact: true };
    }
    case 'in_list': {
      const postings: Posting[] = l.values.map((n) => ({ t: 'list', ...base, holder: ctx.list(String(n)) }));
      return { postings, score: 80, exact: true };
    }
    case 'cidr': {
      // As selective as its widest block: a /32 like an address, a /8 barely.
      const ranges = l.values.map((v) => parseCidrRange(String(v)));
      const prefix = (r: IpRange): number => (r.v === 4 ? 32 - Math.log2(r.hi - r.lo + 1) : Math.min(32, bits6(r.lo, r.hi) / 2));
      const widest = Math.min(...ranges.map(prefix));
      return { postings: [{ t: 'cidr', ...base, ranges }], score: Math.max(20, Math.min(100, 40 + widest * 2)), exact: true };
    }
    case 'suffix':
      // Only label-aligned suffixes (".example.com") can be found by walking a name's dots.
      // The map is keyed in lower case: exact only for nocase suffixes.
      if (l.values.every((v) => String(v).startsWith('.'))) return { postings: [{ t: 'suffix', ...base, suffixes: l.values.map((v) => String(v).toLowerCase()) }], score: 70, exact: l.nocase };
      return undefined;
    case 'gt':
    case 'gte':
      return { postings: [{ t: 'min', ...base, bound: Number(l.values[0]), strict: l.op === 'gt' }], score: 15, exact: true };
    case 'lt':
    case 'lte':
      return { postings: [{ t: 'max', ...base, bound: Number(l.values[0]), strict: l.op === 'lt' }], score: 12, exact: true };
    case 'exists':
      // Only "present": most records of a kind lack an optional field (a JA3, a policy verdict).
      return l.values[0] === true ? { postings: [{ t: 'exists', ...base }], score: 5, exact: true } : undefined;
    default:
      return undefined;
  }
}

/** Bits of the common prefix of an IPv6 range. */
function bits6(lo: number[], hi: number[]): number {
  let bits = 0;
  for (let i = 0; i < 4; i++) {
    const diff = (lo[i]! ^ hi[i]!) >>> 0;
    if (diff === 0) {
      bits += 32;
      continue;
    }
    return bits + Math.clz32(diff);
  }
  return bits;
}

export function planOf(c: CondAst, kind: RecordKind, fields: FieldLookup, ctx: PlanContext): Plan | undefined {
  switch (c.t) {
    case 'leaf':
      return leafPlan(c, kind, fields, ctx);
    case 'not':
      return undefined;
    case 'all': {
      let best: Plan | undefined;
      for (const i of c.items) {
        const p = planOf(i, kind, fields, ctx);
        if (p && (!best || p.score > best.score)) best = p;
      }
      // One child proves nothing about the others.
      return best && c.items.length > 1 ? { ...best, exact: false } : best;
    }
    case 'any': {
      const postings: Posting[] = [];
      let score = Infinity;
      let exact = true;
      for (const i of c.items) {
        const p = planOf(i, kind, fields, ctx);
        if (!p) return undefined;
        postings.push(...p.postings);
        score = Math.min(score, p.score);
        exact &&= p.exact;
      }
      return { postings, score: score - 1, exact };
    }
  }
}

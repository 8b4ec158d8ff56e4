/**
 * A checked rule compiled once into what the engine runs: one matcher per record kind
 * it reads (one per step for a sequence), each with its predicate, its exceptions and
 * its index plan, and the accessors its windowed state needs.
 */
import type { MatchedCondition, Severity } from '../alert.js';
import { FIELDS } from '../fields/index.js';
import type { FieldDef, Getter } from '../fields/types.js';
import type { View } from '../fields/view.js';
import type { CondAst, FieldRef, RuleAst } from '../language/ast.js';
import type { RecordKind } from '../records.js';
import { digest } from '../util.js';
import type { LeafContext, Pred } from './leaf.js';
import { planOf, type Plan } from './plan.js';
import { compileCond } from './predicate.js';

/** Sub-buckets per window: windows slide in steps of 1/12 of their length. */
export const BUCKETS_PER_WINDOW = 12;

export interface Accessor {
  name: string;
  get: Getter;
}

export interface Matcher {
  rule: CompiledRule;
  /** The sequence step (0-based), or -1. */
  step: number;
  kind: RecordKind;
  pred: Pred;
  exceptions: Pred[];
  explain(v: View): MatchedCondition[];
  plan: Plan | undefined;
  /** The plan proves the condition: a record reaching the matcher matches (no re-check). */
  exact: boolean;
  /** Accessors of the rule's group (`by`) and suppression fields, for this matcher's kind. */
  group: Accessor[];
  suppressBy: Accessor[];
  /** The aggregate's field, running-total key, or first_seen's field, for this kind. */
  value?: Accessor;
  running?: Accessor;
  /** The view stamp last evaluated: a rule filed under several postings runs once per record. */
  stamp: number;
  evaluations: number;
  matches: number;
}

export type RuleType = 'stateless' | 'aggregate' | 'sequence' | 'first_seen';

export interface CompiledRule {
  ast: RuleAst;
  id: string;
  version: string;
  title: string;
  description: string;
  severity: Severity;
  mode: 'alert' | 'log';
  ruleset: string;
  type: RuleType;
  matchers: Matcher[];
  /** Identifies the rule's windowed state: a changed window, function or grouping starts fresh state. */
  stateId: string;
  aggregate?: { fn: 'count' | 'distinct_count' | 'sum'; field?: string; windowMs: number; bucketMs: number; threshold: number; approximate: boolean };
  sequence?: { windowMs: number; ordered: boolean; steps: string[] };
  firstSeen?: { field: string; learnMs: number };
  /** Every stateful rule suppresses: by default per group per window. */
  suppress?: { windowMs: number };
  alerts: number;
}

function accessors(refs: FieldRef[], kind: RecordKind): Accessor[] {
  return refs.map((r) => ({ name: r.name, get: field(r.name).kinds.get(kind)!.get }));
}

function field(name: string): FieldDef {
  const f = FIELDS.get(name);
  if (!f) throw new Error(`unknown field ${name} (the checker should have caught it)`);
  return f;
}

function matcherFor(rule: CompiledRule, step: number, kind: RecordKind, cond: CondAst | undefined, ctx: LeafContext): Matcher {
  const ast = rule.ast;
  const compiled = cond ? compileCond(cond, kind, field, ctx) : undefined;
  const exceptions = ast.exceptions.map((e) => compileCond(e, kind, field, ctx).pred);
  const groupRefs = ast.aggregate?.by ?? ast.sequence?.by ?? ast.firstSeen?.by ?? [];
  const suppressRefs = ast.suppress?.by ?? groupRefs;
  const valueRef = ast.aggregate?.field ?? ast.firstSeen?.field;
  const m: Matcher = {
    rule,
    step,
    kind,
    pred: compiled ? compiled.pred : () => true,
    exceptions,
    explain: (v) => {
      const out: MatchedCondition[] = [];
      compiled?.explain(v, out);
      return out;
    },
    plan: cond ? planOf(cond, kind, field, ctx) : undefined,
    exact: false,
    group: accessors(groupRefs, kind),
    suppressBy: accessors(suppressRefs, kind),
    value: valueRef ? accessors([valueRef], kind)[0] : undefined,
    running: ast.aggregate?.runningTotalPer ? accessors([ast.aggregate.runningTotalPer], kind)[0] : undefined,
    stamp: -1,
    evaluations: 0,
    matches: 0,
  };
  m.exact = m.plan?.exact ?? false;
  return m;
}

export function compileRule(ast: RuleAst, ruleset: string, ctx: LeafContext): CompiledRule {
  const type: RuleType = ast.aggregate ? 'aggregate' : ast.sequence ? 'sequence' : ast.firstSeen ? 'first_seen' : 'stateless';
  const a = ast.aggregate;
  const s = ast.sequence;
  const f = ast.firstSeen;
  const names = (refs: FieldRef[] | undefined) => (refs ?? []).map((r) => r.name).join(',');
  const stateId = digest([ast.id, type, a?.fn ?? '', a?.field?.name ?? '', a?.windowMs ?? '', a?.approximate ? 'hll' : '', a?.runningTotalPer?.name ?? '', names(a?.by ?? s?.by ?? f?.by), s?.windowMs ?? '', s?.ordered ? 'o' : '', s?.steps.length ?? '', f?.field.name ?? ''], 10);
  const windowMs = a?.windowMs ?? s?.windowMs;
  const rule: CompiledRule = {
    ast,
    id: ast.id,
    version: ast.version,
    title: ast.title,
    description: ast.description,
    severity: ast.severity,
    mode: ast.mode,
    ruleset,
    type,
    matchers: [],
    stateId,
    aggregate: a && {
      fn: a.fn,
      field: a.field?.name,
      windowMs: a.windowMs,
      bucketMs: Math.max(1, Math.ceil(a.windowMs / BUCKETS_PER_WINDOW)),
      threshold: a.threshold,
      approximate: a.approximate,
    },
    sequence: s && { windowMs: s.windowMs, ordered: s.ordered, steps: s.steps.map((x) => x.name) },
    firstSeen: f && { field: f.field.name, learnMs: f.learnMs },
    suppress: ast.suppress ? { windowMs: ast.suppress.windowMs } : windowMs !== undefined ? { windowMs } : undefined,
    alerts: 0,
  };
  if (s) s.steps.forEach((st, i) => rule.matchers.push(matcherFor(rule, i, st.kind, st.match, ctx)));
  else rule.matchers.push(matcherFor(rule, -1, ast.kind, ast.match, ctx));
  return rule;
}

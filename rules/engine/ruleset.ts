/**
 * One immutable generation of compiled rules with their per-kind indexes. A reload
 * builds a new RuleSet beside the running one and swaps the pointer; a batch in flight
 * finishes on the generation it started with, so every record is judged by exactly one.
 */
import { compileRule, type CompiledRule, type Matcher } from '../compile/rule.js';
import type { RuleAst } from '../language/ast.js';
import type { ListHolder } from '../lists/list.js';
import { RECORD_KINDS, type RecordKind } from '../records.js';
import { KindIndex } from './rule-index.js';

export interface ListSource {
  get(name: string): ListHolder | undefined;
}

export class RuleSet {
  readonly rules: CompiledRule[];
  readonly byId = new Map<string, CompiledRule>();
  readonly index = new Map<RecordKind, KindIndex>();
  /** Which application views any rule reads, so records skip the others. */
  readonly reads: Record<RecordKind, boolean>;

  constructor(
    asts: Array<{ ast: RuleAst; ruleset: string }>,
    lists: ListSource,
    readonly generation = 0,
    onError?: (ast: RuleAst, err: Error) => void,
  ) {
    const ctx = {
      list: (name: string): ListHolder => {
        const h = lists.get(name);
        if (!h) throw new Error(`list "${name}" is not loaded`);
        return h;
      },
    };
    this.rules = [];
    for (const a of asts) {
      if (!a.ast.enabled) continue;
      try {
        this.rules.push(compileRule(a.ast, a.ruleset, ctx));
      } catch (err) {
        // One rule that cannot compile (a list removed since it was checked) costs that rule only.
        if (!onError) throw err;
        onError(a.ast, err as Error);
      }
    }
    const byKind = new Map<RecordKind, Matcher[]>();
    for (const r of this.rules) {
      this.byId.set(r.id, r);
      for (const m of r.matchers) {
        const list = byKind.get(m.kind) ?? [];
        list.push(m);
        byKind.set(m.kind, list);
      }
    }
    for (const [kind, ms] of byKind) this.index.set(kind, new KindIndex(ms));
    this.reads = Object.fromEntries(RECORD_KINDS.map((k) => [k, (byKind.get(k)?.length ?? 0) > 0])) as Record<RecordKind, boolean>;
  }

  static empty(): RuleSet {
    return new RuleSet([], { get: () => undefined });
  }
}

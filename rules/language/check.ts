/**
 * The type checker: every field a rule names must exist for the kind it reads, every
 * operator must suit the field's type, every value must be of that type (IPs, CIDRs,
 * regexes, durations and sizes are parsed here, once), every list must exist with a
 * compatible type. Leaves get their typed `values`.
 */
import { FIELDS } from '../fields/index.js';
import type { FieldDef } from '../fields/types.js';
import { canonicalIp, parseCidrRange } from '../lists/ip.js';
import type { ListType } from '../lists/list.js';
import type { RecordKind } from '../records.js';
import type { CondAst, FieldRef, LeafAst, OpName, RuleAst } from './ast.js';
import type { Diagnostics, Pos } from './diagnostics.js';
import { parseDurationMs, parseSize } from './duration.js';

export interface ListCatalog {
  typeOf(name: string): ListType | undefined;
}

const OPS_BY_TYPE: Record<FieldDef['type'], ReadonlySet<OpName>> = {
  string: new Set(['eq', 'ne', 'in', 'prefix', 'suffix', 'contains', 'regex', 'in_list', 'exists']),
  ip: new Set(['eq', 'ne', 'in', 'cidr', 'in_list', 'prefix', 'suffix', 'contains', 'regex', 'exists']),
  number: new Set(['eq', 'ne', 'in', 'gt', 'gte', 'lt', 'lte', 'exists']),
  bool: new Set(['eq', 'ne', 'exists']),
};
const NOCASE_OPS: ReadonlySet<OpName> = new Set(['eq', 'ne', 'in', 'prefix', 'suffix', 'contains', 'regex']);
const LISTS_FOR: Record<FieldDef['type'], ListType[]> = { string: ['domain', 'hash', 'string'], ip: ['ip'], number: [], bool: [] };

export const SUMMARY_WORDS = new Set(['count', 'value', 'threshold', 'window', 'title', 'rule']);

export class Checker {
  constructor(
    private readonly lists: ListCatalog,
    private readonly diag: Diagnostics,
  ) {}

  private ruleId = '';

  private err(pos: Pos, message: string): false {
    this.diag.error(pos, message, this.ruleId);
    return false;
  }

  /** The field definition for a kind, or an error saying what exists instead. */
  field(name: string, kind: RecordKind, pos: Pos): FieldDef | undefined {
    const def = FIELDS.get(name);
    if (def?.kinds.has(kind)) return def;
    if (def) {
      this.err(pos, `field ${name} is not available for kind ${kind} (it is for: ${[...def.kinds.keys()].join(', ')})`);
      return undefined;
    }
    const hint = FIELDS.suggest(name, kind);
    this.err(pos, `unknown field "${name}" for kind ${kind}${hint ? ` (did you mean ${hint}?)` : ''}; \`chot rules fields --kind ${kind}\` lists them`);
    return undefined;
  }

  private refs(refs: FieldRef[], kinds: RecordKind[]): boolean {
    let ok = true;
    for (const r of refs) for (const k of kinds) if (!this.field(r.name, k, r.pos)) ok = false;
    return ok;
  }

  check(rule: RuleAst): boolean {
    this.ruleId = rule.id;
    const before = this.diag.errors;
    const kind = rule.kind;
    const stateful = [rule.aggregate && 'aggregate', rule.sequence && 'sequence', rule.firstSeen && 'first_seen'].filter(Boolean);
    if (stateful.length > 1) this.err(rule.pos, `expected at most one of aggregate, sequence, first_seen (found ${stateful.join(' and ')})`);
    if (!rule.match && !rule.sequence && !rule.aggregate && !rule.firstSeen) this.err(rule.pos, 'expected match: (a stateless rule needs conditions)');
    if (rule.match) this.cond(rule.match, kind);
    for (const e of rule.exceptions) this.cond(e, kind);
    const kinds = rule.sequence ? [...new Set(rule.sequence.steps.map((s) => s.kind))] : [kind];
    if (rule.sequence) {
      for (const s of rule.sequence.steps) this.cond(s.match, s.kind);
      for (const e of rule.exceptions) for (const k of kinds) if (k !== kind) this.cond(e, k);
      this.refs(rule.sequence.by, kinds);
      const names = new Set<string>();
      for (const s of rule.sequence.steps) {
        if (names.has(s.name)) this.err(s.pos, `expected distinct step names ("${s.name}" repeats)`);
        names.add(s.name);
      }
    }
    const a = rule.aggregate;
    if (a) {
      this.refs(a.by, [kind]);
      if (a.fn !== 'count' && !a.field) this.err(a.pos, `expected aggregate.field for ${a.fn}`);
      if (a.field) {
        const f = this.field(a.field.name, kind, a.field.pos);
        if (f && a.fn === 'sum' && f.type !== 'number') this.err(a.field.pos, `expected a numeric field to sum (${f.name} is ${f.type})`);
        if (f && a.fn === 'count') this.err(a.field.pos, 'expected no field for count (use distinct_count to count distinct values)');
      }
      if (a.approximate && a.fn !== 'distinct_count') this.err(a.pos, 'expected approximate only with distinct_count (HyperLogLog)');
      if (a.runningTotalPer) {
        if (a.fn !== 'sum') this.err(a.runningTotalPer.pos, 'expected running_total_per only with sum');
        else this.field(a.runningTotalPer.name, kind, a.runningTotalPer.pos);
      }
    }
    if (rule.firstSeen) {
      this.field(rule.firstSeen.field.name, kind, rule.firstSeen.field.pos);
      this.refs(rule.firstSeen.by, [kind]);
    }
    if (rule.suppress) {
      this.refs(rule.suppress.by, kinds);
      const group = a?.by ?? rule.sequence?.by ?? rule.firstSeen?.by;
      if (group) {
        const names = new Set(group.map((g) => g.name));
        for (const r of rule.suppress.by) {
          if (!names.has(r.name)) this.err(r.pos, `expected suppress.by to use only the rule's group fields (${[...names].join(', ') || 'none'}): an alert's group must not depend on which record completed it`);
        }
      }
    }
    if (rule.summary) {
      for (const m of rule.summary.matchAll(/\{([^}]+)\}/g)) {
        const name = m[1]!;
        if (SUMMARY_WORDS.has(name)) continue;
        if (!kinds.some((k) => FIELDS.get(name)?.kinds.has(k))) this.err(rule.pos, `summary: unknown field {${name}} for kind ${kinds.join('/')} (or one of {${[...SUMMARY_WORDS].join('}, {')}})`);
      }
    }
    for (const t of rule.tests) {
      for (const name of Object.keys(t.lists ?? {})) {
        if (this.lists.typeOf(name) === undefined) this.err(t.pos, `test "${t.name}" sets list "${name}", which is not loaded (a test can fill a list, not invent one)`);
      }
      for (const r of t.records) {
        for (const s of r.set) {
          const f = this.field(s.field, r.kind, s.pos);
          if (f && !f.kinds.get(r.kind)?.set) this.err(s.pos, `field ${s.field} is derived and cannot be set in a test record${setHint(s.field)}`);
        }
      }
    }
    return this.diag.errors === before;
  }

  cond(c: CondAst, kind: RecordKind): void {
    switch (c.t) {
      case 'all':
      case 'any':
        for (const i of c.items) this.cond(i, kind);
        return;
      case 'not':
        this.cond(c.item, kind);
        return;
      default:
        this.leaf(c, kind);
    }
  }

  private leaf(l: LeafAst, kind: RecordKind): void {
    const f = this.field(l.field, kind, l.pos);
    if (!f) return;
    if (!OPS_BY_TYPE[f.type].has(l.op)) {
      this.err(l.pos, `operator ${l.op} does not apply to ${f.name} (${f.type}${f.array ? ' list' : ''}); expected one of: ${[...OPS_BY_TYPE[f.type]].join(', ')}`);
      return;
    }
    if (l.nocase && (!NOCASE_OPS.has(l.op) || f.type !== 'string')) {
      this.err(l.pos, f.type !== 'string' ? `nocase applies to text fields (${f.name} is ${f.type})` : `nocase does not apply to ${l.op}`);
      return;
    }
    const raws = l.op === 'exists' ? [l.raw] : Array.isArray(l.raw) ? (l.raw as unknown[]) : [l.raw];
    const values: Array<string | number | boolean> = [];
    for (const raw of raws) {
      const v = this.value(f, l, raw);
      if (v === undefined) return;
      values.push(v);
    }
    l.values = values;
  }

  private value(f: FieldDef, l: LeafAst, raw: unknown): string | number | boolean | undefined {
    const bad = (what: string): undefined => {
      this.err(l.pos, `expected ${what} for ${f.name} ${l.op}, found ${JSON.stringify(raw)}`);
      return undefined;
    };
    switch (l.op) {
      case 'exists':
        return raw as boolean;
      case 'in_list': {
        const name = String(raw);
        const type = this.lists.typeOf(name);
        if (type === undefined) return bad('the name of a loaded list (none is called that: add <name>.<ip|domain|hash|string> to the lists directory)');
        if (!LISTS_FOR[f.type].includes(type)) return bad(`a list of type ${LISTS_FOR[f.type].join(' or ')} (list "${name}" is ${type})`);
        return name;
      }
      case 'cidr':
        try {
          parseCidrRange(String(raw));
          return String(raw);
        } catch {
          return bad('a CIDR block such as 10.0.0.0/8 or 2001:db8::/32');
        }
      case 'regex':
        try {
          new RegExp(String(raw), l.nocase ? 'i' : '');
          return String(raw);
        } catch (err) {
          return bad(`a valid regular expression (${(err as Error).message})`);
        }
      case 'prefix':
      case 'suffix':
      case 'contains':
        return String(raw);
      default:
    }
    switch (f.type) {
      case 'bool':
        if (typeof raw === 'boolean') return raw;
        if (raw === 'true' || raw === 'false') return raw === 'true';
        return bad('true or false');
      case 'number': {
        const n = numberIn(f, raw);
        return n === undefined ? bad(f.unit === 'bytes' ? 'a number or size (50MB)' : f.unit ? `a number or duration (30s) in ${f.unit}` : 'a number') : n;
      }
      case 'ip': {
        const ip = typeof raw === 'string' ? canonicalIp(raw) : undefined;
        return ip === undefined ? bad('an IP address (use cidr: for blocks)') : ip;
      }
      default:
        if (typeof raw === 'boolean') return bad('a string');
        return String(raw);
    }
  }
}

/** A number in the field's unit from a literal: durations for time fields, sizes for byte fields. */
export function numberIn(f: Pick<FieldDef, 'unit'>, raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : undefined;
  if (typeof raw !== 'string') return undefined;
  if (f.unit === 'ns' || f.unit === 's' || f.unit === 'ms') {
    const ms = /[a-z]$/i.test(raw.trim()) ? parseDurationMs(raw) : undefined;
    if (ms !== undefined) return f.unit === 'ns' ? ms * 1e6 : f.unit === 's' ? ms / 1000 : ms;
  }
  const n = parseSize(raw);
  if (n === undefined) return undefined;
  if (f.unit !== 'bytes' && /[a-z]$/i.test(raw.trim())) return undefined;
  return n;
}

function setHint(field: string): string {
  if (field.startsWith('chot.dns.question.') || field.startsWith('dns.question.')) return ' (set dns.question.name)';
  if (field.startsWith('url.')) return ' (set url.original or url.domain)';
  return '';
}

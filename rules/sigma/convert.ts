/**
 * Sigma rules → Chốt rules. A detection's search identifiers become conditions
 * (values.ts), its condition expression the tree over them; a legacy `| count()`
 * becomes an aggregate; correlation rules (event_count, value_count, temporal,
 * temporal_ordered) become aggregates and sequences over the rules they name. What
 * cannot be expressed is refused with the reason, never approximated silently.
 */
import type { Severity } from '../alert.js';
import { FIELDS } from '../fields/index.js';
import { parseDurationMs } from '../language/duration.js';
import type { RecordKind } from '../records.js';
import { expandPattern, parseCondition, SigmaSyntaxError, type SigmaExpr } from './condition.js';
import { kindOf, mapField, type LogSource } from './fields.js';
import { fieldItem, Unsupported, type Cond } from './values.js';

export { Unsupported };

export type SigmaDoc = Record<string, unknown>;

export interface BaseConversion {
  kind: RecordKind;
  match: Cond;
  aggregate?: Record<string, unknown>;
}

const LEVELS: Record<string, Severity> = { informational: 'low', low: 'low', medium: 'medium', high: 'high', critical: 'critical' };

function exists(kind: RecordKind) {
  return (name: string) => FIELDS.get(name)?.kinds.has(kind) ?? false;
}

function chotField(kind: RecordKind, name: string) {
  const m = mapField(kind, name, exists(kind));
  if (!m) throw new Unsupported(`field ${name} has no Chốt equivalent for ${kind} records (see the Sigma field mapping in rules/README.md)`);
  const def = FIELDS.get(m.to);
  if (!def?.kinds.has(kind)) throw new Unsupported(`field ${name} maps to ${m.to}, which ${kind} records do not have`);
  return { ...m, type: def.type };
}

function searchIdentifier(name: string, body: unknown, kind: RecordKind): Cond {
  if (Array.isArray(body)) {
    if (body.length > 0 && body.every((x) => typeof x === 'string' || typeof x === 'number')) throw new Unsupported(`"${name}" is a keyword search (values without fields); Chốt tests fields`);
    if (!body.every((x) => typeof x === 'object' && x !== null && !Array.isArray(x))) throw new Unsupported(`"${name}" mixes maps and keywords`);
    const items = body.map((m, i) => searchIdentifier(`${name}[${i}]`, m, kind));
    return items.length === 1 ? items[0]! : { any: items };
  }
  if (typeof body !== 'object' || body === null) throw new Unsupported(`"${name}" is not a map or list of maps`);
  const items: Cond[] = [];
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    const [fieldName, ...mods] = key.split('|');
    if (!fieldName) throw new Unsupported(`"${name}" has a keyword item "${key}" without a field`);
    const f = chotField(kind, fieldName);
    items.push(fieldItem(f.to, f.type, mods.map((m) => m.toLowerCase()), value, f.value));
  }
  if (items.length === 0) throw new Unsupported(`"${name}" is empty`);
  return items.length === 1 ? items[0]! : { all: items };
}

function expression(e: SigmaExpr, ids: Map<string, Cond>): Cond {
  switch (e.t) {
    case 'id': {
      const c = ids.get(e.name);
      if (!c) throw new Unsupported(`condition names "${e.name}", which the detection does not define`);
      return c;
    }
    case 'not':
      return { not: expression(e.item, ids) };
    case 'and':
    case 'or': {
      const key = e.t === 'and' ? 'all' : 'any';
      const flat: Cond[] = [];
      for (const item of e.items.map((i) => expression(i, ids))) {
        const inner = Object.keys(item).length === 1 ? item[key] : undefined;
        if (Array.isArray(inner)) flat.push(...(inner as Cond[]));
        else flat.push(item);
      }
      return { [key]: flat };
    }
    case 'of': {
      const names = expandPattern(e.pattern, [...ids.keys()]);
      if (names.length === 0) throw new Unsupported(`"${e.quantifier === 'all' ? 'all' : '1'} of ${e.pattern}" names no search identifier`);
      const items = names.map((n) => ids.get(n)!);
      return items.length === 1 ? items[0]! : { [e.quantifier === 'all' ? 'all' : 'any']: items };
    }
  }
}

/** The detection of a Sigma rule as a Chốt kind and match (and aggregate, for `| count`). */
export function convertDetection(doc: SigmaDoc): BaseConversion {
  const k = kindOf(doc.logsource as LogSource | undefined);
  if ('reason' in k) throw new Unsupported(k.reason);
  const kind = k.kind;
  const det = doc.detection as Record<string, unknown> | undefined;
  if (!det || typeof det !== 'object') throw new Unsupported('no detection');
  const ids = new Map<string, Cond>();
  for (const [name, body] of Object.entries(det)) {
    if (name === 'condition' || name === 'timeframe') continue;
    ids.set(name, searchIdentifier(name, body, kind));
  }
  const conds = Array.isArray(det.condition) ? det.condition : [det.condition];
  if (conds.length === 0 || conds.some((c) => typeof c !== 'string')) throw new Unsupported('detection.condition must be text');
  let aggregate: Record<string, unknown> | undefined;
  const matches: Cond[] = [];
  for (const text of conds as string[]) {
    let parsed;
    try {
      parsed = parseCondition(text);
    } catch (err) {
      if (err instanceof SigmaSyntaxError) throw new Unsupported(`condition "${text}": ${err.message}`);
      throw err;
    }
    matches.push(expression(parsed.expr, ids));
    const a = parsed.aggregation;
    if (a) {
      if (conds.length > 1) throw new Unsupported('an aggregation with several conditions');
      if (a.op === '<' || a.op === '<=' || a.op === '=') throw new Unsupported(`count() ${a.op} ${a.value}: "fewer than" and exact counts need a window to close, which Chốt does not wait for`);
      const window = det.timeframe;
      if (parseDurationMs(window) === undefined) throw new Unsupported('count() without a timeframe');
      aggregate = {
        function: a.field ? 'distinct_count' : 'count',
        ...(a.field ? { field: chotField(kind, a.field).to } : {}),
        by: a.by ? [chotField(kind, a.by).to] : [],
        window,
        threshold: a.op === '>' ? a.value + 1 : a.value,
      };
    }
  }
  return { kind, match: matches.length === 1 ? matches[0]! : { any: matches }, aggregate };
}

/** The Chốt rule's common fields from a Sigma rule's metadata. */
export function metadata(doc: SigmaDoc, fallbackTitle: string): Record<string, unknown> {
  const tags = Array.isArray(doc.tags) ? doc.tags.map(String) : [];
  const techniques = tags.filter((t) => /^attack\.t\d{4}(\.\d{3})?$/i.test(t)).map((t) => t.slice(7).toUpperCase());
  const tactics = tags.filter((t) => /^attack\.[a-z][a-z_-]+$/i.test(t) && !/^attack\.(g|s)\d{4}$/i.test(t)).map((t) => t.slice(7).replace(/_/g, '-'));
  const level = String(doc.level ?? 'medium').toLowerCase();
  const out: Record<string, unknown> = {
    title: String(doc.title ?? fallbackTitle),
    description: String(doc.description ?? ''),
    severity: LEVELS[level] ?? 'medium',
  };
  if (techniques.length > 0 || tactics.length > 0) out.mitre = { techniques, tactics };
  const other = tags.filter((t) => !t.toLowerCase().startsWith('attack.'));
  if (other.length > 0) out.tags = other;
  if (Array.isArray(doc.references)) out.references = doc.references.map(String);
  if (Array.isArray(doc.falsepositives)) out.false_positives = doc.falsepositives.map(String);
  return out;
}

export function chotIdOf(doc: SigmaDoc, fallback: string): string {
  const base = String(doc.id ?? doc.name ?? fallback)
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 90);
  return `sigma.${base || 'rule'}`;
}

/** A base (non-correlation) Sigma rule as a Chốt rule object. */
export function convertRule(doc: SigmaDoc, fallback: string): Record<string, unknown> {
  const d = convertDetection(doc);
  return { id: chotIdOf(doc, fallback), ...metadata(doc, fallback), kind: d.kind, match: d.match, ...(d.aggregate ? { aggregate: d.aggregate } : {}) };
}

/** A correlation rule over already-parsed base rules (looked up by name or id). */
export function convertCorrelation(doc: SigmaDoc, fallback: string, lookup: (ref: string) => SigmaDoc | undefined): Record<string, unknown> {
  const c = doc.correlation as Record<string, unknown> | undefined;
  if (!c || typeof c !== 'object') throw new Unsupported('correlation is not a map');
  const type = String(c.type ?? '');
  const refs = (Array.isArray(c.rules) ? c.rules : [c.rules]).filter((r) => r !== undefined).map(String);
  if (refs.length === 0) throw new Unsupported('correlation names no rules');
  if (c.aliases !== undefined) throw new Unsupported('correlation aliases (a group field named differently per rule) are not supported');
  const bases = refs.map((r) => {
    const b = lookup(r);
    if (!b) throw new Unsupported(`correlation refers to rule "${r}", which was not found`);
    if (b.correlation) throw new Unsupported(`correlation of correlation ("${r}") is not supported`);
    return convertDetection(b);
  });
  const window = c.timespan;
  if (parseDurationMs(window) === undefined) throw new Unsupported(`timespan "${String(window)}" is not a duration`);
  const groupBy = (Array.isArray(c['group-by']) ? c['group-by'] : c['group-by'] === undefined ? [] : [c['group-by']]).map(String);
  const meta = { id: chotIdOf(doc, fallback), ...metadata(doc, fallback) };
  if (type === 'event_count' || type === 'value_count') {
    const kinds = new Set(bases.map((b) => b.kind));
    if (kinds.size > 1) throw new Unsupported(`${type} over rules of different record kinds (${[...kinds].join(', ')})`);
    if (bases.some((b) => b.aggregate)) throw new Unsupported('correlation over a rule that aggregates itself');
    const kind = bases[0]!.kind;
    const cond = (c.condition ?? {}) as Record<string, unknown>;
    const threshold = thresholdOf(cond);
    const aggregate: Record<string, unknown> = {
      function: type === 'event_count' ? 'count' : 'distinct_count',
      by: groupBy.map((g) => chotField(kind, g).to),
      window,
      threshold,
    };
    if (type === 'value_count') {
      if (typeof cond.field !== 'string') throw new Unsupported('value_count without condition.field');
      aggregate.field = chotField(kind, cond.field).to;
    }
    const match = bases.length === 1 ? bases[0]!.match : { any: bases.map((b) => b.match) };
    return { ...meta, kind, match, aggregate };
  }
  if (type === 'temporal' || type === 'temporal_ordered') {
    if (bases.length < 2) throw new Unsupported(`${type} needs at least two rules`);
    if (bases.some((b) => b.aggregate)) throw new Unsupported('temporal correlation over a rule that aggregates');
    for (const g of groupBy) for (const b of bases) chotField(b.kind, g);
    const by = groupBy.map((g) => chotField(bases[0]!.kind, g).to);
    for (const g of groupBy) {
      const names = new Set(bases.map((b) => chotField(b.kind, g).to));
      if (names.size > 1) throw new Unsupported(`group-by ${g} maps to different fields per rule (${[...names].join(', ')})`);
    }
    return {
      ...meta,
      kind: bases[0]!.kind,
      sequence: {
        by,
        window,
        ordered: type === 'temporal_ordered',
        steps: bases.map((b, i) => ({ name: stepName(refs[i]!, i), kind: b.kind, match: b.match })),
      },
    };
  }
  throw new Unsupported(`correlation type "${type}" is not supported (event_count, value_count, temporal, temporal_ordered are)`);
}

function stepName(ref: string, i: number): string {
  const s = ref.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 40);
  return s || `step${i + 1}`;
}

function thresholdOf(cond: Record<string, unknown>): number {
  const n = (k: string) => (typeof cond[k] === 'number' ? (cond[k] as number) : undefined);
  if (n('gte') !== undefined) return n('gte')!;
  if (n('gt') !== undefined) return n('gt')! + 1;
  if (n('lt') !== undefined || n('lte') !== undefined) throw new Unsupported('"fewer than" conditions (lt, lte) need a window to close, which Chốt does not wait for');
  if (n('eq') !== undefined) throw new Unsupported('exact counts (eq) need a window to close, which Chốt does not wait for');
  if (cond.range !== undefined) throw new Unsupported('range conditions are not supported');
  throw new Unsupported('condition has no gt or gte');
}

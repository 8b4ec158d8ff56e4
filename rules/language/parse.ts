/**
 * A rule file → rules with positions. The file is YAML: one rule (a mapping) or a list
 * of rules. Structure is checked here (schema.ts), conditions are parsed
 * (condition.ts); field types, lists and the rest are the checker's (check.ts).
 */
import { sha256Hex } from '../util.js';
import { RECORD_KINDS, type RecordKind } from '../records.js';
import type { AggregateAst, CondAst, FieldRef, RuleAst, SequenceAst, TestCaseAst, TestRecordAst } from './ast.js';
import { ConditionParser } from './condition.js';
import { Diagnostics, type Diagnostic, type Pos } from './diagnostics.js';
import { parseDurationMs, parseSize } from './duration.js';
import { describe, issueMessage, ruleSchema, type RuleDoc, type TestDoc } from './schema.js';
import { SourceDoc, type Path } from './source.js';

export interface ParsedFile {
  file: string;
  rules: RuleAst[];
  diagnostics: Diagnostic[];
}

const TEST_CONTROL = new Set(['record', 'repeat', 'every', 'at', 'kind']);

export function parseRuleFile(file: string, text: string): ParsedFile {
  const diag = new Diagnostics(file);
  const src = SourceDoc.parse(text, diag);
  const rules: RuleAst[] = [];
  if (!src) return { file, rules, diagnostics: diag.list };
  const top: unknown = src.doc.toJS({ maxAliasCount: 100 });
  const entries: Array<{ raw: unknown; path: Path }> = Array.isArray(top) ? top.map((raw, i) => ({ raw, path: [i] })) : [{ raw: top, path: [] }];
  if (!Array.isArray(top) && (typeof top !== 'object' || top === null)) {
    diag.error(src.posOf([]), `expected a rule (a mapping) or a list of rules, found ${describe(top)}`);
    return { file, rules, diagnostics: diag.list };
  }
  for (const { raw, path } of entries) {
    const r = parseRule(raw, path, src, diag, file);
    if (r) rules.push(r);
  }
  return { file, rules, diagnostics: diag.list };
}

function parseRule(raw: unknown, path: Path, src: SourceDoc, diag: Diagnostics, file: string): RuleAst | undefined {
  const pos = src.posOf(path);
  const idGuess = typeof raw === 'object' && raw !== null && typeof (raw as { id?: unknown }).id === 'string' ? (raw as { id: string }).id : undefined;
  const checked = ruleSchema.safeParse(raw);
  if (!checked.success) {
    for (const issue of checked.error.issues) {
      const at = [...path, ...(issue.path as Array<string | number>)];
      const where = issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined ? src.keyPos(at, issue.keys[0]) : issue.input === undefined && issue.code === 'invalid_type' ? src.posOf(at.slice(0, -1)) : src.posOf(at);
      const label = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
      diag.error(where, `${label}${issueMessage(issue)}`, idGuess);
    }
    return undefined;
  }
  const d: RuleDoc = checked.data;
  const before = diag.errors;
  const conds = new ConditionParser(src, diag, d.id);
  const ref = (name: string, at: Path): FieldRef => ({ name, pos: src.posOf(at) });
  const refs = (v: string | string[], at: Path): FieldRef[] => (Array.isArray(v) ? v.map((n, i) => ref(n, [...at, i])) : [ref(v, at)]);
  const ms = (v: string | number): number => parseDurationMs(v)!;

  const sequence = d.sequence && parseSequence(d, path, src, conds, ms, refs);
  if (d.sequence && d.match) diag.error(src.keyPos(path, 'match'), "expected no top-level match in a sequence rule: each step has its own match", d.id);
  const kind: RecordKind | undefined = d.kind ?? (sequence ? sequence.steps[0]?.kind : undefined);
  if (!kind) diag.error(src.keyPos(path, 'id'), `expected kind: one of ${RECORD_KINDS.join(', ')}`, d.id);
  if (sequence) for (const s of sequence.steps) if (s.kind === ('' as RecordKind)) s.kind = kind!;

  const match = d.match ? conds.parse(d.match, [...path, 'match']) : undefined;
  const exceptions = d.exceptions.map((e, i) => conds.parse(e, [...path, 'exceptions', i])).filter((c): c is CondAst => c !== undefined);

  let aggregate: AggregateAst | undefined;
  if (d.aggregate) {
    const a = d.aggregate;
    const at = [...path, 'aggregate'];
    aggregate = {
      fn: a.function,
      field: a.field ? ref(a.field, [...at, 'field']) : undefined,
      by: refs(a.by, [...at, 'by']),
      windowMs: ms(a.window),
      threshold: parseSize(a.threshold)!,
      approximate: a.approximate,
      runningTotalPer: a.running_total_per ? ref(a.running_total_per, [...at, 'running_total_per']) : undefined,
      pos: src.keyPos(path, 'aggregate'),
    };
  }
  const firstSeen = d.first_seen && {
    field: ref(d.first_seen.field, [...path, 'first_seen', 'field']),
    by: refs(d.first_seen.by, [...path, 'first_seen', 'by']),
    learnMs: d.first_seen.learn === undefined ? 0 : ms(d.first_seen.learn),
    pos: src.keyPos(path, 'first_seen'),
  };
  const suppress = d.suppress && { by: refs(d.suppress.by, [...path, 'suppress', 'by']), windowMs: ms(d.suppress.window), pos: src.keyPos(path, 'suppress') };
  const tests = d.tests.map((t, i) => parseTest(t, [...path, 'tests', i], src, diag, kind ?? 'connection', d.id));
  if (diag.errors > before || !kind) return undefined;

  const text = src.textOf(path);
  return {
    file,
    pos,
    text,
    version: sha256Hex(text).slice(0, 16),
    id: d.id,
    title: d.title,
    description: d.description,
    severity: d.severity,
    techniques: d.mitre?.techniques ?? [],
    tactics: d.mitre?.tactics ?? [],
    kind,
    mode: d.mode,
    enabled: d.enabled,
    match,
    exceptions,
    aggregate,
    sequence,
    firstSeen,
    suppress,
    summary: d.summary,
    tags: d.tags,
    references: d.references,
    falsePositives: d.false_positives,
    tests,
  };
}

function parseSequence(
  d: RuleDoc,
  path: Path,
  src: SourceDoc,
  conds: ConditionParser,
  ms: (v: string | number) => number,
  refs: (v: string | string[], at: Path) => FieldRef[],
): SequenceAst | undefined {
  const s = d.sequence!;
  const at = [...path, 'sequence'];
  const steps: SequenceAst['steps'] = [];
  let ok = true;
  s.steps.forEach((st, i) => {
    const m = conds.parse(st.match, [...at, 'steps', i, 'match']);
    if (!m) ok = false;
    // An empty kind is filled with the rule's kind by the caller.
    else steps.push({ name: st.name ?? `step${i + 1}`, kind: st.kind ?? d.kind ?? ('' as RecordKind), match: m, pos: src.posOf([...at, 'steps', i]) });
  });
  if (!ok) return undefined;
  return { by: refs(s.by, [...at, 'by']), windowMs: ms(s.window), ordered: s.ordered, steps, pos: src.keyPos(path, 'sequence') };
}

function parseTest(t: TestDoc, path: Path, src: SourceDoc, diag: Diagnostics, ruleKind: RecordKind, ruleId: string): TestCaseAst {
  const expect = t.expect;
  const out: TestCaseAst = { name: t.name, records: [], pos: src.posOf(path), ...(t.lists ? { lists: t.lists } : {}) };
  if (expect === 'alert') out.min = 1;
  else if (expect === 'none') out.alerts = 0;
  else {
    if (expect.alerts !== undefined) out.alerts = expect.alerts;
    if (expect.min !== undefined) out.min = expect.min;
    if (expect.group) out.group = expect.group;
    if (out.alerts === undefined && out.min === undefined) out.min = 1;
  }
  t.records.forEach((raw, i) => {
    const at = [...path, 'records', i];
    const pos = src.posOf(at);
    const control = raw as Record<string, unknown>;
    const fieldsRaw = control.record !== undefined ? control.record : Object.fromEntries(Object.entries(control).filter(([k]) => !TEST_CONTROL.has(k)));
    const fieldsPath = control.record !== undefined ? [...at, 'record'] : at;
    if (typeof fieldsRaw !== 'object' || fieldsRaw === null || Array.isArray(fieldsRaw)) {
      diag.error(pos, 'expected record: to be a mapping of field: value', ruleId);
      return;
    }
    const rec: TestRecordAst = { kind: ruleKind, atMs: undefined, repeat: 1, everyMs: 1000, set: [], pos };
    if (control.kind !== undefined) {
      if (!(RECORD_KINDS as readonly unknown[]).includes(control.kind)) diag.error(src.posOf([...at, 'kind']), `expected a record kind: ${RECORD_KINDS.join(', ')}`, ruleId);
      else rec.kind = control.kind as RecordKind;
    }
    if (control.repeat !== undefined) {
      if (!Number.isInteger(control.repeat) || (control.repeat as number) < 1 || (control.repeat as number) > 100_000) diag.error(src.posOf([...at, 'repeat']), 'expected repeat: a whole number from 1 to 100000', ruleId);
      else rec.repeat = control.repeat as number;
    }
    for (const [key, target] of [['every', 'everyMs'], ['at', 'atMs']] as const) {
      if (control[key] === undefined) continue;
      const v = control[key] === 0 ? 0 : parseDurationMs(control[key]);
      if (v === undefined) diag.error(src.posOf([...at, key]), `expected ${key}: a duration such as 500ms or 10s`, ruleId);
      else rec[target] = v;
    }
    for (const [field, value] of Object.entries(fieldsRaw as Record<string, unknown>)) rec.set.push({ field, value, pos: src.keyPos(fieldsPath, field) });
    out.records.push(rec);
  });
  return out;
}

export type { Pos };

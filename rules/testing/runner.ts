/**
 * `chot rules test`: runs the test cases rule files carry. Each case runs alone, on a
 * fresh state store, against only its rule (and the loaded lists): its records must
 * raise exactly `alerts` alerts of the rule (or at least `min`).
 */
import type { AlertDocument } from '../alert.js';
import type { RuleAst, TestCaseAst } from '../language/ast.js';
import type { ListCatalog } from '../language/check.js';
import type { Diagnostic } from '../language/diagnostics.js';
import { Detector } from '../engine/detector.js';
import { defaultEvidenceIndex } from '../engine/evidence.js';
import { checkFile, ruleFiles } from '../engine/loader.js';
import { StatelessMatcher, type HitList } from '../engine/matcher.js';
import { MemoryState } from '../engine/memory-state.js';
import { RuleSet, type ListSource } from '../engine/ruleset.js';
import type { StateStore } from '../engine/state.js';
import { dailyIndex } from '../../common/index-names.js';
import { CONN_KINDS } from '../records.js';
import { readFileSync } from 'node:fs';
import { ListRegistry } from '../lists/registry.js';
import { buildRecords, type BuiltRecord } from './records.js';

export interface TestOutcome {
  file: string;
  ruleId: string;
  test: string;
  pass: boolean;
  alerts: number;
  message: string;
  line: number;
}

export interface TestRun {
  outcomes: TestOutcome[];
  diagnostics: Diagnostic[];
  files: number;
  rules: number;
}

export interface TestOptions {
  lists: ListSource & ListCatalog;
  /** A fresh store per case; default in memory. */
  state?: () => StateStore | Promise<StateStore>;
  /** Only rules whose id contains this. */
  filter?: string;
  keyPrefix?: string;
}

export async function runRuleTests(dirs: readonly string[], o: TestOptions): Promise<TestRun> {
  const files = ruleFiles(dirs);
  const diagnostics: Diagnostic[] = [];
  const outcomes: TestOutcome[] = [];
  let rules = 0;
  for (const file of files) {
    const checked = checkFile(file, readFileSync(file, 'utf8'), o.lists);
    diagnostics.push(...checked.diagnostics);
    if (checked.diagnostics.some((d) => d.severity === 'error')) continue;
    for (const rule of checked.rules) {
      if (o.filter && !rule.id.includes(o.filter)) continue;
      rules++;
      for (const t of rule.tests) outcomes.push(await runCase(rule, t, o));
    }
  }
  return { outcomes, diagnostics, files: files.length, rules };
}

export async function runCase(rule: RuleAst, t: TestCaseAst, o: TestOptions): Promise<TestOutcome> {
  const base = { file: rule.file, ruleId: rule.id, test: t.name, line: t.pos.line };
  try {
    const alerts = await alertsFor(rule, t, o);
    const n = alerts.length;
    let message = '';
    if (t.alerts !== undefined && n !== t.alerts) message = `expected ${t.alerts} alert${t.alerts === 1 ? '' : 's'}, got ${n}`;
    else if (t.min !== undefined && n < t.min) message = `expected at least ${t.min} alert${t.min === 1 ? '' : 's'}, got ${n}`;
    else if (t.group && alerts[0]) {
      const g = alerts[0].chot.alert.group;
      const wrong = Object.entries(t.group).find(([k, v]) => String(g[k]) !== String(v));
      if (wrong) message = `expected group ${wrong[0]}=${wrong[1]}, got ${String(g[wrong[0]])}`;
    }
    return { ...base, pass: message === '', alerts: n, message };
  } catch (err) {
    return { ...base, pass: false, alerts: 0, message: `error: ${(err as Error).message}` };
  }
}

/** The alerts one rule raises on a test case's records (created documents, in order). */
let caseCounter = 0;

export async function alertsFor(rule: RuleAst, t: TestCaseAst, o: TestOptions): Promise<AlertDocument[]> {
  const set = new RuleSet([{ ast: rule, ruleset: 'test' }], overlay(o.lists, t.lists));
  const state: StateStore = o.state ? await o.state() : new MemoryState();
  const detector = new Detector({
    state,
    // Each case starts from empty state: its own key space.
    keyPrefix: `${o.keyPrefix ?? 'chot-test:'}${(caseCounter++).toString(36)}:${Math.random().toString(36).slice(2, 8)}:`,
    firstSeenTtlMs: 600_000,
    evidenceIndex: defaultEvidenceIndex('chot-test'),
    alertIndex: (ms) => dailyIndex('chot-test', 'alerts', ms),
    now: () => 0,
  });
  const matcher = new StatelessMatcher();
  const records = buildRecords(t).sort((a, b) => a.timeMs - b.timeMs);
  const alerts: AlertDocument[] = [];
  let seq = 0;
  // Consecutive records of the same family and node go in one batch, as a sensor sends them.
  for (let i = 0; i < records.length; ) {
    const family = familyOf(records[i]!);
    const node = records[i]!.target.node;
    let j = i;
    while (j < records.length && familyOf(records[j]!) === family && records[j]!.target.node === node) j++;
    const chunk = records.slice(i, j);
    const ctx = { sensorId: chunk[0]!.target.sensorId, seq: seq++, node };
    let hits: HitList;
    if (family === 'conn') hits = matcher.matchConn(set, chunk.map((r) => r.target.conn), ctx);
    else if (family === 'enforcer') hits = matcher.matchEnforcer(set, chunk.map((r) => r.target.enforcer), ctx);
    else hits = matcher.matchHealth(set, chunk.map((r) => r.target.health));
    const out = await detector.process(hits);
    alerts.push(...out.created.map((c) => c.doc));
    i = j;
  }
  await state.close?.();
  return alerts;
}

/** The loaded lists, with the case's own contents in place of some. */
function overlay(base: ListSource & ListCatalog, lists: Record<string, string[]> | undefined): ListSource {
  if (!lists) return base;
  const own = new ListRegistry(undefined);
  for (const [name, entries] of Object.entries(lists)) {
    const type = base.typeOf(name);
    if (type) own.define(name, type, entries);
  }
  return { get: (n) => own.get(n) ?? base.get(n) };
}

function familyOf(r: BuiltRecord): 'conn' | 'enforcer' | 'health' {
  return CONN_KINDS.has(r.target.kind) ? 'conn' : r.target.kind === 'enforcer' ? 'enforcer' : 'health';
}

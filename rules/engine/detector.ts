/**
 * From matches to alerts. Stateless rules without `suppress` raise one alert per
 * matching record, with no shared state at all. Everything else goes through the state
 * store in two pipelined phases per batch: first the windows, sequences, first-seen
 * sets and suppressions the matches feed; then the suppressions of what the windows
 * and sequences raised. See state.ts for why the result does not depend on record
 * order or on which worker saw which record.
 */
import type { AlertDocument, AlertExplanation, AlertUpdate, EvidenceRef } from '../alert.js';
import type { CompiledRule, Matcher } from '../compile/rule.js';
import { View } from '../fields/view.js';
import { digest, isoMs } from '../util.js';
import { alertId, buildAlert, groupKey, type GroupValues } from './alerts.js';
import { eventTimeMs, evidenceOf, memberOf, refOfMember, type EvidenceIndex } from './evidence.js';
import { pointView, type Hit, type HitList } from './matcher.js';
import { seqMember, seqMemberId, seqMemberTime, type RaiseResult, type StateOp, type StateResult, type StateStore } from './state.js';

export interface DetectorOptions {
  state: StateStore;
  /** Redis key prefix (the collector's), under which `det:` keys live. */
  keyPrefix: string;
  evidenceIndex: EvidenceIndex;
  alertIndex: (timeMs: number) => string;
  /** Evidence ids listed in a windowed alert (the console queries for the rest). */
  maxEvidence?: number;
  /** How long a first_seen set survives without new values. */
  firstSeenTtlMs?: number;
  now?: () => number;
}

export interface CreatedAlert {
  /** The alerts index (daily, from the alert's @timestamp). */
  index: string;
  doc: AlertDocument;
}

export interface DetectionOutput {
  /** New alerts: index each with `_id = doc.event.id` and op_type create (a 409 means it is already there). */
  created: CreatedAlert[];
  /** Alerts that absorbed more matches: apply as partial updates. */
  updated: AlertUpdate[];
}

export class DetectorStats {
  hits = 0;
  late = 0;
  duplicates = 0;
  created = 0;
  updated = 0;
}

interface Prepared {
  hit: Hit;
  m: Matcher;
  rule: CompiledRule;
  timeMs: number;
  ref: EvidenceRef;
  member: string;
  group: GroupValues;
  groupDigest: string;
}

/** How an alert came about, for building it once the suppression answers. */
interface Pending {
  p: Prepared;
  id: string;
  group: GroupValues;
  startMs: number;
  window?: AlertExplanation['window'];
  steps?: AlertExplanation['steps'];
  evidence: EvidenceRef[];
}

type Then = (r: StateResult) => void;

const MIN = 60_000;

function scalar(x: unknown): string | number {
  if (typeof x === 'number' || typeof x === 'string') return x;
  if (x === undefined || x === null) return '';
  if (Array.isArray(x)) return x.join(',');
  return String(x);
}

export class Detector {
  readonly stats = new DetectorStats();
  private readonly view = new View();
  private readonly maxEvidence: number;
  private readonly firstSeenTtlMs: number;
  private readonly now: () => number;

  constructor(private readonly o: DetectorOptions) {
    this.maxEvidence = o.maxEvidence ?? 20;
    this.firstSeenTtlMs = o.firstSeenTtlMs ?? 90 * 86_400_000;
    this.now = o.now ?? Date.now;
  }

  async process(list: HitList | Hit[]): Promise<DetectionOutput> {
    const out: DetectionOutput = { created: [], updated: [] };
    if (list.length === 0) return out;
    // Materialized now, before any await: a HitList is reused by the matcher's next call.
    const hits = Array.isArray(list) ? list : list.toArray();
    this.stats.hits += hits.length;
    const phase1: Array<[StateOp, Then]> = [];
    const phase2: Array<[StateOp, Then]> = [];
    const seqOps = new Map<string, { op: Extract<StateOp, { t: 'seq' }>; p: Prepared }>();
    for (const hit of hits) {
      const p = this.prepare(hit);
      const rule = p.rule;
      switch (rule.type) {
        case 'stateless':
          if (!rule.suppress) this.emit(out, { p, id: alertId(rule.id, ['e', p.member]), group: {}, startMs: p.timeMs, evidence: [p.ref] }, 0, p.timeMs);
          else phase1.push(this.raise(out, p, `r:${p.member}`, p.timeMs, { startMs: p.timeMs, evidence: [p.ref] }));
          break;
        case 'aggregate':
          this.aggregate(out, p, phase1, phase2);
          break;
        case 'sequence': {
          const key = `${rule.stateId}\u0000${p.groupDigest}\u0000${p.member}`;
          const merged = seqOps.get(key);
          if (merged) {
            if (!merged.op.steps.includes(p.m.step)) merged.op.steps.push(p.m.step);
          } else {
            const s = rule.sequence!;
            const op: Extract<StateOp, { t: 'seq' }> = { t: 'seq', key: this.stateKey(rule, p.groupDigest), member: seqMember(p.timeMs, p.member), tsMs: p.timeMs, steps: [p.m.step], nSteps: s.steps.length, windowMs: s.windowMs, ordered: s.ordered, ttlMs: 4 * s.windowMs + 10 * MIN };
            seqOps.set(key, { op, p });
            phase1.push([op, (r) => this.sequenceDone(out, p, r, phase2)]);
          }
          break;
        }
        case 'first_seen': {
          const value = p.m.value!.get(pointView(this.view, hit));
          if (value === undefined || value === '') break;
          const v = String(scalar(value));
          const f = rule.firstSeen!;
          const key = this.stateKey(rule, p.groupDigest);
          if (this.knownValue(key, v, p.member)) break;
          phase1.push([
            { t: 'first', key, value: v, member: p.member, tsMs: p.timeMs, learnMs: f.learnMs, ttlMs: this.firstSeenTtlMs },
            (r) => {
              if (r.t !== 'first') return;
              this.rememberValue(key, v, r.status === 'new' || r.status === 'again' ? p.member : '');
              if (r.status !== 'new' && r.status !== 'again') return;
              const group = { ...p.group, [f.field]: v };
              const base = { startMs: p.timeMs, evidence: [p.ref] };
              if (rule.ast.suppress) phase2.push(this.raise(out, p, `f:${v}`, p.timeMs, base));
              else this.emit(out, { p, id: alertId(rule.id, ['f', groupKey(p.group), v]), group, ...base }, 0, p.timeMs);
            },
          ]);
          break;
        }
      }
    }
    await this.run(phase1);
    await this.run(phase2);
    return fold(out);
  }

  /**
   * First-seen values this process already knows are in the store: most records carry a
   * value their node has seen (a common JA3), and need no round trip. A value that
   * raised an alert stays checkable by the record that raised it, so a retry of that
   * record still reports the alert again. Entries age out, so a value the store forgot
   * (expired) is relearnt.
   */
  private readonly known = new Map<string, { member: string; until: number }>();

  private knownValue(key: string, value: string, member: string): boolean {
    const k = this.known.get(`${key}\u0000${value}`);
    return k !== undefined && k.until > this.now() && k.member !== member;
  }

  private rememberValue(key: string, value: string, alertingMember: string): void {
    if (this.known.size >= 200_000) this.known.clear();
    this.known.set(`${key}\u0000${value}`, { member: alertingMember, until: this.now() + 600_000 });
  }

  private async run(ops: Array<[StateOp, Then]>): Promise<void> {
    if (ops.length === 0) return;
    const results = await this.o.state.apply(ops.map((o) => o[0]));
    results.forEach((r, i) => {
      if ('status' in r && r.status === 'late') this.stats.late++;
      if ('status' in r && r.status === 'dup') this.stats.duplicates++;
      ops[i]![1](r);
    });
  }

  private prepare(hit: Hit): Prepared {
    const m = hit.m;
    const rule = m.rule;
    const ref = evidenceOf(hit, this.o.evidenceIndex);
    const group: GroupValues = {};
    if (m.group.length > 0) {
      const v = pointView(this.view, hit);
      for (const a of m.group) group[a.name] = scalar(a.get(v));
    }
    return { hit, m, rule, timeMs: eventTimeMs(hit), ref, member: memberOf(ref, hit), group, groupDigest: this.groupDigest(groupKey(group)) };
  }

  /** A hash per windowed match was a visible share of a batch's time; groups repeat. */
  private readonly digests = new Map<string, string>();

  private groupDigest(key: string): string {
    let d = this.digests.get(key);
    if (d === undefined) {
      if (this.digests.size >= 100_000) this.digests.clear();
      d = digest([key], 16);
      this.digests.set(key, d);
    }
    return d;
  }

  private stateKey(rule: CompiledRule, groupDigest: string): string {
    return `${this.o.keyPrefix}det:{${rule.stateId}:${groupDigest}}`;
  }

  private aggregate(out: DetectionOutput, p: Prepared, phase1: Array<[StateOp, Then]>, phase2: Array<[StateOp, Then]>): void {
    const a = p.rule.aggregate!;
    const k = Math.round(a.windowMs / a.bucketMs);
    if (a.fn === 'count') return this.aggregateOne(out, p, k, '', '', p.member, phase1, phase2);
    const x = p.m.value!.get(pointView(this.view, p.hit));
    if (x === undefined) return; // nothing to sum or count distinctly
    if (Array.isArray(x)) {
      // Each element of a list field is its own event of the record.
      for (const y of new Set(x.map(String))) this.aggregateOne(out, p, k, y, '', `${p.member}~${y}`, phase1, phase2);
      return;
    }
    const running = p.m.running ? String(scalar(p.m.running.get(pointView(this.view, p.hit)))) : '';
    this.aggregateOne(out, p, k, String(x), running, p.member, phase1, phase2);
  }

  private aggregateOne(out: DetectionOutput, p: Prepared, k: number, value: string, running: string, member: string, phase1: Array<[StateOp, Then]>, phase2: Array<[StateOp, Then]>): void {
    const rule = p.rule;
    const a = rule.aggregate!;
    const fn = a.fn === 'count' ? 'count' : a.fn === 'sum' ? 'sum' : a.approximate ? 'hll' : 'distinct';
    const op: StateOp = {
      t: 'agg',
      key: this.stateKey(rule, p.groupDigest),
      member,
      bucket: Math.floor(p.timeMs / a.bucketMs),
      k,
      threshold: a.threshold,
      fn,
      value,
      running,
      ttlMs: 4 * a.windowMs + 10 * MIN,
      maxEvidence: this.maxEvidence,
    };
    phase1.push([
      op,
      (r) => {
        if (r.t !== 'agg') return;
        for (const c of r.crossings) {
          const startMs = c.first * a.bucketMs;
          const evidence = dedupeRefs(c.evidence.map(refOfMember));
          if (!evidence.some((e) => e.id === p.ref.id)) evidence.push(p.ref);
          const window = { seconds: a.windowMs / 1000, function: a.fn, field: a.field, value: c.value, threshold: a.threshold, ...(a.approximate ? { approximate: true } : {}) };
          phase2.push(this.raise(out, p, `w:${p.groupDigest}:${c.period}`, c.period * k * a.bucketMs, { startMs, evidence, window }));
        }
      },
    ]);
  }

  private sequenceDone(out: DetectionOutput, p: Prepared, r: StateResult, phase2: Array<[StateOp, Then]>): void {
    if (r.t !== 'seq') return;
    const s = p.rule.sequence!;
    for (const c of r.chains) {
      const evidence = dedupeRefs(c.members.map((m) => refOfMember(seqMemberId(m))));
      const steps = c.members.map((m, i) => ({ step: s.steps[i]!, evidence: refOfMember(seqMemberId(m)).id }));
      const times = c.members.map(seqMemberTime);
      const window = { seconds: s.windowMs / 1000, function: 'sequence' as const, value: c.members.length };
      phase2.push(this.raise(out, p, `q:${p.groupDigest}:${c.period}`, c.period * s.windowMs, { startMs: Math.min(...times), evidence, window, steps }));
    }
  }

  /**
   * A raise through the rule's suppression: the alert of (suppression group, period)
   * is created by its first match and counts the others. `anchorMs` is the time that
   * picks the period: the record's for stateless rules, the window's or chain's period
   * start for windowed ones (so every worker picks the same one).
   */
  private raise(out: DetectionOutput, p: Prepared, member: string, anchorMs: number, parts: Pick<Pending, 'startMs' | 'evidence' | 'window' | 'steps'>): [StateOp, Then] {
    const rule = p.rule;
    const S = rule.suppress!.windowMs;
    const sg: GroupValues = {};
    if (p.m.suppressBy.length > 0) {
      const v = pointView(this.view, p.hit);
      for (const a of p.m.suppressBy) sg[a.name] = scalar(a.get(v));
    }
    const period = Math.floor(anchorMs / S);
    const id = alertId(rule.id, ['s', groupKey(sg), period]);
    const pending: Pending = { p, id, group: rule.type === 'stateless' ? sg : { ...p.group, ...sg }, ...parts };
    return [
      { t: 'raise', key: `${this.o.keyPrefix}det:{a:${id}}`, member, tsMs: p.timeMs, ttlMs: S + 4 * (rule.aggregate?.windowMs ?? rule.sequence?.windowMs ?? 0) + 10 * MIN, cap: 10_000 },
      (r) => {
        const res = r as RaiseResult;
        if (res.status === 'created') this.emit(out, pending, res.suppressed, Math.max(res.lastMs, p.timeMs));
        else if (res.status === 'updated') {
          this.stats.updated++;
          out.updated.push({ id, index: this.o.alertIndex(res.createdMs), ruleId: rule.id, node: p.hit.node, severity: rule.severity, suppressed: res.suppressed, end: isoMs(res.lastMs) });
        }
      },
    ];
  }

  private emit(out: DetectionOutput, a: Pending, suppressed: number, endMs: number): void {
    const v = pointView(this.view, a.p.hit);
    const explanation: AlertExplanation = { conditions: a.p.m.explain(v) };
    if (a.window) explanation.window = a.window;
    if (a.steps) explanation.steps = a.steps;
    const doc = buildAlert({ rule: a.p.rule, id: a.id, view: v, timeMs: a.p.timeMs, startMs: Math.min(a.startMs, a.p.timeMs), endMs, group: a.group, explanation, evidence: a.evidence, suppressed, nowMs: this.now() });
    a.p.rule.alerts++;
    this.stats.created++;
    // The creating record is fixed in the state store, so its time (and this index) is the same on a replay.
    out.created.push({ index: this.o.alertIndex(a.p.timeMs), doc });
  }
}

function dedupeRefs(refs: EvidenceRef[]): EvidenceRef[] {
  const seen = new Set<string>();
  return refs.filter((r) => (seen.has(r.id) ? false : (seen.add(r.id), true)));
}

/** One entry per alert per batch: an alert created and updated in the same batch is one created document. */
function fold(out: DetectionOutput): DetectionOutput {
  if (out.updated.length === 0) return out;
  const created = new Map(out.created.map((c) => [c.doc.event.id, c.doc]));
  const updates = new Map<string, AlertUpdate>();
  for (const u of out.updated) {
    const doc = created.get(u.id);
    if (doc) {
      doc.chot.alert.suppressed = Math.max(doc.chot.alert.suppressed, u.suppressed);
      if (u.end > doc.event.end) doc.event.end = u.end;
      continue;
    }
    const prev = updates.get(u.id);
    if (!prev || u.suppressed > prev.suppressed) updates.set(u.id, u);
  }
  return { created: out.created, updated: [...updates.values()] };
}

/**
 * The stateless hot path: every record (and each of its DNS/HTTP transactions, its TLS
 * and SSH summaries) is shown to its kind's index; the matchers it reaches run their
 * predicate and exceptions. One View is re-pointed per record and matches are written
 * into reused parallel arrays (a HitList), so matching allocates nothing in the steady
 * state, whether records match or not; Hit objects are made later, for the matches the
 * detector turns into state operations and alerts.
 */
import type { Matcher } from '../compile/rule.js';
import { View } from '../fields/view.js';
import type { ConnRecord } from '../../sensor/record.js';
import type { BatchContext, EnforcerRecord, HealthRecord, RecordKind } from '../records.js';
import type { Visitor } from './rule-index.js';
import type { RuleSet } from './ruleset.js';

export interface Hit {
  m: Matcher;
  kind: RecordKind;
  conn: ConnRecord | undefined;
  enforcer: EnforcerRecord | undefined;
  health: HealthRecord | undefined;
  /** Which DNS/HTTP transaction of the record. */
  sub: number;
  node: string;
  sensorId: string;
  seq: number;
  position: number;
}

/**
 * The matches of one call, in parallel arrays reused from call to call: valid until the
 * matcher's next call (the detector materializes them first thing).
 */
export class HitList {
  length = 0;
  readonly m: Matcher[] = [];
  readonly kind: RecordKind[] = [];
  readonly conn: Array<ConnRecord | undefined> = [];
  readonly enforcer: Array<EnforcerRecord | undefined> = [];
  readonly health: Array<HealthRecord | undefined> = [];
  readonly sub: number[] = [];
  readonly position: number[] = [];
  node = '';
  sensorId = '';
  seq = 0;

  push(m: Matcher, v: View): void {
    const i = this.length++;
    this.m[i] = m;
    this.kind[i] = v.kind;
    this.conn[i] = v.conn;
    this.enforcer[i] = v.enforcer;
    this.health[i] = v.health;
    this.sub[i] = v.sub;
    this.position[i] = v.position;
  }

  at(i: number): Hit {
    const h = this.health[i];
    return { m: this.m[i]!, kind: this.kind[i]!, conn: this.conn[i], enforcer: this.enforcer[i], health: h, sub: this.sub[i]!, node: h ? h.node : this.node, sensorId: h ? h.sensorId : this.sensorId, seq: this.seq, position: this.position[i]! };
  }

  toArray(): Hit[] {
    const out: Hit[] = [];
    for (let i = 0; i < this.length; i++) out.push(this.at(i));
    return out;
  }
}

export class StatelessMatcher implements Visitor {
  private readonly view = new View();
  private set!: RuleSet;
  private readonly hits = new HitList();
  private used = 0;

  /** Matches a batch of connection records; returns the hits (rules whose conditions held). */
  matchConn(set: RuleSet, records: readonly ConnRecord[], ctx: BatchContext): HitList {
    this.begin(set, ctx);
    const v = this.view;
    const reads = set.reads;
    const conn = set.index.get('connection');
    const dns = reads.dns ? set.index.get('dns') : undefined;
    const tls = reads.tls ? set.index.get('tls') : undefined;
    const http = reads.http ? set.index.get('http') : undefined;
    const ssh = reads.ssh ? set.index.get('ssh') : undefined;
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      v.position = i;
      v.conn = r;
      if (conn !== undefined) {
        v.reset('connection');
        conn.visit(v, this);
      }
      const app = r.app;
      if (app === undefined) continue;
      if (dns !== undefined && app.dns !== undefined) {
        for (let j = 0; j < app.dns.length; j++) {
          v.reset('dns');
          v.dns = app.dns[j];
          v.sub = j;
          dns.visit(v, this);
        }
      }
      if (tls !== undefined && app.tls !== undefined) {
        v.reset('tls');
        v.tls = app.tls;
        tls.visit(v, this);
      }
      if (http !== undefined && app.http !== undefined) {
        for (let j = 0; j < app.http.length; j++) {
          v.reset('http');
          v.http = app.http[j];
          v.sub = j;
          http.visit(v, this);
        }
      }
      if (ssh !== undefined && app.ssh !== undefined) {
        v.reset('ssh');
        v.ssh = app.ssh;
        ssh.visit(v, this);
      }
    }
    return this.end();
  }

  matchEnforcer(set: RuleSet, records: readonly EnforcerRecord[], ctx: BatchContext): HitList {
    this.begin(set, ctx);
    const idx = set.index.get('enforcer');
    const v = this.view;
    if (idx !== undefined) {
      for (let i = 0; i < records.length; i++) {
        v.reset('enforcer');
        v.position = i;
        v.enforcer = records[i];
        idx.visit(v, this);
      }
    }
    return this.end();
  }

  matchHealth(set: RuleSet, records: readonly HealthRecord[]): HitList {
    this.begin(set, { sensorId: '', seq: 0, node: '' });
    const idx = set.index.get('health');
    const v = this.view;
    if (idx !== undefined) {
      for (let i = 0; i < records.length; i++) {
        const h = records[i]!;
        v.reset('health');
        v.position = i;
        v.health = h;
        v.node = h.node;
        v.sensorId = h.sensorId;
        idx.visit(v, this);
      }
    }
    return this.end();
  }

  consider(m: Matcher, v: View): void {
    if (m.stamp === v.stamp) return;
    m.stamp = v.stamp;
    m.evaluations++;
    if (!m.exact && !m.pred(v)) return;
    const ex = m.exceptions;
    for (let i = 0; i < ex.length; i++) if (ex[i]!(v)) return;
    m.matches++;
    this.hits.push(m, v);
  }

  private begin(set: RuleSet, ctx: BatchContext): void {
    this.set = set;
    const hits = this.hits;
    hits.length = 0;
    hits.node = ctx.node;
    hits.sensorId = ctx.sensorId;
    hits.seq = ctx.seq;
    const v = this.view;
    v.conn = undefined;
    v.enforcer = undefined;
    v.health = undefined;
    v.node = ctx.node;
    v.sensorId = ctx.sensorId;
    v.seq = ctx.seq;
  }

  private end(): HitList {
    const h = this.hits;
    // Drop references to older batches' records beyond this call's matches (capacity is kept).
    for (let i = h.length; i < this.used; i++) {
      h.conn[i] = undefined;
      h.enforcer[i] = undefined;
      h.health[i] = undefined;
    }
    this.used = h.length;
    return h;
  }

  get ruleSet(): RuleSet {
    return this.set;
  }
}

/** Points a view at a hit's record again (to explain it, fill a summary, read its group). */
export function pointView(v: View, h: Hit): View {
  v.reset(h.kind);
  v.conn = h.conn;
  v.enforcer = h.enforcer;
  v.health = h.health;
  v.node = h.node;
  v.sensorId = h.sensorId;
  v.seq = h.seq;
  v.position = h.position;
  v.sub = h.sub;
  const app = h.conn?.app;
  if (h.kind === 'dns') v.dns = app?.dns?.[h.sub];
  else if (h.kind === 'http') v.http = app?.http?.[h.sub];
  else if (h.kind === 'tls') v.tls = app?.tls;
  else if (h.kind === 'ssh') v.ssh = app?.ssh;
  return v;
}

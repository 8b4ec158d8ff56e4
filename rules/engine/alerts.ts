/**
 * Alert documents: the rule's identity and version, the node, the endpoints, the group,
 * the explanation (conditions with the values that met them, the window's count, the
 * sequence's steps) and the evidence ids. Ids are deterministic: a re-raise writes the
 * same document id.
 */
import { SEVERITY_NUMBER, type AlertDocument, type AlertExplanation, type EvidenceRef } from '../alert.js';
import type { CompiledRule } from '../compile/rule.js';
import { SUMMARY_WORDS } from '../language/check.js';
import { formatDuration } from '../language/duration.js';
import { FIELDS } from '../fields/index.js';
import type { View } from '../fields/view.js';
import { observerOf } from '../../common/observer.js';
import { digest, isoMs } from '../util.js';

export type GroupValues = Record<string, string | number>;

/** An alert id: the rule and a digest of what makes this alert this one (group, period, or evidence). */
export function alertId(ruleId: string, parts: ReadonlyArray<string | number>): string {
  return `${ruleId}:${digest([ruleId, ...parts], 22)}`;
}

export function groupKey(g: GroupValues): string {
  return JSON.stringify(Object.entries(g));
}

const MAX_TEXT = 200;

function text(x: unknown): string {
  if (x === undefined || x === null) return '-';
  const s = Array.isArray(x) ? x.slice(0, 5).join(',') : String(x);
  return s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}...` : s;
}

export function renderSummary(rule: CompiledRule, v: View, group: GroupValues, window?: AlertExplanation['window']): string {
  const tpl = rule.ast.summary;
  if (tpl) {
    return tpl.replace(/\{([^}]+)\}/g, (_, name: string) => {
      switch (name) {
        case 'count':
        case 'value':
          return window ? String(Math.round(window.value * 100) / 100) : '1';
        case 'threshold':
          return window?.threshold === undefined ? '-' : String(window.threshold);
        case 'window':
          return window ? formatDuration(window.seconds * 1000) : '-';
        case 'title':
        case 'rule':
          return name === 'title' ? rule.title : rule.id;
        default: {
          if (SUMMARY_WORDS.has(name)) return '';
          const f = FIELDS.get(name)?.kinds.get(v.kind);
          return f ? text(f.get(v)) : '-';
        }
      }
    });
  }
  let g = Object.entries(group)
    .map(([k, x]) => `${k}=${text(x)}`)
    .join(' ');
  // A per-record alert has no group: name its endpoints instead.
  if (!g && v.conn && v.kind !== 'health') g = `${v.conn.origH} → ${v.conn.respH}:${v.conn.respP}`;
  else if (!g && v.enforcer) g = `${v.enforcer.clientIp} → ${v.enforcer.service}`;
  else if (!g && v.health) g = `sensor ${v.health.sensorId} at ${v.health.node}`;
  const w = window ? ` (${Math.round(window.value * 100) / 100}${window.threshold !== undefined ? ` ≥ ${window.threshold}` : ''} in ${formatDuration(window.seconds * 1000)})` : '';
  return `${rule.title}${g ? `: ${g}` : ''}${w}`;
}

export interface AlertParts {
  rule: CompiledRule;
  id: string;
  view: View;
  timeMs: number;
  startMs: number;
  endMs: number;
  group: GroupValues;
  explanation: AlertExplanation;
  evidence: EvidenceRef[];
  suppressed: number;
  nowMs: number;
}

export function buildAlert(p: AlertParts): AlertDocument {
  const { rule, view: v } = p;
  const ast = rule.ast;
  const created = isoMs(p.nowMs);
  const doc: AlertDocument = {
    '@timestamp': isoMs(p.timeMs),
    event: { kind: 'alert', id: p.id, dataset: 'chot.alert', severity: SEVERITY_NUMBER[rule.severity], created, start: isoMs(p.startMs), end: isoMs(p.endMs) },
    rule: { id: rule.id, version: rule.version, name: rule.title, description: rule.description, ruleset: rule.ruleset, mode: rule.mode },
    observer: observerOf(v.node),
    chot: {
      alert: { severity: rule.severity, summary: renderSummary(rule, v, p.group, p.explanation.window), group: p.group, explanation: p.explanation, evidence: p.evidence, suppressed: p.suppressed },
      triage: { status: 'new', tags: [], updatedAt: created },
    },
  };
  if (ast.techniques.length > 0 || ast.tactics.length > 0) {
    doc.threat = { framework: 'MITRE ATT&CK', technique: { id: ast.techniques } };
    if (ast.tactics.length > 0) doc.threat.tactic = { name: ast.tactics };
  }
  const ends = endpoints(v);
  if (ends.source) doc.source = ends.source;
  if (ends.destination) doc.destination = ends.destination;
  return doc;
}

function endpoints(v: View): { source?: { ip?: string; port?: number }; destination?: { ip?: string; port?: number } } {
  if (v.conn && v.kind !== 'health' && v.kind !== 'enforcer') return { source: { ip: v.conn.origH, port: v.conn.origP }, destination: { ip: v.conn.respH, port: v.conn.respP } };
  if (v.enforcer) {
    const e = v.enforcer;
    return { source: { ip: e.clientIp, port: e.clientPort }, destination: e.upstreamIp ? { ip: e.upstreamIp, port: e.upstreamPort } : undefined };
  }
  return {};
}

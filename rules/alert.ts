/**
 * The alert: what a rule raises, as stored in Elasticsearch (`<prefix>-alerts-YYYY.MM.DD`)
 * and pushed to consoles. The rules module owns this type; the collector indexes it and
 * the console reads and triages it. ECS names where ECS has them (rule.*, event.*,
 * observer.*, source/destination, threat.*), Chốt's own under `chot.*`.
 *
 * Every string that came off the wire (names, SNI, hosts, URIs in `summary`,
 * `explanation` and `group`) is attacker-controlled: consumers render it as text only.
 */
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** ECS event.severity numbers for the four levels, so sorting and ranges work in queries. */
export const SEVERITY_NUMBER: Record<Severity, number> = { low: 21, medium: 47, high: 73, critical: 99 };

export const ALERT_STATUSES = ['new', 'acknowledged', 'escalated', 'closed'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

export const VERDICTS = ['true_positive', 'false_positive', 'benign'] as const;
export type Verdict = (typeof VERDICTS)[number];

/** One matched condition, with the value that matched: the "why" shown to an analyst. */
export interface MatchedCondition {
  field: string;
  op: string;
  expected: unknown;
  actual: unknown;
}

export interface AlertExplanation {
  conditions: MatchedCondition[];
  /** For aggregate and sequence rules: the window and what was counted in it. */
  window?: { seconds: number; function: 'count' | 'distinct_count' | 'sum' | 'sequence'; field?: string; value: number; threshold?: number; approximate?: boolean };
  /** For sequences: which step matched which evidence record. */
  steps?: Array<{ step: string; evidence: string }>;
}

/** A record the alert rests on, by its Elasticsearch document id (sensor:seq:position). */
export interface EvidenceRef {
  index: string;
  id: string;
}

export interface TriageState {
  status: AlertStatus;
  assignee?: string;
  tags: string[];
  verdict?: Verdict;
  reason?: string;
  caseId?: string;
  updatedAt: string;
  updatedBy?: string;
}

export interface AlertDocument {
  '@timestamp': string;
  event: {
    kind: 'alert';
    /** The alert id, also the document _id: deterministic (rule, group, window), so a re-raise is idempotent. */
    id: string;
    dataset: 'chot.alert';
    severity: number;
    created: string;
    /** First and last evidence times. */
    start: string;
    end: string;
  };
  rule: {
    id: string;
    /** A hash of the rule's text: which exact version raised it. */
    version: string;
    name: string;
    description: string;
    ruleset: string;
    /** 'alert', or 'log' for rules in log-only (tuning) mode. */
    mode: 'alert' | 'log';
  };
  threat?: { framework: 'MITRE ATT&CK'; technique: { id: string[] }; tactic?: { name: string[] } };
  /** The node whose sensor saw the evidence, with its ancestors for scoping by subtree. */
  observer: { id: string; hierarchy: string[]; province?: string; district?: string; commune?: string };
  source?: { ip?: string; port?: number };
  destination?: { ip?: string; port?: number };
  chot: {
    alert: {
      severity: Severity;
      /** One line for the queue. Contains wire data: text only. */
      summary: string;
      /** The values the rule grouped by (e.g. source.ip). */
      group: Record<string, string | number>;
      explanation: AlertExplanation;
      evidence: EvidenceRef[];
      /** How many further matches `suppress` folded into this alert. */
      suppressed: number;
    };
    triage: TriageState;
  };
}

/**
 * An entry of the alert event stream in Redis (`<keyPrefix>{alerts}:events`): the
 * console's live feed. Its stream entry id is the cursor clients resume from.
 */
export interface AlertEvent {
  type: 'created' | 'updated';
  alertId: string;
  index: string;
  /** The node id, so a console can filter by scope without reading the document. */
  node: string;
  hierarchy: string[];
  severity: Severity;
  ruleId: string;
  status: AlertStatus;
  /** The whole document after the change. */
  doc: AlertDocument;
  /** Who changed it (updates only). */
  by?: string;
}

export function alertEventsStream(keyPrefix: string): string {
  return `${keyPrefix}{alerts}:events`;
}

/**
 * A change the engine made to an alert it raised earlier: more matches folded into it
 * by `suppress`. Apply as a partial update of the stored document (these two fields
 * only) so an analyst's triage is never overwritten.
 */
export interface AlertUpdate {
  id: string;
  index: string;
  ruleId: string;
  node: string;
  severity: Severity;
  /** The new value of chot.alert.suppressed. */
  suppressed: number;
  /** The new value of event.end (ISO 8601). */
  end: string;
}

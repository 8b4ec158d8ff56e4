/**
 * The typed form of a rule, as the parser produces it: every part keeps the position it
 * was written at, so the checker and compiler can report problems there.
 */
import type { Severity } from '../alert.js';
import type { RecordKind } from '../records.js';
import type { Pos } from './diagnostics.js';

/** Tests a leaf can make on a field. */
export const OPS = ['eq', 'ne', 'in', 'prefix', 'suffix', 'contains', 'regex', 'gt', 'gte', 'lt', 'lte', 'cidr', 'in_list', 'exists'] as const;
export type OpName = (typeof OPS)[number];

export interface LeafAst {
  t: 'leaf';
  field: string;
  op: OpName;
  /** As written (scalars, lists); the checker turns it into `values`. */
  raw: unknown;
  /** Typed by the checker: strings, numbers or booleans; canonical IPs; durations in the field's unit. */
  values: Array<string | number | boolean>;
  nocase: boolean;
  pos: Pos;
}

export type CondAst =
  | { t: 'all'; items: CondAst[]; pos: Pos }
  | { t: 'any'; items: CondAst[]; pos: Pos }
  | { t: 'not'; item: CondAst; pos: Pos }
  | LeafAst;

export interface FieldRef {
  name: string;
  pos: Pos;
}

export interface AggregateAst {
  fn: 'count' | 'distinct_count' | 'sum';
  field?: FieldRef;
  by: FieldRef[];
  windowMs: number;
  threshold: number;
  /** distinct_count with HyperLogLog (about 0.8% error) instead of exact sets. */
  approximate: boolean;
  /**
   * sum over a running total: the field is a cumulative counter per this key (a
   * connection's interim records repeat its bytes so far), so only increments count.
   */
  runningTotalPer?: FieldRef;
  pos: Pos;
}

export interface SequenceStepAst {
  name: string;
  kind: RecordKind;
  match: CondAst;
  pos: Pos;
}

export interface SequenceAst {
  by: FieldRef[];
  windowMs: number;
  /** true: step 1 then step 2 ... in time order; false: all steps, any order (Sigma temporal). */
  ordered: boolean;
  steps: SequenceStepAst[];
  pos: Pos;
}

export interface FirstSeenAst {
  field: FieldRef;
  by: FieldRef[];
  /** Values seen during the first `learnMs` of a group's history are learnt, not alerted. */
  learnMs: number;
  pos: Pos;
}

export interface SuppressAst {
  by: FieldRef[];
  windowMs: number;
  pos: Pos;
}

export interface TestRecordAst {
  kind: RecordKind;
  /** Offset from the test's start time, ms; undefined: right after the previous record. */
  atMs: number | undefined;
  repeat: number;
  everyMs: number;
  set: Array<{ field: string; value: unknown; pos: Pos }>;
  pos: Pos;
}

export interface TestCaseAst {
  name: string;
  /** Exact number of alerts expected (0 = must not fire); or at least `min`. */
  alerts?: number;
  min?: number;
  /** The group of the first alert must contain these values. */
  group?: Record<string, string | number>;
  records: TestRecordAst[];
  /** List contents for this case only. */
  lists?: Record<string, string[]>;
  pos: Pos;
}

export interface RuleAst {
  file: string;
  pos: Pos;
  /** The rule's own source text; its hash is the version. */
  text: string;
  version: string;
  id: string;
  title: string;
  description: string;
  severity: Severity;
  techniques: string[];
  tactics: string[];
  kind: RecordKind;
  mode: 'alert' | 'log';
  enabled: boolean;
  match?: CondAst;
  exceptions: CondAst[];
  aggregate?: AggregateAst;
  sequence?: SequenceAst;
  firstSeen?: FirstSeenAst;
  suppress?: SuppressAst;
  summary?: string;
  tags: string[];
  references: string[];
  falsePositives: string[];
  tests: TestCaseAst[];
}

/**
 * The windowed state behind aggregate, sequence, first_seen and suppress, as operations
 * a store applies atomically one by one (Redis: one Lua script each, pipelined per
 * batch; memory: the same algorithms in process, for `chot rules test` and unit tests).
 *
 * The semantics are chosen so that the alerts depend only on which records arrived,
 * never on their order or on which worker handled them ("two workers equal one"):
 *
 * - Time is the records' own time, cut into buckets of 1/12 of a window. A window
 *   ending at bucket e covers buckets e-11..e. When a record arrives, every window that
 *   ends at an occupied bucket and contains it is re-evaluated; a window at or over the
 *   threshold raises the alert of its period (the aligned window-length span its end
 *   falls in), once. Counts only grow, so the set of periods that alert is the same
 *   whatever the arrival order.
 * - Sequences: a chain (one record per step, in time order, within the window) raises
 *   the alert of the period its last record falls in. Whichever record completes a
 *   chain, the same periods alert.
 * - Every record is counted once: the store keeps each record's evidence id with the
 *   window and ignores a repeat (a replayed stream entry). A repeat of the record that
 *   raised an alert reports that alert again, so a crash between raising and indexing
 *   loses nothing (the alert's id is deterministic; indexing it twice is harmless).
 * - Records later than two windows behind the newest one of their group are too late
 *   and ignored (counted as late).
 */

export interface AggregateOp {
  t: 'agg';
  /** Hash-tagged key base of the group's state. */
  key: string;
  member: string;
  bucket: number;
  k: number;
  threshold: number;
  fn: 'count' | 'sum' | 'distinct' | 'hll';
  /** The summed number or the distinct value ('' for count). */
  value: string;
  /** For running totals: the counter's key (a connection uid), else ''. */
  running: string;
  ttlMs: number;
  maxEvidence: number;
}

export interface SequenceOp {
  t: 'seq';
  key: string;
  member: string;
  tsMs: number;
  /** Steps (0-based) this record satisfies. */
  steps: number[];
  nSteps: number;
  windowMs: number;
  ordered: boolean;
  ttlMs: number;
}

export interface FirstSeenOp {
  t: 'first';
  key: string;
  value: string;
  member: string;
  tsMs: number;
  learnMs: number;
  ttlMs: number;
}

/** One more match for an alert: creates it, or folds into it (suppression). */
export interface RaiseOp {
  t: 'raise';
  key: string;
  member: string;
  tsMs: number;
  ttlMs: number;
  /** Members kept for de-duplication beyond this many are only counted. */
  cap: number;
}

export type StateOp = AggregateOp | SequenceOp | FirstSeenOp | RaiseOp;

export interface Crossing {
  period: number;
  value: number;
  /** The bucket the qualifying window ends at. */
  end: number;
  /** The bucket of the window's first counted record. */
  first: number;
  evidence: string[];
}

export type AggregateResult = { t: 'agg'; status: 'ok' | 'dup' | 'late'; crossings: Crossing[] };
export type SequenceResult = { t: 'seq'; status: 'ok' | 'dup' | 'late'; chains: Array<{ period: number; members: string[] }> };
export type FirstSeenResult = { t: 'first'; status: 'new' | 'again' | 'known' | 'learned' };
export type RaiseResult = { t: 'raise'; status: 'created' | 'updated' | 'dup'; suppressed: number; firstMs: number; lastMs: number; /** Time of the record that created the alert. */ createdMs: number };
export type StateResult = AggregateResult | SequenceResult | FirstSeenResult | RaiseResult;

export interface StateStore {
  /** Applies the operations in order; each one is atomic. */
  apply(ops: StateOp[]): Promise<StateResult[]>;
  close?(): Promise<void>;
}

/** Sequence members sort by time, then evidence id: "000001767225600000|<member>". */
export function seqMember(tsMs: number, member: string): string {
  return `${String(Math.max(0, Math.floor(tsMs))).padStart(15, '0')}|${member}`;
}

export function seqMemberTime(m: string): number {
  return Number(m.slice(0, 15));
}

export function seqMemberId(m: string): string {
  return m.slice(16);
}

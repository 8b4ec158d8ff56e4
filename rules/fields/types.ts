/**
 * The field namespace's types. A rule names fields with ECS-style dotted names (the
 * names of the indexed documents, so a console pivot from an alert uses the same
 * names); each field knows its value type, the record kinds that have it, and how to
 * read it from a View (and, for test cases, how to write it into a record).
 */
import type { RecordKind } from '../records.js';
import type { TestTarget } from './target.js';
import type { View } from './view.js';

export type FieldType = 'string' | 'ip' | 'number' | 'bool';

export type Getter = (v: View) => unknown;
export type Setter = (t: TestTarget, value: never) => void;

export interface FieldDef {
  name: string;
  type: FieldType;
  /** The value is a list; a test holds when any element satisfies it. */
  array: boolean;
  /** How numeric literals may be written: durations ("30s") for ns/s/ms fields, sizes ("50MB") for bytes. */
  unit?: 'ns' | 's' | 'ms' | 'bytes';
  /**
   * How many distinct values the field takes, for choosing which test of a rule to
   * index on: an equality on a high-cardinality field narrows the most.
   */
  cardinality: 'high' | 'medium' | 'low';
  /** Derived values that take real work (entropy, registered domain, list mapping): indexed only when nothing cheaper is. */
  costly: boolean;
  doc: string;
  /** Per kind: the record field it reads (documentation) and the getter. */
  kinds: Map<RecordKind, { source: string; get: Getter; set?: Setter }>;
}

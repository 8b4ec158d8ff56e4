/**
 * The structure of a rule document, checked with zod. Conditions (`match`,
 * `exceptions`, sequence steps) and test records are walked by their own parsers; here
 * they are only required to be present in the right shape. Messages say what was
 * expected, in the author's terms.
 */
import { z } from 'zod';
import { SEVERITIES } from '../alert.js';
import { RECORD_KINDS } from '../records.js';
import { parseDurationMs, parseSize } from './duration.js';

export const RULE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

const duration = z.union([z.string(), z.number()]).refine((v) => (parseDurationMs(v) ?? 0) > 0, { message: 'expected a duration such as 30s, 5m, 1h or 7d' });
const fieldName = z.string().regex(/^[@A-Za-z_][A-Za-z0-9_.@]*$/, { message: 'expected a field name such as source.ip' });
const fieldList = z.union([fieldName, z.array(fieldName)]);
const threshold = z.union([z.number(), z.string()]).refine((v) => {
  const n = parseSize(v);
  return n !== undefined && n > 0;
}, { message: 'expected a positive number (sizes like 50MB are allowed)' });
const kind = z.enum(RECORD_KINDS, { message: `expected a record kind: ${RECORD_KINDS.join(', ')}` });
const condition = z.record(z.string(), z.unknown(), { message: 'expected a mapping of conditions (field: value, all:, any:, not:)' });

export const aggregateSchema = z.strictObject({
  function: z.enum(['count', 'distinct_count', 'sum'], { message: 'expected count, distinct_count or sum' }),
  field: fieldName.optional(),
  by: fieldList.default([]),
  window: duration,
  threshold,
  approximate: z.boolean().default(false),
  running_total_per: fieldName.optional(),
});

export const sequenceSchema = z.strictObject({
  by: fieldList.default([]),
  window: duration,
  ordered: z.boolean().default(true),
  steps: z
    .array(z.strictObject({ name: z.string().min(1).optional(), kind: kind.optional(), match: condition }), { message: 'expected a list of steps, each with a match' })
    .min(2, { message: 'expected at least two steps' })
    .max(8, { message: 'expected at most eight steps' }),
});

export const firstSeenSchema = z.strictObject({
  field: fieldName,
  by: fieldList.default([]),
  learn: duration.optional(),
});

export const suppressSchema = z.strictObject({
  by: fieldList.default([]),
  window: duration,
});

const testRecord = z.record(z.string(), z.unknown(), { message: 'expected a test record: a mapping of field: value (or record:, repeat:, every:, at:)' });

export const testSchema = z.strictObject({
  name: z.string().min(1),
  expect: z.union([
    z.literal('alert'),
    z.literal('none'),
    z.strictObject({ alerts: z.number().int().min(0).optional(), min: z.number().int().min(1).optional(), group: z.record(z.string(), z.union([z.string(), z.number()])).optional() }),
  ], { message: 'expected alert, none, or {alerts: N} / {min: N}' }),
  records: z.array(testRecord).min(1, { message: 'expected at least one record' }),
  /** Contents for named lists during this case only (the list must exist; its type is kept). */
  lists: z.record(z.string(), z.array(z.union([z.string(), z.number()]).transform(String))).optional(),
});

export const ruleSchema = z.strictObject({
  id: z.string().regex(RULE_ID, { message: 'expected a rule id: letters, digits, ".", "_" or "-" (at most 100), starting with a letter or digit' }),
  title: z.string().min(1, { message: 'expected a title' }),
  description: z.string().default(''),
  severity: z.enum(SEVERITIES, { message: `expected a severity: ${SEVERITIES.join(', ')}` }),
  mitre: z
    .strictObject({
      techniques: z.array(z.string().regex(/^T\d{4}(\.\d{3})?$/, { message: 'expected an ATT&CK technique id such as T1046 or T1071.004' })).default([]),
      tactics: z.array(z.string()).default([]),
    })
    .optional(),
  kind: kind.optional(),
  mode: z.enum(['alert', 'log'], { message: 'expected alert or log' }).default('alert'),
  enabled: z.boolean().default(true),
  match: condition.optional(),
  exceptions: z.array(condition, { message: 'expected a list of conditions' }).default([]),
  aggregate: aggregateSchema.optional(),
  sequence: sequenceSchema.optional(),
  first_seen: firstSeenSchema.optional(),
  suppress: suppressSchema.optional(),
  summary: z.string().max(300).optional(),
  tags: z.array(z.string()).default([]),
  references: z.array(z.string()).default([]),
  false_positives: z.array(z.string()).default([]),
  tests: z.array(testSchema).default([]),
});

export type RuleDoc = z.infer<typeof ruleSchema>;
export type TestDoc = z.infer<typeof testSchema>;

/** A zod issue as "expected ..." text. */
export function issueMessage(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return `expected ${article(issue.expected)} (missing)`;
      return `expected ${article(issue.expected)}, found ${describe(issue.input)}`;
    case 'unrecognized_keys':
      return `unexpected key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    case 'invalid_value':
      return issue.message.startsWith('expected') ? issue.message : `expected one of: ${issue.values.map(String).join(', ')}`;
    case 'too_small':
      return issue.message.startsWith('expected') ? issue.message : `expected at least ${String(issue.minimum)}${issue.origin === 'string' ? ' characters' : issue.origin === 'array' ? ' items' : ''}`;
    case 'too_big':
      return issue.message.startsWith('expected') ? issue.message : `expected at most ${String(issue.maximum)}${issue.origin === 'string' ? ' characters' : issue.origin === 'array' ? ' items' : ''}`;
    case 'invalid_union':
      // A union of shapes: report the inner problem when every branch fails at the same place.
      return issue.message.startsWith('expected') ? issue.message : 'expected a value of another shape';
    default:
      return issue.message.startsWith('expected') ? issue.message : `expected something else: ${issue.message}`;
  }
}

function article(t: string): string {
  const name = t === 'object' || t === 'record' ? 'mapping' : t === 'array' ? 'list' : t;
  return /^[aeiou]/.test(name) ? `an ${name}` : `a ${name}`;
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `"${v.length > 40 ? `${v.slice(0, 40)}...` : v}"`;
  return String(v);
}

import { isIP } from 'node:net';
import { z } from 'zod';

/** A field name as the user gives it: ECS dotted names, nothing that could be a script or a pattern. */
export const fieldName = z.string().regex(/^[A-Za-z@_][A-Za-z0-9_.@-]{0,127}$/, 'not a field name');
const scalar = z.union([z.string().max(1024), z.number(), z.boolean()]);

/** "10.0.0.0/8", "2001:db8::/32", or a single address. */
export const cidr = z.string().refine((v) => {
  const [addr, bits, extra] = v.split('/');
  if (extra !== undefined || !addr) return false;
  const family = isIP(addr);
  if (!family) return false;
  if (bits === undefined) return true;
  const n = Number(bits);
  return Number.isInteger(n) && n >= 0 && n <= (family === 4 ? 32 : 128);
}, 'not an address or CIDR block');

export const filterSchema = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('is'), field: fieldName, value: scalar }),
  z.strictObject({ op: z.literal('is_not'), field: fieldName, value: scalar }),
  z.strictObject({ op: z.literal('one_of'), field: fieldName, values: z.array(scalar).min(1).max(100) }),
  z.strictObject({ op: z.literal('cidr'), field: fieldName, value: cidr }),
  z.strictObject({ op: z.literal('not_cidr'), field: fieldName, value: cidr }),
  z.strictObject({ op: z.literal('exists'), field: fieldName }),
  z.strictObject({ op: z.literal('missing'), field: fieldName }),
  z.strictObject({ op: z.literal('range'), field: fieldName, gte: z.union([z.number(), z.string().max(64)]).optional(), lte: z.union([z.number(), z.string().max(64)]).optional() }),
]);
export type SearchFilter = z.infer<typeof filterSchema>;

/**
 * What is searched: connection logs, or the subset the population-data policy judged
 * (the enforcer and policy records). Each maps to an index pattern and a base filter.
 */
export const DATASETS = ['conn', 'policy'] as const;

export const searchSpecSchema = z
  .strictObject({
    dataset: z.enum(DATASETS).default('conn'),
    from: z.iso.datetime({ offset: true }),
    to: z.iso.datetime({ offset: true }),
    filters: z.array(filterSchema).max(50).default([]),
    /** A subtree to narrow to (within the user's scope). */
    node: z.string().max(200).optional(),
    size: z.number().int().min(0).max(500).default(100),
    sort: z.enum(['asc', 'desc']).default('desc'),
    histogram: z.boolean().default(true),
    groupBy: z.array(fieldName).max(3).default([]),
    groupSize: z.number().int().min(1).max(100).default(10),
    /** The cursor of the previous page (point in time + position). */
    cursor: z.string().max(8192).optional(),
  })
  .refine((s) => Date.parse(s.from) <= Date.parse(s.to), { message: '"from" must not be after "to"', path: ['from'] });
export type SearchSpec = z.infer<typeof searchSpecSchema>;

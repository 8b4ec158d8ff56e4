import { z } from 'zod';

/** A list in a query string: repeated (?a=1&a=2) or comma-separated (?a=1,2). */
export function csvList<T extends z.ZodType>(item: T, max = 100) {
  return z.preprocess((v) => {
    if (v === undefined || v === '') return undefined;
    const parts = (Array.isArray(v) ? v : [v]).flatMap((x) => String(x).split(','));
    return parts.map((p) => p.trim()).filter(Boolean);
  }, z.array(item).max(max).optional());
}

export const nodeIdParam = z.string().regex(/^[A-Za-z0-9_-]{1,32}(\/[A-Za-z0-9_-]{1,32}){0,15}$/, 'not a node id');
export const isoTime = z.iso.datetime({ offset: true });
export const intParam = (min: number, max: number, dflt: number) => z.coerce.number().int().min(min).max(max).default(dflt);
export const idParam = z.strictObject({ id: z.string().min(1).max(256) });

import type { estypes } from '@elastic/elasticsearch';
import { z } from 'zod';
import { auditPattern } from '../audit/names.js';
import { ROLE_SETS } from '../auth/roles.js';
import { badRequest } from '../http/errors.js';
import { defineRoute, type Route } from '../http/route.js';
import { effectiveSubtree, subtreeFilter } from '../scope.js';
import type { ConsoleServices } from '../services.js';
import { intParam, isoTime } from './common.js';

/**
 * The audit trail, read-only: there is no route that writes, edits or deletes it other
 * than the console recording what users do. Reading it is itself recorded.
 */
export function auditRoutes(svc: ConsoleServices): Route[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/api/audit',
      summary: 'search the audit trail: who did what, when, with how many rows',
      access: ROLE_SETS.audit,
      scope: 'subtree',
      audit: 'audit.search',
      query: z.strictObject({
        user: z.string().min(1).max(64).optional(),
        action: z.string().regex(/^[a-z.]{1,64}$/).optional(),
        alert: z.string().min(1).max(256).optional(),
        from: isoTime.optional(),
        to: isoTime.optional(),
        size: intParam(1, 500, 100),
        after: z.string().max(512).optional(),
      }),
      handler: async (ctx) => {
        const q = ctx.query;
        // A scoped auditor reads what users of their subtree did.
        const filter: estypes.QueryDslQueryContainer[] = [...subtreeFilter(effectiveSubtree(ctx.user))];
        if (q.user) filter.push({ term: { 'user.name': q.user } });
        if (q.action) filter.push({ term: { 'event.action': q.action } });
        if (q.alert) filter.push({ term: { 'chot.audit.target.alert': q.alert } });
        if (q.from || q.to) filter.push({ range: { '@timestamp': { ...(q.from ? { gte: q.from } : {}), ...(q.to ? { lte: q.to } : {}) } } });
        let after: estypes.SortResults | undefined;
        if (q.after) {
          try {
            after = JSON.parse(Buffer.from(q.after, 'base64url').toString('utf8')) as estypes.SortResults;
          } catch {
            throw badRequest('not a valid "after" cursor');
          }
        }
        const res = await svc.es.search<Record<string, unknown>>({
          index: auditPattern(svc.esPrefix),
          ignore_unavailable: true,
          allow_no_indices: true,
          size: q.size,
          track_total_hits: true,
          query: { bool: { filter } },
          sort: [{ '@timestamp': { order: 'desc' } }, { 'event.id': { order: 'asc' } }],
          ...(after ? { search_after: after } : {}),
        });
        const hits = res.hits.hits;
        const last = hits[hits.length - 1];
        ctx.audit.query = q;
        return {
          body: {
            total: typeof res.hits.total === 'number' ? res.hits.total : (res.hits.total?.value ?? 0),
            entries: hits.map((h) => h._source),
            ...(hits.length === q.size && last?.sort ? { after: Buffer.from(JSON.stringify(last.sort)).toString('base64url') } : {}),
          },
          rows: hits.length,
        };
      },
    }),
  ];
}

import { z } from 'zod';
import { ROLE_SETS } from '../auth/roles.js';
import { badRequest } from '../http/errors.js';
import { defineRoute, type Route } from '../http/route.js';
import { effectiveSubtree } from '../scope.js';
import { DEFAULT_COLUMNS, EXPORT_FORMATS, streamExport } from '../search/export.js';
import { fieldName, searchSpecSchema, type SearchSpec } from '../search/spec.js';
import type { ConsoleServices } from '../services.js';
import { csvList } from './common.js';

/** What the audit trail records of a search: the query without its page cursor. */
function auditedQuery(spec: SearchSpec, subtree: string | undefined): Record<string, unknown> {
  const { cursor: _cursor, ...rest } = spec;
  return { ...rest, ...(subtree ? { node: subtree } : {}), page: spec.cursor ? 'next' : 'first' };
}

export function searchRoutes(svc: ConsoleServices): Route[] {
  return [
    defineRoute({
      method: 'POST',
      path: '/api/search',
      summary: 'search connection logs or policy records: filters by field, value, CIDR and time; histogram; group-by counts; pages by cursor',
      access: ROLE_SETS.hunt,
      scope: 'subtree',
      audit: 'search.query',
      body: searchSpecSchema,
      handler: async (ctx) => {
        const subtree = effectiveSubtree(ctx.user, ctx.body.node);
        const result = await svc.search.search(ctx.body, subtree);
        ctx.audit = { query: auditedQuery(ctx.body, subtree), ...(ctx.body.cursor ? {} : { total: result.total }) };
        return { body: result, rows: result.rows.length };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/search/export',
      summary: 'export every row of a search as CSV or NDJSON, streamed; the file and the audit trail record who exported what',
      access: ROLE_SETS.export,
      scope: 'subtree',
      audit: 'search.export',
      query: z.strictObject({ format: z.enum(EXPORT_FORMATS).default('csv'), q: z.string().min(2).max(8_192), columns: csvList(fieldName, 64) }),
      handler: async (ctx) => {
        let raw: unknown;
        try {
          raw = JSON.parse(ctx.query.q);
        } catch {
          throw badRequest('q must be a JSON search');
        }
        const parsed = searchSpecSchema.safeParse(raw);
        if (!parsed.success) throw badRequest(`invalid search in q: ${parsed.error.issues[0]?.message}`, { issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) });
        const spec = parsed.data;
        const subtree = effectiveSubtree(ctx.user, spec.node);
        ctx.audit = { query: auditedQuery(spec, subtree), format: ctx.query.format };
        const columns = ctx.query.columns ?? DEFAULT_COLUMNS;
        return {
          stream: (res) => streamExport(res, { search: svc.search, spec, subtree, format: ctx.query.format, columns, user: ctx.user.name, maxRows: svc.cfg.search.maxExportRows }),
        };
      },
    }),
  ];
}

import { z } from 'zod';
import { indexPattern } from '../../../common/index-names.js';
import { ALERT_STATUSES, SEVERITIES } from '../../../rules/alert.js';
import { GROUP_FIELDS, type AlertFilter, type StoredAlert } from '../alerts/store.js';
import { auditOfTriage, triageChangeSchema, viewOf } from '../alerts/triage.js';
import { auditPattern } from '../audit/names.js';
import { ROLE_SETS } from '../auth/roles.js';
import { badRequest, notFound } from '../http/errors.js';
import { defineRoute, type Route } from '../http/route.js';
import { effectiveSubtree, subtreeFilter } from '../scope.js';
import type { ConsoleServices } from '../services.js';
import { histogramInterval } from '../search/query.js';
import { csvList, idParam, intParam, isoTime, nodeIdParam } from './common.js';

const filterFields = {
  status: csvList(z.enum(ALERT_STATUSES), 4),
  severity: csvList(z.enum(SEVERITIES), 4),
  ruleId: csvList(z.string().min(1).max(200)),
  sourceIp: z.ipv4().or(z.ipv6()).optional(),
  node: nodeIdParam.optional(),
  from: isoTime.optional(),
  to: isoTime.optional(),
};
const listQuery = z.strictObject({ ...filterFields, size: intParam(1, 500, 100), after: z.string().max(512).optional() });
const groupQuery = z.strictObject({ ...filterFields, by: z.enum(Object.keys(GROUP_FIELDS) as [keyof typeof GROUP_FIELDS]), size: intParam(1, 500, 50) });

const bulkFilter = z.strictObject({
  status: z.array(z.enum(ALERT_STATUSES)).max(4).optional(),
  severity: z.array(z.enum(SEVERITIES)).max(4).optional(),
  ruleId: z.array(z.string().min(1).max(200)).max(100).optional(),
  sourceIp: z.ipv4().or(z.ipv6()).optional(),
  node: nodeIdParam.optional(),
});
const BULK_MAX = 1000;

function toFilter(q: { status?: string[]; severity?: string[]; ruleId?: string[]; sourceIp?: string; from?: string; to?: string }): AlertFilter {
  return {
    ...(q.status ? { status: q.status } : {}),
    ...(q.severity ? { severity: q.severity } : {}),
    ...(q.ruleId ? { ruleId: q.ruleId } : {}),
    ...(q.sourceIp ? { sourceIp: q.sourceIp } : {}),
    ...(q.from ? { from: q.from } : {}),
    ...(q.to ? { to: q.to } : {}),
  };
}

export function alertRoutes(svc: ConsoleServices): Route[] {
  const places = (alerts: StoredAlert[]): Record<string, Array<{ id: string; name: string }>> => {
    const out: Record<string, Array<{ id: string; name: string }>> = {};
    for (const a of alerts) out[a.doc.observer.id] ??= svc.places.pathOf(a.doc.observer.id).map((p) => ({ id: p.id, name: p.name }));
    return out;
  };

  return [
    defineRoute({
      method: 'GET',
      path: '/api/alerts',
      summary: 'alerts, newest first, filtered by status, severity, rule, source, node and time',
      access: ROLE_SETS.alertReaders,
      scope: 'subtree',
      audit: 'alert.list',
      query: listQuery,
      handler: async (ctx) => {
        const subtree = effectiveSubtree(ctx.user, ctx.query.node);
        let after: unknown[] | undefined;
        if (ctx.query.after) {
          try {
            after = JSON.parse(Buffer.from(ctx.query.after, 'base64url').toString('utf8')) as unknown[];
          } catch {
            throw badRequest('not a valid "after" cursor');
          }
          if (!Array.isArray(after) || after.length > 3) throw badRequest('not a valid "after" cursor');
        }
        const { total, alerts, lastSort } = await svc.alerts.list({ ...toFilter(ctx.query), ...(ctx.query.node ? { node: ctx.query.node } : {}) }, subtree, ctx.query.size, after);
        ctx.audit.query = ctx.query;
        const next = alerts.length === ctx.query.size && lastSort ? Buffer.from(JSON.stringify(lastSort)).toString('base64url') : undefined;
        return { body: { total, alerts: alerts.map(viewOf), places: places(alerts), ...(next ? { after: next } : {}) }, rows: alerts.length };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/alerts/groups',
      summary: 'alert counts grouped by rule, source or node, with the worst severity of each group',
      access: ROLE_SETS.alertReaders,
      scope: 'subtree',
      audit: 'alert.groups',
      query: groupQuery,
      handler: async (ctx) => {
        const subtree = effectiveSubtree(ctx.user, ctx.query.node);
        const groups = await svc.alerts.groups(ctx.query.by, toFilter(ctx.query), subtree, ctx.query.size);
        ctx.audit.query = ctx.query;
        const names: Record<string, string> = {};
        if (ctx.query.by === 'node') for (const g of groups) names[g.key] = svc.places.pathOf(g.key).map((p) => p.name || p.id).join(' › ');
        return { body: { by: ctx.query.by, groups, names }, rows: groups.length };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/alerts/rate',
      summary: 'alerts raised per minute (or per interval) over the last hours, for the rate chart',
      access: ROLE_SETS.alertReaders,
      scope: 'subtree',
      audit: 'alert.rate',
      query: z.strictObject({ severity: filterFields.severity, node: nodeIdParam.optional(), minutes: intParam(5, 7 * 24 * 60, 60) }),
      handler: async (ctx) => {
        const subtree = effectiveSubtree(ctx.user, ctx.query.node);
        const to = Date.now();
        const from = to - ctx.query.minutes * 60_000;
        const interval = histogramInterval(from, to);
        const buckets = await svc.alerts.rate(ctx.query.severity ? { severity: ctx.query.severity } : {}, subtree, from, to, interval);
        ctx.audit.query = ctx.query;
        return { body: { interval, buckets }, rows: buckets.length };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/alerts/:id',
      summary: 'one alert: the rule and its version, what matched and why, the node and its place',
      access: ROLE_SETS.alertReaders,
      scope: 'subtree',
      audit: 'alert.view',
      params: idParam,
      handler: async (ctx) => {
        const a = await svc.alerts.current(ctx.params.id, effectiveSubtree(ctx.user));
        if (!a) throw notFound(`alert ${ctx.params.id}`);
        ctx.audit.target = { alert: a.id };
        return { body: { ...viewOf(a), place: svc.places.pathOf(a.doc.observer.id) }, rows: 1 };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/alerts/:id/history',
      summary: 'every change and note on an alert: who, when, what and why',
      access: ROLE_SETS.alertReaders,
      scope: 'subtree',
      audit: 'alert.history',
      params: idParam,
      handler: async (ctx) => {
        const a = await svc.alerts.get(ctx.params.id, effectiveSubtree(ctx.user));
        if (!a) throw notFound(`alert ${ctx.params.id}`);
        const res = await svc.es.search<Record<string, unknown>>({
          index: auditPattern(svc.esPrefix),
          ignore_unavailable: true,
          allow_no_indices: true,
          size: 500,
          query: { bool: { filter: [{ term: { 'chot.audit.target.alert': a.id } }, { terms: { 'event.action': ['alert.triage', 'alert.bulk', 'alert.note'] } }, { term: { 'event.outcome': 'success' } }] } },
          sort: [{ '@timestamp': { order: 'asc' } }],
        });
        const entries = res.hits.hits.map((h) => {
          const s = h._source as { '@timestamp': string; user: { name: string }; event: { action: string }; chot: { audit: Record<string, unknown> } };
          return { at: s['@timestamp'], by: s.user.name, action: s.event.action, changes: s.chot.audit.changes ?? {}, reason: s.chot.audit.reason, note: s.chot.audit.note };
        });
        ctx.audit.target = { alert: a.id };
        return { body: { history: entries }, rows: entries.length };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/alerts/:id/evidence',
      summary: 'the connection records the alert rests on',
      access: ROLE_SETS.alertReaders,
      scope: 'subtree',
      audit: 'alert.evidence',
      params: idParam,
      handler: async (ctx) => {
        const subtree = effectiveSubtree(ctx.user);
        const a = await svc.alerts.get(ctx.params.id, subtree);
        if (!a) throw notFound(`alert ${ctx.params.id}`);
        // Only connection indices, whatever an evidence reference names.
        const connPrefix = indexPattern(svc.esPrefix, 'conn').slice(0, -1);
        const refs = (a.doc.chot.alert.evidence ?? []).filter((r) => r.index.startsWith(connPrefix) && /^[a-z0-9._-]+$/.test(r.index)).slice(0, 100);
        ctx.audit.target = { alert: a.id };
        if (refs.length === 0) return { body: { records: [] }, rows: 0 };
        const res = await svc.es.search<Record<string, unknown>>({
          index: [...new Set(refs.map((r) => r.index))].join(','),
          ignore_unavailable: true,
          allow_no_indices: true,
          size: refs.length,
          query: { bool: { filter: [{ ids: { values: refs.map((r) => r.id) } }, ...subtreeFilter(subtree)] } },
        });
        const records = res.hits.hits.map((h) => ({ id: h._id, index: h._index, source: h._source }));
        return { body: { records }, rows: records.length };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/alerts/:id/triage',
      summary: 'change an alert: status, assignee, tags, verdict with a reason, escalation to a case',
      access: ROLE_SETS.triage,
      scope: 'subtree',
      audit: 'alert.triage',
      params: idParam,
      body: triageChangeSchema,
      handler: async (ctx) => {
        const r = await svc.triage.apply(ctx.params.id, ctx.body, ctx.user.name, effectiveSubtree(ctx.user));
        ctx.audit = { ...auditOfTriage([r.alert.id], ctx.body, r.changes), waitForSearch: true };
        return { body: { ...viewOf(r.alert), changes: r.changes, cursor: r.cursor }, rows: 1 };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/alerts/:id/notes',
      summary: 'add a note to an alert (kept in its history)',
      access: ROLE_SETS.triage,
      scope: 'subtree',
      audit: 'alert.note',
      params: idParam,
      body: z.strictObject({ text: z.string().trim().min(1).max(4000) }),
      handler: async (ctx) => {
        const a = await svc.alerts.get(ctx.params.id, effectiveSubtree(ctx.user));
        if (!a) throw notFound(`alert ${ctx.params.id}`);
        ctx.audit = { target: { alert: a.id }, note: ctx.body.text, waitForSearch: true };
        return { status: 201, body: { ok: true }, rows: 1 };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/alerts/bulk',
      summary: 'apply one change to a selection of alerts, or to every alert a filter (a group) selects',
      access: ROLE_SETS.triage,
      scope: 'subtree',
      audit: 'alert.bulk',
      body: z
        .strictObject({ ids: z.array(z.string().min(1).max(256)).min(1).max(BULK_MAX).optional(), filter: bulkFilter.optional(), change: triageChangeSchema })
        .refine((b) => !!b.ids !== !!b.filter, { message: 'give either ids or filter' })
        .refine((b) => b.change.expectUpdatedAt === undefined, { message: 'bulk changes apply to the current state; expectUpdatedAt is per alert' }),
      handler: async (ctx) => {
        const subtree = effectiveSubtree(ctx.user, ctx.body.filter?.node);
        const ids = ctx.body.ids ?? (await svc.alerts.idsOf({ ...toFilter(ctx.body.filter!), ...(ctx.body.filter!.node ? { node: ctx.body.filter!.node } : {}) }, subtree, BULK_MAX));
        const results: Array<{ id: string; ok: boolean; error?: string }> = [];
        const changed: string[] = [];
        let change = ctx.body.change;
        for (const id of ids) {
          try {
            const r = await svc.triage.apply(id, change, ctx.user.name, subtree);
            // The first escalation made the case; the rest of the selection joins it.
            if (change.case && 'title' in change.case && r.alert.doc.chot.triage.caseId) change = { ...change, case: { id: r.alert.doc.chot.triage.caseId } };
            if (Object.keys(r.changes).length) changed.push(id);
            results.push({ id, ok: true });
          } catch (err) {
            results.push({ id, ok: false, error: (err as Error).message });
          }
        }
        ctx.audit = { ...auditOfTriage(changed, ctx.body.change, { ...ctx.body.change }), ...(ctx.body.filter ? { query: ctx.body.filter } : {}), waitForSearch: true };
        return { body: { matched: ids.length, updated: changed.length, failed: results.filter((r) => !r.ok).length, results }, rows: changed.length };
      },
    }),
  ];
}

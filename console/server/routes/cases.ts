import { z } from 'zod';
import { SEVERITIES } from '../../../rules/alert.js';
import type { StoredAlert } from '../alerts/store.js';
import { ROLE_SETS } from '../auth/roles.js';
import { caseChangeSchema, caseView, CASE_STATUSES } from '../cases/store.js';
import { notFound } from '../http/errors.js';
import { defineRoute, type Route } from '../http/route.js';
import { effectiveSubtree, hierarchyOf } from '../scope.js';
import type { ConsoleServices } from '../services.js';
import { idParam, intParam } from './common.js';

const caseReaders = ['analyst', 'auditor'] as const;
const alertIds = z.array(z.string().min(1).max(256)).max(500);

export function caseRoutes(svc: ConsoleServices): Route[] {
  const alertsOf = async (ids: string[], subtree: string | undefined): Promise<StoredAlert[]> => {
    const found = await Promise.all(ids.map((id) => svc.alerts.get(id, subtree)));
    const missing = ids.filter((_, i) => !found[i]);
    if (missing.length) throw notFound(`alert ${missing[0]}`);
    return found as StoredAlert[];
  };

  return [
    defineRoute({
      method: 'GET',
      path: '/api/cases',
      summary: 'cases, most recently changed first',
      access: caseReaders,
      scope: 'subtree',
      audit: 'case.list',
      query: z.strictObject({ status: z.enum(CASE_STATUSES).optional(), size: intParam(1, 500, 100) }),
      handler: async (ctx) => {
        const scope = effectiveSubtree(ctx.user);
        const { total, cases } = await svc.cases.list(scope, ctx.query.status, ctx.query.size);
        ctx.audit.query = ctx.query;
        return { body: { total, cases: cases.map((c) => caseView(c, scope)) }, rows: cases.length };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/cases/:id',
      summary: 'one case with its alerts, observables and comments',
      access: caseReaders,
      scope: 'subtree',
      audit: 'case.view',
      params: idParam,
      handler: async (ctx) => {
        const scope = effectiveSubtree(ctx.user);
        const c = await svc.cases.get(ctx.params.id, scope);
        if (!c) throw notFound(`case ${ctx.params.id}`);
        ctx.audit.target = { case: c.doc.id };
        return { body: { case: caseView(c.doc, scope) }, rows: 1 };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/cases',
      summary: 'open a case, optionally with alerts',
      access: ROLE_SETS.triage,
      scope: 'subtree',
      audit: 'case.create',
      body: z.strictObject({ title: z.string().trim().min(1).max(200), severity: z.enum(SEVERITIES), assignee: z.string().trim().min(1).max(64).optional(), alertIds: alertIds.default([]) }),
      handler: async (ctx) => {
        const scope = effectiveSubtree(ctx.user);
        const alerts = await alertsOf(ctx.body.alertIds, scope);
        const created = await svc.cases.create({ title: ctx.body.title, severity: ctx.body.severity, by: ctx.user.name, alerts, ...(ctx.body.assignee ? { assignee: ctx.body.assignee } : {}) });
        // A scoped analyst's case belongs to their subtree even before it has alerts.
        if (scope && created.doc.hierarchy.length === 0) {
          const updated = await svc.cases.modify(created.doc.id, undefined, ctx.user.name, (d) => (d.hierarchy = hierarchyOf(scope)));
          created.doc = updated.doc;
        }
        ctx.audit.target = { case: created.doc.id };
        return { status: 201, body: { case: caseView(created.doc, scope) }, rows: 1 };
      },
    }),
    defineRoute({
      method: 'PATCH',
      path: '/api/cases/:id',
      summary: 'change a case: title, severity, status, assignee, observables',
      access: ROLE_SETS.triage,
      scope: 'subtree',
      audit: 'case.update',
      params: idParam,
      body: caseChangeSchema,
      handler: async (ctx) => {
        const scope = effectiveSubtree(ctx.user);
        const { expectUpdatedAt, ...change } = ctx.body;
        const c = await svc.cases.modify(ctx.params.id, scope, ctx.user.name, (d) => svc.cases.applyChange(d, change), expectUpdatedAt);
        ctx.audit = { target: { case: c.doc.id }, changes: change };
        return { body: { case: caseView(c.doc, scope) }, rows: 1 };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/cases/:id/alerts',
      summary: 'link alerts to a case',
      access: ROLE_SETS.triage,
      scope: 'subtree',
      audit: 'case.link',
      params: idParam,
      body: z.strictObject({ alertIds: alertIds.min(1) }),
      handler: async (ctx) => {
        const scope = effectiveSubtree(ctx.user);
        const alerts = await alertsOf(ctx.body.alertIds, scope);
        const c = await svc.cases.modify(ctx.params.id, scope, ctx.user.name, (d) => alerts.forEach((a) => svc.cases.linkAlert(d, a)));
        ctx.audit = { target: { case: c.doc.id, alert: ctx.body.alertIds } };
        return { body: { case: caseView(c.doc, scope) }, rows: 1 };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/cases/:id/comments',
      summary: 'comment on a case',
      access: ROLE_SETS.triage,
      scope: 'subtree',
      audit: 'case.comment',
      params: idParam,
      body: z.strictObject({ text: z.string().trim().min(1).max(4000) }),
      handler: async (ctx) => {
        const scope = effectiveSubtree(ctx.user);
        const c = await svc.cases.modify(ctx.params.id, scope, ctx.user.name, (d) => d.comments.push({ by: ctx.user.name, at: new Date().toISOString(), text: ctx.body.text }));
        ctx.audit = { target: { case: c.doc.id }, note: ctx.body.text };
        return { status: 201, body: { case: caseView(c.doc, scope) }, rows: 1 };
      },
    }),
  ];
}

import { z } from 'zod';
import { ALERT_STATUSES, VERDICTS, type AlertDocument, type TriageState } from '../../../rules/alert.js';
import type { AuditDetails } from '../audit/writer.js';
import { badRequest, conflict, notFound } from '../http/errors.js';
import type { AlertEventPublisher } from '../live/publisher.js';
import { alertEventOf } from '../live/publisher.js';
import { AlertConflictError, type AlertStore, type StoredAlert } from './store.js';

const tag = z.string().trim().min(1).max(64);

export const triageChangeSchema = z
  .strictObject({
    status: z.enum(ALERT_STATUSES).optional(),
    assignee: z.union([z.string().trim().min(1).max(64), z.null()]).optional(),
    addTags: z.array(tag).max(20).optional(),
    removeTags: z.array(tag).max(20).optional(),
    verdict: z.enum(VERDICTS).optional(),
    /** Why: required to close, kept in the history for every change. */
    reason: z.string().trim().min(1).max(2000).optional(),
    /** The triage.updatedAt the analyst saw: a change made since is not overwritten. */
    expectUpdatedAt: z.string().max(40).optional(),
    /** With status "escalated": the case to extend, or a title for a new one. */
    case: z.union([z.strictObject({ id: z.string().min(1).max(64) }), z.strictObject({ title: z.string().trim().min(1).max(200) })]).optional(),
  })
  .refine((c) => c.status !== 'closed' || (c.verdict && c.reason), { message: 'closing needs a verdict and a reason', path: ['verdict'] })
  .refine((c) => !c.verdict || c.status === 'closed', { message: 'a verdict is given only when closing', path: ['verdict'] })
  .refine((c) => !c.case || c.status === 'escalated', { message: 'a case is given only when escalating', path: ['case'] });
export type TriageChange = z.infer<typeof triageChangeSchema>;

/** Hooks escalation calls into the cases, kept abstract so triage does not depend on how cases are stored. */
export interface Escalation {
  escalate(alert: StoredAlert, target: TriageChange['case'], by: string, subtree: string | undefined): Promise<string>;
}

export interface TriageResult {
  alert: StoredAlert;
  changes: Record<string, unknown>;
  cursor: string;
}

/**
 * Applies analysts' changes to alerts. Two analysts acting at once never lose an update:
 * each write is conditional on the document's sequence number, and a change based on a
 * triage state the analyst no longer sees (expectUpdatedAt) is refused with the current
 * state, so the loser is told and shown what won. A write that loses only to a change
 * outside triage (the collector folding a repeat into the alert) is simply redone.
 */
export class TriageService {
  constructor(
    private readonly alerts: AlertStore,
    private readonly events: AlertEventPublisher,
    private readonly escalation: Escalation,
  ) {}

  async apply(id: string, change: TriageChange, by: string, subtree: string | undefined): Promise<TriageResult> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const current = await this.alerts.current(id, subtree);
      if (!current) throw notFound(`alert ${id}`);
      const seen = current.doc.chot.triage.updatedAt;
      if (change.expectUpdatedAt !== undefined && change.expectUpdatedAt !== seen) {
        throw conflict(`alert ${id} was changed by ${current.doc.chot.triage.updatedBy ?? 'someone else'} since you loaded it`, { current: viewOf(current) });
      }
      const { triage, changes } = nextTriage(current.doc.chot.triage, change, by);
      if (Object.keys(changes).length === 0) return { alert: current, changes, cursor: '' };
      if (change.status === 'escalated' && change.case) {
        triage.caseId = await this.escalation.escalate(current, change.case, by, subtree);
        // A retry after a lost write extends the same case instead of opening a second one.
        change = { ...change, case: { id: triage.caseId } };
      } else if (change.status === 'escalated' && !current.doc.chot.triage.caseId) throw badRequest('escalating needs a case: give case.id or case.title');
      if (triage.caseId !== current.doc.chot.triage.caseId) changes.caseId = triage.caseId;
      const doc: AlertDocument = { ...current.doc, chot: { ...current.doc.chot, triage } };
      try {
        const written = await this.alerts.replace(current, doc);
        const cursor = await this.events.publish(alertEventOf('updated', written.index, doc, by));
        return { alert: written, changes, cursor };
      } catch (err) {
        if (!(err instanceof AlertConflictError)) throw err;
        // Someone wrote in between. Read again: a change that named the state it was based
        // on is refused above if that state is gone; any other is applied to the new state.
        await new Promise((r) => setTimeout(r, Math.random() * 20 * (attempt + 1)));
      }
    }
    throw conflict(`alert ${id} keeps changing; try again`);
  }
}

/** The next triage state and what changed, field by field (for the history). */
export function nextTriage(prev: TriageState, c: TriageChange, by: string): { triage: TriageState; changes: Record<string, unknown> } {
  const t: TriageState = { ...prev, tags: [...prev.tags] };
  const changes: Record<string, unknown> = {};
  if (c.status && c.status !== prev.status) {
    t.status = c.status;
    changes.status = { from: prev.status, to: c.status };
  }
  if (c.assignee !== undefined && (c.assignee ?? undefined) !== prev.assignee) {
    if (c.assignee === null) delete t.assignee;
    else t.assignee = c.assignee;
    changes.assignee = { from: prev.assignee ?? null, to: c.assignee };
  }
  const tags = new Set(t.tags);
  for (const x of c.addTags ?? []) tags.add(x);
  for (const x of c.removeTags ?? []) tags.delete(x);
  const nextTags = [...tags].sort();
  if (nextTags.join('\n') !== [...prev.tags].sort().join('\n')) {
    changes.tags = { from: prev.tags, to: nextTags };
    t.tags = nextTags;
  }
  if (t.status === 'closed') {
    if (c.verdict && (c.verdict !== prev.verdict || c.reason !== prev.reason || changes.status)) {
      t.verdict = c.verdict;
      t.reason = c.reason!;
      changes.verdict = c.verdict;
    }
  } else if (prev.verdict || prev.reason) {
    // Reopened: the old verdict no longer describes the alert.
    delete t.verdict;
    delete t.reason;
  }
  if (Object.keys(changes).length > 0) {
    // Strictly later than the previous change, so the value identifies one state even within a millisecond.
    const prevMs = Date.parse(prev.updatedAt) || 0;
    t.updatedAt = new Date(Math.max(Date.now(), prevMs + 1)).toISOString();
    t.updatedBy = by;
  }
  return { triage: t, changes };
}

/** What the REST API answers for an alert: the document, where it lives, and its version. */
export function viewOf(a: StoredAlert): { id: string; index: string; doc: AlertDocument } {
  return { id: a.id, index: a.index, doc: a.doc };
}

export function auditOfTriage(ids: string[], change: TriageChange, changes: Record<string, unknown>): AuditDetails {
  return {
    target: { alert: ids.length === 1 ? ids[0]! : ids },
    changes: { ...changes, ...(change.case ? { case: change.case } : {}) },
    ...(change.reason ? { reason: change.reason } : {}),
  };
}

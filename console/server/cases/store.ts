import { randomUUID } from 'node:crypto';
import type { Client, estypes } from '@elastic/elasticsearch';
import { z } from 'zod';
import { SEVERITIES, type Severity } from '../../../rules/alert.js';
import type { StoredAlert } from '../alerts/store.js';
import { casesIndex } from '../audit/names.js';
import { conflict, notFound } from '../http/errors.js';
import { isWithin, subtreeFilter } from '../scope.js';

export const CASE_STATUSES = ['open', 'closed'] as const;

export interface CaseAlertRef {
  id: string;
  index: string;
  node: string;
}

export interface Observable {
  type: string;
  value: string;
}

export interface CaseDocument {
  id: string;
  title: string;
  severity: Severity;
  status: (typeof CASE_STATUSES)[number];
  assignee?: string;
  alerts: CaseAlertRef[];
  /** Every node of every linked alert with its ancestors: who may see the case. */
  hierarchy: string[];
  observables: Observable[];
  comments: Array<{ by: string; at: string; text: string }>;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
}

export interface StoredCase {
  seqNo: number;
  primaryTerm: number;
  doc: CaseDocument;
}

export const caseChangeSchema = z.strictObject({
  title: z.string().trim().min(1).max(200).optional(),
  severity: z.enum(SEVERITIES).optional(),
  status: z.enum(CASE_STATUSES).optional(),
  assignee: z.union([z.string().trim().min(1).max(64), z.null()]).optional(),
  addObservables: z.array(z.strictObject({ type: z.string().min(1).max(32), value: z.string().min(1).max(1024) })).max(100).optional(),
  expectUpdatedAt: z.string().max(40).optional(),
});
export type CaseChange = z.infer<typeof caseChangeSchema>;

const SEVERITY_RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };

/** What an alert brings to a case as observables: its endpoints and the values it grouped by. */
export function observablesOf(a: StoredAlert): Observable[] {
  const out: Observable[] = [];
  if (a.doc.source?.ip) out.push({ type: 'ip', value: a.doc.source.ip });
  if (a.doc.destination?.ip) out.push({ type: 'ip', value: a.doc.destination.ip });
  for (const [k, v] of Object.entries(a.doc.chot.alert.group ?? {})) out.push({ type: k, value: String(v) });
  return out;
}

function mergeObservables(a: Observable[], b: Observable[]): Observable[] {
  const seen = new Set(a.map((o) => `${o.type}\u0000${o.value}`));
  const out = [...a];
  for (const o of b) {
    const k = `${o.type}\u0000${o.value}`;
    if (!seen.has(k)) {
      seen.add(k);
      out.push(o);
    }
  }
  return out;
}

/** Cases: one document each, changed with the same optimistic concurrency as alerts. */
export class CaseStore {
  private readonly index: string;
  constructor(
    private readonly es: Client,
    prefix: string,
  ) {
    this.index = casesIndex(prefix);
  }

  async create(input: { title: string; severity: Severity; assignee?: string; by: string; alerts: StoredAlert[]; observables?: Observable[] }): Promise<StoredCase> {
    const now = new Date().toISOString();
    const doc: CaseDocument = {
      id: randomUUID(),
      title: input.title,
      severity: input.severity,
      status: 'open',
      ...(input.assignee ? { assignee: input.assignee } : {}),
      alerts: input.alerts.map(refOf),
      hierarchy: [...new Set(input.alerts.flatMap((a) => a.doc.observer.hierarchy))],
      observables: mergeObservables(input.observables ?? [], input.alerts.flatMap(observablesOf)),
      comments: [],
      createdAt: now,
      createdBy: input.by,
      updatedAt: now,
      updatedBy: input.by,
    };
    const res = await this.es.index({ index: this.index, id: doc.id, document: doc, op_type: 'create', refresh: 'wait_for' });
    return { seqNo: res._seq_no!, primaryTerm: res._primary_term!, doc };
  }

  async get(id: string, subtree: string | undefined): Promise<StoredCase | undefined> {
    const res = await this.es.search<CaseDocument>({
      index: this.index,
      ignore_unavailable: true,
      allow_no_indices: true,
      seq_no_primary_term: true,
      size: 1,
      query: { bool: { filter: [{ ids: { values: [id] } }, ...subtreeFilter(subtree, 'hierarchy')] } },
    });
    const hit = res.hits.hits[0];
    return hit ? { seqNo: hit._seq_no!, primaryTerm: hit._primary_term!, doc: hit._source! } : undefined;
  }

  async list(subtree: string | undefined, status: string | undefined, size: number): Promise<{ total: number; cases: CaseDocument[] }> {
    const filter: estypes.QueryDslQueryContainer[] = [...subtreeFilter(subtree, 'hierarchy')];
    if (status) filter.push({ term: { status } });
    const res = await this.es.search<CaseDocument>({
      index: this.index,
      ignore_unavailable: true,
      allow_no_indices: true,
      size,
      query: { bool: { filter } },
      sort: [{ updatedAt: { order: 'desc', unmapped_type: 'date' } }],
    });
    const total = typeof res.hits.total === 'number' ? res.hits.total : (res.hits.total?.value ?? 0);
    return { total, cases: res.hits.hits.map((h) => h._source!) };
  }

  /** Reads, changes and writes a case conditionally; retries when someone else wrote in between. */
  async modify(id: string, subtree: string | undefined, by: string, fn: (doc: CaseDocument) => void, expectUpdatedAt?: string): Promise<StoredCase> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.get(id, subtree);
      if (!current) throw notFound(`case ${id}`);
      if (expectUpdatedAt !== undefined && current.doc.updatedAt !== expectUpdatedAt) {
        throw conflict(`case ${id} was changed by ${current.doc.updatedBy} since you loaded it`, { current: current.doc });
      }
      const doc: CaseDocument = structuredClone(current.doc);
      fn(doc);
      doc.updatedAt = new Date(Math.max(Date.now(), Date.parse(current.doc.updatedAt) + 1)).toISOString();
      doc.updatedBy = by;
      try {
        const res = await this.es.index({ index: this.index, id, document: doc, if_seq_no: current.seqNo, if_primary_term: current.primaryTerm, refresh: 'wait_for' });
        return { seqNo: res._seq_no!, primaryTerm: res._primary_term!, doc };
      } catch (err) {
        if ((err as { meta?: { statusCode?: number } }).meta?.statusCode !== 409) throw err;
      }
    }
    throw conflict(`case ${id} keeps changing; try again`);
  }

  applyChange(doc: CaseDocument, c: CaseChange): void {
    if (c.title) doc.title = c.title;
    if (c.severity) doc.severity = c.severity;
    if (c.status) doc.status = c.status;
    if (c.assignee === null) delete doc.assignee;
    else if (c.assignee) doc.assignee = c.assignee;
    if (c.addObservables) doc.observables = mergeObservables(doc.observables, c.addObservables);
  }

  /** Links an alert: its node joins the case's hierarchy, its observables join the case's, severity rises to the worst. */
  linkAlert(doc: CaseDocument, a: StoredAlert): void {
    if (!doc.alerts.some((r) => r.id === a.id)) doc.alerts.push(refOf(a));
    doc.hierarchy = [...new Set([...doc.hierarchy, ...a.doc.observer.hierarchy])];
    doc.observables = mergeObservables(doc.observables, observablesOf(a));
    if (SEVERITY_RANK[a.doc.chot.alert.severity] > SEVERITY_RANK[doc.severity]) doc.severity = a.doc.chot.alert.severity;
    if (doc.status === 'closed') doc.status = 'open';
  }
}

function refOf(a: StoredAlert): CaseAlertRef {
  return { id: a.id, index: a.index, node: a.doc.observer.id };
}

/** A case as a scoped user may see it: linked alerts outside their subtree are left out. */
export function caseView(doc: CaseDocument, scope: string | undefined): CaseDocument {
  if (!scope) return doc;
  return { ...doc, alerts: doc.alerts.filter((r) => isWithin(r.node, scope)), hierarchy: doc.hierarchy.filter((h) => isWithin(h, scope) || isWithin(scope, h)) };
}

import { randomUUID } from 'node:crypto';
import type { Client } from '@elastic/elasticsearch';
import type { Logger } from '../../../common/log.js';
import { hierarchyOf } from '../hierarchy.js';
import { auditIndex } from './names.js';

/** What a route adds to its audit entry. */
export interface AuditDetails {
  query?: unknown;
  target?: Record<string, string | string[]>;
  changes?: Record<string, unknown>;
  reason?: string;
  format?: string;
  note?: string;
  truncated?: boolean;
  /** Rows the query matched in all (rows: how many the user was given). */
  total?: number;
  /** Make the entry searchable before answering (history shown right after a change). */
  waitForSearch?: boolean;
}

export interface AuditEntry extends AuditDetails {
  action: string;
  outcome: 'success' | 'failure';
  user: { name: string; roles: readonly string[]; scope?: string };
  address: string;
  method: string;
  route: string;
  status: number;
  rows?: number;
}

/**
 * Writes the audit trail: who did what, when, to what, and how many rows it returned.
 * Entries are created with op_type=create and a fresh id, and the console has no route
 * that edits or deletes them. A failed write fails the request it records (the caller
 * awaits it before answering): a query that cannot be audited is not answered.
 */
export class AuditWriter {
  constructor(
    private readonly es: Client,
    private readonly prefix: string,
    private readonly log: Logger,
    private readonly onFailure: () => void = () => {},
  ) {}

  async write(e: AuditEntry): Promise<string> {
    const now = Date.now();
    const id = randomUUID();
    const audit: Record<string, unknown> = {};
    if (e.rows !== undefined) audit.rows = e.rows;
    if (e.truncated !== undefined) audit.truncated = e.truncated;
    if (e.total !== undefined) audit.total = e.total;
    if (e.format) audit.format = e.format;
    if (e.reason) audit.reason = e.reason;
    if (e.note) audit.note = e.note;
    if (e.query !== undefined) audit.query = typeof e.query === 'string' ? e.query : JSON.stringify(e.query);
    if (e.target) audit.target = e.target;
    if (e.changes) audit.changes = stringifyLeaves(e.changes);
    const document = {
      '@timestamp': new Date(now).toISOString(),
      event: { id, kind: 'event', dataset: 'chot.console.audit', action: e.action, outcome: e.outcome },
      user: { name: e.user.name, roles: [...e.user.roles], ...(e.user.scope ? { scope: e.user.scope } : {}) },
      ...(isIp(e.address) ? { source: { ip: e.address } } : {}),
      http: { method: e.method, route: e.route, status: e.status },
      observer: { hierarchy: e.user.scope ? hierarchyOf(e.user.scope) : [] },
      chot: { audit },
    };
    try {
      await this.es.index({ index: auditIndex(this.prefix, now), id, document, op_type: 'create', refresh: e.waitForSearch ? 'wait_for' : false });
    } catch (err) {
      this.onFailure();
      this.log.error({ err: (err as Error).message, action: e.action, user: e.user.name }, 'audit entry not written');
      throw err;
    }
    return id;
  }
}

/** Flattened fields hold strings: nested values are kept, leaves become text. */
function stringifyLeaves(v: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (x === undefined) continue;
    if (x !== null && typeof x === 'object' && !Array.isArray(x)) out[k] = stringifyLeaves(x as Record<string, unknown>);
    else out[k] = Array.isArray(x) ? x.map((i) => (typeof i === 'string' ? i : JSON.stringify(i))) : x === null ? 'null' : String(x);
  }
  return out;
}

function isIp(a: string): boolean {
  return /^[0-9a-fA-F:.]+$/.test(a) && a.length > 0;
}

import type { Client } from '@elastic/elasticsearch';
import type { estypes } from '@elastic/elasticsearch';
import { indexPattern } from '../../../common/index-names.js';
import type { AlertDocument } from '../../../rules/alert.js';
import { subtreeFilter } from '../scope.js';

export interface StoredAlert {
  index: string;
  id: string;
  seqNo: number;
  primaryTerm: number;
  doc: AlertDocument;
}

export interface AlertFilter {
  status?: string[];
  severity?: string[];
  ruleId?: string[];
  sourceIp?: string;
  node?: string;
  from?: string;
  to?: string;
  ids?: string[];
}

export const GROUP_FIELDS = { rule: 'rule.id', source: 'source.ip', node: 'observer.id' } as const;
export type GroupBy = keyof typeof GROUP_FIELDS;

export class AlertConflictError extends Error {}

/** Reads and writes alert documents in the daily alert indices. */
export class AlertStore {
  readonly pattern: string;
  constructor(
    private readonly es: Client,
    prefix: string,
  ) {
    this.pattern = indexPattern(prefix, 'alerts');
  }

  /** The bool filter of a list query; the subtree is always applied (the user's scope). */
  filterOf(f: AlertFilter, subtree: string | undefined): estypes.QueryDslQueryContainer[] {
    // Rules in log-only (tuning) mode write their alerts for whoever tunes them, not for the queue.
    const filter: estypes.QueryDslQueryContainer[] = [...subtreeFilter(subtree), { bool: { must_not: { term: { 'rule.mode': 'log' } } } }];
    if (f.status?.length) filter.push({ terms: { 'chot.triage.status': f.status } });
    if (f.severity?.length) filter.push({ terms: { 'chot.alert.severity': f.severity } });
    if (f.ruleId?.length) filter.push({ terms: { 'rule.id': f.ruleId } });
    if (f.sourceIp) filter.push({ term: { 'source.ip': f.sourceIp } });
    if (f.node) filter.push({ term: { 'observer.hierarchy': f.node } });
    if (f.ids?.length) filter.push({ ids: { values: f.ids } });
    if (f.from || f.to) filter.push({ range: { '@timestamp': { ...(f.from ? { gte: f.from } : {}), ...(f.to ? { lte: f.to } : {}) } } });
    return filter;
  }

  async get(id: string, subtree: string | undefined): Promise<StoredAlert | undefined> {
    const res = await this.es.search<AlertDocument>({
      index: this.pattern,
      ignore_unavailable: true,
      allow_no_indices: true,
      seq_no_primary_term: true,
      size: 1,
      query: { bool: { filter: [{ ids: { values: [id] } }, ...subtreeFilter(subtree)] } },
    });
    const hit = res.hits.hits[0];
    return hit ? stored(hit) : undefined;
  }

  /**
   * The alert as it is now, for changing it: located by a search (which applies the
   * scope), then read with a real-time GET, which sees every write at once where a
   * search would still show the state of the last refresh.
   */
  async current(id: string, subtree: string | undefined): Promise<StoredAlert | undefined> {
    let found = await this.get(id, subtree);
    if (!found) {
      // The live feed shows an alert before the next refresh makes it searchable: an
      // analyst acknowledging it at once would be told it does not exist. One refresh
      // on a miss (triage is human-paced) closes that gap; without the privilege, a miss stays one.
      const refreshed = await this.es.indices.refresh({ index: this.pattern, ignore_unavailable: true, allow_no_indices: true }).then(
        () => true,
        () => false,
      );
      if (refreshed) found = await this.get(id, subtree);
      if (!found) return undefined;
    }
    try {
      const res = await this.es.get<AlertDocument>({ index: found.index, id, realtime: true });
      if (!res.found || !res._source) return undefined;
      return { index: found.index, id, seqNo: res._seq_no!, primaryTerm: res._primary_term!, doc: res._source };
    } catch (err) {
      if ((err as { meta?: { statusCode?: number } }).meta?.statusCode === 404) return undefined;
      throw err;
    }
  }

  async list(f: AlertFilter, subtree: string | undefined, size: number, searchAfter?: unknown[]): Promise<{ total: number; alerts: StoredAlert[]; lastSort?: unknown[] }> {
    const res = await this.es.search<AlertDocument>({
      index: this.pattern,
      ignore_unavailable: true,
      allow_no_indices: true,
      seq_no_primary_term: true,
      size,
      track_total_hits: 100_000,
      query: { bool: { filter: this.filterOf(f, subtree) } },
      sort: [{ '@timestamp': { order: 'desc', unmapped_type: 'date' } }, { 'event.id': { order: 'asc', unmapped_type: 'keyword' } }],
      ...(searchAfter ? { search_after: searchAfter as estypes.SortResults } : {}),
    });
    const total = typeof res.hits.total === 'number' ? res.hits.total : (res.hits.total?.value ?? 0);
    const last = res.hits.hits[res.hits.hits.length - 1];
    return { total, alerts: res.hits.hits.map(stored), ...(last?.sort ? { lastSort: last.sort } : {}) };
  }

  /** Counts per group (rule, source or node) with the worst severity in each. */
  async groups(by: GroupBy, f: AlertFilter, subtree: string | undefined, size: number): Promise<Array<{ key: string; count: number; maxSeverity: number }>> {
    const res = await this.es.search({
      index: this.pattern,
      ignore_unavailable: true,
      allow_no_indices: true,
      size: 0,
      query: { bool: { filter: this.filterOf(f, subtree) } },
      aggs: { groups: { terms: { field: GROUP_FIELDS[by], size }, aggs: { worst: { max: { field: 'event.severity' } } } } },
    });
    const buckets = ((res.aggregations?.groups as estypes.AggregationsStringTermsAggregate | undefined)?.buckets ?? []) as Array<{ key: string | number; key_as_string?: string; doc_count: number; worst: { value: number | null } }>;
    return buckets.map((b) => ({ key: b.key_as_string ?? String(b.key), count: b.doc_count, maxSeverity: b.worst.value ?? 0 }));
  }

  /** Alerts raised per interval over a time range (the rate shown above the queue). */
  async rate(f: AlertFilter, subtree: string | undefined, from: number, to: number, interval: string): Promise<Array<{ t: number; count: number }>> {
    const res = await this.es.search({
      index: this.pattern,
      ignore_unavailable: true,
      allow_no_indices: true,
      size: 0,
      query: { bool: { filter: [...this.filterOf(f, subtree), { range: { '@timestamp': { gte: from, lte: to, format: 'epoch_millis' } } }] } },
      aggs: { rate: { date_histogram: { field: '@timestamp', fixed_interval: interval, min_doc_count: 0, extended_bounds: { min: from, max: to } } } },
    });
    const buckets = ((res.aggregations?.rate as estypes.AggregationsDateHistogramAggregate | undefined)?.buckets ?? []) as Array<{ key: number; doc_count: number }>;
    return buckets.map((b) => ({ t: b.key, count: b.doc_count }));
  }

  /** Ids (with their nodes) of every alert a filter selects, for bulk actions; capped. */
  async idsOf(f: AlertFilter, subtree: string | undefined, cap: number): Promise<string[]> {
    const res = await this.es.search({
      index: this.pattern,
      ignore_unavailable: true,
      allow_no_indices: true,
      size: cap,
      _source: false,
      query: { bool: { filter: this.filterOf(f, subtree) } },
      sort: [{ '@timestamp': { order: 'desc', unmapped_type: 'date' } }],
    });
    return res.hits.hits.map((h) => h._id!).filter(Boolean);
  }

  /**
   * Replaces the document if nobody wrote it since it was read (optimistic concurrency
   * on _seq_no/_primary_term; the test cluster has no scripted updates, and none are
   * needed). Throws AlertConflictError when someone did.
   */
  async replace(current: StoredAlert, doc: AlertDocument): Promise<StoredAlert> {
    try {
      const res = await this.es.index({ index: current.index, id: current.id, document: doc, if_seq_no: current.seqNo, if_primary_term: current.primaryTerm });
      return { index: current.index, id: current.id, seqNo: res._seq_no!, primaryTerm: res._primary_term!, doc };
    } catch (err) {
      if ((err as { meta?: { statusCode?: number } }).meta?.statusCode === 409) throw new AlertConflictError(`alert ${current.id} changed since it was read`);
      throw err;
    }
  }
}

function stored(hit: estypes.SearchHit<AlertDocument>): StoredAlert {
  return { index: hit._index, id: hit._id!, seqNo: hit._seq_no!, primaryTerm: hit._primary_term!, doc: hit._source! };
}

import type { Client, estypes } from '@elastic/elasticsearch';
import { decodeCursor, encodeCursor } from './cursor.js';
import { buildQuery, histogramInterval, indexOf } from './query.js';
import type { SearchSpec } from './spec.js';

export interface SearchRow {
  id: string;
  index: string;
  source: Record<string, unknown>;
}

export interface SearchResult {
  total: number;
  rows: SearchRow[];
  histogram?: { interval: string; buckets: Array<{ t: number; count: number }> };
  groups?: Record<string, Array<{ key: string; count: number }>>;
  /** Present while there are more rows: send it back for the next page. */
  cursor?: string;
}

/**
 * Searches over connection logs. Pages go through a point in time with search_after,
 * never a deep `from`, so page 10,000 of a 10-million-row result costs what page 1 did
 * and rows neither repeat nor vanish while new records arrive.
 */
export class SearchService {
  constructor(
    private readonly es: Client,
    private readonly prefix: string,
    private readonly keepAlive: string,
  ) {}

  async search(spec: SearchSpec, subtree: string | undefined): Promise<SearchResult> {
    const query = buildQuery(spec, subtree);
    const index = indexOf(this.prefix, spec.dataset);
    const first = !spec.cursor;
    const aggs: Record<string, estypes.AggregationsAggregationContainer> = {};
    const interval = histogramInterval(Date.parse(spec.from), Date.parse(spec.to));
    if (first && spec.histogram) {
      aggs.histogram = { date_histogram: { field: '@timestamp', fixed_interval: interval, min_doc_count: 0, extended_bounds: { min: Date.parse(spec.from), max: Date.parse(spec.to) } } };
    }
    if (first) spec.groupBy.forEach((field, i) => (aggs[`group${i}`] = { terms: { field, size: spec.groupSize } }));

    let pit: string | undefined;
    let after: unknown[] | undefined;
    if (spec.cursor) ({ pit, after } = decodeCursor(spec.cursor));
    else if (spec.size > 0) pit = await this.openPit(index);

    const res = await this.es.search({
      ...(pit ? { pit: { id: pit, keep_alive: this.keepAlive } } : { index, ignore_unavailable: true, allow_no_indices: true }),
      size: spec.size,
      query,
      track_total_hits: first ? true : false,
      sort: [{ '@timestamp': { order: spec.sort, unmapped_type: 'date' } }, ...(pit ? [{ _shard_doc: { order: spec.sort } }] : [])] as estypes.Sort,
      ...(after ? { search_after: after as estypes.SortResults } : {}),
      ...(Object.keys(aggs).length ? { aggs } : {}),
    });
    const hits = res.hits.hits;
    const out: SearchResult = {
      total: typeof res.hits.total === 'number' ? res.hits.total : (res.hits.total?.value ?? 0),
      rows: hits.map((h) => ({ id: h._id!, index: h._index, source: (h._source ?? {}) as Record<string, unknown> })),
    };
    const aggregations = res.aggregations as Record<string, { buckets?: Array<{ key: string | number; key_as_string?: string; doc_count: number }> }> | undefined;
    if (aggregations?.histogram?.buckets) out.histogram = { interval, buckets: aggregations.histogram.buckets.map((b) => ({ t: Number(b.key), count: b.doc_count })) };
    if (first && spec.groupBy.length) {
      out.groups = {};
      spec.groupBy.forEach((field, i) => (out.groups![field] = (aggregations?.[`group${i}`]?.buckets ?? []).map((b) => ({ key: b.key_as_string ?? String(b.key), count: b.doc_count }))));
    }
    const nextPit = res.pit_id ?? pit;
    if (nextPit && hits.length === spec.size && spec.size > 0) out.cursor = encodeCursor({ pit: nextPit, after: hits[hits.length - 1]!.sort ?? [] });
    else if (nextPit) await this.closePit(nextPit);
    return out;
  }

  /** Every row of a query, in pages, through one point in time (exports). */
  async *scan(spec: Pick<SearchSpec, 'dataset' | 'from' | 'to' | 'filters' | 'sort'>, subtree: string | undefined, opts: { batch: number; source?: string[] }): AsyncGenerator<SearchRow[]> {
    const query = buildQuery(spec, subtree);
    let pit = await this.openPit(indexOf(this.prefix, spec.dataset));
    if (!pit) return;
    let after: estypes.SortResults | undefined;
    try {
      for (;;) {
        const res = await this.es.search({
          pit: { id: pit, keep_alive: this.keepAlive },
          size: opts.batch,
          query,
          track_total_hits: false,
          sort: [{ '@timestamp': { order: spec.sort, unmapped_type: 'date' } }, { _shard_doc: { order: spec.sort } }] as estypes.Sort,
          ...(opts.source ? { _source: opts.source } : {}),
          ...(after ? { search_after: after } : {}),
        });
        if (res.pit_id) pit = res.pit_id;
        const hits = res.hits.hits;
        if (hits.length === 0) return;
        yield hits.map((h) => ({ id: h._id!, index: h._index, source: (h._source ?? {}) as Record<string, unknown> }));
        if (hits.length < opts.batch) return;
        after = hits[hits.length - 1]!.sort!;
      }
    } finally {
      await this.closePit(pit);
    }
  }

  /** A point in time over the indices, or '' when none exist yet (an empty result). */
  private async openPit(index: string): Promise<string> {
    try {
      const res = await this.es.openPointInTime({ index, keep_alive: this.keepAlive, ignore_unavailable: true });
      return res.id;
    } catch (err) {
      if ((err as { meta?: { statusCode?: number } }).meta?.statusCode === 404) return '';
      throw err;
    }
  }

  private async closePit(id: string): Promise<void> {
    if (!id) return;
    await this.es.closePointInTime({ id }).catch(() => {});
  }
}

import type { estypes } from '@elastic/elasticsearch';
import { indexPattern } from '../../../common/index-names.js';
import { subtreeFilter } from '../scope.js';
import type { SearchFilter, SearchSpec } from './spec.js';

type Q = estypes.QueryDslQueryContainer;

export function indexOf(prefix: string, dataset: SearchSpec['dataset']): string {
  // Both datasets live in the connection indices; policy records are those the policy judged.
  void dataset;
  return indexPattern(prefix, 'conn');
}

/**
 * The Elasticsearch query of a search. Only term, terms, range and exists queries are
 * built from user input (a CIDR is a term query on an ip field), so nothing the user
 * types is ever interpreted as a script, a regular expression or query syntax. The
 * user's subtree is always one of the filters.
 */
export function buildQuery(spec: Pick<SearchSpec, 'dataset' | 'from' | 'to' | 'filters'>, subtree: string | undefined): Q {
  const filter: Q[] = [{ range: { '@timestamp': { gte: spec.from, lte: spec.to } } }, ...subtreeFilter(subtree)];
  const mustNot: Q[] = [];
  if (spec.dataset === 'policy') filter.push({ exists: { field: 'chot.population_data' } });
  for (const f of spec.filters) addFilter(f, filter, mustNot);
  return { bool: { filter, must_not: mustNot } };
}

function addFilter(f: SearchFilter, filter: Q[], mustNot: Q[]): void {
  switch (f.op) {
    case 'is':
    case 'cidr':
      filter.push({ term: { [f.field]: f.value } });
      break;
    case 'is_not':
    case 'not_cidr':
      mustNot.push({ term: { [f.field]: f.value } });
      break;
    case 'one_of':
      filter.push({ terms: { [f.field]: f.values } });
      break;
    case 'exists':
      filter.push({ exists: { field: f.field } });
      break;
    case 'missing':
      mustNot.push({ exists: { field: f.field } });
      break;
    case 'range':
      filter.push({ range: { [f.field]: { ...(f.gte !== undefined ? { gte: f.gte } : {}), ...(f.lte !== undefined ? { lte: f.lte } : {}) } } });
      break;
  }
}

const INTERVALS: Array<[string, number]> = [
  ['1s', 1e3], ['5s', 5e3], ['10s', 1e4], ['30s', 3e4], ['1m', 6e4], ['5m', 3e5], ['10m', 6e5], ['30m', 18e5],
  ['1h', 36e5], ['3h', 108e5], ['12h', 432e5], ['1d', 864e5], ['7d', 6048e5],
];

/** A histogram interval giving at most about 120 buckets over the range. */
export function histogramInterval(fromMs: number, toMs: number): string {
  const span = Math.max(1, toMs - fromMs);
  for (const [name, ms] of INTERVALS) if (span / ms <= 120) return name;
  return '30d';
}

import type { Client, estypes } from '@elastic/elasticsearch';
import { indexPattern } from '../../../common/index-names.js';
import { forbidden } from '../http/errors.js';
import { isWithin, subtreeFilter } from '../scope.js';
import type { Places, PlaceNode } from './inventory.js';
import type { SensorDirectory } from './sensors.js';

export interface TopologyChild extends PlaceNode {
  hasChildren: boolean;
  sensors: { total: number; ok: number; silent: number; disconnected: number };
  openAlerts: number;
}

export interface TopologyView {
  node: string;
  path: PlaceNode[];
  children: TopologyChild[];
}

/**
 * One level of the hierarchy with each child's sensor health and open-alert count. A
 * scoped user sees the path down to their scope and, below it, everything; nothing
 * beside it.
 */
export class Topology {
  constructor(
    private readonly es: Client,
    private readonly prefix: string,
    private readonly places: Places,
    private readonly sensors: SensorDirectory,
  ) {}

  async view(node: string, scope: string | undefined): Promise<TopologyView> {
    if (scope && node && !isWithin(node, scope) && !isWithin(scope, node)) throw forbidden(`${node} is outside your scope (${scope})`);
    const all = (await this.sensors.all()).filter((s) => !scope || isWithin(s.node, scope));
    for (const s of all) this.places.learn(s.node);
    const children = this.places.childrenOf(node).filter((c) => !scope || isWithin(c.id, scope) || isWithin(scope, c.id));
    const counts = await this.openAlertCounts(children.map((c) => c.id), scope);
    return {
      node,
      path: node ? this.places.pathOf(node) : [],
      children: children.map((c) => {
        const mine = all.filter((s) => isWithin(s.node, c.id));
        return {
          ...c,
          hasChildren: this.places.childrenOf(c.id).length > 0,
          sensors: {
            total: mine.length,
            ok: mine.filter((s) => s.health === 'ok').length,
            silent: mine.filter((s) => s.health === 'silent').length,
            disconnected: mine.filter((s) => s.health === 'disconnected').length,
          },
          openAlerts: counts.get(c.id) ?? 0,
        };
      }),
    };
  }

  /** Alerts not closed, per child: one terms aggregation over observer.hierarchy, limited to the children's ids. */
  private async openAlertCounts(ids: string[], scope: string | undefined): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (ids.length === 0) return out;
    const res = await this.es.search({
      index: indexPattern(this.prefix, 'alerts'),
      ignore_unavailable: true,
      allow_no_indices: true,
      size: 0,
      query: { bool: { filter: subtreeFilter(scope), must_not: [{ term: { 'chot.triage.status': 'closed' } }] } },
      aggs: { nodes: { terms: { field: 'observer.hierarchy', include: ids, size: ids.length } } },
    });
    const buckets = ((res.aggregations?.nodes as estypes.AggregationsStringTermsAggregate | undefined)?.buckets ?? []) as Array<{ key: string; doc_count: number }>;
    for (const b of buckets) out.set(String(b.key), b.doc_count);
    return out;
  }
}

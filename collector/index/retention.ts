import type { Client } from '@elastic/elasticsearch';
import { dayOfIndex, indexPattern } from '../../common/index-names.js';
import type { TemplateKind } from './names.js';

const DAY_MS = 86_400_000;

/**
 * Deletes the daily indices of the given kinds whose whole day is older than the
 * retention period. Only names that parse as ours are touched; today's index never is.
 */
export async function deleteExpiredIndices(
  client: Client,
  prefix: string,
  retention: Partial<Record<TemplateKind, number>>,
  nowMs = Date.now(),
): Promise<string[]> {
  const deleted: string[] = [];
  for (const [kind, days] of Object.entries(retention) as Array<[TemplateKind, number]>) {
    const rows = (await client.cat.indices({ index: indexPattern(prefix, kind), format: 'json', h: ['index'], expand_wildcards: ['open', 'closed'] })) as Array<{ index?: string }>;
    const cutoff = Math.floor(nowMs / DAY_MS) * DAY_MS - days * DAY_MS;
    const expired = rows
      .map((r) => r.index ?? '')
      .filter((name) => {
        const day = dayOfIndex(prefix, kind, name);
        return day !== undefined && day < cutoff;
      });
    if (expired.length > 0) {
      await client.indices.delete({ index: expired.join(','), ignore_unavailable: true });
      deleted.push(...expired);
    }
  }
  return deleted.sort();
}

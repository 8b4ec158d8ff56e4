import type { Client } from '@elastic/elasticsearch';

type TemplateRequest = Parameters<Client['indices']['putIndexTemplate']>[0];
import { auditPattern, casesIndex } from './names.js';

const keyword = { type: 'keyword', ignore_above: 1024 };
const date = { type: 'date' };

/** Installs the console's index templates; idempotent, run by every instance at start. */
export async function installConsoleTemplates(es: Client, prefix: string): Promise<void> {
  await es.indices.putIndexTemplate(({
    name: `${prefix}-console-audit`,
    index_patterns: [auditPattern(prefix)],
    priority: 200,
    template: {
      // Refreshed often: an analyst's change shows in the alert's history (read from here) as it is answered.
      settings: { number_of_shards: 1, number_of_replicas: 0, refresh_interval: '250ms' },
      mappings: {
        // The trail's shape is fixed: a field nobody declared is refused, not guessed.
        dynamic: 'strict',
        properties: {
          '@timestamp': date,
          event: { properties: { id: keyword, action: keyword, outcome: keyword, dataset: keyword, kind: keyword } },
          user: { properties: { name: keyword, roles: keyword, scope: keyword } },
          source: { properties: { ip: { type: 'ip' } } },
          http: { properties: { method: keyword, route: keyword, status: { type: 'long' } } },
          // The user's scope with its ancestors: a scoped auditor reads the trail of their subtree.
          observer: { properties: { hierarchy: keyword } },
          chot: {
            properties: {
              audit: {
                properties: {
                  rows: { type: 'long' },
                  total: { type: 'long' },
                  truncated: { type: 'boolean' },
                  format: keyword,
                  reason: { type: 'text' },
                  // The query as the user sent it, searchable as text and kept whole.
                  query: { type: 'text' },
                  target: { type: 'flattened' },
                  changes: { type: 'flattened' },
                  note: { type: 'text' },
                },
              },
            },
          },
        },
      },
    },
    _meta: { managed_by: 'chot', description: 'Chốt console audit trail: written by the console, never edited' },
  }) as unknown as TemplateRequest);
  await es.indices.putIndexTemplate(({
    name: `${prefix}-console-cases`,
    index_patterns: [casesIndex(prefix)],
    priority: 200,
    template: {
      settings: { number_of_shards: 1, number_of_replicas: 0, refresh_interval: '1s' },
      mappings: {
        dynamic: 'strict',
        properties: {
          id: keyword,
          title: { type: 'text', fields: { raw: keyword } },
          severity: keyword,
          status: keyword,
          assignee: keyword,
          alerts: { properties: { id: keyword, index: keyword, node: keyword } },
          hierarchy: keyword,
          observables: { properties: { type: keyword, value: keyword } },
          comments: { properties: { by: keyword, at: date, text: { type: 'text', index: false } } },
          createdAt: date,
          createdBy: keyword,
          updatedAt: date,
          updatedBy: keyword,
        },
      },
    },
    _meta: { managed_by: 'chot', description: 'Chốt console cases' },
  }) as unknown as TemplateRequest);
}

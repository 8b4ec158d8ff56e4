import type { Client } from '@elastic/elasticsearch';
import { indexPattern } from '../../common/index-names.js';
import type { TemplateKind } from './names.js';

type Mapping = Record<string, unknown>;
const keyword = { type: 'keyword', ignore_above: 1024 };
const ip = { type: 'ip' };
const long = { type: 'long' };
const date = { type: 'date' };

/** ECS endpoint fields (source/destination). */
const endpoint = { properties: { ip, port: long, bytes: long, packets: long, mac: keyword, domain: keyword } };

/**
 * Types for the ECS fields Chốt writes. ECS says wildcard/match_only_text in places;
 * keyword and text are used instead because every cluster (including the minimal test
 * distribution) has them.
 */
const ecsProperties: Mapping = {
  '@timestamp': date,
  event: {
    properties: {
      id: keyword,
      kind: keyword,
      category: keyword,
      type: keyword,
      dataset: keyword,
      module: keyword,
      action: keyword,
      outcome: keyword,
      reason: { type: 'text' },
      severity: long,
      start: date,
      end: date,
      created: date,
      ingested: date,
      duration: long,
      sequence: long,
    },
  },
  source: endpoint,
  destination: endpoint,
  client: endpoint,
  server: endpoint,
  network: {
    properties: {
      transport: keyword,
      type: keyword,
      protocol: keyword,
      community_id: keyword,
      direction: keyword,
      bytes: long,
      packets: long,
      iana_number: keyword,
      vlan: { properties: { id: keyword } },
      inner: { properties: { vlan: { properties: { id: keyword } } } },
    },
  },
  observer: {
    properties: {
      id: keyword,
      name: keyword,
      hostname: keyword,
      type: keyword,
      version: keyword,
      ingress: { properties: { interface: { properties: { name: keyword } } } },
      // The sensor's place in the hierarchy, for scoping and aggregation.
      province: keyword,
      district: keyword,
      commune: keyword,
    },
  },
  tags: keyword,
  message: { type: 'text' },
};

/** Unknown string fields become keyword; *.ip becomes ip; no date/number sniffing from strings. */
const dynamicTemplates = [
  { ips: { path_match: '*.ip', mapping: ip } },
  { timestamps: { path_match: '*_at', mapping: date } },
  { strings: { match_mapping_type: 'string', mapping: keyword } },
];

const kindSettings: Record<TemplateKind, { settings: Mapping; extra?: Mapping }> = {
  conn: { settings: { refresh_interval: '5s' } },
  // Alerts must be searchable on the console within a second of the packet.
  alerts: {
    settings: { refresh_interval: '1s' },
    extra: {
      rule: { properties: { id: keyword, version: keyword, name: keyword, ruleset: keyword, mode: keyword, description: { type: 'text' } } },
      threat: { properties: { framework: keyword, technique: { properties: { id: keyword } }, tactic: { properties: { name: keyword } } } },
      observer: { properties: { ...(ecsProperties.observer as { properties: Mapping }).properties, hierarchy: keyword } },
      chot: {
        properties: {
          alert: {
            properties: {
              severity: keyword,
              summary: { type: 'text', fields: { raw: keyword } },
              suppressed: long,
              evidence: { properties: { index: keyword, id: keyword } },
              // What matched, with which values: shown, never searched. Its values are of
              // every type (a port here, a domain there), which dynamic mapping would
              // fix by the day's first alert and then refuse the others for.
              explanation: { type: 'object', enabled: false },
              group: { type: 'object', enabled: false },
            },
          },
          triage: { properties: { status: keyword, assignee: keyword, tags: keyword, verdict: keyword, reason: { type: 'text' }, caseId: keyword, updatedAt: date, updatedBy: keyword } },
        },
      },
    },
  },
  health: { settings: { refresh_interval: '5s' } },
  deadletter: {
    settings: { refresh_interval: '5s' },
    // A rejected document is kept whole but not indexed field by field: its shape is what was wrong.
    extra: {
      error: { properties: { type: keyword, reason: { type: 'text' }, status: long } },
      original: { properties: { index: keyword, id: keyword } },
      // The original JSON, stored but not indexed: it may be any shape, even one no mapping accepts.
      document: { type: 'keyword', index: false, doc_values: false },
    },
  },
};

export function indexTemplateBody(prefix: string, kind: TemplateKind, replicas: number): Record<string, unknown> {
  const { settings, extra } = kindSettings[kind];
  return {
    name: `${prefix}-${kind}`,
    index_patterns: [indexPattern(prefix, kind)],
    priority: 200,
    template: {
      settings: { number_of_shards: 1, number_of_replicas: replicas, 'mapping.total_fields.limit': 2000, ...settings },
      mappings: {
        dynamic: true,
        date_detection: false,
        numeric_detection: false,
        dynamic_templates: dynamicTemplates,
        properties: kind === 'deadletter' ? { '@timestamp': date, ...extra } : { ...ecsProperties, ...extra },
      },
    },
    _meta: { managed_by: 'chot', description: `Chốt ${kind} indices` },
  };
}

/** Installs (or updates) the templates; idempotent, run by every collector at start. */
export async function installIndexTemplates(client: Client, prefix: string, kinds: readonly TemplateKind[], replicas = 0): Promise<void> {
  for (const kind of kinds) {
    const body = indexTemplateBody(prefix, kind, replicas) as { name: string } & Record<string, unknown>;
    await client.indices.putIndexTemplate(body as unknown as Parameters<Client['indices']['putIndexTemplate']>[0]);
  }
}

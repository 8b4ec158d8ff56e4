import { randomUUID } from 'node:crypto';
import type { Client } from '@elastic/elasticsearch';
import { dailyIndex } from '../../../common/index-names.js';
import type { RedisClient } from '../../../collector/streams/redis.js';
import { alertEventsStream, SEVERITY_NUMBER, type AlertDocument, type Severity } from '../../../rules/alert.js';
import { encodeAlertEvent } from '../../../console/server/live/event-codec.js';
import { alertEventOf } from '../../../console/server/live/publisher.js';

function hierarchyOf(node: string): string[] {
  const parts = node.split('/');
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
}

export interface AlertSpec {
  node?: string;
  severity?: Severity;
  ruleId?: string;
  ruleName?: string;
  summary?: string;
  sourceIp?: string;
  destinationIp?: string;
  sni?: string;
  dnsName?: string;
  at?: number;
  evidence?: Array<{ index: string; id: string }>;
}

/** An alert document as a detection worker writes it. */
export function makeAlert(s: AlertSpec = {}): AlertDocument {
  const at = new Date(s.at ?? Date.now()).toISOString();
  const node = s.node ?? '01/001/00001';
  const severity = s.severity ?? 'high';
  const parts = node.split('/');
  const group: Record<string, string> = { 'source.ip': s.sourceIp ?? '10.1.2.3' };
  if (s.sni) group['tls.server_name'] = s.sni;
  if (s.dnsName) group['dns.question.name'] = s.dnsName;
  return {
    '@timestamp': at,
    event: { kind: 'alert', id: randomUUID(), dataset: 'chot.alert', severity: SEVERITY_NUMBER[severity], created: at, start: at, end: at },
    rule: { id: s.ruleId ?? 'chot.test.port-scan', version: 'sha256:1f2e3d', name: s.ruleName ?? 'Port scan', description: 'Many ports from one source in a minute', ruleset: 'default', mode: 'alert' },
    observer: { id: node, hierarchy: hierarchyOf(node), province: parts[0]!, ...(parts[1] ? { district: parts[1] } : {}), ...(parts[2] ? { commune: parts[2] } : {}) },
    source: { ip: s.sourceIp ?? '10.1.2.3', port: 51515 },
    destination: { ip: s.destinationIp ?? '10.9.9.9', port: 443 },
    chot: {
      alert: {
        severity,
        summary: s.summary ?? `scan from ${s.sourceIp ?? '10.1.2.3'}${s.sni ? ` to ${s.sni}` : ''}${s.dnsName ? ` asking ${s.dnsName}` : ''}`,
        group,
        explanation: { conditions: [{ field: 'destination.port', op: 'distinct_count>', expected: '20', actual: '37' }], window: { seconds: 60, function: 'distinct_count', field: 'destination.port', value: 37, threshold: 20 } },
        evidence: s.evidence ?? [],
        suppressed: 0,
      },
      triage: { status: 'new', tags: [], updatedAt: at },
    },
  };
}

/**
 * Raises an alert exactly as the collector's detection workers will: the document into
 * the day's alert index with _id = event.id, then a 'created' event on the stream.
 */
export async function raiseAlert(es: Client, redis: RedisClient, esPrefix: string, keyPrefix: string, doc: AlertDocument, opts: { refresh?: boolean } = {}): Promise<{ index: string; cursor: string }> {
  const index = dailyIndex(esPrefix, 'alerts', Date.parse(doc['@timestamp']));
  await es.index({ index, id: doc.event.id, document: doc, op_type: 'create', refresh: opts.refresh ? true : false });
  const cursor = await redis.xadd(alertEventsStream(keyPrefix), '*', ...encodeAlertEvent(alertEventOf('created', index, doc)));
  return { index, cursor: cursor! };
}

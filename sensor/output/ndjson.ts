/**
 * One JSON object per connection record, with Elastic Common Schema names
 * (the Zeek meaning under zeek.connection, Chốt's additions under chot), so
 * Elasticsearch, Kibana and the collector read it without a mapping step.
 */
import { isoMicros } from '../../common/iso-time.js';
import { BufferedFile } from './buffered-file.js';
import type { RowStream } from './zeek-log.js';
import { appEcsEvents } from '../app/logs.js';
import type { ConnRecord } from '../record.js';

/** The ECS document of one record. */
export function toEcs(r: ConnRecord): Record<string, unknown> {
  const endNs = r.tsNsec + r.durationNs;
  const endSec = r.tsSec + Math.floor(endNs / 1e9);
  const network: Record<string, unknown> = {
    transport: r.proto === 'unknown_transport' ? String(r.ipProto) : r.proto,
    iana_number: String(r.ipProto),
    bytes: r.origIpBytes + r.respIpBytes,
    packets: r.origPkts + r.respPkts,
    type: r.origH.includes(':') ? 'ipv6' : 'ipv4',
  };
  if (r.communityId !== undefined) network.community_id = r.communityId;
  if (r.service !== undefined) network.protocol = r.service;
  if (r.vlan !== undefined) network.vlan = { id: String(r.vlan) };
  if (r.innerVlan !== undefined) network.inner = { vlan: { id: String(r.innerVlan) } };
  const start = isoMicros(r.tsSec, r.tsNsec);
  const doc: Record<string, unknown> = {
    '@timestamp': start,
    event: {
      kind: 'event',
      category: ['network'],
      type: r.interim ? ['connection', 'info'] : ['connection', 'end'],
      action: r.interim ? 'connection-interim' : 'connection-end',
      dataset: 'zeek.connection',
      id: r.uid,
      start,
      end: isoMicros(endSec, endNs - Math.floor(endNs / 1e9) * 1e9),
      duration: r.durationNs,
    },
    source: { ip: r.origH, port: r.origP, bytes: r.origIpBytes, packets: r.origPkts },
    destination: { ip: r.respH, port: r.respP, bytes: r.respIpBytes, packets: r.respPkts },
    network,
    zeek: {
      session_id: r.uid,
      connection: {
        state: r.connState,
        history: r.history,
        missed_bytes: r.missedBytes,
        orig_bytes: r.origBytes,
        resp_bytes: r.respBytes,
        ...(r.tunnelParents.length > 0 ? { tunnel_parents: r.tunnelParents } : {}),
      },
    },
  };
  const chot: Record<string, unknown> = { interim: r.interim };
  if (r.mplsLabels.length > 0) chot.mpls = { labels: r.mplsLabels };
  if (r.evicted) chot.evicted = true;
  if (r.weirds.length > 0) chot.weirds = r.weirds;
  if (r.policy !== undefined) chot.population_data = r.policy;
  doc.chot = chot;
  if (r.app !== undefined) {
    // The protocol fields (dns.*, tls.*, http.*, url.*, ssh.*...) of the first event of each kind go
    // on the connection document itself; further ones (more DNS or HTTP transactions) in a list.
    const more: Record<string, unknown>[] = [];
    const seen = new Set<string>();
    for (const ev of appEcsEvents(r.app)) {
      if (!seen.has(ev.dataset) && Object.keys(ev.fields).every((k) => !(k in doc) || k === 'zeek')) {
        seen.add(ev.dataset);
        for (const [k, v] of Object.entries(ev.fields)) {
          if (k === 'zeek' && typeof v === 'object' && v !== null) doc.zeek = { ...(doc.zeek as object), ...(v as object) };
          else doc[k] = v;
        }
      } else more.push({ 'event.dataset': ev.dataset, '@timestamp': isoNs(ev.tsNs), ...ev.fields });
    }
    if (more.length > 0) chot.app_events = more;
  }
  return doc;
}

function isoNs(tsNs: bigint): string {
  const sec = tsNs / 1_000_000_000n;
  return isoMicros(Number(sec), Number(tsNs - sec * 1_000_000_000n));
}

function jsonReplacer(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v;
}

export function ndjsonLine(r: ConnRecord): string {
  const doc = toEcs(r);
  // Without a replacer JSON.stringify takes its fast path; a replacer function is called for
  // every key. Documents hold no BigInt (the collector stringifies them so), but should one,
  // its text is the replacer's.
  try {
    return JSON.stringify(doc);
  } catch {
    return JSON.stringify(doc, jsonReplacer);
  }
}

export class NdjsonWriter {
  private readonly out: BufferedFile;
  rows = 0;

  /** file: a path, or '-' for standard output; or, given a stream, its lines go there. */
  constructor(file: string, stream?: RowStream) {
    this.out = new BufferedFile(file, stream);
  }

  write(r: ConnRecord): void {
    this.rows++;
    this.out.line(ndjsonLine(r));
  }

  flush(): void {
    this.out.flush();
  }

  close(): void {
    this.out.close();
  }
}

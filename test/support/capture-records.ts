import { writeCapture, type Truth, type TrafficOptions } from '../../lab/traffic/generate.js';
import { createAppAnalyzer } from '../../sensor/app/index.js';
import { FileReader } from '../../sensor/capture/file-reader.js';
import { toEcs } from '../../sensor/output/ndjson.js';
import { Pipeline, type PipelineOptions } from '../../sensor/pipeline.js';
import { PopulationDataPolicyChecker } from '../../sensor/policy/population-data.js';
import type { ConnRecord } from '../../sensor/record.js';

/**
 * The lab's population-data policy, as a sensor config's `populationData` section: the
 * service at 198.18.0.10 / fd00:c407::10 port 8443, and the commune LANs as the sanctioned
 * clients (the generator's scenarios break that rule).
 */
export const LAB_POPULATION_DATA = {
  services: [{ name: 'popdata', cidrs: ['198.18.0.10/32', 'fd00:c407::10/128'], ports: [8443] }],
  enforcers: ['198.18.10.0/24', '198.18.16.0/20', 'fd00:c407:0:10::/64'],
};

/**
 * The connection records the sensor makes of a capture file, with every analyzer and the
 * lab's population-data policy. `flows` as in the sensor's config (a uid seed makes the
 * uids those of a sensor replaying the file with the same seed).
 */
export function recordsOfCapture(file: string, flows: PipelineOptions['flows'] = {}): ConnRecord[] {
  const policy = new PopulationDataPolicyChecker(LAB_POPULATION_DATA.services, LAB_POPULATION_DATA.enforcers);
  const records: ConnRecord[] = [];
  const p = new Pipeline({ outputs: [{ record: (r) => records.push(r) }], analyzers: createAppAnalyzer, policy, flows });
  new FileReader(file).readAll(p);
  p.finish();
  return records;
}

/**
 * Connections the sensor makes of a generator capture, from its ground truth alone: one per
 * flow, except that the generator retransmits an unanswered SYN with the next sequence
 * number, which Zeek (and the sensor) takes as a new attempt: one record per SYN.
 */
export function truthConnectionCount(truth: Truth): number {
  return truth.flows.reduce((n, f) => n + (f.proto === 'tcp' && f.resp_pkts === 0 && f.orig_pkts > 1 ? f.orig_pkts : 1), 0);
}

/** The fields of a connection document (ECS, as the sensor writes it and Elasticsearch stores it) that identify it and count it. */
export interface ConnDocument {
  event: { id: string; start: string };
  source: { ip: string; port: number; packets: number; bytes: number };
  destination: { ip: string; port: number; packets: number; bytes: number };
  network: { transport: string; community_id?: string };
  zeek: { connection: { state: string; history: string } };
}

/** One line per connection: uid, 5-tuple, start, community id, and what was counted of it. */
export function connectionKey(d: ConnDocument): string {
  const start = new Date(d.event.start).getTime();
  return [d.event.id, d.network.transport, `${d.source.ip}:${d.source.port}`, `${d.destination.ip}:${d.destination.port}`, start, d.network.community_id ?? '-', d.zeek.connection.state, d.zeek.connection.history, `${d.source.packets}/${d.destination.packets}`, `${d.source.bytes}/${d.destination.bytes}`].join(' ');
}

export function recordKey(r: ConnRecord): string {
  return connectionKey(toEcs(r) as unknown as ConnDocument);
}

/**
 * Compares documents with the records they should be, as multisets of keys: what is
 * missing, what is there that should not be, what is there more than once.
 */
export function compareConnections(docs: ConnDocument[], records: ConnRecord[]): { count: number; missing: string[]; unexpected: string[]; twice: string[] } {
  const want = new Map<string, number>();
  for (const r of records) {
    const k = recordKey(r);
    want.set(k, (want.get(k) ?? 0) + 1);
  }
  const got = new Map<string, number>();
  for (const d of docs) {
    const k = connectionKey(d);
    got.set(k, (got.get(k) ?? 0) + 1);
  }
  const missing = [...want].filter(([k, n]) => (got.get(k) ?? 0) < n).map(([k]) => k);
  const unexpected = [...got].filter(([k]) => !want.has(k)).map(([k]) => k);
  const twice = [...got].filter(([k, n]) => n > (want.get(k) ?? 0) && want.has(k)).map(([k]) => k);
  const cap = (a: string[]): string[] => (a.length > 5 ? [...a.slice(0, 5), `… ${a.length - 5} more`] : a);
  return { count: docs.length, missing: cap(missing), unexpected: cap(unexpected), twice: cap(twice) };
}

/** A generator capture with its truth and the records the sensor makes of it. */
export interface ReplayCapture {
  file: string;
  truth: Truth;
  records: ConnRecord[];
  /** The capture's span in seconds, first packet to last. */
  span: number;
}

/** Writes a generator capture (`chot lab traffic`) and works out what a sensor must make of it. */
export async function replayCapture(file: string, traffic: TrafficOptions, flows: PipelineOptions['flows'] = {}): Promise<ReplayCapture> {
  const truth = await writeCapture(file, traffic);
  const records = recordsOfCapture(file, flows);
  return { file, truth, records, span: truth.capture.last_ts - truth.capture.ts };
}

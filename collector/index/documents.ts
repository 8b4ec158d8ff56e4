import { isoMicros } from '../../common/iso-time.js';
import { observerOf } from '../../common/observer.js';
import { decodeRecords } from '../../sensor/uplink/record-codec.js';
import { toEcs } from '../../sensor/output/ndjson.js';
import type { ConnRecord } from '../../sensor/record.js';
import type { StoredBatch } from '../streams/batch-store.js';
import type { BulkBody } from './bulk-body.js';
import { dailyIndex } from '../../common/index-names.js';

/** The observer of a connection document: the node's place in the hierarchy, seen by a sensor. */
export function observerFields(nodeId: string): Record<string, unknown> {
  return { ...observerOf(nodeId), type: 'sensor' };
}

/**
 * Writes the documents of one stored batch into a bulk body. Ids are sensor + sequence +
 * position, so however often a batch is indexed (retries, a claimed entry) each record
 * exists once. The observer comes from the sensor's certificate (stored with the batch),
 * never from the records.
 *
 * A record without app metadata, which is most of them, is written straight to its JSON
 * text, the same text `JSON.stringify(toEcs(r))` plus observer and ingest time gives (the
 * collector tests hold the two to it); one with app metadata goes through `toEcs`, which
 * owns that mapping.
 */
export function appendBatch(body: BulkBody, prefix: string, batch: StoredBatch, decoded?: readonly ConnRecord[]): void {
  const records = decoded ?? decodeRecords(batch.recordsJson);
  const observer = observerFields(batch.node);
  const observerJson = JSON.stringify(observer);
  const ingested = new Date(batch.receivedMs).toISOString();
  const ingestedJson = JSON.stringify(ingested);
  const actions = new ActionLines(prefix, `${batch.sensorId}:${batch.seq}:`);
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    let line: string;
    let json: string;
    try {
      line = actions.of(r.tsSec, i);
      if (r.app === undefined) json = connDocumentJson(r, observerJson, ingestedJson);
      else {
        const doc = toEcs(r);
        doc.observer = observer;
        (doc.event as Record<string, unknown>).ingested = ingested;
        json = JSON.stringify(doc);
      }
    } catch (err) {
      // A record that cannot be turned into a document must not hold up its stream:
      // it is kept, with the reason, where the dead letters go.
      const id = `${batch.sensorId}:${batch.seq}:${i}`;
      body.add(dailyIndex(prefix, 'deadletter', batch.receivedMs), id, JSON.stringify({
        '@timestamp': ingested,
        error: { status: 0, type: 'record_conversion', reason: (err as Error).message },
        original: { index: dailyIndex(prefix, 'conn', batch.receivedMs), id },
        document: JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)),
      }));
      continue;
    }
    body.addLines(line, json);
  }
}

/**
 * The action lines of one batch's records: the conn index of the record's day and the id
 * `sensor:seq:position`, from a head remembered per day (a batch's records share a day or two).
 */
class ActionLines {
  private sec = NaN;
  private day = NaN;
  private head = '';
  private readonly idJson: string;

  constructor(
    private readonly prefix: string,
    idPrefix: string,
  ) {
    // The id's JSON string without its closing quote: the position (digits) goes after it.
    this.idJson = JSON.stringify(idPrefix).slice(0, -1);
  }

  of(tsSec: number, position: number): string {
    if (tsSec !== this.sec) {
      const day = Math.floor(tsSec / 86_400);
      if (day !== this.day) {
        this.head = `{"create":{"_index":${JSON.stringify(dailyIndex(this.prefix, 'conn', tsSec * 1000))},"_id":${this.idJson}`;
        this.day = day;
      }
      this.sec = tsSec;
    }
    return `${this.head}${position}"}}\n`;
  }
}

/** ISO 8601 text to the second, remembered for the last second asked (records of a batch share seconds). */
/** `toEcs`'s timestamp as JSON text (isoMicros throws for a time past what Date holds, as toEcs does, so such a record is dead-lettered the same way). */
function isoJson(sec: number, nsec: number): string {
  return `"${isoMicros(sec, nsec)}"`;
}

const str = JSON.stringify as (s: string) => string;
/** A number as JSON writes it (non-finite ones as null). */
const num = (n: number): string => (Number.isFinite(n) ? String(n) : 'null');

/**
 * The JSON text of a record without app metadata, field for field and in the same order
 * as `toEcs` builds it, with `event.ingested` and `observer` added where the object path
 * adds them.
 */
function connDocumentJson(r: ConnRecord, observerJson: string, ingestedJson: string): string {
  const endNs = r.tsNsec + r.durationNs;
  const endSec = r.tsSec + Math.floor(endNs / 1e9);
  const start = isoJson(r.tsSec, r.tsNsec);
  const end = isoJson(endSec, endNs - Math.floor(endNs / 1e9) * 1e9);
  let network = `{"transport":${str(r.proto === 'unknown_transport' ? String(r.ipProto) : r.proto)},"iana_number":${str(String(r.ipProto))},"bytes":${num(r.origIpBytes + r.respIpBytes)},"packets":${num(r.origPkts + r.respPkts)},"type":"${r.origH.includes(':') ? 'ipv6' : 'ipv4'}"`;
  if (r.communityId !== undefined) network += `,"community_id":${str(r.communityId)}`;
  if (r.service !== undefined) network += `,"protocol":${str(r.service)}`;
  if (r.vlan !== undefined) network += `,"vlan":{"id":${str(String(r.vlan))}}`;
  if (r.innerVlan !== undefined) network += `,"inner":{"vlan":{"id":${str(String(r.innerVlan))}}}`;
  let chot = `{"interim":${r.interim}`;
  if (r.mplsLabels.length > 0) chot += `,"mpls":{"labels":${JSON.stringify(r.mplsLabels)}}`;
  if (r.evicted) chot += `,"evicted":true`;
  if (r.weirds.length > 0) chot += `,"weirds":${JSON.stringify(r.weirds)}`;
  if (r.policy !== undefined) chot += `,"population_data":${JSON.stringify(r.policy)}`;
  const uid = str(r.uid);
  return (
    `{"@timestamp":${start},` +
    `"event":{"kind":"event","category":["network"],"type":${r.interim ? '["connection","info"]' : '["connection","end"]'},"action":${r.interim ? '"connection-interim"' : '"connection-end"'},"dataset":"zeek.connection","id":${uid},"start":${start},"end":${end},"duration":${num(r.durationNs)},"ingested":${ingestedJson}},` +
    `"source":{"ip":${str(r.origH)},"port":${num(r.origP)},"bytes":${num(r.origIpBytes)},"packets":${num(r.origPkts)}},` +
    `"destination":{"ip":${str(r.respH)},"port":${num(r.respP)},"bytes":${num(r.respIpBytes)},"packets":${num(r.respPkts)}},` +
    `"network":${network}},` +
    `"zeek":{"session_id":${uid},"connection":{"state":${str(r.connState)},"history":${str(r.history)},"missed_bytes":${num(r.missedBytes)},"orig_bytes":${num(r.origBytes)},"resp_bytes":${num(r.respBytes)}${r.tunnelParents.length > 0 ? `,"tunnel_parents":${JSON.stringify(r.tunnelParents)}` : ''}}},` +
    `"chot":${chot}},` +
    `"observer":${observerJson}}`
  );
}

import { decodeRecords } from '../../sensor/uplink/record-codec.js';
import { toEcs } from '../../sensor/output/ndjson.js';
import type { StoredBatch } from '../streams/batch-store.js';
import type { IndexAction } from './bulk.js';
import { dailyIndex } from './names.js';

/**
 * The observer fields of a node, from its id (the path in the inventory, e.g.
 * "01/001/00001"). `observer.hierarchy` lists the node and every ancestor, so "all of a
 * province" is one term query whatever the depth; the named levels follow the path
 * (province first; with three levels district then commune, with two just commune, as
 * after the 2025 reform removed districts).
 */
export function observerOf(nodeId: string): Record<string, unknown> {
  const parts = nodeId.split('/');
  const hierarchy = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  const observer: Record<string, unknown> = { id: nodeId, type: 'sensor', hierarchy, province: parts[0] };
  if (parts.length >= 3) {
    observer.district = parts[1];
    observer.commune = parts[2];
  } else if (parts.length === 2) observer.commune = parts[1];
  return observer;
}

/**
 * The documents of one stored batch. Ids are sensor + sequence + position, so however
 * often a batch is indexed (retries, a claimed entry) each record exists once. The
 * observer comes from the sensor's certificate (stored with the batch), never from
 * the records.
 */
export function batchToActions(prefix: string, batch: StoredBatch): IndexAction[] {
  const records = decodeRecords(batch.recordsJson);
  const observer = observerOf(batch.node);
  const ingested = new Date(batch.receivedMs).toISOString();
  return records.map((r, i) => {
    const id = `${batch.sensorId}:${batch.seq}:${i}`;
    try {
      const doc = toEcs(r);
      doc.observer = observer;
      (doc.event as Record<string, unknown>).ingested = ingested;
      return { index: dailyIndex(prefix, 'conn', r.tsSec * 1000), id, doc };
    } catch (err) {
      // A record that cannot be turned into a document must not hold up its stream:
      // it is kept, with the reason, where the dead letters go.
      return {
        index: dailyIndex(prefix, 'deadletter', batch.receivedMs),
        id,
        doc: {
          '@timestamp': ingested,
          error: { status: 0, type: 'record_conversion', reason: (err as Error).message },
          original: { index: dailyIndex(prefix, 'conn', batch.receivedMs), id },
          document: JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)),
        },
      };
    }
  });
}

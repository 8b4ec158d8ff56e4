import { describe, expect, it } from 'vitest';
import { observerFields } from '../../collector/index/documents.js';
import { toEcs } from '../../sensor/output/ndjson.js';
import { batchMessageSchema, parseBatchMessage } from '../../sensor/uplink/protocol.js';
import { decodeRecords, encodeRecord } from '../../sensor/uplink/record-codec.js';
import { connRecordSchema, passesConnRecordSchema } from '../../sensor/uplink/record-schema.js';
import { sampleRecord } from '../support/records.js';
import { batchItems } from '../support/bulk-items.js';

/** Records as they arrive on the wire (undefined fields absent), covering every optional part. */
function wireRecords(): Record<string, unknown>[] {
  const base = (i: number): Record<string, unknown> => JSON.parse(encodeRecord(sampleRecord(i))) as Record<string, unknown>;
  return [
    base(1),
    { ...base(2), origH: '2001:db8::1', respH: '2001:db8::53', proto: 'udp', ipProto: 17, service: 'dns' },
    { ...base(3), vlan: 100, innerVlan: 4095, mplsLabels: [16, 1_048_575], tunnelParents: ['CTunnel1'] },
    { ...base(4), interim: true, evicted: true, weirds: ['bad_TCP_checksum', 'a "quoted" [weird]'] },
    { ...base(5), proto: 'unknown_transport', ipProto: 47, service: undefined, communityId: undefined },
    { ...base(6), tsNsec: 999_999_999, durationNs: 2_500_000_001, duration: 2.5 },
    { ...base(7), policy: { service: 'population-data', transport: 'tls', tlsVersion: 'TLSv1.3', clientCertificate: true, viaEnforcer: false, bypass: true } },
    { ...base(8), tsSec: 0, tsNsec: 0, ts: 0, history: 'ShAD\\"{[', uid: 'C_-x' },
    { ...base(9), app: { dns: [{ tsNs: '1790000000123456789', query: 'x.vn' }] } },
  ].map((r) => JSON.parse(JSON.stringify(r)) as Record<string, unknown>);
}

/** Ways to break a record, each of which the schema refuses or accepts on its own terms. */
const MUTATIONS: Array<[string, unknown]> = [
  ['ts', -1], ['ts', 'x'], ['ts', 1e400], ['tsSec', 1.5], ['tsSec', -1], ['tsSec', 2 ** 53], ['tsNsec', 1_000_000_000], ['tsNsec', -1],
  ['uid', ''], ['uid', 'C!'], ['uid', 'x'.repeat(65)], ['uid', 'x'.repeat(64)], ['uid', 5],
  ['origH', '1'], ['origH', 'host.example'], ['origH', 'a'.repeat(46)], ['respH', null], ['origP', 65536], ['origP', -1], ['respP', 1.2], ['respP', '80'],
  ['proto', 'sctp'], ['ipProto', 256], ['service', 'x'.repeat(65)], ['service', 'x'.repeat(64)], ['service', null], ['duration', -0.1], ['durationNs', 0.5],
  ['origBytes', -5], ['respBytes', '1'], ['connState', 'XX'], ['connState', 'RSTOS0'], ['missedBytes', null], ['history', 'h'.repeat(257)], ['history', 'h'.repeat(256)], ['history', 7],
  ['origPkts', true], ['origIpBytes', 1e20], ['respPkts', Infinity], ['respIpBytes', undefined],
  ['tunnelParents', Array(9).fill('C')], ['tunnelParents', ['x'.repeat(65)]], ['tunnelParents', 'C'], ['tunnelParents', [1]],
  ['vlan', 4096], ['vlan', '1'], ['innerVlan', -1], ['mplsLabels', [1_048_576]], ['mplsLabels', Array(17).fill(1)], ['mplsLabels', {}],
  ['communityId', 'x'.repeat(65)], ['communityId', 1], ['interim', 'false'], ['evicted', 0], ['weirds', Array(65).fill('w')], ['weirds', ['w'.repeat(65)]], ['weirds', null],
  ['app', []], ['app', null], ['app', 'dns'], ['app', { dns: 1 }], ['policy', {}], ['policy', { service: 's', transport: 'ssh', viaEnforcer: false, bypass: false }],
  ['policy', { service: 's', transport: 'tls', viaEnforcer: false, bypass: false, extra: 1 }], ['extra', 1], ['__proto__', {}],
];

describe('the fast record check', () => {
  it('accepts every well-formed record the schema accepts', () => {
    for (const r of wireRecords()) {
      expect(connRecordSchema.safeParse(r).success).toBe(true);
      expect(passesConnRecordSchema(r)).toBe(true);
    }
  });

  it('never accepts a record the schema refuses (every field, wrong type, out of range, extra or missing)', () => {
    const cases: unknown[] = [null, [], 'record', 5];
    for (const r of wireRecords()) {
      for (const [key, value] of MUTATIONS) cases.push(JSON.parse(JSON.stringify({ ...r, [key]: value })) as unknown);
      for (const key of Object.keys(r)) {
        const missing = { ...r };
        delete missing[key];
        cases.push(missing);
      }
      cases.push(JSON.parse(`{"__proto__":{"x":1},${JSON.stringify(r).slice(1)}`) as unknown);
    }
    let refused = 0;
    for (const c of cases) {
      const schema = connRecordSchema.safeParse(c).success;
      if (!schema) refused++;
      if (passesConnRecordSchema(c)) expect({ record: c, schema }).toEqual({ record: c, schema: true });
    }
    expect(refused).toBeGreaterThan(cases.length / 2);
  });

  it('gives batches the schema verdict, with its reason when refused', () => {
    const records = wireRecords();
    const ok = { type: 'batch', seq: 3, sensor: '01/001/00001', records };
    expect(parseBatchMessage(ok)).toMatchObject({ success: true });
    for (const bad of [
      { ...ok, seq: -1 }, { ...ok, seq: 1.5 }, { ...ok, sensor: 'x'.repeat(201) }, { ...ok, records: [] }, { ...ok, extra: 1 }, { ...ok, type: 'heartbeat' },
      { ...ok, records: [...records, { ...records[0], uid: '' }] },
    ]) {
      const fast = parseBatchMessage(bad);
      const schema = batchMessageSchema.safeParse(bad);
      expect(fast.success).toBe(false);
      expect(schema.success).toBe(false);
      if (!fast.success && !schema.success) expect(fast.error.issues).toEqual(schema.error.issues);
    }
  });
});

describe('connection documents written directly', () => {
  it('are the text JSON.stringify gives for toEcs with observer and ingest time', () => {
    const receivedMs = Date.UTC(2026, 10, 23, 12, 0, 0, 123);
    for (const node of ['01/001/00001', '01/00001', '01']) {
      // Records with app metadata take toEcs itself; the app fields above are only shaped for the schema.
      const recordsJson = JSON.stringify(wireRecords().filter((r) => r.app === undefined));
      const actions = batchItems('chot-x', { sensorId: 's', seq: 9, node, receivedMs, count: 8, recordsJson });
      decodeRecords(recordsJson).forEach((r, i) => {
        const doc = toEcs(r);
        doc.observer = observerFields(node);
        (doc.event as Record<string, unknown>).ingested = new Date(receivedMs).toISOString();
        const a = actions[i]!;
        expect(a.id).toBe(`s:9:${i}`);
        expect(a.index).toBe(`chot-x-conn-${new Date(r.tsSec * 1000).toISOString().slice(0, 10).replace(/-/g, '.')}`);
        expect(a.json).toBe(JSON.stringify(doc));
      });
    }
  });

  it('send a record whose time Date cannot hold to the dead letters, as toEcs does', () => {
    const r = { ...wireRecords()[0], tsSec: 9e15 };
    expect(() => toEcs(r as never)).toThrow();
    const [a] = batchItems('chot-x', { sensorId: 's', seq: 1, node: '01', receivedMs: Date.UTC(2026, 0, 2), count: 1, recordsJson: JSON.stringify([r]) });
    expect(a!.index).toBe('chot-x-deadletter-2026.01.02');
  });
});

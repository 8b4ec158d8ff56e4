import { describe, expect, it } from 'vitest';
import { DecodedBatches, entryKey } from '../../collector/streams/decoded-batches.js';
import { encodeBatchFrame, parseBatchMessage, readBatchFrame } from '../../sensor/uplink/protocol.js';
import { encodeRecord } from '../../sensor/uplink/record-codec.js';
import type { ConnRecord } from '../../sensor/record.js';
import { sampleRecord } from '../support/records.js';

const recordsJson = (rs: ConnRecord[]): Buffer => Buffer.from(`[${rs.map(encodeRecord).join(',')}]`);

describe('batch frames: the sensor frames spooled bytes, the collector reads the records without re-serialising', () => {
  it('is the JSON message {type, seq, sensor, records}, and reads back to the same records and the same bytes', () => {
    const rs = [sampleRecord(1), sampleRecord(2), { ...sampleRecord(3), app: { dns: [{ tsNs: 1_790_000_000_123_456_789n, rttNs: 12n, query: 'ví-dụ.vn' }] } } as unknown as ConnRecord];
    const json = recordsJson(rs);
    const frame = encodeBatchFrame(42, '01/001/00001', json);
    const asJson = JSON.parse(frame.toString('utf8'));
    expect(Object.keys(asJson)).toEqual(['type', 'seq', 'sensor', 'records']);
    expect(asJson).toMatchObject({ type: 'batch', seq: 42, sensor: '01/001/00001' });
    expect(parseBatchMessage(asJson).success).toBe(true);
    const read = readBatchFrame(frame)!;
    expect(read.seq).toBe(42);
    expect(read.sensor).toBe('01/001/00001');
    expect(read.recordsJson.equals(json)).toBe(true);
    expect(read.records).toEqual(asJson.records);
  });

  it('leaves every other shape to the general path (undefined), which still accepts or refuses it with a reason', () => {
    const json = recordsJson([sampleRecord(1)]);
    const good = encodeBatchFrame(7, 's1', json).toString('utf8');
    const cases: Record<string, string> = {
      'another key order': `{"type":"batch","sensor":"s1","seq":7,"records":${json}}`,
      'whitespace after': `${good} `,
      'an extra key after the records': `${good.slice(0, -1)},"x":1}`,
      'a leading zero': good.replace('"seq":7', '"seq":07'),
      'no sequence': good.replace('"seq":7', '"seq":'),
      'an escaped sensor id': encodeBatchFrame(7, 'a"b', json).toString('utf8'),
      'records that are not JSON': good.replace(/"records":\[/, '"records":[,'),
      'records failing the check': good.replace(/"origP":\d+/, '"origP":"80"'),
      'no records': `{"type":"batch","seq":7,"sensor":"s1","records":[]}`,
      'a heartbeat': '{"type":"heartbeat","stats":{}}',
      'cut inside the sensor id': good.slice(0, good.indexOf('"records"') - 3) + '}',
      'digits where the sensor should start': `{"type":"batch","seq":${'9'.repeat(40)}}`,
      'records missing': '{"type":"batch","seq":7,"sensor":"s1","records":}',
    };
    for (const [name, text] of Object.entries(cases)) expect(readBatchFrame(Buffer.from(text)), name).toBeUndefined();
    // The escaped id is a valid batch all the same: the general path takes it.
    const escaped = parseBatchMessage(JSON.parse(cases['an escaped sensor id']!));
    expect(escaped.success && escaped.data.sensor).toBe('a"b');
    expect(parseBatchMessage(JSON.parse(cases['another key order']!)).success).toBe(true);
    expect(parseBatchMessage(JSON.parse(cases['records failing the check']!)).success).toBe(false);
  });

  it('a record check that accepts in the frame reader accepts in the schema too (same verdicts)', () => {
    for (let i = 0; i < 200; i++) {
      const r = sampleRecord(i) as unknown as Record<string, unknown>;
      const mutated = i % 4 === 0 ? { ...r, duration: -1 } : i % 4 === 1 ? { ...r, proto: 'sctp' } : i % 4 === 2 ? { ...r, extra: true } : r;
      const frame = Buffer.from(`{"type":"batch","seq":${i},"sensor":"s","records":[${JSON.stringify(mutated)}]}`);
      const fast = readBatchFrame(frame) !== undefined;
      expect(fast, `record ${i}`).toBe(parseBatchMessage(JSON.parse(frame.toString())).success);
    }
  });
});

describe('DecodedBatches: records parsed at ingest, taken once by each group', () => {
  const rs = [sampleRecord(1)];

  it('gives an entry to each reader once, then forgets it', () => {
    const d = new DecodedBatches(1024, 2);
    d.put(entryKey('s0', '1-0'), rs, 100);
    expect(d.take(entryKey('s0', '1-0'))).toBe(rs);
    expect(d.take(entryKey('s0', '1-0'))).toBe(rs);
    expect(d.take(entryKey('s0', '1-0'))).toBeUndefined();
    expect(d.size).toBe(0);
    expect([d.hits, d.misses]).toEqual([2, 1]);
  });

  it('keeps at most its bound of JSON bytes, dropping the oldest; 0 keeps nothing', () => {
    const d = new DecodedBatches(250, 1);
    for (let i = 0; i < 5; i++) d.put(entryKey('s0', `${i}-0`), rs, 100);
    expect(d.size).toBe(2);
    expect(d.take(entryKey('s0', '2-0'))).toBeUndefined();
    expect(d.take(entryKey('s0', '4-0'))).toBe(rs);
    const off = new DecodedBatches(0, 2);
    off.put('k', rs, 1);
    expect(off.take('k')).toBeUndefined();
    const big = new DecodedBatches(50, 1);
    big.put('k', rs, 100);
    expect(big.size).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { BulkBody } from '../../collector/index/bulk-body.js';

function lines(b: Buffer): string[] {
  const text = b.toString('utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text.slice(0, -1).split('\n');
}

describe('bulk body', () => {
  it('writes each item as an action line and a document line, and reads index, id and document back', () => {
    const body = new BulkBody(16, 1);
    const docs = [{ a: 1 }, { b: 'ünïcödé ✓ 𝄞' }, { c: 'line\nbreak "quoted" \\ back' }];
    docs.forEach((d, i) => body.add(`idx-${i}`, `s:1:${i}`, JSON.stringify(d)));
    expect(body.count).toBe(3);
    const all = lines(body.bytesOf(0, 3));
    expect(all).toHaveLength(6);
    expect(JSON.parse(all[0]!)).toEqual({ create: { _index: 'idx-0', _id: 's:1:0' } });
    expect(JSON.parse(all[3]!)).toEqual(docs[1]);
    docs.forEach((d, i) => {
      expect(body.target(i)).toEqual({ index: `idx-${i}`, id: `s:1:${i}` });
      expect(JSON.parse(body.documentText(i))).toEqual(d);
    });
    expect(body.byteLength).toBe(Buffer.byteLength(all.join('\n') + '\n'));
  });

  it('escapes index and id, and takes ready-made action lines', () => {
    const body = new BulkBody();
    body.add('we"ird', 'id\\with"quote', '{}');
    body.addLines('{"create":{"_index":"i","_id":"x:1:0"}}\n', '{"n":1}');
    expect(body.target(0)).toEqual({ index: 'we"ird', id: 'id\\with"quote' });
    expect(body.target(1)).toEqual({ index: 'i', id: 'x:1:0' });
    expect(body.documentText(1)).toBe('{"n":1}');
  });

  it('cuts requests by item count and by bytes, never empty, and covers every item once', () => {
    const body = new BulkBody(64, 2);
    for (let i = 0; i < 100; i++) body.add('i', String(i), JSON.stringify({ pad: 'x'.repeat(i % 13) }));
    const cut = (maxItems: number, maxBytes: number): number[][] => {
      const out: number[][] = [];
      for (let from = 0; from < body.count; ) {
        const to = body.requestEnd(from, maxItems, maxBytes);
        expect(to).toBeGreaterThan(from);
        const bytes = body.bytesOf(from, to);
        if (to - from > 1) expect(bytes.length).toBeLessThanOrEqual(maxBytes);
        expect(lines(bytes)).toHaveLength(2 * (to - from));
        out.push([from, to]);
        from = to;
      }
      return out;
    };
    expect(cut(30, 1 << 20)).toEqual([[0, 30], [30, 60], [60, 90], [90, 100]]);
    const byBytes = cut(1000, 300);
    expect(byBytes.length).toBeGreaterThan(10);
    expect(byBytes.at(-1)![1]).toBe(100);
    // An item larger than the byte bound still goes, alone.
    expect(cut(1000, 10).every(([a, b]) => b - a === 1)).toBe(true);
  });

  it('picks items into a body of their own, in the order asked', () => {
    const body = new BulkBody(32, 1);
    for (let i = 0; i < 10; i++) body.add('i', `id${i}`, JSON.stringify({ i }));
    const picked = body.pick([7, 2, 9]);
    body.clear();
    body.add('other', 'z', '{"overwritten":true}');
    expect(picked.count).toBe(3);
    expect([0, 1, 2].map((k) => picked.target(k).id)).toEqual(['id7', 'id2', 'id9']);
    expect([0, 1, 2].map((k) => JSON.parse(picked.documentText(k)).i)).toEqual([7, 2, 9]);
    expect(lines(picked.bytesOf(0, 3))).toHaveLength(6);
  });

  it('is reused after clear, and grows past its first size without losing what it holds', () => {
    const body = new BulkBody(8, 1);
    for (let round = 0; round < 3; round++) {
      body.clear();
      for (let i = 0; i < 500; i++) body.add('i', `${round}:${i}`, JSON.stringify({ round, i, s: 'é'.repeat(i % 50) }));
      expect(body.count).toBe(500);
      expect(body.target(499)).toEqual({ index: 'i', id: `${round}:499` });
      expect(JSON.parse(body.documentText(250))).toEqual({ round, i: 250, s: 'é'.repeat(250 % 50) });
      expect(lines(body.bytesOf(0, 500))).toHaveLength(1000);
    }
  });
});

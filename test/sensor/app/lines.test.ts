import { describe, expect, it } from 'vitest';
import { LineReader, lineEnd } from '../../../sensor/app/lines.js';
import { bytes } from './helpers.js';

describe('lines', () => {
  it('lineEnd finds an LF only inside [start, end), in short ranges and long ones', () => {
    for (const n of [0, 1, 5, 127, 128, 129, 300, 5000]) {
      const b = new Uint8Array(n + 20).fill(0x61);
      b[n + 10] = 0x0a; // after the range: a later packet's line
      expect(lineEnd(b, 0, n), `n ${n}`).toBe(-1);
      expect(lineEnd(b, 0, n + 11)).toBe(n + 10);
      if (n > 2) {
        b[n - 1] = 0x0a;
        b[2] = 0x0a;
        expect(lineEnd(b, 3, n)).toBe(n - 1);
        expect(lineEnd(b, 2, n)).toBe(2);
      }
    }
  });

  it('a line whose LF lies past the delivery is carried, not ended there', () => {
    const r = new LineReader(64);
    const got: string[] = [];
    const line = (b: Uint8Array, s: number, e: number, t: boolean): void => void got.push(Buffer.from(b.subarray(s, e)).toString('latin1') + (t ? '…' : ''));
    const block = bytes('Host: a\r\nNEXT PACKET\n');
    expect(r.next(block, 0, 9, line)).toBe(9);
    expect(r.next(block, 0, 4, line)).toBe(4); // "Host" without its end: carried
    expect(got).toEqual(['Host: a']);
    expect(r.pending).toBe(4);
    expect(r.next(bytes(': b\r\n'), 0, 5, line)).toBe(5);
    expect(got).toEqual(['Host: a', 'Host: b']);
    // Longer than the limit: cut and marked, the rest up to its LF dropped.
    const long = bytes('x'.repeat(200), '\n');
    expect(r.next(long, 0, long.length, line)).toBe(long.length);
    expect(got[2]).toBe('x'.repeat(64) + '…');
  });
});

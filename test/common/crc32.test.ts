import { describe, expect, it } from 'vitest';
import { crc32, crc32Table } from '../../common/crc32.js';
import { xorshift32 } from '../support/rng.js';

describe('crc32', () => {
  it('gives the IEEE check value for "123456789"', () => {
    const b = Buffer.from('123456789');
    expect(crc32(b).toString(16)).toBe('cbf43926');
    expect(crc32Table(b).toString(16)).toBe('cbf43926');
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it('equals the table at every offset and length, and chains: crc(a + b) = crc(b, seed crc(a))', () => {
    const next = xorshift32(99);
    const data = Buffer.alloc(5000);
    for (let i = 0; i < data.length; i++) data[i] = next() & 0xff;
    for (const [start, end] of [[0, 5000], [1, 4999], [3, 70], [17, 18], [100, 100], [4096, 5000]] as const) {
      expect(crc32(data, start, end), `${start}..${end}`).toBe(crc32Table(data, start, end));
    }
    const whole = crc32(data, 10, 4000);
    expect(crc32(data, 1234, 4000, crc32(data, 10, 1234))).toBe(whole);
    expect(crc32Table(data, 1234, 4000, crc32Table(data, 10, 1234))).toBe(whole);
  });
});

/**
 * The live capture's packet queue (sensor/capture/live.ts): frames at their own length in a
 * ring of bytes, handed to the pipeline oldest first, intact across the ring's wrap-around,
 * and refused (never overwritten) when there is no room.
 */
import { describe, expect, it } from 'vitest';
import { PacketQueue } from '../../sensor/capture/live.js';
import type { PacketSink } from '../../sensor/capture/source.js';
import { uniform } from '../support/rng.js';

interface Got {
  bytes: number[];
  caplen: number;
  wirelen: number;
  sec: number;
  nsec: number;
  linkType: number;
}

function collector(queueBytes: number, out: Got[]): PacketSink {
  return {
    packet(buf, off, caplen, wirelen, sec, nsec, linkType) {
      // A frame is contiguous inside the queue's bytes.
      expect(off).toBeGreaterThanOrEqual(0);
      expect(off + caplen).toBeLessThanOrEqual(queueBytes);
      out.push({ bytes: Array.from(buf.subarray(off, off + caplen)), caplen, wirelen, sec, nsec, linkType });
    },
  };
}


describe('live capture packet queue', () => {
  it('hands every frame over intact and in order through many wrap-arounds', () => {
    const size = 10_000;
    const q = new PacketQueue(size, 8);
    const got: Got[] = [];
    const sink = collector(size, got);
    const want: Got[] = [];
    const src = Buffer.alloc(4_000);
    const rand = uniform(42);
    let refused = 0;
    for (let i = 0; i < 5_000; i++) {
      const n = 1 + Math.floor(rand() * 3_000);
      for (let k = 0; k < n; k++) src[k] = (i * 31 + k) & 0xff;
      const p = { bytes: Array.from(src.subarray(0, n)), caplen: n, wirelen: n + (i % 3), sec: 1_700_000_000 + i, nsec: (i * 1_000) % 1e9, linkType: 1 };
      if (!q.push(src.subarray(0, n), p.wirelen, p.sec, p.nsec)) {
        refused++;
        // Refused only when the queue holds something; once emptied, the frame fits.
        expect(q.size).toBeGreaterThan(0);
        q.deliver(sink, Infinity, 1);
        expect(q.size).toBe(0);
        expect(q.push(src.subarray(0, n), p.wirelen, p.sec, p.nsec)).toBe(true);
      }
      want.push(p);
      if (rand() < 0.3) q.deliver(sink, Math.floor(rand() * 4), 1);
    }
    q.deliver(sink, Infinity, 1);
    expect(refused).toBeGreaterThan(100);
    expect(got.length).toBe(want.length);
    for (let i = 0; i < want.length; i++) expect(got[i]).toEqual(want[i]);
  });

  it('refuses a frame when bytes or slots run out, and takes it once the oldest is gone', () => {
    const q = new PacketQueue(100, 3);
    const got: Got[] = [];
    const sink = collector(100, got);
    const src = Buffer.alloc(200, 7);
    expect(q.push(src.subarray(0, 101), 101, 1, 0)).toBe(false); // larger than the whole queue
    expect(q.push(src.subarray(0, 60), 60, 1, 0)).toBe(true);
    expect(q.push(src.subarray(0, 60), 60, 2, 0)).toBe(false); // 40 bytes left at the end, none before
    expect(q.push(src.subarray(0, 40), 40, 2, 0)).toBe(true); // exactly up to the end
    expect(q.push(src.subarray(0, 1), 1, 3, 0)).toBe(false); // the write position would reach the oldest frame
    q.deliver(sink, 1, 1);
    expect(q.push(src.subarray(0, 59), 59, 3, 0)).toBe(true); // wraps to the start, short of the oldest frame's end
    expect(q.push(src.subarray(0, 1), 1, 4, 0)).toBe(false); // 3 slots in use
    q.deliver(sink, Infinity, 1);
    expect(got.map((g) => [g.caplen, g.sec])).toEqual([
      [60, 1],
      [40, 2],
      [59, 3],
    ]);
    expect(q.size).toBe(0);
    expect(q.push(src.subarray(0, 100), 100, 5, 0)).toBe(true); // an empty queue starts over at 0
  });
});

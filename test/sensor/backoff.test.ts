/**
 * The uplink's reconnect schedule (sensor/uplink/backoff.ts) over a whole fleet: when its
 * collector dies, 10,000 sensors must not all come back in the same second.
 */
import { describe, expect, it } from 'vitest';
import { Backoff } from '../../sensor/uplink/backoff.js';
import { DEFAULT_RECONNECT_SPREAD_SECONDS } from '../../sensor/uplink/config.js';
import { uniform } from '../support/rng.js';

const FLEET = 10_000;

/** The most arrivals in any one second, from arrival times in ms. */
function busiestSecond(times: number[]): number {
  const perSecond = new Map<number, number>();
  for (const t of times) perSecond.set(Math.floor(t / 1000), (perSecond.get(Math.floor(t / 1000)) ?? 0) + 1);
  return Math.max(...perSecond.values());
}

/** When each sensor first tries again at or after `backAtMs`, all of them having lost their connection at 0. */
function arrivals(backAtMs: number, spreadMs: number, seed: number): number[] {
  const random = uniform(seed);
  return Array.from({ length: FLEET }, () => {
    const b = new Backoff(500, 60_000, random, spreadMs);
    let t = b.next();
    while (t < backAtMs) t += b.next(); // a failed attempt (the collector still down): wait again
    return t;
  });
}

describe('reconnect back-off over a fleet', () => {
  it('a collector that dies and is back at once (or a failover): the fleet spreads over the spread window', () => {
    const spread = DEFAULT_RECONNECT_SPREAD_SECONDS * 1000;
    const times = arrivals(0, spread, 7);
    expect(Math.max(...times)).toBeLessThan(spread);
    // About FLEET / 10 s a second; nowhere near the whole fleet in one second.
    expect(busiestSecond(times)).toBeLessThan(FLEET * 0.13);
    // Without the spread, full jitter on a 500 ms base brings every sensor back within the first second.
    expect(busiestSecond(arrivals(0, 0, 7))).toBe(FLEET);
  });

  it('after a long outage the windows have grown: the returning fleet arrives at a few percent a second', () => {
    for (const downMs of [60_000, 300_000, 3_600_000]) {
      const times = arrivals(downMs, DEFAULT_RECONNECT_SPREAD_SECONDS * 1000, downMs);
      expect(Math.min(...times)).toBeGreaterThanOrEqual(downMs);
      expect(Math.max(...times) - downMs, `down ${downMs / 1000} s: everyone back within one maximum window`).toBeLessThan(60_000);
      expect(busiestSecond(times), `down ${downMs / 1000} s`).toBeLessThan(FLEET * 0.05);
    }
  });

  it('windows grow from the spread (or the base) by doubling up to the maximum, and start again after a success', () => {
    const ceilings = (b: Backoff, n: number) => Array.from({ length: n }, () => b.next());
    // random() at its top: each delay shows its window's ceiling.
    const top = () => 0.999999;
    expect(ceilings(new Backoff(500, 60_000, top, 0), 9).map((d) => Math.round(d / 100) * 100)).toEqual([500, 1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
    const b = new Backoff(500, 60_000, top, 10_000);
    expect(ceilings(b, 8).map((d) => Math.round(d / 100) * 100)).toEqual([10000, 10000, 10000, 10000, 10000, 16000, 32000, 60000]);
    b.reset();
    expect(Math.round(b.next() / 100) * 100).toBe(10000);
    expect(b.attempts).toBe(1);
  });
});

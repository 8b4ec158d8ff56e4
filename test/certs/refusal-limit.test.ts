import { describe, expect, it } from 'vitest';
import { RefusalLimit } from '../../certs/enroll/refusal-limit.js';

describe('the refusal limit per address', () => {
  it('allows a burst of requests that end refused, then a wait that shrinks as refusals are earned back', () => {
    const l = new RefusalLimit({ burst: 2, perMinute: 6 }); // one earned back every 10 s
    const t = 1_000_000;
    expect(l.take('a', t)).toBe(0);
    expect(l.take('a', t)).toBe(0);
    expect(l.exhausted('a', t)).toBe(true);
    expect(l.take('a', t)).toBe(10);
    expect(l.take('a', t + 4_000)).toBe(6);
    expect(l.take('a', t + 10_000)).toBe(0);
    expect(l.take('b', t)).toBe(0); // addresses are counted apart
  });

  it('charges nothing for requests that succeed, and bounds requests in flight at once by the allowance', () => {
    const l = new RefusalLimit({ burst: 3, perMinute: 1 });
    for (let i = 0; i < 100; i++) {
      expect(l.take('a', 0)).toBe(0);
      l.giveBack('a', 0);
    }
    expect(l.size).toBe(0); // a full allowance is not even remembered
    // Three requests at once take the allowance; a fourth in flight waits, whatever the three turn out to be.
    expect([0, 1, 2, 3].map(() => l.take('a', 0))).toEqual([0, 0, 0, 60]);
    l.giveBack('a', 0);
    expect(l.take('a', 0)).toBe(0);
  });

  it('earns nothing, and costs nothing, when the clock steps back', () => {
    const l = new RefusalLimit({ burst: 1, perMinute: 60 });
    const t = 10_000_000;
    l.take('a', t);
    expect(l.take('a', t - 3_600_000)).toBe(1); // an hour back: still one second to wait, not an hour
    expect(l.take('a', t - 3_600_000 + 1_000)).toBe(0);
  });

  it('forgets an address once its allowance is full again, and the quietest beyond its capacity', () => {
    const l = new RefusalLimit({ burst: 1, perMinute: 60, maxAddresses: 3 });
    for (const a of ['a', 'b', 'c', 'd']) l.take(a, 0);
    expect(l.size).toBe(3);
    expect(l.exhausted('a', 0)).toBe(false); // forgotten: the quietest when 'd' came
    expect(l.exhausted('d', 0)).toBe(true);
    expect(l.take('d', 1_000)).toBe(0);
  });
});

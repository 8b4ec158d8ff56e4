import { describe, expect, it } from 'vitest';
import { RefusalLimit } from '../../certs/enroll/refusal-limit.js';

describe('the refusal limit per address', () => {
  it('allows a burst of refusals, then a wait that shrinks as refusals are earned back', () => {
    const l = new RefusalLimit({ burst: 2, perMinute: 6 }); // one earned back every 10 s
    const t = 1_000_000;
    expect(l.waitSeconds('a', t)).toBe(0);
    l.refused('a', t);
    expect(l.waitSeconds('a', t)).toBe(0);
    l.refused('a', t);
    expect(l.waitSeconds('a', t)).toBe(10);
    expect(l.waitSeconds('a', t + 4_000)).toBe(6);
    expect(l.waitSeconds('a', t + 10_000)).toBe(0);
    expect(l.waitSeconds('b', t)).toBe(0); // addresses are counted apart
  });

  it('forgets an address once its allowance is full again, and the quietest beyond its capacity', () => {
    const l = new RefusalLimit({ burst: 1, perMinute: 60, maxAddresses: 3 });
    for (const a of ['a', 'b', 'c', 'd']) l.refused(a, 0);
    expect(l.size).toBe(3);
    expect(l.waitSeconds('a', 0)).toBe(0); // forgotten: the quietest when 'd' came
    expect(l.waitSeconds('d', 0)).toBe(1);
    expect(l.waitSeconds('d', 1_000)).toBe(0);
    expect(l.size).toBe(2);
  });
});

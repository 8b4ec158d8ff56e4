import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryState } from '../../rules/engine/memory-state.js';
import { keySlot, RedisState } from '../../rules/engine/redis-state.js';
import type { AggregateOp, StateOp } from '../../rules/engine/state.js';
import { uniform } from '../support/rng.js';
import { testStackConfig } from '../support/test-stack.js';
import { T0 } from './helpers.js';
import { answersOfBoth } from './state-parity.js';

/**
 * Busy groups over many windows: enough records that evidence, values and running totals
 * fall out of reach and are swept from the group's hash, with replays of recent and of
 * long-gone records, late and out-of-order ones, and rules with different parameters
 * (window, threshold, evidence listed) in the same calls.
 */
function busy(seed: number, prefix: string, n: number): AggregateOp[] {
  const r = uniform(seed);
  const ops: AggregateOp[] = [];
  const times: number[] = [];
  let t = T0;
  for (let i = 0; i < n; i++) {
    t += Math.floor(r() * 900);
    if (ops.length > 0 && r() < 0.1) {
      // A replay: of a recent record, of one about to fall out of reach (two to three
      // windows back: still held, but late), or of any (often long swept).
      const x = r();
      let i = ops.length - 1 - Math.floor(r() * Math.min(ops.length, 200));
      if (x > 0.8) i = Math.floor(r() * ops.length);
      else if (x > 0.4) {
        const target = t - 120_000 - Math.floor(r() * 60_000);
        i = times.findIndex((y) => y >= target);
        if (i < 0) i = ops.length - 1;
      }
      ops.push(structuredClone(ops[i]!));
      times.push(t);
      continue;
    }
    times.push(t);
    const member = `chot-conn-2026.01.01/s${Math.floor(r() * 3)}:${Math.floor(r() * 1e6)}:${i}`;
    const at = t - Math.floor(r() * 30_000) - (r() < 0.02 ? 150_000 : 0);
    const g = Math.floor(r() * 2);
    const base = { t: 'agg' as const, member, bucket: Math.floor(at / 5000), k: 12, ttlMs: 60_000, maxEvidence: 5 + g * 3, running: '' };
    switch (Math.floor(r() * 4)) {
      case 0:
        ops.push({ ...base, key: `${prefix}{c${g}}`, threshold: 12 + g * 4, fn: 'count', value: '' });
        break;
      case 1:
        ops.push({ ...base, key: `${prefix}{d${g}}`, threshold: 9 + g * 3, fn: 'distinct', value: String(Math.floor(r() * 60)) });
        break;
      case 2:
        ops.push({ ...base, key: `${prefix}{s${g}}`, threshold: 30_000, fn: 'sum', value: String(Math.floor(r() * 9000)), running: r() < 0.6 ? `u${Math.floor(r() * 40)}` : '' });
        break;
      default:
        // Another rule on its own window: six buckets of 10 s.
        ops.push({ ...base, key: `${prefix}{w${g}}`, bucket: Math.floor(at / 10_000), k: 6, threshold: 14, fn: 'count', value: '' });
    }
  }
  return ops;
}

describe("aggregate state: one hash per group", () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(testStackConfig().redis.url);
  });
  afterAll(() => redis.disconnect());

  it('busy groups over many windows: same answers as in process, and what falls out of reach is swept', async () => {
    for (const seed of [7, 8]) {
      const prefix = `test-rules-group:${seed}:${Date.now()}:`;
      const ops = busy(seed, prefix, 6000);
      const { memory: a, redis: b } = await answersOfBoth(redis, ops, 97);
      expect(b).toEqual(a);
      const statuses = new Set(a.map((x) => (x as { status: string }).status));
      for (const s of ['ok', 'dup', 'late']) expect(statuses).toContain(s);
      const crossings = a.flatMap((x) => (x as { crossings: Array<{ evidence: string[] }> }).crossings);
      expect(crossings.length).toBeGreaterThan(10);
      // Evidence lists are cut to the rule's max evidence, in (bucket, id) order.
      expect(crossings.some((c) => c.evidence.length === 5)).toBe(true);
      expect(crossings.some((c) => c.evidence.length === 8)).toBe(true);

      // One key per group: the group hash, nothing else (no HyperLogLog here).
      const keys = new Set<string>();
      let cursor = '0';
      do {
        const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = next;
        for (const k of batch) keys.add(k);
      } while (cursor !== '0');
      const groups = new Set(ops.map((o) => o.key));
      expect([...keys].sort()).toEqual([...groups].map((g) => `${g}:g`).sort());

      // Swept: what is out of reach never outnumbers what is live by much.
      for (const g of groups) {
        const h = await redis.hgetall(`${g}:g`);
        const k = ops.find((o) => o.key === g)!.k;
        const floor = Number(h.m) - 3 * k;
        let live = 0;
        let stale = 0;
        for (const [f, v] of Object.entries(h)) {
          if (!f.startsWith('e:')) continue;
          if (Number(v) >= floor) live++;
          else stale++;
        }
        expect(live).toBeGreaterThan(0);
        expect(stale, g).toBeLessThanOrEqual(Math.max(64, live) + 200);
        expect(Object.keys(h).length, g).toBeLessThan(4 * (live + 64) + 100);
      }
      // The sweep ran: far fewer evidence fields than records counted.
      const counted = a.filter((x) => (x as { status: string }).status === 'ok').length;
      let fields = 0;
      for (const g of groups) fields += await redis.hlen(`${g}:g`);
      expect(fields).toBeLessThan(counted / 2);
    }
  });

  it('every key an operation touches, the per-bucket HyperLogLogs included, is in its group key slot', async () => {
    const prefix = `test-rules-slots:${Date.now()}:`;
    const ops: StateOp[] = [];
    for (let i = 0; i < 200; i++) {
      const bucket = Math.floor((T0 + i * 900) / 5000);
      for (const [fn, g] of [['hll', 'h'], ['distinct', 'd'], ['sum', 's'], ['count', 'c']] as const) {
        ops.push({ t: 'agg', key: `${prefix}{${g}${i % 3}}`, member: `m${i}`, bucket, k: 12, threshold: 30, fn, value: String(i % 40), running: fn === 'sum' ? `u${i % 4}` : '', ttlMs: 60_000, maxEvidence: 5 });
      }
    }
    const results = await new RedisState(redis).apply(ops);
    expect(JSON.stringify(results)).toContain('"period"');
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    const groups = [...new Set(ops.map((o) => o.key))];
    expect(keys.some((k) => k.includes(':h:'))).toBe(true);
    for (const key of keys) {
      const group = groups.find((g) => key.startsWith(`${g}:`));
      expect(group, key).toBeDefined();
      expect(keySlot(key), key).toBe(keySlot(group!));
      expect(key === `${group}:g` || key.startsWith(`${group}:h:`), key).toBe(true);
      expect(await redis.pttl(key), key).toBeGreaterThan(0);
    }
  });

  it('a sweep keeps what is exactly at the reach floor: a running total last touched there still counts only its increment', async () => {
    const prefix = `test-rules-floor:${Date.now()}:`;
    const op = (member: string, bucket: number, value: string, running = ''): StateOp => ({ t: 'agg', key: `${prefix}{f}`, member, bucket, k: 12, threshold: 500, fn: 'sum', value, running, ttlMs: 60_000, maxEvidence: 5 });
    const ops: StateOp[] = [
      // 70 records that will fall out of reach together.
      ...Array.from({ length: 70 }, (_, i) => op(`old:${i}`, 101, '0')),
      op('u:1', 125, '1000', 'u'),
      op('mid', 137, '0'),
      // The floor moves to 125: the 70 are out of reach and swept; the running total at 125 is not.
      op('next', 161, '0'),
      op('u:2', 161, '1500', 'u'),
    ];
    const expected = await new MemoryState().apply(ops);
    const got = await new RedisState(redis).apply(ops);
    expect(got).toEqual(expected);
    expect(got.at(-1)).toMatchObject({ status: 'ok', crossings: [{ value: 500, end: 161 }] });
    const h = await redis.hgetall(`${prefix}{f}:g`);
    expect(Object.keys(h).filter((f) => f.startsWith('e:old:'))).toEqual([]);
  });

  it('a crossing lists the first evidence ids of its window in (bucket, id) byte order, whatever the arrival order', async () => {
    const prefix = `test-rules-order:${Date.now()}:`;
    const b = Math.floor(T0 / 5000);
    // Ids that sort differently as numbers, as text, and by arrival.
    const ids = ['s:10:0', 's:9:0', 's:100:0', 'S:1:0', 's:1-0', 's:1:0', 's:2:0', 'a/b:0', 'z:0'];
    const ops: StateOp[] = ids.map((m, i) => ({ t: 'agg', key: `${prefix}{o}`, member: m, bucket: b + (i < 6 ? 1 : 0), k: 12, threshold: ids.length, fn: 'count', value: '', running: '', ttlMs: 60_000, maxEvidence: 4 }));
    const expected = await new MemoryState().apply(ops);
    const got = await new RedisState(redis).apply(ops);
    expect(got).toEqual(expected);
    const last = got.at(-1) as { crossings: Array<{ evidence: string[]; first: number }> };
    expect(last.crossings[0]!.evidence).toEqual(['a/b:0', 's:2:0', 'z:0', 'S:1:0']);
    expect(last.crossings[0]!.first).toBe(b);
  });

  it('a crossing in a bucket of thousands of records lists only its first evidence ids, and its replay answers too', async () => {
    // Every record in one bucket: the crossing's reply once listed the whole bucket, which
    // overflowed Lua's unpack (about 8,000 values) and failed the call on every retry.
    const prefix = `test-rules-big:${Date.now()}:`;
    const b = Math.floor(T0 / 5000);
    const n = 6000;
    const ids = Array.from({ length: n }, (_, i) => `chot-conn-2026.01.01/s:${(i * 7919) % n}:${i % 13}`);
    const ops: StateOp[] = ids.map((m) => ({ t: 'agg', key: `${prefix}{big}`, member: m, bucket: b, k: 12, threshold: n, fn: 'count', value: '', running: '', ttlMs: 60_000, maxEvidence: 20 }));
    const replay = structuredClone(ops.at(-1)!);
    const expected = await new MemoryState().apply([...ops, replay]);
    const got = await new RedisState(redis).apply([...ops, replay]);
    expect(got).toEqual(expected);
    const crossing = got.at(-2) as { status: string; crossings: Array<{ evidence: string[]; value: number }> };
    expect(crossing.status).toBe('ok');
    expect(crossing.crossings[0]!.value).toBe(n);
    expect(crossing.crossings[0]!.evidence).toEqual([...ids].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))).slice(0, 20));
    expect(got.at(-1)).toMatchObject({ status: 'dup', crossings: [{ value: n }] });
  }, 60_000);
});

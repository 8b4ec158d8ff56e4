import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seqMember, type StateOp } from '../../rules/engine/state.js';
import { uniform } from '../support/rng.js';
import { testStackConfig } from '../support/test-stack.js';
import { CTX, conn, engineFor, T0 } from './helpers.js';
import { answersOfBoth } from './state-parity.js';

/** A random stream of operations over a few groups, with jittered times and replays. */
function stream(seed: number, prefix: string, n: number): StateOp[] {
  const r = uniform(seed);
  const ops: StateOp[] = [];
  let t = T0;
  for (let i = 0; i < n; i++) {
    t += Math.floor(r() * 4000);
    // A replayed stream entry: some earlier operation, exactly again.
    if (ops.length > 0 && r() < 0.1) {
      ops.push(structuredClone(ops[Math.floor(r() * ops.length)]!));
      continue;
    }
    const member = `chot-conn-2026.01.01/s:${i}:0`;
    const jitter = t - Math.floor(r() * 20_000) - (r() < 0.03 ? 200_000 : 0);
    const g = Math.floor(r() * 3);
    switch (Math.floor(r() * 6)) {
      case 0:
        ops.push({ t: 'agg', key: `${prefix}{c${g}}`, member, bucket: Math.floor(jitter / 5000), k: 12, threshold: 8, fn: 'count', value: '', running: '', ttlMs: 60_000, maxEvidence: 5 });
        break;
      case 1:
        ops.push({ t: 'agg', key: `${prefix}{d${g}}`, member, bucket: Math.floor(jitter / 5000), k: 12, threshold: 6, fn: 'distinct', value: String(Math.floor(r() * 10)), running: '', ttlMs: 60_000, maxEvidence: 5 });
        break;
      case 2:
        ops.push({ t: 'agg', key: `${prefix}{s${g}}`, member, bucket: Math.floor(jitter / 5000), k: 12, threshold: 5000, fn: 'sum', value: String(Math.floor(r() * 1500)), running: r() < 0.5 ? `u${Math.floor(r() * 4)}` : '', ttlMs: 60_000, maxEvidence: 5 });
        break;
      case 3: {
        // Group 0: three steps; the others two (so chains complete often enough to compare).
        const n = g === 0 ? 3 : 2;
        const steps = [Math.floor(r() * n)];
        if (r() < 0.1) steps.push((steps[0]! + 1) % n);
        ops.push({ t: 'seq', key: `${prefix}{q${g}}`, member: seqMember(jitter, member), tsMs: jitter, steps, nSteps: n, windowMs: g === 0 ? 120_000 : 60_000, ordered: r() < 0.6, ttlMs: 60_000 });
        break;
      }
      case 4:
        ops.push({ t: 'first', key: `${prefix}{f${g}}`, value: String(Math.floor(r() * 6)), member, tsMs: jitter, learnMs: 40_000, ttlMs: 60_000 });
        break;
      default:
        ops.push({ t: 'raise', key: `${prefix}{a${g}}`, member, tsMs: jitter, ttlMs: 60_000, cap: 5 });
    }
  }
  // Sequence ops of one key must agree on ordering: use the first one's.
  const ordered = new Map<string, boolean>();
  for (const op of ops) if (op.t === 'seq') op.ordered = ordered.get(op.key) ?? (ordered.set(op.key, op.ordered), op.ordered);
  return ops;
}

describe('windowed state in Redis (Lua) behaves exactly as the in-process store', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(testStackConfig().redis.url);
  });
  afterAll(() => redis.disconnect());

  it('gives the same answers to the same operations', async () => {
    for (const seed of [1, 2, 3, 4]) {
      const prefix = `test-rules-parity:${seed}:${Date.now()}:`;
      const ops = stream(seed, prefix, 1500);
      const { memory: a, redis: b } = await answersOfBoth(redis, ops, 50);
      expect(b).toEqual(a);
      const fired = a.filter((x) => JSON.stringify(x).includes('"period"')).length;
      expect(fired).toBeGreaterThan(0);
      // The stream exercises every path: late and replayed records, folds, learning.
      const statuses = new Set(a.map((x) => `${(x as { t: string }).t}:${(x as { status: string }).status}`));
      for (const s of ['agg:ok', 'agg:dup', 'agg:late', 'seq:ok', 'seq:dup', 'first:new', 'first:learned', 'first:known', 'raise:created', 'raise:updated', 'raise:dup']) expect(statuses, s).toContain(s);
      expect(a.some((x) => JSON.stringify(x).includes('"chains":[{'))).toBe(true);
    }
  });

  it('replays count nothing twice and report again the alert they raised', async () => {
    const { engine, dir } = await engineFor(
      { 'r.yaml': `- id: c\n  title: c\n  severity: low\n  kind: connection\n  match: { destination.port: 22 }\n  aggregate: { function: count, by: [source.ip], window: 1m, threshold: 3 }\n` },
      { redis, keyPrefix: `test-rules-replay:${Date.now()}:` },
    );
    try {
      const batch = [0, 1, 2].map((i) => conn({ 'destination.port': 22 }, T0 + i));
      const first = await engine.processBatch(batch, CTX);
      expect(first.created).toHaveLength(1);
      const replay = await engine.processBatch(batch, CTX);
      expect(replay.created.map((c) => c.doc.event.id)).toEqual([first.created[0]!.doc.event.id]);
      expect(replay.created[0]!.doc.chot.alert.explanation.window?.value).toBe(3);
      const more = await engine.processBatch([conn({ 'destination.port': 22 }, T0 + 10)], { ...CTX, seq: 8 });
      expect(more.created).toEqual([]);
      expect(engine.detectorStats.duplicates).toBe(3);
    } finally {
      dir.cleanup();
    }
  });
});

import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryState } from '../../rules/engine/memory-state.js';
import { keySlot, RedisState } from '../../rules/engine/redis-state.js';
import type { StateOp } from '../../rules/engine/state.js';
import { testStackConfig } from '../support/test-stack.js';
import { CTX, conn, engineFor, T0 } from './helpers.js';

describe('batched Redis state', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(testStackConfig().redis.url);
  });
  afterAll(() => redis.disconnect());

  it('gives the answers of one operation at a time whatever the chunk size, and counts its calls', async () => {
    const prefix = `test-rules-batch:${Date.now()}:`;
    const ops: StateOp[] = [];
    for (let i = 0; i < 300; i++) {
      const bucket = Math.floor((T0 + i * 700) / 5000);
      const member = `chot-conn-2026.01.01/s:${i}:0`;
      ops.push({ t: 'agg', key: `${prefix}{c${i % 4}}`, member, bucket, k: 12, threshold: 20, fn: 'count', value: '', running: '', ttlMs: 60_000, maxEvidence: 5 });
      ops.push({ t: 'agg', key: `${prefix}{d${i % 3}}`, member, bucket, k: 12, threshold: 15, fn: 'distinct', value: String(i % 17), running: '', ttlMs: 60_000, maxEvidence: 5 });
      ops.push({ t: 'agg', key: `${prefix}{s${i % 2}}`, member, bucket, k: 12, threshold: 40_000, fn: 'sum', value: String((i % 9) * 100 + 0.25), running: i % 3 === 0 ? `u${i % 5}` : '', ttlMs: 60_000, maxEvidence: 5 });
      ops.push({ t: 'raise', key: `${prefix}{a${i % 5}}`, member, tsMs: T0 + i, ttlMs: 60_000, cap: 50 });
      if (i % 10 === 0) ops.push(structuredClone(ops[Math.floor(ops.length / 2)]!));
    }
    const expected = await new MemoryState().apply(ops);
    for (const [n, chunk] of [[0, 1], [1, 7], [2, 512]] as const) {
      const renamed = ops.map((o) => ({ ...o, key: o.key.replace(prefix, `${prefix}${n}:`) }));
      const store = new RedisState(redis, { chunk });
      await store.preload();
      const got: unknown[] = [];
      for (let i = 0; i < renamed.length; i += 100) got.push(...(await store.apply(renamed.slice(i, i + 100))));
      expect(got, `chunk ${chunk}`).toEqual(expected);
      expect(store.stats.ops).toBe(ops.length);
      expect(store.stats.calls).toBe(Array.from({ length: Math.ceil(ops.length / 100) }, (_, i) => Math.ceil(Math.min(100, ops.length - i * 100) / chunk)).reduce((a, b) => a + b, 0));
    }
    expect(JSON.stringify(expected)).toContain('"period"');
  });

  it('computes Redis Cluster slots as Redis does, by hash tag', () => {
    // Values from the Redis Cluster specification and CLUSTER KEYSLOT.
    expect(keySlot('123456789')).toBe(12739);
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('{user1000}.following')).toBe(keySlot('{user1000}.followers'));
    expect(keySlot('{user1000}.following')).toBe(keySlot('user1000'));
    // An empty tag does not count: the whole key is hashed.
    expect(keySlot('foo{}{bar}')).not.toBe(keySlot('bar'));
    expect(keySlot('foo{{bar}}zap')).toBe(keySlot('{bar'));
  });

  it('a windowed rule in log-only mode with exceptions: excepted records are not counted, alerts are marked for tuning, with the rule version', async () => {
    const { engine, dir } = await engineFor(
      {
        'r.yaml': `- id: w\n  title: w\n  severity: low\n  kind: connection\n  mode: log\n  match: { destination.port: 22 }\n  exceptions:\n    - source.ip: { in_list: admins }\n  aggregate: { function: count, by: [destination.ip], window: 1m, threshold: 3 }\n`,
        'lists/admins.ip': '198.18.10.5\n',
      },
      { redis, keyPrefix: `test-rules-logonly:${Date.now()}:` },
    );
    try {
      const admin = [0, 1, 2].map((i) => conn({ 'destination.port': 22, 'source.ip': '198.18.10.5' }, T0 + i));
      expect((await engine.processBatch(admin, CTX)).created).toEqual([]);
      const others = [0, 1, 2].map((i) => conn({ 'destination.port': 22, 'source.ip': `198.18.10.${20 + i}` }, T0 + 10 + i));
      const out = await engine.processBatch(others, { ...CTX, seq: 8 });
      expect(out.created).toHaveLength(1);
      const doc = out.created[0]!.doc;
      expect(doc.rule).toMatchObject({ id: 'w', mode: 'log', version: engine.rules.byId.get('w')!.version });
      expect(doc.rule.version).toMatch(/^[0-9a-f]{16}$/);
      expect(doc.chot.alert.explanation.window?.value).toBe(3);
      expect(doc.chot.alert.evidence.map((e) => e.id)).toEqual(['sensor-1:8:0', 'sensor-1:8:1', 'sensor-1:8:2']);
    } finally {
      dir.cleanup();
    }
  });
});

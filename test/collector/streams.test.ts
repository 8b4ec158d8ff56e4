import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchStore, entryRecordCount, parseStreamEntry } from '../../collector/streams/batch-store.js';
import { StreamConsumer, ensureGroup, type StreamEntry } from '../../collector/streams/consumer.js';
import { shardOf, streamKey } from '../../collector/streams/redis.js';
import { trimProcessed } from '../../collector/streams/trim.js';
import { testStackConfig } from '../support/test-stack.js';

const log = pino({ level: 'silent' });

function batch(sensorId: string, seq: number): Parameters<BatchStore['append']>[0] {
  return { sensorId, seq, node: '01/001/00001', receivedMs: 1_700_000_000_000 + seq, count: 2, recordsJson: JSON.stringify([{ n: seq * 2 }, { n: seq * 2 + 1 }]) };
}

async function until(cond: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('collector Redis streams (real Redis)', () => {
  let redis: Redis;
  const connections: Redis[] = [];
  const conn = (): Redis => {
    const c = new Redis(testStackConfig().redis.url);
    connections.push(c);
    return c;
  };

  beforeAll(() => {
    redis = conn();
  });
  /** A store over one stream of its own. */
  const oneStream = (): { store: BatchStore; stream: string } => {
    const prefix = `t:${randomUUID()}:`;
    return { store: new BatchStore(redis, prefix, 1), stream: streamKey(prefix, 0) };
  };
  const pendingOf = async (stream: string): Promise<number> => ((await redis.xpending(stream, 'indexers')) as [number])[0];
  afterAll(() => {
    for (const c of connections) c.disconnect();
  });

  it('stores a batch once: a replayed sequence number is recognised and not stored twice', async () => {
    const prefix = `t:${randomUUID()}:`;
    const store = new BatchStore(redis, prefix, 4);
    expect(await store.lastSeq('sensor-a')).toBe(-1);
    const first = await store.append(batch('sensor-a', 0));
    expect(first.stored).toBe(true);
    expect((await store.append(batch('sensor-a', 1))).stored).toBe(true);
    expect(await store.append(batch('sensor-a', 1))).toEqual({ stored: false, lastSeq: 1 });
    expect(await store.append(batch('sensor-a', 0))).toEqual({ stored: false, lastSeq: 1 });
    expect((await store.append(batch('sensor-b', 0))).stored).toBe(true);
    expect(await store.lastSeq('sensor-a')).toBe(1);
    const stream = streamKey(prefix, shardOf('sensor-a', 4));
    const entries = (await redis.xrange(stream, '-', '+')).map(([, f]) => parseStreamEntry(f)).filter((b) => b.sensorId === 'sensor-a');
    expect(entries.map((b) => b.seq)).toEqual([0, 1]);
    expect(entries[1]).toEqual(batch('sensor-a', 1));
  });

  it('shares the work among consumers and hands a dead consumer\'s pending entries to the others', async () => {
    const { store, stream } = oneStream();
    for (let s = 0; s < 40; s++) await store.append(batch(`sensor-${s}`, 0));

    // A consumer that takes entries and dies before acknowledging them.
    await ensureGroup(redis, stream, 'indexers');
    const taken = (await redis.xreadgroup('GROUP', 'indexers', 'doomed', 'COUNT', 10, 'STREAMS', stream, '>')) as Array<[string, unknown[]]>;
    expect(taken[0]![1]).toHaveLength(10);

    const seen: string[] = [];
    const handled = new Map<string, number>();
    const make = (name: string): StreamConsumer =>
      new StreamConsumer(conn(), {
        streams: [stream], group: 'indexers', consumer: name, log, count: 5, blockMs: 100, claimIdleMs: 500,
        handle: async (entries: StreamEntry[]) => {
          for (const e of entries) {
            const b = parseStreamEntry(e.fields);
            seen.push(b.sensorId);
            handled.set(name, (handled.get(name) ?? 0) + 1);
          }
        },
      });
    const a = make('a');
    const b = make('b');
    await a.start();
    await b.start();
    try {
      await until(() => new Set(seen).size === 40);
      expect(seen.length).toBe(40); // each exactly once
      expect([...handled.values()].every((n) => n > 0)).toBe(true);
      expect(await pendingOf(stream)).toBe(0);
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it('fills a read up to a request\'s worth of records as entries trickle in, waiting no longer than told', async () => {
    const { store, stream } = oneStream();
    const calls: Array<{ seqs: number[]; at: number }> = [];
    const c = new StreamConsumer(conn(), {
      streams: [stream], group: 'indexers', consumer: 'c', log, count: 2, blockMs: 100,
      fill: { records: 10, waitMs: 1500, recordsOf: (e) => entryRecordCount(e.fields), maxEntries: 100 },
      handle: async (entries) => {
        calls.push({ seqs: entries.map((e) => parseStreamEntry(e.fields).seq), at: Date.now() });
      },
    });
    await c.start();
    try {
      // Five entries of two records, 100 ms apart: one handling of all ten records.
      for (let seq = 0; seq < 5; seq++) {
        await store.append(batch('trickle', seq));
        await new Promise((r) => setTimeout(r, 100));
      }
      await until(() => calls.length >= 1);
      expect(calls[0]!.seqs).toEqual([0, 1, 2, 3, 4]);
      // One entry alone: handled once the wait is over, not before.
      const appended = Date.now();
      await store.append(batch('trickle', 5));
      await until(() => calls.length >= 2);
      expect(calls[1]!.seqs).toEqual([5]);
      expect(calls[1]!.at - appended).toBeGreaterThanOrEqual(1400);
      expect(calls[1]!.at - appended).toBeLessThan(4500);
      expect(calls).toHaveLength(2);
    } finally {
      await c.stop();
    }
    expect(await pendingOf(stream)).toBe(0);
  });

  it('takes over a dead consumer\'s whole backlog at once, not one small read every few seconds', async () => {
    const { store, stream } = oneStream();
    for (let s = 0; s < 250; s++) await store.append(batch(`backlog-${s}`, 0));
    await ensureGroup(redis, stream, 'indexers');
    // A consumer that read 250 entries (as a filling indexer may hold) and died.
    await redis.xreadgroup('GROUP', 'indexers', 'doomed', 'COUNT', 250, 'STREAMS', stream, '>');
    await new Promise((r) => setTimeout(r, 400));
    const seen = new Set<string>();
    const reads: number[] = [];
    const c = new StreamConsumer(conn(), {
      streams: [stream], group: 'indexers', consumer: 'heir', log, count: 5, blockMs: 100, claimIdleMs: 300,
      handle: async (entries) => {
        reads.push(entries.length);
        for (const e of entries) seen.add(parseStreamEntry(e.fields).sensorId);
      },
    });
    const started = Date.now();
    await c.start();
    try {
      await until(() => seen.size === 250, 20_000);
      // Claimed in pages of 100 one after the other (the steady reads take 5): well inside the
      // first claim period's repeat, where one page of 5 every 5 s would take minutes.
      expect(Date.now() - started).toBeLessThan(4000);
      expect(reads.slice(0, 3)).toEqual([100, 100, 50]);
    } finally {
      await c.stop();
    }
    expect(await pendingOf(stream)).toBe(0);
  });

  it('passes over entries live consumers are working on, without scanning them again and again', async () => {
    const { store, stream } = oneStream();
    for (let s = 0; s < 1200; s++) await store.append(batch(`busy-${s}`, 0));
    await ensureGroup(redis, stream, 'indexers');
    // A live consumer with 1,200 entries in hand, none idle long: more than one XAUTOCLAIM
    // looks at (ten times its COUNT of 100), so a walk over them takes two calls.
    await redis.xreadgroup('GROUP', 'indexers', 'working', 'COUNT', 1200, 'STREAMS', stream, '>');
    // This consumer's own XAUTOCLAIM calls on its (real) connection: Redis's command statistics
    // count every client's, and other test files' collectors claim on the same server meanwhile.
    const own = conn();
    let claimCalls = 0;
    const callBuffer = own.callBuffer.bind(own);
    own.callBuffer = ((command: string, ...args: unknown[]) => {
      if (command.toUpperCase() === 'XAUTOCLAIM') claimCalls++;
      return (callBuffer as (c: string, ...a: unknown[]) => unknown)(command, ...args);
    }) as typeof own.callBuffer;
    const claims = async (): Promise<number> => claimCalls;
    let handled = 0;
    const c = new StreamConsumer(own, {
      streams: [stream], group: 'indexers', consumer: 'idle', log, count: 5, blockMs: 100, claimIdleMs: 30_000,
      handle: async (entries) => {
        handled += entries.length;
      },
    });
    const before = await claims();
    await c.start();
    try {
      await new Promise((r) => setTimeout(r, 1500));
      // One walk over the pending list, then nothing until the next claim period.
      expect((await claims()) - before).toBeLessThan(20);
      expect((await claims()) - before).toBeGreaterThan(0); // (it did walk them: the count is of its own calls)
      expect(handled).toBe(0);
    } finally {
      await c.stop();
    }
  });

  it('leaves entries pending when handling fails, and delivers them again', async () => {
    const { store, stream } = oneStream();
    await store.append(batch('flaky', 0));
    let attempts = 0;
    const c = new StreamConsumer(conn(), {
      streams: [stream], group: 'indexers', consumer: 'c', log, blockMs: 100,
      handle: async () => {
        attempts++;
        if (attempts < 3) throw new Error('Elasticsearch is away');
      },
    });
    await c.start();
    try {
      await until(async () => attempts >= 3 && (await pendingOf(stream)) === 0);
    } finally {
      await c.stop();
    }
    expect(attempts).toBe(3);
  });

  it('trims only what every required group has acknowledged, and nothing while a group is missing', async () => {
    const { store, stream } = oneStream();
    for (let i = 0; i < 10; i++) await store.append(batch('s', i));
    await ensureGroup(redis, stream, 'indexers');
    // 'detectors' is required but not created yet: nothing may go.
    expect(await trimProcessed(redis, stream, ['indexers', 'detectors'])).toBe(0);
    await ensureGroup(redis, stream, 'detectors');

    const read = async (group: string, n: number, ack: number): Promise<void> => {
      const r = (await redis.xreadgroup('GROUP', group, 'x', 'COUNT', n, 'STREAMS', stream, '>')) as Array<[string, Array<[string, string[]]>]>;
      const ids = r[0]![1].map(([id]) => id);
      if (ack > 0) await redis.xack(stream, group, ...ids.slice(0, ack));
    };
    await read('indexers', 8, 8); // indexers done with 8
    await read('detectors', 5, 3); // detectors read 5, acknowledged 3: the 4th is still needed
    await trimProcessed(redis, stream, ['indexers', 'detectors']);
    const left = (await redis.xrange(stream, '-', '+')).map(([, f]) => parseStreamEntry(f).seq);
    expect(left).toEqual([3, 4, 5, 6, 7, 8, 9]);
  });
});

/**
 * A batch the rules fail on every time is skipped by detection (collector/detect/poison.ts),
 * so it cannot hold up what comes after it; a failure that passes leaves the batch pending.
 * The errors here are real: Redis's own answers to failing scripts, a refused connection.
 */
import { Redis, ReplyError } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectOrSkip, failsEveryTime } from '../../collector/detect/poison.js';
import { freePort } from '../support/spine.js';
import { testStackConfig } from '../support/test-stack.js';

describe('batches the rules fail on every time', () => {
  let redis: Redis;
  let closed: Redis;
  beforeAll(async () => {
    redis = new Redis(testStackConfig().redis.url);
    // Nothing listens there: every command fails the way a Redis outage makes it fail.
    closed = new Redis({ port: await freePort(), lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  });
  afterAll(() => {
    redis.disconnect();
    closed.disconnect();
  });

  const failureOf = async (p: Promise<unknown>): Promise<unknown> => p.then(() => undefined, (e: unknown) => e);

  it("a script that fails on its input, or the engine's own error, fails every time", async () => {
    const overflow = await failureOf(redis.eval('local t = {} for i = 1, 10000 do t[i] = i end return {unpack(t)}', 0));
    const raised = await failureOf(redis.eval("error('boom')", 0));
    const badCall = await failureOf(redis.eval("return redis.call('NO_SUCH_COMMAND')", 0));
    for (const e of [overflow, raised, badCall]) {
      expect(e).toBeInstanceOf(ReplyError);
      expect(failsEveryTime(e), String(e)).toBe(true);
    }
    expect(String(overflow)).toMatch(/too many results to unpack/);
    expect(failsEveryTime(new TypeError("Cannot read properties of undefined (reading 'x')"))).toBe(true);
  });

  it('Redis away, loading or out of memory, or anything unknown, passes: the batch stays pending', async () => {
    const refused = await failureOf(closed.get('x'));
    expect(refused).toBeInstanceOf(Error);
    expect(failsEveryTime(refused), String(refused)).toBe(false);
    expect(failsEveryTime(new ReplyError('LOADING Redis is loading the dataset in memory'))).toBe(false);
    expect(failsEveryTime(new ReplyError('ERR Error running script (call to f_1): @user_script:1: -OOM command not allowed when used memory > maxmemory.'))).toBe(false);
    expect(failsEveryTime(new ReplyError('BUSY Redis is busy running a script'))).toBe(false);
    expect(failsEveryTime(new Error('connect ECONNREFUSED 127.0.0.1:9200'))).toBe(false);
    expect(failsEveryTime('not an error')).toBe(false);
  });

  it('detection skips such a batch, with its reason, and gives every other failure back', async () => {
    const skipped: string[] = [];
    const skip = async (reason: string) => void skipped.push(reason);
    expect(await detectOrSkip(() => redis.eval("error('boom')", 0), skip)).toBeUndefined();
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toMatch(/boom/);
    await expect(detectOrSkip(() => closed.get('x'), skip)).rejects.toThrow();
    expect(skipped).toHaveLength(1);
    expect(await detectOrSkip(async () => 42, skip)).toBe(42);
  });
});

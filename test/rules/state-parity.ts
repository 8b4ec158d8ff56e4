import type { Redis } from 'ioredis';
import { MemoryState } from '../../rules/engine/memory-state.js';
import { RedisState } from '../../rules/engine/redis-state.js';
import type { StateOp } from '../../rules/engine/state.js';

/**
 * The answers of the in-process store and of the Redis one to the same operations, fed to
 * both in chunks of the given size (order within a chunk is kept): the parity the Redis
 * store is held to.
 */
export async function answersOfBoth(redis: Redis, ops: readonly StateOp[], chunk: number): Promise<{ memory: unknown[]; redis: unknown[] }> {
  const mem = new MemoryState();
  const red = new RedisState(redis);
  const out = { memory: [] as unknown[], redis: [] as unknown[] };
  for (let i = 0; i < ops.length; i += chunk) {
    const part = ops.slice(i, i + chunk);
    out.memory.push(...(await mem.apply(part)));
    out.redis.push(...(await red.apply(part)));
  }
  return out;
}

/**
 * The state store on Redis (single node or Cluster). A batch's operations go to Redis in
 * as few script calls as the deployment allows (lua.ts, BATCH): on a single node one call
 * per chunk of operations; on a Cluster one per hash slot (a script may only touch keys
 * of one slot). The calls of a batch are written back to back without waiting, so a
 * batch phase costs one round trip whatever its size.
 */
import type { Cluster, Redis } from 'ioredis';
import { BATCH } from './lua.js';
import type { AggregateResult, Crossing, FirstSeenResult, RaiseResult, SequenceResult, StateOp, StateResult, StateStore } from './state.js';

type Reply = Array<string | number>;
type Script = (...args: Array<string | number | Buffer>) => Promise<unknown>;

/** Candidates examined per sequence record: bounds the work one record can cause. */
const MAX_CANDIDATES = 256;

/**
 * Operations per script call. A call holds Redis for its whole run (other clients of the
 * same Redis, the collector's streams among them, wait meanwhile): at a few µs per
 * operation this keeps a call to a few milliseconds.
 */
const DEFAULT_CHUNK = 512;

export interface RedisStateOptions {
  /** Operations per script call (default 512). */
  chunk?: number;
}

/** What the store has sent, for benchmarks and metrics. */
export class RedisStateStats {
  calls = 0;
  ops = 0;
  args = 0;
}

export class RedisState implements StateStore {
  readonly stats = new RedisStateStats();
  private readonly run: Script;
  private readonly cluster: boolean;
  private readonly chunk: number;

  constructor(
    private readonly redis: Redis | Cluster,
    o: RedisStateOptions = {},
  ) {
    // defineCommand sends EVALSHA and falls back to EVAL when a (restarted) Redis lost the script.
    if (!(redis as unknown as Record<string, unknown>).chotRulesBatch) redis.defineCommand('chotRulesBatch', { lua: BATCH });
    this.run = (redis as unknown as { chotRulesBatch: Script }).chotRulesBatch.bind(redis);
    this.cluster = (redis as { isCluster?: boolean }).isCluster === true;
    this.chunk = Math.max(1, o.chunk ?? DEFAULT_CHUNK);
  }

  /** Loads the script now, so the first batch does not pay for a NOSCRIPT round trip. */
  async preload(): Promise<void> {
    if (this.cluster) return; // each node loads it on its first NOSCRIPT
    await (this.redis as Redis).script('LOAD', BATCH);
  }

  async apply(ops: StateOp[]): Promise<StateResult[]> {
    if (ops.length === 0) return [];
    const groups: number[][] = [];
    if (this.cluster) {
      const bySlot = new Map<number, number[]>();
      ops.forEach((op, i) => {
        const slot = keySlot(op.key);
        const g = bySlot.get(slot);
        if (g) g.push(i);
        else bySlot.set(slot, [i]);
      });
      groups.push(...bySlot.values());
    } else groups.push(ops.map((_, i) => i));
    const results: StateResult[] = new Array(ops.length);
    const calls: Array<Promise<void>> = [];
    for (const g of groups) {
      for (let c = 0; c < g.length; c += this.chunk) {
        const idx = g.slice(c, c + this.chunk);
        calls.push(this.call(ops, idx, results));
      }
    }
    await Promise.all(calls);
    return results;
  }

  private async call(ops: StateOp[], idx: number[], results: StateResult[]): Promise<void> {
    const keys: string[] = [];
    const args: Array<string | number> = [];
    const params = new Map<string, number>();
    for (const i of idx) encode(ops[i]!, keys, args, params);
    this.stats.calls++;
    this.stats.ops += idx.length;
    this.stats.args += keys.length + args.length;
    // One argument as bytes puts ioredis in its buffer mode: the command is written piece by
    // piece into one Buffer. Otherwise it is built by appending thousands of strings, and
    // writing that string (flattening it) cost more than everything else a call does here.
    const last = Buffer.from(String(args.pop()));
    const reply = (await this.run(keys.length, ...keys, ...args, last)) as Reply;
    let at = 0;
    for (const i of idx) {
      const n = Number(reply[at]);
      const r = reply.slice(at + 1, at + 1 + n);
      at += 1 + n;
      results[i] = decode(ops[i]!, r);
    }
  }
}

/**
 * The arguments of each operation, in the order lua.ts (OP_ARGS, OP_KEYS) reads them. An
 * aggregate's rule parameters go once per call as a numbered set ('p'), before its first
 * operation; `params` numbers the sets of this call.
 */
function encode(op: StateOp, keys: string[], args: Array<string | number>, params: Map<string, number>): void {
  switch (op.t) {
    case 'agg': {
      const ttl = Math.ceil(op.ttlMs);
      const id = `${op.k} ${op.threshold} ${op.fn} ${ttl} ${op.maxEvidence}`;
      let n = params.get(id);
      if (n === undefined) {
        n = params.size + 1;
        params.set(id, n);
        args.push('p', op.k, op.threshold, op.fn, ttl, op.maxEvidence);
      }
      keys.push(`${op.key}:g`);
      args.push('a', op.member, op.bucket, op.value, op.running, n);
      return;
    }
    case 'seq':
      keys.push(`${op.key}:s`);
      for (let i = 1; i <= op.nSteps; i++) keys.push(`${op.key}:z${i}`);
      args.push('s', op.nSteps + 1, op.member, Math.floor(op.tsMs), op.steps.map((s) => s + 1).join(','), op.windowMs, op.ordered ? '1' : '0', Math.ceil(op.ttlMs), MAX_CANDIDATES);
      return;
    case 'first':
      keys.push(`${op.key}:f`);
      args.push('f', op.value, op.member, Math.floor(op.tsMs), op.learnMs, Math.ceil(op.ttlMs));
      return;
    case 'raise':
      keys.push(`${op.key}:a`, `${op.key}:m`);
      args.push('r', op.member, Math.floor(op.tsMs), Math.ceil(op.ttlMs), op.cap);
      return;
  }
}

function decode(op: StateOp, r: Reply): StateResult {
  switch (op.t) {
    case 'agg':
      return parseAgg(r);
    case 'seq':
      return parseSeq(r);
    case 'first':
      return { t: 'first', status: r[0] as FirstSeenResult['status'] };
    case 'raise':
      return { t: 'raise', status: r[0] as RaiseResult['status'], suppressed: Number(r[1]), firstMs: Number(r[2]), lastMs: Number(r[3]), createdMs: Number(r[4]) };
  }
}

/**
 * A crossing lists its window's first evidence ids (at most its maximum) with their
 * buckets, in bucket order but not in id order within a bucket: here they are put in
 * (bucket, id) byte order, the order of memory-state.ts (Lua compares by locale).
 */
function parseAgg(r: Reply): AggregateResult {
  const crossings: Crossing[] = [];
  let i = 1;
  while (i < r.length) {
    const period = Number(r[i]);
    const value = Number(r[i + 1]);
    const end = Number(r[i + 2]);
    const first = Number(r[i + 3]);
    const n = Number(r[i + 4]);
    const evs: Array<[string, number]> = [];
    for (let j = 0; j < n; j++) evs.push([String(r[i + 5 + 2 * j]), Number(r[i + 6 + 2 * j])]);
    evs.sort((x, y) => x[1] - y[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
    crossings.push({ period, value, end, first, evidence: evs.map(([m]) => m) });
    i += 5 + 2 * n;
  }
  return { t: 'agg', status: r[0] as AggregateResult['status'], crossings };
}

function parseSeq(r: Reply): SequenceResult {
  const chains: SequenceResult['chains'] = [];
  let i = 1;
  while (i < r.length) {
    const period = Number(r[i]);
    const n = Number(r[i + 1]);
    chains.push({ period, members: r.slice(i + 2, i + 2 + n).map(String) });
    i += 2 + n;
  }
  return { t: 'seq', status: r[0] as SequenceResult['status'], chains };
}

/** The Redis Cluster slot of a key: CRC16 (XMODEM) of its hash tag, or of the whole key, mod 16384. */
export function keySlot(key: string): number {
  const open = key.indexOf('{');
  let s = key;
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) s = key.slice(open + 1, close);
  }
  const bytes = Buffer.from(s, 'utf8');
  let crc = 0;
  for (const b of bytes) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

/**
 * The state store on Redis (single node or Cluster): each operation is one Lua script
 * (lua.ts), sent back to back on the connection without waiting (ioredis writes them in
 * order and reads the replies in order), so a batch costs about one round trip per phase.
 */
import type { Cluster, Redis } from 'ioredis';
import { AGGREGATE, FIRST_SEEN, RAISE, SEQUENCE } from './lua.js';
import type { AggregateResult, Crossing, FirstSeenResult, RaiseResult, SequenceResult, StateOp, StateResult, StateStore } from './state.js';

type Reply = Array<string | number>;
type Script = (...args: Array<string | number>) => Promise<unknown>;

interface Scripts {
  chotRulesAgg: Script;
  chotRulesSeq: Script;
  chotRulesFirst: Script;
  chotRulesRaise: Script;
}

/** Candidates examined per sequence record: bounds the work one record can cause. */
const MAX_CANDIDATES = 256;

export class RedisState implements StateStore {
  private readonly r: Scripts;

  constructor(redis: Redis | Cluster) {
    // defineCommand uses EVALSHA and falls back to EVAL when a (restarted) Redis lost the script.
    redis.defineCommand('chotRulesAgg', { numberOfKeys: 3, lua: AGGREGATE });
    redis.defineCommand('chotRulesSeq', { lua: SEQUENCE });
    redis.defineCommand('chotRulesFirst', { numberOfKeys: 1, lua: FIRST_SEEN });
    redis.defineCommand('chotRulesRaise', { numberOfKeys: 2, lua: RAISE });
    this.r = redis as unknown as Scripts;
  }

  async apply(ops: StateOp[]): Promise<StateResult[]> {
    return Promise.all(ops.map((op) => this.one(op)));
  }

  private async one(op: StateOp): Promise<StateResult> {
    switch (op.t) {
      case 'agg': {
        const reply = (await this.r.chotRulesAgg(`${op.key}:w`, `${op.key}:e`, `${op.key}:v`, op.member, op.bucket, op.k, op.threshold, op.fn, op.value, op.running, Math.ceil(op.ttlMs), op.maxEvidence, `${op.key}:h:`)) as Reply;
        return parseAgg(reply);
      }
      case 'seq': {
        const keys = [`${op.key}:s`, ...Array.from({ length: op.nSteps }, (_, i) => `${op.key}:z${i + 1}`)];
        const reply = (await this.r.chotRulesSeq(keys.length, ...keys, op.member, Math.floor(op.tsMs), op.steps.map((s) => s + 1).join(','), op.windowMs, op.ordered ? '1' : '0', Math.ceil(op.ttlMs), MAX_CANDIDATES)) as Reply;
        return parseSeq(reply);
      }
      case 'first': {
        const status = (await this.r.chotRulesFirst(`${op.key}:f`, op.value, op.member, Math.floor(op.tsMs), op.learnMs, Math.ceil(op.ttlMs))) as FirstSeenResult['status'];
        return { t: 'first', status };
      }
      case 'raise': {
        const r = (await this.r.chotRulesRaise(`${op.key}:a`, `${op.key}:m`, op.member, Math.floor(op.tsMs), Math.ceil(op.ttlMs), op.cap)) as Reply;
        return { t: 'raise', status: r[0] as RaiseResult['status'], suppressed: Number(r[1]), firstMs: Number(r[2]), lastMs: Number(r[3]), createdMs: Number(r[4]) };
      }
    }
  }
}

function parseAgg(r: Reply): AggregateResult {
  const crossings: Crossing[] = [];
  let i = 1;
  while (i < r.length) {
    const period = Number(r[i]);
    const value = Number(r[i + 1]);
    const end = Number(r[i + 2]);
    const first = Number(r[i + 3]);
    const n = Number(r[i + 4]);
    crossings.push({ period, value, end, first, evidence: r.slice(i + 5, i + 5 + n).map(String) });
    i += 5 + n;
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

/**
 * The state store in process memory: the algorithms of lua.ts, line for line, for one
 * process (`chot rules test`, unit tests, a single-node lab). A parity test runs the
 * same operations through both stores and compares the answers. Two differences in
 * means, none in answers: what falls out of reach is deleted here when the window
 * moves, while lua.ts ignores it from then on and sweeps it later; and here a crossing's
 * evidence is picked from every counted id, while lua.ts returns whole buckets of its
 * window's first ids and redis-state.ts sorts and cuts them the same way.
 */
import type { AggregateOp, AggregateResult, Crossing, FirstSeenOp, FirstSeenResult, RaiseOp, RaiseResult, SequenceOp, SequenceResult, StateOp, StateResult, StateStore } from './state.js';
import { seqMemberTime } from './state.js';

interface Agg {
  m?: number;
  c: Map<number, number>;
  s: Map<number, number>;
  n: Map<number, number>;
  a: Map<number, { w: number; e: number; ev: string }>;
  ev: Map<string, number>;
  /** Per distinct value (or running key): buckets, and the last bucket (the aux index). */
  vals: Map<string, number[]>;
  aux: Map<string, number>;
  running: Map<string, number>;
  hll: Map<number, Set<string>>;
}

interface Seq {
  m?: number;
  z: string[][];
  a: Map<number, { raiser: string; chain: string[] }>;
  x: Map<string, number[]>;
}

export class MemoryState implements StateStore {
  private readonly agg = new Map<string, Agg>();
  private readonly seq = new Map<string, Seq>();
  private readonly first = new Map<string, { start?: number; values: Map<string, string> }>();
  private readonly raises = new Map<string, { by: string; at: number; n: number; first: number; last: number; members: Set<string> }>();

  async apply(ops: StateOp[]): Promise<StateResult[]> {
    return ops.map((op) => this.one(op));
  }

  one(op: StateOp): StateResult {
    switch (op.t) {
      case 'agg':
        return this.aggregate(op);
      case 'seq':
        return this.sequence(op);
      case 'first':
        return this.firstSeen(op);
      case 'raise':
        return this.raise(op);
    }
  }

  private aggregate(op: AggregateOp): AggregateResult {
    const { bucket: b, k, member: ev } = op;
    let st = this.agg.get(op.key);
    const fresh = (): Agg => ({ c: new Map(), s: new Map(), n: new Map(), a: new Map(), ev: new Map(), vals: new Map(), aux: new Map(), running: new Map(), hll: new Map() });
    if (!st) this.agg.set(op.key, (st = fresh()));
    const out: Crossing[] = [];
    const evidence = (e: number): Array<[string, number]> =>
      [...st!.ev.entries()]
        .filter(([, j]) => j >= e - k + 1 && j <= e)
        .sort((x, y) => x[1] - y[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))
        .slice(0, op.maxEvidence);
    const emit = (p: number, w: number, e: number) => {
      const evs = evidence(e);
      out.push({ period: p, value: w, end: e, first: evs[0]?.[1] ?? e, evidence: evs.map(([m]) => m) });
    };
    if (st.ev.has(ev)) {
      for (let p = Math.floor(b / k); p <= Math.floor((b + k - 1) / k); p++) {
        const a = st.a.get(p);
        if (a && a.ev === ev) emit(p, a.w, a.e);
      }
      return { t: 'agg', status: 'dup', crossings: out };
    }
    if (st.m !== undefined && b < st.m - 2 * k) return { t: 'agg', status: 'late', crossings: [] };
    if (st.m === undefined || b > st.m) {
      if (st.m !== undefined && b - 2 * k > st.m) {
        this.agg.set(op.key, (st = fresh()));
      } else if (st.m !== undefined) {
        const cutNew = b - 3 * k;
        for (let j = st.m - 3 * k; j < cutNew; j++) {
          st.c.delete(j);
          st.s.delete(j);
          st.n.delete(j);
          st.hll.delete(j);
        }
        for (let p = Math.floor((st.m - 3 * k) / k); p < Math.floor(cutNew / k); p++) st.a.delete(p);
        for (const [m, j] of st.ev) if (j < cutNew) st.ev.delete(m);
        for (const [f, j] of st.aux) {
          if (j < cutNew) {
            st.aux.delete(f);
            st.vals.delete(f);
            st.running.delete(f);
          }
        }
      }
      st.m = b;
    }
    const m = st.m;
    st.ev.set(ev, b);
    st.c.set(b, (st.c.get(b) ?? 0) + 1);
    const touch = (f: string) => {
      const s = st!.aux.get(f);
      if (s === undefined || b > s) st!.aux.set(f, b);
    };
    if (op.fn === 'sum') {
      let x = Number(op.value) || 0;
      if (op.running !== '') {
        const f = `t:${op.running}`;
        const last = st.running.get(f) ?? 0;
        if (x > last) {
          st.running.set(f, x);
          x -= last;
        } else x = 0;
        touch(f);
      }
      if (x !== 0) st.s.set(b, (st.s.get(b) ?? 0) + x);
    } else if (op.fn === 'distinct') {
      const f = `v:${op.value}`;
      const bs = (st.vals.get(f) ?? []).filter((j) => j >= m - 3 * k);
      if (!bs.includes(b)) {
        for (let e = b; e <= b + k - 1; e++) {
          if (!bs.some((j) => j >= e - k + 1 && j <= e)) st.n.set(e, (st.n.get(e) ?? 0) + 1);
        }
        bs.push(b);
      }
      st.vals.set(f, bs);
      touch(f);
    } else if (op.fn === 'hll') {
      let set = st.hll.get(b);
      if (!set) st.hll.set(b, (set = new Set()));
      set.add(op.value);
    }
    const windowValue = (e: number): number => {
      if (op.fn === 'distinct') return st!.n.get(e) ?? 0;
      if (op.fn === 'hll') {
        const u = new Set<string>();
        for (let j = e - k + 1; j <= e; j++) for (const x of st!.hll.get(j) ?? []) u.add(x);
        return u.size;
      }
      const src = op.fn === 'sum' ? st!.s : st!.c;
      let total = 0;
      for (let j = e - k + 1; j <= e; j++) total += src.get(j) ?? 0;
      return total;
    };
    for (let e = b; e <= b + k - 1; e++) {
      if (e !== b && !st.c.has(e)) continue;
      const p = Math.floor(e / k);
      if (st.a.has(p)) continue;
      const w = windowValue(e);
      if (w >= op.threshold) {
        st.a.set(p, { w, e, ev });
        emit(p, w, e);
      }
    }
    return { t: 'agg', status: 'ok', crossings: out };
  }

  private sequence(op: SequenceOp): SequenceResult {
    const W = op.windowMs;
    const N = op.nSteps;
    let st = this.seq.get(op.key);
    if (!st) this.seq.set(op.key, (st = { z: Array.from({ length: N }, () => []), a: new Map(), x: new Map() }));
    const mem = op.member;
    const ts = op.tsMs;
    const chains: SequenceResult['chains'] = [];
    const first = op.steps[0]!;
    if (st.z[first]!.includes(mem)) {
      for (const p of st.x.get(mem) ?? []) {
        const a = st.a.get(p);
        if (a) chains.push({ period: p, members: a.chain });
      }
      return { t: 'seq', status: 'dup', chains };
    }
    if (st.m !== undefined && ts < st.m - 2 * W) return { t: 'seq', status: 'late', chains: [] };
    if (st.m === undefined || ts > st.m) {
      if (st.m !== undefined && ts - 2 * W > st.m) {
        this.seq.set(op.key, (st = { z: Array.from({ length: N }, () => []), a: new Map(), x: new Map() }));
      } else if (st.m !== undefined) {
        const cut = ts - 3 * W;
        for (const z of st.z) {
          let i = 0;
          while (i < z.length && seqMemberTime(z[i]!) < cut) i++;
          z.splice(0, i);
        }
        for (let p = Math.floor((st.m - 3 * W) / W); p < Math.floor(cut / W); p++) {
          const a = st.a.get(p);
          if (a) {
            st.a.delete(p);
            st.x.delete(a.raiser);
          }
        }
      }
      st.m = ts;
    }
    for (const s of op.steps) insertSorted(st.z[s]!, mem);
    const hi = ts + W;
    const inRange = (z: string[]) => z.filter((m) => m >= mem && seqMemberTime(m) <= hi);
    const candidates = op.ordered ? inRange(st.z[N - 1]!) : [...new Set(st.z.flatMap(inRange))].sort();
    const raised: number[] = [];
    for (const L of candidates.slice(0, 256)) {
      const tL = seqMemberTime(L);
      const p = Math.floor(tL / W);
      if (st.a.has(p)) continue;
      const chain = op.ordered ? backward(st.z, L, W) : unordered(st.z, L, W);
      if (chain) {
        st.a.set(p, { raiser: mem, chain });
        raised.push(p);
        chains.push({ period: p, members: chain });
      }
    }
    if (raised.length > 0) st.x.set(mem, raised);
    return { t: 'seq', status: 'ok', chains };
  }

  private firstSeen(op: FirstSeenOp): FirstSeenResult {
    let st = this.first.get(op.key);
    if (!st) this.first.set(op.key, (st = { values: new Map() }));
    if (st.start === undefined || op.tsMs < st.start) st.start = op.tsMs;
    const cur = st.values.get(op.value);
    if (cur !== undefined) return { t: 'first', status: cur === `${op.member}|1` ? 'again' : 'known' };
    const alert = op.tsMs - st.start >= op.learnMs;
    st.values.set(op.value, `${op.member}|${alert ? 1 : 0}`);
    return { t: 'first', status: alert ? 'new' : 'learned' };
  }

  private raise(op: RaiseOp): RaiseResult {
    const a = this.raises.get(op.key);
    if (!a) {
      this.raises.set(op.key, { by: op.member, at: op.tsMs, n: 1, first: op.tsMs, last: op.tsMs, members: new Set([op.member]) });
      return { t: 'raise', status: 'created', suppressed: 0, firstMs: op.tsMs, lastMs: op.tsMs, createdMs: op.tsMs };
    }
    if (a.members.has(op.member)) return { t: 'raise', status: a.by === op.member ? 'created' : 'dup', suppressed: a.n - 1, firstMs: a.first, lastMs: a.last, createdMs: a.at };
    a.n++;
    if (a.members.size < op.cap) a.members.add(op.member);
    a.first = Math.min(a.first, op.tsMs);
    a.last = Math.max(a.last, op.tsMs);
    return { t: 'raise', status: 'updated', suppressed: a.n - 1, firstMs: a.first, lastMs: a.last, createdMs: a.at };
  }
}

function insertSorted(z: string[], m: string): void {
  let l = 0;
  let r = z.length;
  while (l < r) {
    const mid = (l + r) >>> 1;
    if (z[mid]! < m) l = mid + 1;
    else r = mid;
  }
  if (z[l] !== m) z.splice(l, 0, m);
}

/** The latest member of each earlier step strictly before the next: the tightest chain ending at L. */
function backward(z: string[][], L: string, W: number): string[] | undefined {
  const chain = [L];
  let cur = L;
  for (let s = z.length - 2; s >= 0; s--) {
    const list = z[s]!;
    let prev: string | undefined;
    for (let i = list.length - 1; i >= 0; i--) {
      if (list[i]! < cur) {
        prev = list[i];
        break;
      }
    }
    if (prev === undefined) return undefined;
    chain.unshift(prev);
    cur = prev;
  }
  return seqMemberTime(L) - seqMemberTime(cur) <= W ? chain : undefined;
}

/** One member of every step in [t(M) - W, M]: M is the latest of the set. */
function unordered(z: string[][], M: string, W: number): string[] | undefined {
  const lo = String(Math.max(0, seqMemberTime(M) - W)).padStart(15, '0');
  const chain: string[] = [];
  for (const list of z) {
    let pick: string | undefined;
    for (let i = list.length - 1; i >= 0; i--) {
      const m = list[i]!;
      if (m > M) continue;
      if (m >= lo) pick = m;
      break;
    }
    if (pick === undefined) return undefined;
    chain.push(pick);
  }
  return chain;
}

import type { FrameSink } from '../sink.js';
import type { ConnState, DnsFacts, HttpFacts, IcmpFacts, ScenarioTag, Service, SshFacts, TlsFacts, TruthProto } from '../truth.js';
import type { PacketPlan } from './plan.js';

/** Something on the generator's timeline: a flow's next packet, or a source of new flows. */
export interface Schedulable {
  /** When it next acts, in nanoseconds since the capture's start. */
  at: number;
  /** Tie-breaker among equal times: the order things were scheduled in, so output is deterministic. */
  order: number;
  /** Acts at `at` (`t` is `at` truncated to the file's resolution); true when a frame was written. */
  step(sink: FrameSink, t: number): boolean;
  /** False once it will never act again. */
  readonly active: boolean;
}

/** What the truth says about a flow besides its counts. */
export interface FlowMeta {
  uid: string;
  scenario: ScenarioTag;
  proto: TruthProto;
  ipVersion: 4 | 6;
  origH: string;
  origP: number;
  respH: string;
  respP: number;
  service: Service;
  vlan: number | null;
  innerVlan: number | null;
  mpls: { orig: number[]; resp: number[] } | null;
  app: { dns?: DnsFacts; tls?: TlsFacts; http?: HttpFacts[]; ssh?: SshFacts; icmp?: IcmpFacts };
}

/** Zeek's default inactivity timeouts: a longer pause would split the flow in two. */
export const INACTIVITY_TIMEOUT_NS = { tcp: 300e9, udp: 60e9, icmp: 60e9, icmp6: 60e9 } as const;

/** A flow whose packets pause longer than Zeek's timeout would not be one flow to Zeek: refuse to make it. */
function assertNoIdleTimeout(meta: FlowMeta, plan: PacketPlan): void {
  // Half the timeout: a margin for whatever a sensor counts as "idle".
  const limit = INACTIVITY_TIMEOUT_NS[meta.proto] / 2;
  for (let i = 1; i < plan.count; i++) {
    if (plan.at[i]! - plan.at[i - 1]! > limit) throw new Error(`internal error: flow ${meta.uid} pauses longer than ${limit / 1e9} s`);
  }
}

/**
 * One connection replaying its packet plan, one packet per `step`, and counting what it
 * actually wrote: the truth's packet and byte counts come from here, not from the plan.
 */
export abstract class Flow implements Schedulable {
  at: number;
  order = 0;
  readonly pkts = [0, 0];
  readonly ipBytes = [0, 0];
  readonly appBytes = [0, 0];
  first = -1;
  last = -1;
  /** When the flow starts: whole nanoseconds since the capture's start. */
  readonly start: number;
  protected next = 0;

  constructor(
    readonly meta: FlowMeta,
    readonly plan: PacketPlan,
    start: number,
  ) {
    if (plan.count === 0) throw new Error(`flow ${meta.uid} has no packets`);
    assertNoIdleTimeout(meta, plan);
    this.start = Math.round(start);
    this.at = this.start + plan.at[0]!;
  }

  get active(): boolean {
    return this.next < this.plan.count;
  }

  get end(): number {
    return this.start + this.plan.lastAt;
  }

  step(sink: FrameSink, t: number): boolean {
    const i = this.next;
    const dir = this.plan.dir[i]!;
    const ipLen = this.writePacket(i, dir, sink, t);
    this.pkts[dir]!++;
    this.ipBytes[dir]! += ipLen;
    this.appBytes[dir]! += this.plan.len[i]!;
    if (this.first < 0) this.first = t;
    this.last = t;
    this.next = i + 1;
    this.at = this.next < this.plan.count ? this.start + this.plan.at[this.next]! : Infinity;
    return true;
  }

  /** Writes packet i of the plan into the sink; returns its IP length. */
  protected abstract writePacket(i: number, dir: number, sink: FrameSink, t: number): number;

  abstract get history(): string;
  abstract get connState(): ConnState;
}

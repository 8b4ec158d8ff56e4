import { PayloadPool } from './apps/payload-pool.js';
import { LabPki } from './apps/pki.js';
import { CaptureClock } from './clock.js';
import { FlowFactory, UidSource } from './flow-factory.js';
import { Flow } from './flows/flow.js';
import { BenignMix, MEAN_FLOW_SECONDS, MEAN_PACKETS_PER_FLOW, type MixWeights } from './mix/benign.js';
import { BenignSpawner } from './mix/spawner.js';
import { ClientPool, DEFAULT_ENCAPSULATION, IcmpPairs, PortAllocator } from './network.js';
import { type TrafficOptions, resolveOptions } from './options.js';
import { Prng } from './prng.js';
import { planScenarios } from './scenarios/index.js';
import type { ScenarioPlan } from './scenarios/scenario.js';
import { Timeline } from './scheduler.js';
import type { FrameSink } from './sink.js';
import { scenarioSummary, tally, truthFlow } from './truth-builder.js';
import { type ResolvedOptions, TRAFFIC_GENERATOR_VERSION, TRUTH_FORMAT, TRUTH_FORMAT_VERSION, type Truth, type TruthFlow } from './truth.js';

const S = 1_000_000_000;
/** With scenarios the timeline is long enough for them to play out among benign traffic. */
const MIN_SPAN_WITH_SCENARIOS = 120 * S;
const MIN_SPAN = 1 * S;

/** What the sink counted, for the truth's capture facts. */
export interface CaptureStats {
  packets: number;
  frameBytes: number;
  fileBytes: number;
}

/**
 * The generator's core: plans the scenarios, starts benign flows over the timeline, and
 * writes frames one at a time, in timestamp order, into whatever sink it is given. It is
 * synchronous and allocation-light per frame; writing files and pacing live output are
 * the callers' business (see generate.ts).
 */
export class TrafficEngine {
  readonly options: ResolvedOptions;
  readonly clock: CaptureClock;
  private readonly timeline = new Timeline();
  private readonly scenarioPlans: ScenarioPlan[] = [];
  private readonly finished: { first: number; order: number; record: TruthFlow }[] = [];
  private packetsWritten = 0;

  constructor(options: TrafficOptions) {
    const o = resolveOptions(options);
    this.options = o;
    const start = new Date(o.startTime);
    this.clock = new CaptureClock(start, o.nanosecond);
    const root = new Prng(o.seed);
    const factory = new FlowFactory({
      rng: root.fork('benign'),
      pool: new PayloadPool(root.fork('payload')),
      pki: new LabPki(root.fork('pki'), start),
      clock: this.clock,
      ports: new PortAllocator(root.fork('ports')),
      icmpPairs: new IcmpPairs(),
      uids: new UidSource(root.fork('uids')),
      encapsulation: DEFAULT_ENCAPSULATION,
    });
    const clients = new ClientPool();

    const expectedFlows = o.packets / MEAN_PACKETS_PER_FLOW;
    const spanNs = Math.max(o.scenarios ? MIN_SPAN_WITH_SCENARIOS : MIN_SPAN, ((expectedFlows * MEAN_FLOW_SECONDS) / o.concurrency) * S);

    let scenarioPackets = 0;
    if (o.scenarios) {
      this.scenarioPlans.push(...planScenarios(factory.forked('scenarios'), clients, spanNs, o.exfilBytes));
      for (const plan of this.scenarioPlans) {
        for (const flow of plan.flows) {
          this.timeline.add(flow);
          scenarioPackets += flow.plan.count;
        }
      }
    }
    const benignBudget = o.scenarios ? Math.max(o.packets - scenarioPackets, Math.ceil(o.packets / 2)) : o.packets;
    const mix = new BenignMix(factory, clients, o.mix as MixWeights);
    const spawner = new BenignSpawner((t) => mix.next(t), benignBudget, spanNs / Math.max(1, benignBudget / MEAN_PACKETS_PER_FLOW), this.timeline, root.fork('arrivals'));
    if (spawner.active) this.timeline.add(spawner);
  }

  /** Writes the next frame into the sink; false once every flow has finished. */
  next(sink: FrameSink): boolean {
    const timeline = this.timeline;
    for (;;) {
      const item = timeline.peek();
      if (!item) return false;
      const wrote = item.step(sink, this.clock.quantize(item.at));
      const keep = item.active;
      timeline.settleTop(keep);
      if (!keep && item instanceof Flow) this.finished.push({ first: item.first, order: item.order, record: truthFlow(item, this.clock) });
      if (wrote) {
        this.packetsWritten++;
        return true;
      }
    }
  }

  get done(): boolean {
    return this.timeline.size === 0;
  }

  /** The ground truth, once `next` has returned false. */
  truth(stats: CaptureStats): Truth {
    if (!this.done) throw new Error('the truth is known only once the capture is complete');
    const flows = this.finished.sort((a, b) => a.first - b.first || a.order - b.order).map((f) => f.record);
    const packets = flows.reduce((n, f) => n + f.orig_pkts + f.resp_pkts, 0);
    // The truth is counted by the flows, the capture by the sink: they must agree.
    if (packets !== stats.packets || packets !== this.packetsWritten) throw new Error(`internal error: flows hold ${packets} packets, the capture ${stats.packets}`);
    const first = flows.length ? flows[0]! : null;
    const lastNs = flows.reduce((m, f) => (BigInt(f.last_ts_ns) > m ? BigInt(f.last_ts_ns) : m), 0n);
    const last = flows.find((f) => BigInt(f.last_ts_ns) === lastNs) ?? null;
    return {
      format: TRUTH_FORMAT,
      format_version: TRUTH_FORMAT_VERSION,
      generator: { name: 'chot lab traffic', version: TRAFFIC_GENERATOR_VERSION },
      seed: this.options.seed,
      options: this.options,
      capture: {
        link_type: 1,
        snaplen: 262144,
        timestamp_resolution: this.options.nanosecond ? 'ns' : 'us',
        magic: this.options.nanosecond ? 'a1b23c4d' : 'a1b2c3d4',
        packets: stats.packets,
        frame_bytes: stats.frameBytes,
        file_bytes: stats.fileBytes,
        ts: first?.ts ?? 0,
        last_ts: last?.last_ts ?? 0,
        ts_ns: first?.ts_ns ?? '0',
        last_ts_ns: last?.last_ts_ns ?? '0',
      },
      zeek: { tcp_inactivity_timeout: 300, udp_inactivity_timeout: 60, icmp_inactivity_timeout: 60 },
      counts: {
        flows: flows.length,
        by_proto: tally(flows, (f) => f.proto),
        by_scenario: tally(flows, (f) => f.scenario),
        by_conn_state: tally(flows, (f) => f.conn_state),
        by_service: tally(flows, (f) => f.service || '-'),
      },
      scenarios: this.scenarioPlans.map((p) => scenarioSummary(p, this.clock)),
      flows,
    };
  }
}

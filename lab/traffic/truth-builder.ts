import type { CaptureClock } from './clock.js';
import type { Flow } from './flows/flow.js';
import type { ScenarioPlan } from './scenarios/scenario.js';
import type { ScenarioSummary, TruthFlow } from './truth.js';

/** The truth record of a finished flow, from what it wrote. */
export function truthFlow(flow: Flow, clock: CaptureClock): TruthFlow {
  const m = flow.meta;
  const record: TruthFlow = {
    uid: m.uid,
    scenario: m.scenario,
    proto: m.proto,
    ip_version: m.ipVersion,
    orig_h: m.origH,
    orig_p: m.origP,
    resp_h: m.respH,
    resp_p: m.respP,
    ts: clock.epochSeconds(flow.first),
    last_ts: clock.epochSeconds(flow.last),
    duration: (flow.last - flow.first) / 1e9,
    ts_ns: clock.epochNsText(flow.first),
    last_ts_ns: clock.epochNsText(flow.last),
    orig_pkts: flow.pkts[0]!,
    resp_pkts: flow.pkts[1]!,
    orig_ip_bytes: flow.ipBytes[0]!,
    resp_ip_bytes: flow.ipBytes[1]!,
    orig_bytes: flow.appBytes[0]!,
    resp_bytes: flow.appBytes[1]!,
    missed_bytes: 0,
    conn_state: flow.connState,
    history: flow.history,
    service: m.service,
    vlan: m.vlan,
    inner_vlan: m.innerVlan,
    mpls: m.mpls,
  };
  if (m.app.dns) record.dns = m.app.dns;
  if (m.app.tls) record.tls = m.app.tls;
  if (m.app.http) record.http = m.app.http;
  if (m.app.ssh) record.ssh = m.app.ssh;
  if (m.app.icmp) record.icmp = m.app.icmp;
  return record;
}

/** A scenario's summary, from its finished flows. */
export function scenarioSummary(plan: ScenarioPlan, clock: CaptureClock): ScenarioSummary {
  let first = Infinity;
  let last = -Infinity;
  let packets = 0;
  for (const f of plan.flows) {
    first = Math.min(first, f.first);
    last = Math.max(last, f.last);
    packets += f.pkts[0]! + f.pkts[1]!;
  }
  if (plan.flows.length === 0) first = last = 0;
  return {
    tag: plan.tag,
    description: plan.description,
    sources: plan.sources,
    targets: plan.targets,
    ports: plan.ports,
    flows: plan.flows.length,
    packets,
    ts: clock.epochSeconds(first),
    last_ts: clock.epochSeconds(last),
    ts_ns: clock.epochNsText(first),
    last_ts_ns: clock.epochNsText(last),
    uids: plan.flows.map((f) => f.meta.uid),
    details: plan.details,
  };
}

/** How many of each value a key takes over the flows, keys sorted. */
export function tally(flows: readonly TruthFlow[], key: (f: TruthFlow) => string): Record<string, number> {
  const counts = new Map<string, number>();
  for (const f of flows) {
    const k = key(f);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return Object.fromEntries([...counts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

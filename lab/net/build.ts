import { existsSync } from 'node:fs';
import { ip, ipIn, mustRun } from './commands.js';
import type { HostPlan, InterfacePlan, LabPlan } from './topology.js';

/**
 * Builds the plan in the kernel: namespaces, the WAN wires, the commune LAN, addresses and
 * routes. It assumes nothing of the plan's names exists yet (`up` tears a partial lab down
 * first) and stops at the first command that fails, naming it.
 */
export async function buildTopology(plan: LabPlan): Promise<void> {
  for (const host of Object.values(plan.hosts)) await createNamespace(host, host.name === plan.lan.router);
  for (const link of plan.wanLinks) {
    const down = plan.hosts[link.down];
    const up = plan.hosts[link.up];
    await createRootVeth(down, interfaceOf(down, 'wan0'), link.captureInterface);
    await createRootVeth(up, interfaceOf(up, 'down0'), link.upPort);
    await wire(link.captureInterface, link.upPort);
  }
  await createCommuneLan(plan);
  for (const host of Object.values(plan.hosts)) await configureHost(host);
}

// Veths default to TSO/GSO, so a sender's stack would hand 64 KB "frames" down the wire and
// every capture would show segments no real WAN carries. One segment per packet keeps what
// the sensors see wire-sized.
const WIRE_SIZED = ['gso_max_segs', '1'];

// The root-namespace ends carry frames, not IP: a larger MTU lets injected frames with VLAN,
// QinQ or MPLS headers on top of a full 1500-byte packet pass the packet socket's size check.
const ROOT_END_MTU = '9000';

// The routers' WAN interfaces take "baby giants", as MPLS and QinQ carrier links do: a full
// 1500-byte packet plus labels or two tags is a 1522-byte frame, which a 1500 MTU veth drops
// (and the injector sees refused with ENOBUFS). Hosts send at most 1500, so IP is unchanged.
const WAN_INSIDE_MTU = '1600';

// Bridged frames would go through br_netfilter (bridge-nf-call-iptables), which silently drops
// malformed IP such as a bad header checksum: exactly what a security lab must carry.
const NO_BRIDGE_NETFILTER = ['net.bridge.bridge-nf-call-iptables=0', 'net.bridge.bridge-nf-call-ip6tables=0', 'net.bridge.bridge-nf-call-arptables=0'];

async function createNamespace(host: HostPlan, hasBridge: boolean): Promise<void> {
  await ip('netns', 'add', host.namespace);
  const forward = host.forwarding ? '1' : '0';
  const settings = [
    // The lab's routing is symmetric by design; reverse-path filtering would only hide mistakes.
    'net.ipv4.conf.all.rp_filter=0',
    'net.ipv4.conf.default.rp_filter=0',
    // Planned addresses need no duplicate detection, and DAD would delay IPv6 by seconds.
    'net.ipv6.conf.all.accept_dad=0',
    'net.ipv6.conf.default.accept_dad=0',
    `net.ipv4.ip_forward=${forward}`,
    `net.ipv6.conf.all.forwarding=${forward}`,
  ];
  // The bridge sysctls exist only while br_netfilter is loaded; without it there is nothing to turn off.
  if (hasBridge && existsSync('/proc/sys/net/bridge')) settings.push(...NO_BRIDGE_NETFILTER);
  // Set before any interface exists, so every interface inherits the defaults.
  await mustRun(['ip', 'netns', 'exec', host.namespace, 'sysctl', '-q', '-w', ...settings]);
  await ipIn(host.namespace, 'link', 'set', 'dev', 'lo', 'up');
}

function interfaceOf(host: HostPlan, name: string): InterfacePlan {
  const i = host.interfaces.find((x) => x.name === name);
  if (!i) throw new Error(`internal: lab plan gives ${host.name} no ${name}`);
  return i;
}

/** A veth with one end inside the host's namespace and the other in the root namespace. */
async function createRootVeth(host: HostPlan, inside: InterfacePlan, rootEnd: string): Promise<void> {
  await ip(
    'link', 'add', 'name', inside.name, ...macArgs(inside), 'netns', host.namespace, ...WIRE_SIZED,
    'type', 'veth', 'peer', 'name', rootEnd, ...WIRE_SIZED,
  );
  await ip('link', 'set', 'dev', rootEnd, 'mtu', ROOT_END_MTU, 'up');
  await ipIn(host.namespace, 'link', 'set', 'dev', inside.name, 'mtu', WAN_INSIDE_MTU);
}

/**
 * Joins two root-namespace veth ends into a wire: whatever arrives on one leaves by the other,
 * byte for byte. tc is used instead of a bridge because a root-namespace bridge is subject to
 * the host's br_netfilter setting, and its per-bridge nf_call_iptables=0 cannot override a
 * global 1 (the kernel ORs them); a wire also does no learning, flooding or STP.
 */
async function wire(a: string, b: string): Promise<void> {
  for (const [from, to] of [[a, b], [b, a]] as const) {
    await mustRun(['tc', 'qdisc', 'add', 'dev', from, 'clsact']);
    // Classic BPF `ret #-1`: every frame matches, whatever its protocol or length (u32, the
    // usual match-all, reads 4 bytes past the Ethernet header and lets runt frames fall through).
    await mustRun([
      'tc', 'filter', 'add', 'dev', from, 'ingress', 'protocol', 'all', 'prio', '1',
      'bpf', 'bytecode', '1,6 0 0 4294967295', 'action', 'mirred', 'egress', 'redirect', 'dev', to,
    ]);
  }
}

async function createCommuneLan(plan: LabPlan): Promise<void> {
  const router = plan.hosts[plan.lan.router];
  const ns = router.namespace;
  const gateway = interfaceOf(router, plan.lan.bridge);
  // A hub-like LAN: no STP, no forwarding delay, so a port forwards the moment it is up.
  await ipIn(ns, 'link', 'add', 'name', plan.lan.bridge, ...macArgs(gateway), 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0');
  for (const { host, port } of plan.lan.ports) {
    const h = plan.hosts[host];
    await ip(
      'link', 'add', 'name', interfaceOf(h, 'lan0').name, ...macArgs(interfaceOf(h, 'lan0')), 'netns', h.namespace, ...WIRE_SIZED,
      'type', 'veth', 'peer', 'name', port, 'netns', ns, ...WIRE_SIZED,
    );
    await ipIn(ns, 'link', 'set', 'dev', port, 'master', plan.lan.bridge, 'up');
  }
}

async function configureHost(host: HostPlan): Promise<void> {
  for (const i of host.interfaces) {
    if (i.ipv4) await ipIn(host.namespace, 'address', 'add', i.ipv4, 'dev', i.name);
    if (i.ipv6) await ipIn(host.namespace, '-6', 'address', 'add', i.ipv6, 'dev', i.name, 'nodad');
    await ipIn(host.namespace, 'link', 'set', 'dev', i.name, 'up');
  }
  for (const r of host.routes) await ipIn(host.namespace, `-${r.family}`, 'route', 'add', r.to, 'via', r.via);
}

function macArgs(i: InterfacePlan): string[] {
  return i.mac ? ['address', i.mac] : [];
}

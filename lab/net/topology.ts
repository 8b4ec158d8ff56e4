import { UsageError } from '../../common/errors.js';

/**
 * The lab's shape as data: which namespaces exist, how they are wired, which addresses and
 * routes each has. Everything here is pure, so the builder, the teardown, `status`, lab.json
 * and the unit tests all read the same plan and can never disagree about a name.
 *
 *   client1, client2, attacker ── lan0 bridge ── commune ═wire═ district ═wire═ province ═wire═ dc
 *                               (in commune)           ^ capture    ^ capture     ^ capture
 *
 * Each "wire" joins two veth ends in the root namespace; the end attached to a router's wan0 is
 * that router's capture interface, where a sensor in the root namespace sees the router's WAN.
 */

export const DEFAULT_PREFIX = 'chot';

/** The constants other lab parts (the traffic generator, the enforcer's tests) build on. */
export const POPULATION_SERVICE = { ipv4: '198.18.0.10', ipv6: 'fd00:c407::10', port: 8443 } as const;
export const COMMUNE_LAN = { ipv4: '198.18.10.0/24', ipv6: 'fd00:c407:0:10::/64' } as const;
export const LAB_IPV4_RANGE = '198.18.0.0/15';
export const LAB_IPV6_RANGE = 'fd00:c407::/48';

export const ROUTERS = ['commune', 'district', 'province'] as const;
export type RouterName = (typeof ROUTERS)[number];
export const LAN_HOSTS = ['client1', 'client2', 'attacker'] as const;
export type LanHostName = (typeof LAN_HOSTS)[number];
export type HostName = 'dc' | RouterName | LanHostName;
/** Top of the WAN first, so builds and listings read from the data centre down. */
export const HOSTS: readonly HostName[] = ['dc', 'province', 'district', 'commune', 'client1', 'client2', 'attacker'];

export type Family = 4 | 6;

export interface InterfacePlan {
  /** The name inside the host's namespace. */
  name: string;
  /** Fixed, locally administered, so captures are reproducible and generated frames can address hosts. */
  mac?: string;
  ipv4?: string;
  ipv6?: string;
}

export interface RoutePlan {
  family: Family;
  to: string;
  via: string;
}

export interface HostPlan {
  name: HostName;
  namespace: string;
  forwarding: boolean;
  /** The host's main interface first: the one its `address()` answers with. */
  interfaces: InterfacePlan[];
  routes: RoutePlan[];
}

/** A WAN link: a wire between the down node's wan0 and the up node's down0. */
export interface WanLinkPlan {
  down: RouterName;
  up: HostName;
  ipv4: string;
  ipv6: string;
  /** Root-namespace veth end joined to the down node's wan0: its capture interface. */
  captureInterface: string;
  /** Root-namespace veth end joined to the up node's down0. */
  upPort: string;
}

export interface LanPlan {
  router: 'commune';
  bridge: string;
  /** Each LAN host's lan0 is a veth whose other end is a port of the bridge, named after the host. */
  ports: { host: LanHostName; port: string }[];
}

export interface LabPlan {
  prefix: string;
  hosts: Record<HostName, HostPlan>;
  wanLinks: WanLinkPlan[];
  lan: LanPlan;
  captureInterfaces: Record<RouterName, string>;
  /** Every interface the lab creates in the root namespace; nothing else there is ours. */
  rootInterfaces: string[];
}

// A prefix of at most 7 characters keeps the longest root-namespace name, `<prefix>-dc-down`,
// within the kernel's 15-character interface name limit.
const PREFIX_PATTERN = /^[a-z][a-z0-9]{0,6}$/;

export function validatePrefix(prefix: string): string {
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new UsageError(`lab prefix "${prefix}" is invalid: use 1-7 lowercase letters or digits, starting with a letter (e.g. chot, chott)`);
  }
  return prefix;
}

/** Short codes keep root-namespace interface names within 15 characters. */
type WanNode = RouterName | 'dc';
const CODE: Record<WanNode, string> = { dc: 'dc', province: 'p', district: 'd', commune: 'c' };

/** The WAN chain from the commune up; `net` is the third octet of the link's 198.18.net.0/24. */
const WAN_CHAIN: { down: RouterName; up: WanNode; net: number }[] = [
  { down: 'commune', up: 'district', net: 21 },
  { down: 'district', up: 'province', net: 22 },
  { down: 'province', up: 'dc', net: 23 },
];

/** The national DC's service network, 198.18.0.0/24 and fd00:c407::/64, home of POPULATION_SERVICE. */
const DC_NET = 0;
const LAN_NET = 10;
const LAN_HOST_OCTET: Record<LanHostName, number> = { client1: 11, client2: 12, attacker: 66 };
const UP_SIDE = 1;
const DOWN_SIDE = 2;

const v4 = (net: number, host: number): string => `198.18.${net}.${host}`;
// IPv6 repeats the IPv4 numbers digit for digit in the /64 subnet id and the host part
// (198.18.10.66 ↔ fd00:c407:0:10::66), so either address names the other at a glance; decimal
// digits are valid hex. The fourth group is the subnet id: the first three are the lab's /48.
const v6 = (net: number, host: number): string => `fd00:c407:0:${net}::${host}`;
const v6Subnet = (net: number): string => `fd00:c407:0:${net}::/64`;

/** 02:c4:07:NN:00:HH, the subnet and host octets written as they read in the address, e.g. 198.18.21.2 → 02:c4:07:21:00:02. */
function macFor(net: number, host: number): string {
  return `02:c4:07:${String(net).padStart(2, '0')}:00:${String(host).padStart(2, '0')}`;
}

function iface(name: string, net: number, host: number): InterfacePlan {
  return { name, mac: macFor(net, host), ipv4: `${v4(net, host)}/24`, ipv6: `${v6(net, host)}/64` };
}

function defaultVia(net: number, host: number): RoutePlan[] {
  return [
    { family: 4, to: 'default', via: v4(net, host) },
    { family: 6, to: 'default', via: v6(net, host) },
  ];
}

function subnetVia(net: number, viaNet: number, viaHost: number): RoutePlan[] {
  return [
    { family: 4, to: `${v4(net, 0)}/24`, via: v4(viaNet, viaHost) },
    { family: 6, to: v6Subnet(net), via: v6(viaNet, viaHost) },
  ];
}

export function namespaceOf(prefix: string, host: HostName): string {
  return `${prefix}-${host}`;
}

export function labPlan(prefix: string): LabPlan {
  validatePrefix(prefix);
  const ns = (host: HostName): string => namespaceOf(prefix, host);
  const [communeLink, districtLink, provinceLink] = WAN_CHAIN.map((l) => l.net) as [number, number, number];

  // Routers send everything they do not know upward, except the province: it routes only the
  // national DC network up, so a scan of unknown addresses ends there with an ICMP unreachable
  // instead of bouncing between routers.
  const hosts: Record<HostName, HostPlan> = {
    dc: {
      name: 'dc',
      namespace: ns('dc'),
      forwarding: false,
      interfaces: [
        { name: 'lo', ipv4: `${POPULATION_SERVICE.ipv4}/32`, ipv6: `${POPULATION_SERVICE.ipv6}/128` },
        iface('down0', provinceLink, UP_SIDE),
      ],
      routes: defaultVia(provinceLink, DOWN_SIDE),
    },
    province: {
      name: 'province',
      namespace: ns('province'),
      forwarding: true,
      interfaces: [iface('wan0', provinceLink, DOWN_SIDE), iface('down0', districtLink, UP_SIDE)],
      routes: [
        ...subnetVia(DC_NET, provinceLink, UP_SIDE),
        ...subnetVia(communeLink, districtLink, DOWN_SIDE),
        ...subnetVia(LAN_NET, districtLink, DOWN_SIDE),
      ],
    },
    district: {
      name: 'district',
      namespace: ns('district'),
      forwarding: true,
      interfaces: [iface('wan0', districtLink, DOWN_SIDE), iface('down0', communeLink, UP_SIDE)],
      routes: [...defaultVia(districtLink, UP_SIDE), ...subnetVia(LAN_NET, communeLink, DOWN_SIDE)],
    },
    commune: {
      name: 'commune',
      namespace: ns('commune'),
      forwarding: true,
      interfaces: [iface('wan0', communeLink, DOWN_SIDE), iface('lan0', LAN_NET, 1)],
      routes: defaultVia(communeLink, UP_SIDE),
    },
    client1: lanHost(prefix, 'client1'),
    client2: lanHost(prefix, 'client2'),
    attacker: lanHost(prefix, 'attacker'),
  };

  const wanLinks: WanLinkPlan[] = WAN_CHAIN.map(({ down, up, net }) => ({
    down,
    up,
    ipv4: `${v4(net, 0)}/24`,
    ipv6: v6Subnet(net),
    captureInterface: `${prefix}-${CODE[down]}-wan`,
    upPort: `${prefix}-${CODE[up]}-down`,
  }));

  const captureInterfaces = Object.fromEntries(wanLinks.map((l) => [l.down, l.captureInterface])) as Record<RouterName, string>;
  return {
    prefix,
    hosts,
    wanLinks,
    lan: { router: 'commune', bridge: 'lan0', ports: LAN_HOSTS.map((host) => ({ host, port: host })) },
    captureInterfaces,
    rootInterfaces: wanLinks.flatMap((l) => [l.captureInterface, l.upPort]),
  };
}

function lanHost(prefix: string, host: LanHostName): HostPlan {
  return {
    name: host,
    namespace: namespaceOf(prefix, host),
    forwarding: false,
    interfaces: [iface('lan0', LAN_NET, LAN_HOST_OCTET[host])],
    routes: defaultVia(LAN_NET, 1),
  };
}

/** The host's main address of one family, without the prefix length. */
export function hostAddress(plan: LabPlan, host: HostName, family: Family = 4): string {
  for (const i of plan.hosts[host].interfaces) {
    const cidr = family === 4 ? i.ipv4 : i.ipv6;
    if (cidr) return cidr.split('/')[0]!;
  }
  throw new UsageError(`lab host ${host} has no IPv${family} address`);
}

export function isHostName(name: string): name is HostName {
  return (HOSTS as readonly string[]).includes(name);
}

export function isRouterName(name: string): name is RouterName {
  return (ROUTERS as readonly string[]).includes(name);
}

import {
  ATTACKER_V4,
  COMMUNE_CLIENTS_V6,
  COMMUNE_GATEWAY_V4,
  DNS_RESOLVER_V6,
  DNS_RESOLVERS_V4,
  INTERNAL_ZONE,
  OTHER_COMMUNES_V4,
  POPDATA_SERVICE,
  SSH_TARGET_V4,
  formatIpv6,
  ipv4Bytes,
  ipv4InPrefix,
  ipv6Bytes,
  ipv6WithInterfaceId,
  labMac,
} from './addresses.js';
import type { Encapsulation, LinkSpec } from './frames/link.js';
import type { TcpStack } from './flows/tcp-flow.js';
import { type Prng, hash32 } from './prng.js';

/**
 * The simulated WAN the capture point sits on: who the clients and servers are, which
 * operating system (and so TTL and TCP behaviour) each runs, how frames are tagged on
 * the trunk, and the bookkeeping that keeps every flow's 5-tuple unique in a capture.
 */

export type Os = 'linux' | 'windows';

export interface Host {
  addr: string;
  bytes: Buffer;
  version: 4 | 6;
  os: Os;
}

export interface Server {
  name: string;
  v4: Host;
  v6: Host | null;
}

export function host(addr: string, os: Os): Host {
  const v6 = addr.includes(':');
  const bytes = v6 ? ipv6Bytes(addr) : ipv4Bytes(addr);
  return { addr: v6 ? formatIpv6(bytes) : addr, bytes, version: v6 ? 6 : 4, os };
}

const server = (name: string, v4: string, v6: string | null): Server => ({ name, v4: host(v4, 'linux'), v6: v6 ? host(v6, 'linux') : null });
const zone = (label: string): string => `${label}.${INTERNAL_ZONE}`;

/** The servers clients reach over the WAN, by role; names resolve to these addresses in generated DNS. */
export const SERVERS = {
  popdata: server(POPDATA_SERVICE.hostname, POPDATA_SERVICE.ipv4, POPDATA_SERVICE.ipv6),
  resolvers: DNS_RESOLVERS_V4.map((a, i) => server(`ns${i + 1}.${INTERNAL_ZONE}`, a, i === 0 ? DNS_RESOLVER_V6 : null)),
  web: [
    server(zone('dichvucong'), '198.18.0.80', 'fd00:c407::80'),
    server(zone('portal'), '198.18.0.81', 'fd00:c407::81'),
    server(zone('mail'), '198.18.0.25', 'fd00:c407::25'),
    server(zone('update'), '198.18.0.90', null),
    server(zone('intranet.hanoi'), '198.18.1.80', null),
    server(zone('gis'), '198.18.1.81', 'fd00:c407::1:81'),
    server(zone('hoso'), '198.18.1.82', null),
    server(zone('vneid-api'), '198.19.4.20', 'fd00:c407:0:4::20'),
    server(zone('cdn'), '198.19.8.10', 'fd00:c407:0:8::10'),
    server(zone('docs'), '198.19.8.11', null),
    server(zone('training'), '198.19.12.5', null),
  ],
  app: [server(zone('sync'), '198.18.1.30', null), server(zone('queue'), '198.18.1.31', 'fd00:c407::1:31'), server(zone('reports'), '198.19.2.40', null)],
  ssh: server(zone('bastion'), SSH_TARGET_V4, null),
  routers: [server(zone('core-gw'), '198.18.0.1', 'fd00:c407::1'), server(zone('prov-gw'), '198.18.1.1', null), server(zone('wan-gw'), '198.19.0.1', null)],
};

// ---- clients ---------------------------------------------------------------------------

/** Hosts that start benign flows: the lab commune's LAN and the other communes behind the link. */
export class ClientPool {
  private readonly communeV4: Host[] = [];
  private readonly communeV6: Host[] = [];

  constructor() {
    for (let n = 2; n <= 254; n++) {
      const addr = ipv4InPrefix('198.18.10.0/24', n);
      if (addr === ATTACKER_V4 || addr === COMMUNE_GATEWAY_V4) continue;
      const os = osOf(addr);
      this.communeV4.push(host(addr, os));
      this.communeV6.push(host(ipv6WithInterfaceId(COMMUNE_CLIENTS_V6, n), os));
    }
  }

  v4(rng: Prng): Host {
    if (rng.chance(0.5)) return rng.pick(this.communeV4);
    // Any host of the other communes' /20, avoiding .0 and .255 of each /24.
    let n: number;
    do n = rng.int(1, 4094);
    while ((n & 0xff) === 0 || (n & 0xff) === 0xff);
    const addr = ipv4InPrefix(OTHER_COMMUNES_V4, n);
    return host(addr, osOf(addr));
  }

  v6(rng: Prng): Host {
    return rng.pick(this.communeV6);
  }

  /** A commune client (the misconfigured clients of the population-data scenarios are local). */
  communeClient(rng: Prng): Host {
    return rng.pick(this.communeV4);
  }
}

/** Most commune PCs run Windows; a stable choice per address. */
export function osOf(addr: string): Os {
  return hash32('os', addr) % 10 < 7 ? 'windows' : 'linux';
}

// ---- TCP/IP stack behaviour --------------------------------------------------------------

export const STACKS: Record<Os, TcpStack> = {
  linux: { syn: { mss: 1460, windowScale: 7, sackPermitted: true, timestamps: true }, synWindow: 64240, window: 501 },
  windows: { syn: { mss: 1460, windowScale: 8, sackPermitted: true, timestamps: false }, synWindow: 64240, window: 1026 },
};

export function initialTtl(os: Os): number {
  return os === 'windows' ? 128 : 64;
}

/** Ephemeral port ranges: Windows uses 49152-65535, Linux 32768-60999. */
const EPHEMERAL: Record<Os, [number, number]> = { windows: [49152, 65535], linux: [32768, 60999] };

/**
 * Hands out source ports so that no two flows in a capture share a 5-tuple: each host
 * walks its ephemeral range from a random start and never reuses a port. A host that
 * runs out returns -1 and the caller picks another host.
 */
export class PortAllocator {
  private readonly next = new Map<string, { port: number; used: number }>();

  constructor(private readonly rng: Prng) {}

  allocate(h: Host): number {
    const [lo, hi] = EPHEMERAL[h.os];
    let s = this.next.get(h.addr);
    if (!s) {
      s = { port: this.rng.int(lo, hi), used: 0 };
      this.next.set(h.addr, s);
    }
    if (s.used > hi - lo) return -1;
    const port = s.port;
    s.port = s.port === hi ? lo : s.port + 1;
    s.used++;
    return port;
  }
}

/**
 * Zeek keys ICMP flows by host pair and type, not by echo id, so two pings between the
 * same hosts inside a minute would merge. Each pair is used for at most one ping flow.
 */
export class IcmpPairs {
  private readonly used = new Set<string>();

  claim(a: Host, b: Host): boolean {
    const key = `${a.addr}>${b.addr}`;
    if (this.used.has(key)) return false;
    this.used.add(key);
    return true;
  }
}

// ---- link layer on the captured trunk -------------------------------------------------------

export interface LinkChoice {
  /** Frames from the originator, and from the responder. */
  orig: LinkSpec;
  resp: LinkSpec;
  vlan: number | null;
  innerVlan: number | null;
  mpls: { orig: number[]; resp: number[] } | null;
}

export type EncapsulationKind = 'ethernet' | 'vlan' | 'qinq' | 'mpls' | 'mpls2';

export const DEFAULT_ENCAPSULATION: Record<EncapsulationKind, number> = { ethernet: 62, vlan: 16, qinq: 6, mpls: 10, mpls2: 6 };

/**
 * How a flow's frames are tagged. The two routers at the ends of the link own the MAC
 * addresses; VLAN ids follow the client's subnet; MPLS stacks differ by direction, as
 * each direction is switched along its own label-switched path.
 */
export function chooseLink(rng: Prng, client: Host, kind: EncapsulationKind): LinkChoice {
  const subnet = client.version === 4 ? client.bytes[2]! : client.bytes[7]!;
  const clientSide = labMac(0x000a01 + (subnet % 4));
  const wanSide = labMac(0x000001);
  let origEnc: Encapsulation = { kind: 'ethernet' };
  let respEnc: Encapsulation = { kind: 'ethernet' };
  let vlan: number | null = null;
  let innerVlan: number | null = null;
  let mpls: LinkChoice['mpls'] = null;
  switch (kind) {
    case 'ethernet':
      break;
    case 'vlan':
      vlan = 100 + (subnet % 200);
      origEnc = respEnc = { kind: 'vlan', vlan };
      break;
    case 'qinq':
      vlan = 2000 + (subnet % 8);
      innerVlan = 100 + (subnet % 200);
      origEnc = respEnc = { kind: 'qinq', outer: vlan, inner: innerVlan };
      break;
    case 'mpls':
    case 'mpls2': {
      const towardServer = 16000 + rng.int(0, 63);
      const towardClient = 17000 + rng.int(0, 63);
      const vpn = 24000 + (subnet % 16);
      const o = kind === 'mpls' ? [towardServer] : [towardServer, vpn];
      const r = kind === 'mpls' ? [towardClient] : [towardClient, vpn + 100];
      origEnc = { kind: 'mpls', labels: o };
      respEnc = { kind: 'mpls', labels: r };
      mpls = { orig: o, resp: r };
      break;
    }
  }
  return { orig: { src: clientSide, dst: wanSide, encapsulation: origEnc }, resp: { src: wanSide, dst: clientSide, encapsulation: respEnc }, vlan, innerVlan, mpls };
}

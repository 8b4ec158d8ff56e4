import type { PayloadPool } from './apps/payload-pool.js';
import type { LabPki } from './apps/pki.js';
import type { CaptureClock } from './clock.js';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP } from './frames/ipv4.js';
import { IPPROTO_ICMPV6 } from './frames/ipv6.js';
import { TCP_TIMESTAMP_OPTION_LEN } from './frames/tcp.js';
import { FrameTemplate } from './frames/template.js';
import { ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST, ICMPV6_ECHO_REPLY, ICMPV6_ECHO_REQUEST } from './frames/icmp.js';
import type { DatagramScript } from './flows/datagram-script.js';
import type { FlowMeta } from './flows/flow.js';
import { IcmpEchoFlow } from './flows/icmp-flow.js';
import { PacketPlan } from './flows/plan.js';
import { TcpFlow, type TcpStack } from './flows/tcp-flow.js';
import { type PathTiming, TcpScript } from './flows/tcp-script.js';
import { UdpFlow } from './flows/udp-flow.js';
import { type EncapsulationKind, type Host, type IcmpPairs, type LinkChoice, type PortAllocator, STACKS, chooseLink, initialTtl } from './network.js';
import type { Prng } from './prng.js';
import type { ScenarioTag, Service } from './truth.js';

const MS = 1_000_000;

/** A host's TCP behaviour; over IPv6 its MSS is 20 bytes smaller (the larger IP header). */
function stackFor(h: Host): TcpStack {
  const s = STACKS[h.os];
  return h.version === 4 ? s : { ...s, syn: { ...s.syn, mss: s.syn.mss - 20 } };
}

/** Deterministic Zeek-style connection uids: "C" and 17 base-62 characters. */
export class UidSource {
  private static readonly ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

  constructor(private readonly rng: Prng) {}

  next(): string {
    let s = 'C';
    for (let i = 0; i < 17; i++) s += UidSource.ALPHABET[this.rng.u32() % 62];
    return s;
  }
}

/** Everything a part of the generator needs to make flows. */
export interface FlowContext {
  rng: Prng;
  pool: PayloadPool;
  pki: LabPki;
  clock: CaptureClock;
  ports: PortAllocator;
  icmpPairs: IcmpPairs;
  uids: UidSource;
  encapsulation: Readonly<Record<EncapsulationKind, number>>;
}

interface FlowArgs {
  scenario: ScenarioTag;
  service: Service;
  app?: FlowMeta['app'];
  client: Host;
  server: Host;
  start: number;
  link?: LinkChoice;
}

export interface TcpArgs extends FlowArgs {
  script: TcpScript;
  clientPort: number;
  serverPort: number;
  /** False when the server never sends a SYN (a refused or unanswered attempt): its RST then carries sequence 0. */
  serverSynchronizes?: boolean;
}

export interface UdpArgs extends FlowArgs {
  script: DatagramScript;
  clientPort: number;
  serverPort: number;
}

export interface PingArgs extends FlowArgs {
  echoes: number;
  intervalNs: number;
  /** Echo requests left unanswered (the last ones), to vary resp_pkts. */
  unanswered?: number;
}

/**
 * Turns scripted conversations between two hosts into flows: frame templates for both
 * directions, TCP stack behaviour from each host's OS, TTLs as seen on the link, and
 * the flow's identity for the ground truth.
 */
export class FlowFactory {
  constructor(readonly ctx: FlowContext) {}

  /** The same factory drawing on its own random stream, so one part's choices do not shift another's. */
  forked(label: string): FlowFactory {
    return new FlowFactory({ ...this.ctx, rng: this.ctx.rng.fork(label) });
  }

  /** Timing of the path between a client and a server, from where the server sits. */
  timing(server: Host): PathTiming {
    const rng = this.ctx.rng;
    const far = server.version === 4 ? server.bytes[1] === 19 : server.bytes[7] !== 0;
    const provincial = server.version === 4 && server.bytes[1] === 18 && server.bytes[2] === 1;
    const rtt = far ? 18 * MS : provincial ? 4 * MS : 11 * MS;
    return { rttNs: rtt * (0.8 + 0.4 * rng.float()), bitsPerSecond: rng.pick([20e6, 50e6, 100e6, 200e6]) };
  }

  /** A script for a conversation between the two, with segment sizes their stacks agree on. */
  tcpScript(client: Host, server: Host, timing = this.timing(server)): TcpScript {
    const a = stackFor(client).syn;
    const b = stackFor(server).syn;
    const mss = Math.min(a.mss, b.mss);
    // Agreed timestamps take 12 bytes of every segment's room for data.
    const optionBytes = a.timestamps && b.timestamps ? TCP_TIMESTAMP_OPTION_LEN : 0;
    return new TcpScript(this.ctx.rng, timing, [mss - optionBytes, mss - optionBytes]);
  }

  link(client: Host): LinkChoice {
    return chooseLink(this.ctx.rng, client, this.ctx.rng.weighted(this.ctx.encapsulation));
  }

  tcp(a: TcpArgs): TcpFlow {
    const rng = this.ctx.rng;
    const link = a.link ?? this.link(a.client);
    const meta = this.meta(a, link, 'tcp', a.clientPort, a.serverPort);
    return new TcpFlow({
      meta,
      start: a.start,
      plan: a.script.plan,
      streams: a.script.streams,
      templates: this.templates(a.client, a.server, link, IPPROTO_TCP),
      stacks: [stackFor(a.client), stackFor(a.server)],
      isn: [rng.u32(), a.serverSynchronizes === false ? 0 : rng.u32()],
      tsBase: [rng.u32(), rng.u32()],
    });
  }

  udp(a: UdpArgs): UdpFlow {
    const link = a.link ?? this.link(a.client);
    return new UdpFlow({
      meta: this.meta(a, link, 'udp', a.clientPort, a.serverPort),
      start: a.start,
      plan: a.script.plan,
      streams: a.script.streams,
      templates: this.templates(a.client, a.server, link, IPPROTO_UDP),
    });
  }

  ping(a: PingArgs): IcmpEchoFlow {
    const rng = this.ctx.rng;
    const link = a.link ?? this.link(a.client);
    const v4 = a.client.version === 4;
    const id = rng.int(1, 0xffff);
    const meta = this.meta(a, link, v4 ? 'icmp' : 'icmp6', v4 ? ICMP_ECHO_REQUEST : ICMPV6_ECHO_REQUEST, v4 ? ICMP_ECHO_REPLY : ICMPV6_ECHO_REPLY);
    meta.app = { ...meta.app, icmp: { id, echoes: a.echoes } };
    // Windows ping sends the alphabet, 32 bytes; Linux iputils 56 bytes counting up.
    const data =
      a.client.os === 'windows'
        ? Buffer.from('abcdefghijklmnopqrstuvwabcdefghi', 'latin1')
        : Buffer.from(Array.from({ length: 56 }, (_, i) => (i < 16 ? rng.int(0, 255) : i)));
    const plan = new PacketPlan(a.echoes * 2);
    const rtt = this.timing(a.server).rttNs;
    const answered = a.echoes - (a.unanswered ?? 0);
    for (let k = 0; k < a.echoes; k++) {
      const t = k * a.intervalNs;
      plan.push(0, 0, data.length, t);
      if (k < answered) plan.push(1, 0, data.length, t + rtt * (0.9 + 0.2 * rng.float()));
    }
    const proto = v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6;
    return new IcmpEchoFlow({ meta, start: a.start, plan, templates: this.templates(a.client, a.server, link, proto), id, firstSeq: 1, data });
  }

  private templates(client: Host, server: Host, link: LinkChoice, protocol: number): [FrameTemplate, FrameTemplate] {
    const rng = this.ctx.rng;
    const pseudoHeader = protocol !== IPPROTO_ICMP;
    const serverHops = 2 + (server.bytes[server.bytes.length - 1]! % 4);
    return [
      new FrameTemplate({ link: link.orig, ipVersion: client.version, src: client.bytes, dst: server.bytes, protocol, ttl: initialTtl(client.os) - 1, firstIpId: rng.u32(), flowLabel: rng.u32(), pseudoHeader }),
      new FrameTemplate({ link: link.resp, ipVersion: server.version, src: server.bytes, dst: client.bytes, protocol, ttl: initialTtl(server.os) - serverHops, firstIpId: rng.u32(), flowLabel: rng.u32(), pseudoHeader }),
    ];
  }

  private meta(a: FlowArgs, link: LinkChoice, proto: FlowMeta['proto'], origP: number, respP: number): FlowMeta {
    if (a.client.version !== a.server.version) throw new Error('a flow needs both hosts in one IP version');
    return {
      uid: this.ctx.uids.next(),
      scenario: a.scenario,
      proto,
      ipVersion: a.client.version,
      origH: a.client.addr,
      origP,
      respH: a.server.addr,
      respP,
      service: a.service,
      vlan: link.vlan,
      innerVlan: link.innerVlan,
      mpls: link.mpls,
      app: a.app ?? {},
    };
  }
}

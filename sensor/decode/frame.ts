/**
 * The decode chain: link layer → (VLAN | MPLS | PPPoE)* → IP → fragments →
 * transport, and the tunnels (GRE/ERSPAN, VXLAN, IP-in-IP) whose inner frame
 * goes through the same chain again. Each step is one small decoder in this
 * folder; this file only chooses the next one.
 */
import {
  DECODE_DROP,
  DECODE_FLOW,
  DECODE_TUNNEL,
  LINK_ETHERNET,
  LINK_IPV4,
  LINK_IPV6,
  LINK_LOOP,
  LINK_NULL,
  LINK_RAW,
  LINK_RAW_DLT,
  LINK_RAW_DLT_OPENBSD,
  LINK_SLL,
  LINK_SLL2,
  TUNNEL_IPIP,
  type Packet,
} from './packet.js';
import {
  decodeEthernet,
  ETH_ARP,
  ETH_IPV4,
  ETH_IPV6,
  ETH_LLC,
  ETH_LLDP,
  ETH_MPLS,
  ETH_MPLS_MC,
  ETH_PPPOE_DISC,
  ETH_PPPOE_SESS,
  ETH_QINQ,
  ETH_QINQ_OLD,
  ETH_TEB,
  ETH_VLAN,
} from './ethernet.js';
import { decodeVlan } from './vlan.js';
import { decodeMpls } from './mpls.js';
import { decodePppoe } from './pppoe.js';
import { decodeSll, decodeSll2 } from './sll.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import { decodeTcp } from './tcp.js';
import { decodeUdp } from './udp.js';
import { decodeIcmp } from './icmp.js';
import { decodeGre } from './gre.js';
import { decodeVxlan, VXLAN_PORT } from './vxlan.js';
import { icmpChecksumOk, IP6_DST_UNKNOWN, transportChecksumOk } from './checksum.js';
import { FragmentReassembler } from './fragments.js';
import type { AheadSettings } from './predecoded.js';
import { W, type WeirdCounters } from './weird.js';

/** Encapsulations followed, at most (a loop of tunnels is an attack, not a network). */
const MAX_TUNNEL_DEPTH = 3;
/** Ethernet frames nested without a tunnel (MPLS pseudowires inside MPLS...). */
const MAX_LINK_NESTING = 4;

export interface DecoderOptions {
  /** Verify IPv4 header checksums (Zeek does; costs little). */
  verifyIpChecksum?: boolean;
  /** Verify TCP and UDP checksums, IPv4 and IPv6 (Zeek does, unless told -C; see checksum.ts). */
  verifyTransportChecksums?: boolean;
  /** UDP ports carrying VXLAN. */
  vxlanPorts?: number[];
  /** Follow tunnels (GRE/ERSPAN, VXLAN, IP-in-IP) into their inner packets. */
  tunnels?: boolean;
  maxFragments?: number;
  fragmentTimeoutSec?: number;
}

export class DecodeStats {
  /** Frames that carry no IP at all (ARP, LLDP, STP, PPPoE discovery...): normal on a link, not weird. */
  nonIp = 0;
  /** Fragments held until their datagram is complete. */
  fragments = 0;
  reassembled = 0;
  tunneled = 0;
}

export class Decoder {
  readonly frags: FragmentReassembler;
  readonly stats = new DecodeStats();
  private readonly verifyIp: boolean;
  private readonly verifyL4: boolean;
  private readonly vxlan0: number;
  private readonly vxlanPorts: number[];
  private readonly tunnels: boolean;

  constructor(
    readonly wc: WeirdCounters,
    opts: DecoderOptions = {},
  ) {
    this.verifyIp = opts.verifyIpChecksum ?? true;
    this.verifyL4 = opts.verifyTransportChecksums ?? true;
    this.vxlanPorts = opts.vxlanPorts ?? [VXLAN_PORT];
    this.vxlan0 = this.vxlanPorts[0] ?? -1;
    this.tunnels = opts.tunnels ?? true;
    this.frags = new FragmentReassembler(wc, opts.maxFragments ?? 4096, (opts.fragmentTimeoutSec ?? 60) * 1e9);
  }

  /** What a decoder running ahead of this one (the native reader's) must check as this one does. */
  aheadSettings(): Omit<AheadSettings, 'helloPrints'> {
    return { verifyIp: this.verifyIp, verifyL4: this.verifyL4, vxlanPorts: [...this.vxlanPorts] };
  }

  /**
   * Decodes one captured frame into p. Returns DECODE_FLOW when p holds an IP
   * packet for the flow table, DECODE_TUNNEL when it also encapsulates another
   * frame (call decodeInner after accounting the outer one), DECODE_DROP otherwise.
   */
  decodeFrame(p: Packet, linkType: number, b: Uint8Array, off: number, caplen: number, wirelen: number): number {
    p.reset();
    p.buf = b;
    const end = off + caplen;
    p.end = end;
    p.wireEnd = off + (wirelen > caplen ? wirelen : caplen);
    const wc = this.wc;
    let o: number;
    switch (linkType) {
      case LINK_ETHERNET:
        o = decodeEthernet(p, b, off, end, wc);
        break;
      case LINK_RAW:
      case LINK_RAW_DLT:
      case LINK_RAW_DLT_OPENBSD:
      case LINK_IPV4:
      case LINK_IPV6:
        if (caplen < 1) {
          wc.inc(W.truncated_link_header);
          return DECODE_DROP;
        }
        p.etherType = b[off]! >> 4 === 6 ? ETH_IPV6 : ETH_IPV4;
        o = off;
        break;
      case LINK_SLL:
        o = decodeSll(p, b, off, end, wc);
        break;
      case LINK_SLL2:
        o = decodeSll2(p, b, off, end, wc);
        break;
      case LINK_NULL:
      case LINK_LOOP: {
        if (caplen < 4) {
          wc.inc(W.truncated_link_header);
          return DECODE_DROP;
        }
        // The address family, in host order for NULL and network order for LOOP; 2 = IPv4, 24/28/30 = IPv6 (BSDs).
        const fam = linkType === LINK_LOOP ? b[off + 3]! : b[off]! | b[off + 3]!;
        p.etherType = fam === 2 ? ETH_IPV4 : fam === 24 || fam === 28 || fam === 30 ? ETH_IPV6 : 0;
        o = off + 4;
        break;
      }
      default:
        wc.inc(W.unknown_link_type);
        return DECODE_DROP;
    }
    if (o < 0) return DECODE_DROP;
    return this.decodeLink(p, b, o);
  }

  /** Decodes the frame encapsulated in the packet just returned with DECODE_TUNNEL. */
  decodeInner(p: Packet): number {
    if (++p.depth > MAX_TUNNEL_DEPTH) {
      this.wc.inc(W.exceeded_tunnel_max_depth);
      return DECODE_DROP;
    }
    this.stats.tunneled++;
    const o = p.innerOff;
    p.etherType = p.innerEtherType;
    p.resetNetwork();
    return this.decodeLink(p, p.buf, o);
  }

  /** From an EtherType onwards: tags and labels, then IP. */
  private decodeLink(p: Packet, b: Uint8Array, o: number): number {
    const wc = this.wc;
    let nesting = 0;
    for (;;) {
      const end = p.end;
      switch (p.etherType) {
        case ETH_IPV4:
          return this.decodeIp(p, b, decodeIpv4(p, b, o, end, wc, this.verifyIp));
        case ETH_IPV6:
          return this.decodeIp(p, b, decodeIpv6(p, b, o, end, wc));
        case ETH_VLAN:
        case ETH_QINQ:
        case ETH_QINQ_OLD:
          o = decodeVlan(p, b, o, end, wc);
          break;
        case ETH_MPLS:
        case ETH_MPLS_MC:
          o = decodeMpls(p, b, o, end, wc);
          break;
        case ETH_PPPOE_SESS:
          o = decodePppoe(p, b, o, end, wc);
          break;
        case ETH_TEB:
          if (++nesting > MAX_LINK_NESTING) {
            wc.inc(W.exceeded_tunnel_max_depth);
            return DECODE_DROP;
          }
          o = decodeEthernet(p, b, o, end, wc);
          break;
        case ETH_ARP:
        case ETH_LLDP:
        case ETH_LLC:
        case ETH_PPPOE_DISC:
        case 0x8035: // RARP
        case 0x888e: // 802.1X
        case 0x88cc:
        case 0x8809: // slow protocols (LACP)
        case 0x88f7: // PTP
        case 0x8902: // CFM
          this.stats.nonIp++;
          return DECODE_DROP;
        default:
          wc.inc(W.unknown_ether_type);
          return DECODE_DROP;
      }
      if (o < 0) return DECODE_DROP;
    }
  }

  /** The UDP checksum of a datagram captured whole; 0 is "none" over IPv4, and over IPv6 only for VXLAN (RFC 6935). */
  private udpChecksumOk(p: Packet, b: Uint8Array, o: number, vxlanPort: boolean): boolean {
    if (b[o + 6] === 0 && b[o + 7] === 0) {
      if (p.ipVersion === 4) return true;
      if (vxlanPort && p.payCap >= 8 && (b[p.payOff]! & 0x08) !== 0) return true;
    }
    return transportChecksumOk(p, b, o, 17);
  }

  private decodeIp(p: Packet, b: Uint8Array, o: number): number {
    if (o < 0) return DECODE_DROP;
    if (p.isFragment) {
      this.stats.fragments++;
      if (!this.frags.add(p, p.now)) return DECODE_DROP;
      this.stats.reassembled++;
      b = p.buf;
      o = p.l4Off;
    }
    const wc = this.wc;
    const end = p.end;
    switch (p.proto) {
      case 6:
        if (decodeTcp(p, b, o, end, wc) < 0) return DECODE_DROP;
        // Judged only when the whole segment was captured (end is the datagram's end at most).
        if (this.verifyL4 && end - o >= p.l4Len && p.ip6Dst !== IP6_DST_UNKNOWN && !transportChecksumOk(p, b, o, 6)) p.l4Bad = true;
        return DECODE_FLOW;
      case 17: {
        if (decodeUdp(p, b, o, end, wc) < 0) return DECODE_DROP;
        const vxlanPort = p.dport === this.vxlan0 || (this.vxlanPorts.length > 1 && this.vxlanPorts.includes(p.dport));
        if (this.verifyL4 && end - o >= p.l4Len && p.ip6Dst !== IP6_DST_UNKNOWN && !this.udpChecksumOk(p, b, o, vxlanPort)) {
          // A bad outer checksum: the datagram is not decapsulated (Zeek stops there too).
          p.l4Bad = true;
          return DECODE_FLOW;
        }
        if (this.tunnels && vxlanPort) {
          if (decodeVxlan(p, b, p.payOff, end, wc) >= 0) return DECODE_TUNNEL;
        }
        return DECODE_FLOW;
      }
      case 1:
      case 58:
        if (decodeIcmp(p, b, o, end, wc) < 0) return DECODE_DROP;
        if (this.verifyL4 && end - o >= p.l4Len && (p.ipVersion === 4 || p.ip6Dst !== IP6_DST_UNKNOWN) && !icmpChecksumOk(p, b, o)) p.l4Bad = true;
        return DECODE_FLOW;
      case 47:
        p.payOff = o;
        p.payLen = p.l4Len;
        p.payCap = Math.max(0, Math.min(p.l4Len, end - o));
        if (this.tunnels && decodeGre(p, b, o, end, wc) >= 0) return DECODE_TUNNEL;
        return DECODE_FLOW;
      case 4: // IPv4 in IP
      case 41: // IPv6 in IP
        p.payOff = o;
        p.payLen = p.l4Len;
        p.payCap = Math.max(0, Math.min(p.l4Len, end - o));
        if (this.tunnels) {
          p.tunnelKind = TUNNEL_IPIP; // the outer address pair is the tunnel parent, as for GRE
          p.innerOff = o;
          p.innerEtherType = p.proto === 4 ? ETH_IPV4 : ETH_IPV6;
          return DECODE_TUNNEL;
        }
        return DECODE_FLOW;
      default:
        // Any other IP protocol: a flow without ports (Zeek's unknown_transport).
        p.payOff = o;
        p.payLen = p.l4Len;
        p.payCap = Math.max(0, Math.min(p.l4Len, end - o));
        return DECODE_FLOW;
    }
  }
}

/**
 * Packets decoded ahead by the native reader (native/capture-decode.c): one
 * descriptor of Int32 fields per packet, in the layout below (the C file's enum).
 * The native decoder takes only frames the decoders of this folder would decode
 * without a weird and without state (no fragments, tunnels or extension headers);
 * fill() sets a Packet exactly as those decoders would have set it.
 */
import { type Packet } from './packet.js';

export const D_KIND = 0;
export const D_OFF = 1;
export const D_CAPLEN = 2;
export const D_WIRELEN = 3;
export const D_SEC = 4;
export const D_FRAC = 5;
const D_END = 6;
const D_ETHERTYPE = 7;
export const D_VLAN0 = 8;
export const D_VLAN1 = 9;
const D_VLANS = 10;
export const D_MPLS_COUNT = 11;
export const D_MPLS0 = 12;
export const D_IPV = 20;
const D_IP_OFF = 21;
const D_IP_HLEN = 22;
export const D_IP_LEN = 23;
export const D_PROTO = 24;
const D_TTL = 25;
/** The eight 32-bit address words, source then destination (IPv4: 0, 0, 0xffff, address). */
export const D_S0 = 26;
const D_L4_OFF = 34;
const D_L4_LEN = 35;
export const D_SPORT = 36;
export const D_DPORT = 37;
export const D_FLAGS = 38;
export const D_SEQ = 39;
export const D_ACK = 40;
export const D_WIN = 41;
const D_THLEN = 42;
const D_ULEN = 43;
export const D_ICMP_TYPE = 44;
export const D_ICMP_CODE = 45;
export const D_PAY_OFF = 46;
export const D_PAY_LEN = 47;
export const D_PAY_CAP = 48;
const D_PPPOE = 49;
/** The frame's link type (pcapng: its interface's). */
export const D_LINK = 50;
/** 0: D_SEC and D_FRAC are the time (D_FRAC in the file's units); else 0x100 | if_tsresol, with D_SEC and D_FRAC a pcapng timestamp's two halves. */
export const D_TSRAW = 51;
/**
 * A TLS hello starting the TCP payload, fingerprinted ahead (native/tls-hello.c): HELLO_NONE,
 * HELLO_CLIENT or HELLO_SERVER; the message body's offsets in the buffer; from int
 * D_HELLO_TEXT on, the JA3 (or JA3S) as 32 bytes of text, then a ClientHello's JA4 as 36.
 */
export const D_HELLO = 52;
export const D_HELLO_START = 53;
export const D_HELLO_END = 54;
export const D_HELLO_TEXT = 56;
export const HELLO_NONE = 0;
export const HELLO_CLIENT = 1;
export const HELLO_SERVER = 2;

/** What a decoder running ahead of the pipeline's (the native reader's) must check as it does, and whether to fingerprint hellos. */
export interface AheadSettings {
  verifyIp: boolean;
  verifyL4: boolean;
  vxlanPorts: number[];
  /** Fingerprint the TLS hellos that start segments (D_HELLO): only worth it when the app analyzers run. */
  helloPrints: boolean;
}

/** A packet the JavaScript decoders decoded, handed to the native flow core (sensor/flow/native-table.ts): 1 when its transport checksum failed. */
export const D_L4_BAD = 74;

/** Int32 fields per descriptor. */
export const STRIDE = 80;

/** D_KIND: the JavaScript decoders take the frame (anything unusual); or it was decoded ahead. */
export const KIND_JS = 0;
export const KIND_DECODED = 1;
/** No packet: a record the reader counts as bad (corrupt, cut, or naming no interface), in file order. */
export const KIND_BAD = 2;

/** Sets p from the descriptor at d[at...] of a frame in buf, as decodeFrame would (its DECODE_FLOW). */
export function fillPacket(p: Packet, buf: Uint8Array, d: Int32Array, at: number): void {
  p.reset();
  p.buf = buf;
  const caplen = d[at + D_CAPLEN]!;
  const wirelen = d[at + D_WIRELEN]! >>> 0;
  p.end = d[at + D_END]!;
  p.wireEnd = d[at + D_OFF]! + (wirelen > caplen ? wirelen : caplen);
  p.etherType = d[at + D_ETHERTYPE]!;
  p.vlan0 = d[at + D_VLAN0]!;
  p.vlan1 = d[at + D_VLAN1]!;
  p.vlanCount = d[at + D_VLANS]!;
  p.pppoeSession = d[at + D_PPPOE]!;
  const labels = d[at + D_MPLS_COUNT]!;
  p.mplsCount = labels;
  for (let i = 0; i < labels && i < 8; i++) p.mpls[i] = d[at + D_MPLS0 + i]!;
  p.ipVersion = d[at + D_IPV]!;
  p.ipOff = d[at + D_IP_OFF]!;
  p.ipHdrLen = d[at + D_IP_HLEN]!;
  p.ipLen = d[at + D_IP_LEN]!;
  p.ttl = d[at + D_TTL]!;
  const proto = d[at + D_PROTO]!;
  p.proto = proto;
  const a = at + D_S0;
  p.s0 = d[a]! >>> 0;
  p.s1 = d[a + 1]! >>> 0;
  p.s2 = d[a + 2]! >>> 0;
  p.s3 = d[a + 3]! >>> 0;
  p.d0 = d[a + 4]! >>> 0;
  p.d1 = d[a + 5]! >>> 0;
  p.d2 = d[a + 6]! >>> 0;
  p.d3 = d[a + 7]! >>> 0;
  p.l4Off = d[at + D_L4_OFF]!;
  p.l4Len = d[at + D_L4_LEN]!;
  if (proto === 6) {
    p.sport = d[at + D_SPORT]!;
    p.dport = d[at + D_DPORT]!;
    p.seq = d[at + D_SEQ]! >>> 0;
    p.ack = d[at + D_ACK]! >>> 0;
    p.tcpFlags = d[at + D_FLAGS]!;
    p.win = d[at + D_WIN]!;
    p.tcpHdrLen = d[at + D_THLEN]!;
  } else if (proto === 17) {
    p.sport = d[at + D_SPORT]!;
    p.dport = d[at + D_DPORT]!;
    p.udpLen = d[at + D_ULEN]!;
  } else {
    p.icmpType = d[at + D_ICMP_TYPE]!;
    p.icmpCode = d[at + D_ICMP_CODE]!;
  }
  p.payOff = d[at + D_PAY_OFF]!;
  p.payLen = d[at + D_PAY_LEN]!;
  p.payCap = d[at + D_PAY_CAP]!;
}

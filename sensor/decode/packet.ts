/**
 * The decoded packet: one preallocated, reused object per pipeline. Each
 * decoder writes the fields of its layer and returns the offset of the next
 * one, so a packet is decoded without allocating anything. Addresses are kept
 * as unsigned 32-bit words (IPv4 as the last word of an IPv4-mapped IPv6
 * address), so flow keys can be hashed and compared as numbers.
 */

/** Link types (pcap LINKTYPE_* values) the sensor decodes. */
export const LINK_NULL = 0;
export const LINK_ETHERNET = 1;
export const LINK_RAW_DLT = 12; // DLT_RAW on Linux/most BSDs
export const LINK_RAW_DLT_OPENBSD = 14;
export const LINK_RAW = 101;
export const LINK_LOOP = 108;
export const LINK_SLL = 113;
export const LINK_IPV4 = 228;
export const LINK_IPV6 = 229;
export const LINK_SLL2 = 276;

/** What decodeFrame found; the pipeline acts on it. */
export const DECODE_DROP = 0; // nothing to account to a flow (malformed, non-IP, fragment held back)
export const DECODE_FLOW = 1; // an IP packet ready for the flow table
export const DECODE_TUNNEL = 2; // an IP packet that also carries an encapsulated frame (see tunnel*)

/** Tunnel kinds (how the inner frame starts). */
export const TUNNEL_NONE = 0;
export const TUNNEL_GRE = 1;
export const TUNNEL_ERSPAN = 2;
export const TUNNEL_VXLAN = 3;
export const TUNNEL_IPIP = 4;

export const MAX_MPLS = 8;

/**
 * Zero, as a number V8 does not store as a small integer: the fields that hold
 * 32-bit words and times start with it, so their layout is a double from the
 * first packet on, rather than changing (and discarding the optimized code of
 * every decoder) when the first address or sequence number above 2^31 arrives.
 */
const NOT_SMALL = -0;

export class Packet {
  // --- capture ---
  /** The bytes the current layers live in (the capture buffer, or a reassembled datagram). */
  buf: Uint8Array = new Uint8Array(0);
  tsSec = 0;
  tsNsec = 0;
  caplen = 0;
  wirelen = 0;
  /** Capture end offset in buf (exclusive); trimmed to the IP datagram's end (Ethernet padding). */
  end = 0;
  /** Where the frame would end on the wire (may lie beyond buf when the capture was cut by snaplen). */
  wireEnd = 0;
  /**
   * The packet's time, ns from the pipeline's time base (set before decoding).
   * Carried here rather than passed as an argument: a time in ns is no small
   * integer, and every call that passed it would allocate a number for it.
   */
  now = NOT_SMALL;

  // --- link layer ---
  etherType = 0;
  /** 802.1Q/802.1ad tags, outermost first; -1 when absent. */
  vlan0 = -1;
  vlan1 = -1;
  vlanCount = 0;
  mplsCount = 0;
  /** MPLS labels, outermost first (only the first MAX_MPLS are kept). */
  readonly mpls = new Int32Array(MAX_MPLS);
  pppoeSession = -1;

  // --- network layer ---
  ipVersion = 0;
  ipOff = 0;
  ipHdrLen = 0;
  /** IP total length as the header says (IPv6: 40 + payload length). */
  ipLen = 0;
  proto = 0;
  ttl = 0;
  s0 = NOT_SMALL;
  s1 = NOT_SMALL;
  s2 = NOT_SMALL;
  s3 = NOT_SMALL;
  d0 = NOT_SMALL;
  d1 = NOT_SMALL;
  d2 = NOT_SMALL;
  d3 = NOT_SMALL;
  /** IPv4 identification or IPv6 fragment identification. */
  fragId = NOT_SMALL;
  /** Fragment offset in bytes; fragMore = MF flag; isFragment when either is set. */
  fragOffset = 0;
  fragMore = false;
  isFragment = false;
  /** IPv6: offset of the fragment header (the unfragmentable part ends there). */
  fragHdrOff = 0;
  /** Set when the datagram was put together from fragments. */
  reassembled = false;

  // --- transport layer ---
  l4Off = 0;
  /** Transport bytes per the IP header (header + payload), independent of capture length. */
  l4Len = 0;
  sport = 0;
  dport = 0;
  tcpFlags = 0;
  seq = NOT_SMALL;
  ack = NOT_SMALL;
  win = 0;
  tcpHdrLen = 0;
  /** UDP length field. */
  udpLen = 0;
  icmpType = 0;
  icmpCode = 0;
  /**
   * The TCP or UDP checksum was judged and found wrong (see checksum.ts): the flow
   * table gives the connection the weird and the history letter and nothing else.
   */
  l4Bad = false;
  /**
   * IPv6: where in buf the final destination (the pseudo-header's) lies when a
   * routing header with segments left names one; -1 when it is the header's
   * destination; IP6_DST_UNKNOWN when it cannot be found (the checksum is not judged).
   */
  ip6Dst = -1;
  /** Payload start in buf, length per headers, and how much of it was captured. */
  payOff = 0;
  payLen = 0;
  payCap = 0;

  // --- tunnels ---
  tunnelKind = TUNNEL_NONE;
  /** Where the encapsulated frame starts and what it starts with (an EtherType, or 0 for Ethernet). */
  innerOff = 0;
  innerEtherType = 0;
  depth = 0;

  /** Clears the per-packet fields that decoders set only conditionally. */
  reset(): void {
    this.vlan0 = -1;
    this.vlan1 = -1;
    this.vlanCount = 0;
    this.mplsCount = 0;
    this.pppoeSession = -1;
    this.depth = 0;
    this.resetNetwork();
  }

  /** Clears the network/transport fields, keeping the link layer (used again for a tunnel's inner packet). */
  resetNetwork(): void {
    this.ipVersion = 0;
    this.proto = 0;
    this.isFragment = false;
    this.fragMore = false;
    this.fragOffset = 0;
    this.reassembled = false;
    this.sport = 0;
    this.dport = 0;
    this.tcpFlags = 0;
    this.payLen = 0;
    this.payCap = 0;
    this.l4Bad = false;
    this.ip6Dst = -1;
    this.tunnelKind = TUNNEL_NONE;
  }
}

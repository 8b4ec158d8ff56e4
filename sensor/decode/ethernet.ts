import type { Packet } from './packet.js';
import { W, type WeirdCounters } from './weird.js';

export const ETH_IPV4 = 0x0800;
export const ETH_ARP = 0x0806;
export const ETH_VLAN = 0x8100;
export const ETH_QINQ = 0x88a8;
export const ETH_QINQ_OLD = 0x9100;
export const ETH_IPV6 = 0x86dd;
export const ETH_MPLS = 0x8847;
export const ETH_MPLS_MC = 0x8848;
export const ETH_PPPOE_DISC = 0x8863;
export const ETH_PPPOE_SESS = 0x8864;
export const ETH_LLDP = 0x88cc;
/** "Transparent Ethernet bridging": used inside the decoder for "an Ethernet frame follows". */
export const ETH_TEB = 0x6558;
/** Not an EtherType: an 802.3 frame with an LLC header (STP, CDP...), never IP. */
export const ETH_LLC = 0x0000;

/** Ethernet II / 802.3: 6+6 MAC addresses and a type (or length) field. */
export function decodeEthernet(p: Packet, b: Uint8Array, off: number, end: number, wc: WeirdCounters): number {
  if (end - off < 14) {
    wc.inc(W.truncated_link_header);
    return -1;
  }
  const t = (b[off + 12]! << 8) | b[off + 13]!;
  // Values below 0x600 are an 802.3 length: LLC frames, which never carry IP here.
  p.etherType = t < 0x600 ? ETH_LLC : t;
  return off + 14;
}

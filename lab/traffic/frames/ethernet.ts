/** Ethernet II framing: the 14-byte header and the EtherTypes the generator emits. */

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;
/** 802.1Q customer tag. */
export const ETHERTYPE_VLAN = 0x8100;
/** 802.1ad service tag, the outer tag of QinQ. */
export const ETHERTYPE_QINQ = 0x88a8;
export const ETHERTYPE_MPLS = 0x8847;

export const ETHERNET_HEADER_LEN = 14;
/** Frames shorter than this (without the FCS) are zero-padded on the wire, as a tap sees them. */
export const ETHERNET_MIN_FRAME = 60;

export function ethernetHeader(dst: Uint8Array, src: Uint8Array, etherType: number): Buffer {
  const b = Buffer.alloc(ETHERNET_HEADER_LEN);
  b.set(dst, 0);
  b.set(src, 6);
  b.writeUInt16BE(etherType, 12);
  return b;
}

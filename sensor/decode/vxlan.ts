import type { Packet } from './packet.js';
import { TUNNEL_VXLAN } from './packet.js';
import { ETH_TEB } from './ethernet.js';
import { W, type WeirdCounters } from './weird.js';

export const VXLAN_PORT = 4789;

/**
 * VXLAN (RFC 7348): an 8-byte header with the I flag and a 24-bit VNI, then an
 * Ethernet frame. Called for UDP datagrams to the VXLAN port; a datagram whose
 * header is not VXLAN is left as plain UDP (returns -1 without a weird).
 */
export function decodeVxlan(p: Packet, b: Uint8Array, off: number, end: number, wc: WeirdCounters): number {
  if (end - off < 8 + 14) {
    if (end - off >= 8 && (b[off]! & 0x08) !== 0) wc.inc(W.truncated_vxlan_header);
    return -1;
  }
  if ((b[off]! & 0x08) === 0) return -1;
  p.tunnelKind = TUNNEL_VXLAN;
  p.innerEtherType = ETH_TEB;
  p.innerOff = off + 8;
  return off + 8;
}

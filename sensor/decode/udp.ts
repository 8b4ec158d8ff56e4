import type { Packet } from './packet.js';
import { W, type WeirdCounters } from './weird.js';

/** UDP header. Payload length is the UDP length field's, as Zeek counts it. */
export function decodeUdp(p: Packet, b: Uint8Array, off: number, end: number, wc: WeirdCounters): number {
  if (end - off < 8 || p.l4Len < 8) {
    wc.inc(W.truncated_udp_header);
    return -1;
  }
  p.sport = (b[off]! << 8) | b[off + 1]!;
  p.dport = (b[off + 2]! << 8) | b[off + 3]!;
  let ulen = (b[off + 4]! << 8) | b[off + 5]!;
  if (ulen !== p.l4Len) {
    wc.inc(W.UDP_datagram_length_mismatch);
    // Trust the IP layer for where the datagram ends, but never beyond it.
    if (ulen < 8 || ulen > p.l4Len) ulen = p.l4Len;
  }
  p.udpLen = ulen;
  const pay = off + 8;
  p.payOff = pay;
  p.payLen = ulen - 8;
  const cap = end - pay;
  p.payCap = cap <= 0 ? 0 : cap < p.payLen ? cap : p.payLen;
  return pay;
}

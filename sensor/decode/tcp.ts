import type { Packet } from './packet.js';
import { W, type WeirdCounters } from './weird.js';

export const TH_FIN = 0x01;
export const TH_SYN = 0x02;
export const TH_RST = 0x04;
export const TH_PUSH = 0x08;
export const TH_ACK = 0x10;
export const TH_URG = 0x20;

/** TCP header: ports, sequence numbers, flags, window; payload length from the IP header. */
export function decodeTcp(p: Packet, b: Uint8Array, off: number, end: number, wc: WeirdCounters): number {
  if (end - off < 20 || p.l4Len < 20) {
    wc.inc(W.truncated_tcp_header);
    return -1;
  }
  const hl = (b[off + 12]! >> 4) << 2;
  if (hl < 20 || hl > p.l4Len) {
    wc.inc(W.bad_TCP_header_len);
    return -1;
  }
  p.sport = (b[off]! << 8) | b[off + 1]!;
  p.dport = (b[off + 2]! << 8) | b[off + 3]!;
  p.seq = ((b[off + 4]! << 24) | (b[off + 5]! << 16) | (b[off + 6]! << 8) | b[off + 7]!) >>> 0;
  p.ack = ((b[off + 8]! << 24) | (b[off + 9]! << 16) | (b[off + 10]! << 8) | b[off + 11]!) >>> 0;
  p.tcpFlags = b[off + 13]!;
  p.win = (b[off + 14]! << 8) | b[off + 15]!;
  p.tcpHdrLen = hl;
  const pay = off + hl;
  p.payOff = pay;
  p.payLen = p.l4Len - hl;
  const cap = end - pay;
  p.payCap = cap <= 0 ? 0 : cap < p.payLen ? cap : p.payLen;
  return pay;
}

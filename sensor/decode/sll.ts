import type { Packet } from './packet.js';
import { W, type WeirdCounters } from './weird.js';

/**
 * Linux cooked capture v1 (LINKTYPE_LINUX_SLL, 16 bytes): packet type, ARPHRD
 * type, address length, 8 bytes of address, protocol (an EtherType for the
 * frames that matter here).
 */
export function decodeSll(p: Packet, b: Uint8Array, off: number, end: number, wc: WeirdCounters): number {
  if (end - off < 16) {
    wc.inc(W.truncated_sll_header);
    return -1;
  }
  p.etherType = (b[off + 14]! << 8) | b[off + 15]!;
  return off + 16;
}

/** Linux cooked capture v2 (LINKTYPE_LINUX_SLL2, 20 bytes): the protocol comes first. */
export function decodeSll2(p: Packet, b: Uint8Array, off: number, end: number, wc: WeirdCounters): number {
  if (end - off < 20) {
    wc.inc(W.truncated_sll_header);
    return -1;
  }
  p.etherType = (b[off]! << 8) | b[off + 1]!;
  return off + 20;
}

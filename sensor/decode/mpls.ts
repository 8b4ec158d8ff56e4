import { MAX_MPLS, type Packet } from './packet.js';
import { ETH_IPV4, ETH_IPV6, ETH_TEB } from './ethernet.js';
import { W, type WeirdCounters } from './weird.js';

/** Labels beyond this are malformed for any real network (and a fuzzing hazard). */
const MAX_STACK = 16;

/**
 * An MPLS label stack (0x8847 unicast, 0x8848 multicast): 4 bytes per entry,
 * label in the top 20 bits, bottom-of-stack in bit 8. MPLS carries no payload
 * type, so it is guessed like every router does: IP version nibble 4 or 6, and
 * 0 for a pseudowire control word followed by an Ethernet frame. Labels are
 * recorded on the packet but never used in a flow key: the two directions of
 * one conversation travel on different label-switched paths.
 */
export function decodeMpls(p: Packet, b: Uint8Array, off: number, end: number, wc: WeirdCounters): number {
  for (let n = 0; ; n++) {
    if (end - off < 4) {
      wc.inc(W.truncated_mpls_header);
      return -1;
    }
    if (n >= MAX_STACK) {
      wc.inc(W.too_many_mpls_labels);
      return -1;
    }
    const label = (b[off]! << 12) | (b[off + 1]! << 4) | (b[off + 2]! >> 4);
    const bottom = b[off + 2]! & 1;
    if (p.mplsCount < MAX_MPLS) p.mpls[p.mplsCount] = label;
    p.mplsCount++;
    off += 4;
    if (bottom) break;
  }
  if (off >= end) {
    wc.inc(W.truncated_mpls_header);
    return -1;
  }
  const nibble = b[off]! >> 4;
  if (nibble === 4) p.etherType = ETH_IPV4;
  else if (nibble === 6) p.etherType = ETH_IPV6;
  else if (nibble === 0) {
    // Pseudowire control word (RFC 4385), then the emulated Ethernet frame.
    p.etherType = ETH_TEB;
    off += 4;
  } else {
    wc.inc(W.mpls_unknown_payload);
    return -1;
  }
  return off;
}

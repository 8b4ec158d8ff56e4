import type { Packet } from './packet.js';
import { ETH_IPV4, ETH_IPV6 } from './ethernet.js';
import { W, type WeirdCounters } from './weird.js';

/** PPP protocol numbers for the two IP versions. */
const PPP_IPV4 = 0x0021;
const PPP_IPV6 = 0x0057;

/**
 * PPPoE session stage (0x8864): version/type, code, session id, length, then
 * the PPP protocol field. Only IP over PPP is passed on; LCP/IPCP and the
 * discovery stage are link housekeeping, counted as non-IP by the caller.
 */
export function decodePppoe(p: Packet, b: Uint8Array, off: number, end: number, wc: WeirdCounters): number {
  if (end - off < 8) {
    wc.inc(W.truncated_pppoe_header);
    return -1;
  }
  p.pppoeSession = (b[off + 2]! << 8) | b[off + 3]!;
  const proto = (b[off + 6]! << 8) | b[off + 7]!;
  if (proto === PPP_IPV4) p.etherType = ETH_IPV4;
  else if (proto === PPP_IPV6) p.etherType = ETH_IPV6;
  else {
    p.etherType = 0;
    wc.inc(W.pppoe_non_ip);
    return -1;
  }
  return off + 8;
}

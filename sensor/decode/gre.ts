import type { Packet } from './packet.js';
import { TUNNEL_ERSPAN, TUNNEL_GRE } from './packet.js';
import { ETH_IPV4, ETH_IPV6, ETH_MPLS, ETH_TEB } from './ethernet.js';
import { W, type WeirdCounters } from './weird.js';

const GRE_ERSPAN2 = 0x88be;
const GRE_ERSPAN3 = 0x22eb;

/**
 * GRE (RFC 2784/2890) and the ERSPAN types II and III carried in it. Sets the
 * tunnel fields (inner offset and what it starts with); returns -1 when the
 * payload is not something the sensor follows.
 */
export function decodeGre(p: Packet, b: Uint8Array, off: number, end: number, wc: WeirdCounters): number {
  if (end - off < 4) {
    wc.inc(W.truncated_gre_header);
    return -1;
  }
  const f0 = b[off]!;
  const version = b[off + 1]! & 0x07;
  if (version !== 0 || (f0 & 0x40) !== 0) {
    // Version 1 is PPTP's enhanced GRE; source routing is obsolete (RFC 1701).
    wc.inc(W.gre_version_unsupported);
    return -1;
  }
  let o = off + 4;
  if (f0 & 0x80) o += 4; // checksum + reserved
  if (f0 & 0x20) o += 4; // key
  if (f0 & 0x10) o += 4; // sequence number
  const proto = (b[off + 2]! << 8) | b[off + 3]!;
  if (o > end) {
    wc.inc(W.truncated_gre_header);
    return -1;
  }
  p.tunnelKind = TUNNEL_GRE;
  switch (proto) {
    case ETH_IPV4:
    case ETH_IPV6:
    case ETH_MPLS:
    case ETH_TEB:
      p.innerEtherType = proto;
      break;
    case GRE_ERSPAN2:
      // Type II has an 8-byte header (only when the S bit is set; type I had none).
      if (f0 & 0x10) o += 8;
      p.innerEtherType = ETH_TEB;
      p.tunnelKind = TUNNEL_ERSPAN;
      break;
    case GRE_ERSPAN3: {
      if (end - o < 12) {
        wc.inc(W.truncated_erspan_header);
        return -1;
      }
      const optional = (b[o + 11]! & 0x01) !== 0; // O flag: an 8-byte platform sub-header follows
      o += optional ? 20 : 12;
      p.innerEtherType = ETH_TEB;
      p.tunnelKind = TUNNEL_ERSPAN;
      break;
    }
    default:
      wc.inc(W.gre_unknown_protocol);
      return -1;
  }
  if (o > end) {
    wc.inc(W.truncated_erspan_header);
    return -1;
  }
  p.innerOff = o;
  return o;
}

import type { Packet } from './packet.js';
import { IP6_DST_UNKNOWN } from './checksum.js';
import { W, type WeirdCounters } from './weird.js';

const HOPOPTS = 0;
const ROUTING = 43;
const FRAGMENT = 44;
const AH = 51;
const DSTOPTS = 60;
const MOBILITY = 135;
const HIP = 139;
const SHIM6 = 140;
const EXP1 = 253;
const EXP2 = 254;
/** Real packets carry a handful of extension headers; more is an evasion attempt or garbage. */
const MAX_EXT = 12;

function word(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/**
 * IPv6 header and its extension-header chain, up to the transport header or
 * the fragment header. The transport protocol is the last "next header";
 * lengths come from the header (payload length), as for IPv4.
 */
export function decodeIpv6(p: Packet, b: Uint8Array, off: number, end: number, wc: WeirdCounters): number {
  if (end - off < 40) {
    wc.inc(W.truncated_IP);
    return -1;
  }
  if (b[off]! >> 4 !== 6) {
    wc.inc(W.bad_IP_version);
    return -1;
  }
  const plen = (b[off + 4]! << 8) | b[off + 5]!;
  const total = 40 + plen;
  if (plen === 0 && b[off + 6] === HOPOPTS) {
    // A jumbogram: never on an Ethernet WAN link.
    wc.inc(W.IPv6_bad_extension_header);
    return -1;
  }
  if (p.wireEnd - off < total) {
    wc.inc(W.truncated_IP);
    return -1;
  }
  p.ipVersion = 6;
  p.ipOff = off;
  p.ipLen = total;
  p.ttl = b[off + 7]!;
  p.s0 = word(b, off + 8);
  p.s1 = word(b, off + 12);
  p.s2 = word(b, off + 16);
  p.s3 = word(b, off + 20);
  p.d0 = word(b, off + 24);
  p.d1 = word(b, off + 28);
  p.d2 = word(b, off + 32);
  p.d3 = word(b, off + 36);
  const dgEnd = off + total;
  if (dgEnd < p.end) p.end = dgEnd;
  const cend = p.end;
  let nh = b[off + 6]!;
  let o = off + 40;
  for (let n = 0; ; n++) {
    if (nh !== HOPOPTS && nh !== ROUTING && nh !== FRAGMENT && nh !== DSTOPTS && nh !== AH && nh !== MOBILITY && nh !== HIP && nh !== SHIM6 && nh !== EXP1 && nh !== EXP2) break;
    if (n >= MAX_EXT) {
      wc.inc(W.ipv6_too_many_extension_headers);
      return -1;
    }
    if (cend - o < 8 || dgEnd - o < 8) {
      wc.inc(W.IPv6_bad_extension_header);
      return -1;
    }
    if (nh === FRAGMENT) {
      const fo = ((b[o + 2]! << 8) | b[o + 3]!) & 0xfff8;
      const more = (b[o + 3]! & 1) !== 0;
      const next = b[o]!;
      if (fo !== 0 || more) {
        p.isFragment = true;
        p.fragMore = more;
        p.fragOffset = fo;
        p.fragId = word(b, o + 4);
        p.fragHdrOff = o;
        p.proto = next;
        p.ipHdrLen = o + 8 - off;
        p.l4Off = o + 8;
        p.l4Len = dgEnd - (o + 8);
        return o + 8;
      }
      // An atomic fragment (RFC 6946): the whole datagram, processed as is.
      nh = next;
      o += 8;
      continue;
    }
    const len = nh === AH ? (b[o + 1]! + 2) << 2 : (b[o + 1]! + 1) << 3;
    if (nh === ROUTING && b[o + 3] !== 0) p.ip6Dst = finalDestination(b, o, len);
    nh = b[o]!;
    o += len;
    if (o > dgEnd) {
      wc.inc(W.IPv6_bad_extension_header);
      return -1;
    }
  }
  p.proto = nh;
  p.ipHdrLen = o - off;
  p.l4Off = o;
  p.l4Len = dgEnd - o;
  return o;
}

/**
 * Where the final destination lies in a routing header (at o, len bytes) with
 * segments left: the address the transport checksum's pseudo-header uses
 * (RFC 8200 §8.1). Type 0 (deprecated, still seen in attacks) lists it last,
 * type 2 (Mobile IPv6) holds only it, type 4 (segment routing) lists it first.
 */
function finalDestination(b: Uint8Array, o: number, len: number): number {
  const type = b[o + 2]!;
  if (type === 0 && len >= 24) return o + len - 16;
  if ((type === 2 || type === 4) && len >= 24) return o + 8;
  return IP6_DST_UNKNOWN;
}

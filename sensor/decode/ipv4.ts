import type { Packet } from './packet.js';
import { W, type WeirdCounters } from './weird.js';

/**
 * IPv4 header. Lengths come from the header, never from the capture, so
 * accounting matches what crossed the wire even when the snaplen cut the
 * packet; Ethernet padding beyond the datagram is trimmed off p.end.
 * Returns the transport header offset (for a fragment: of its payload).
 */
export function decodeIpv4(p: Packet, b: Uint8Array, off: number, end: number, wc: WeirdCounters, verifyChecksum: boolean): number {
  if (end - off < 20) {
    wc.inc(W.truncated_IP);
    return -1;
  }
  const vh = b[off]!;
  if (vh >> 4 !== 4) {
    wc.inc(W.bad_IP_version);
    return -1;
  }
  const hl = (vh & 0x0f) << 2;
  if (hl < 20) {
    wc.inc(W.bad_IP_header_len);
    return -1;
  }
  const total = (b[off + 2]! << 8) | b[off + 3]!;
  if (total < hl) {
    wc.inc(W.bad_IP_header_len);
    return -1;
  }
  if (p.wireEnd - off < total) {
    // The frame on the wire is shorter than the datagram claims: a broken packet, not a snaplen cut.
    wc.inc(W.truncated_IP);
    return -1;
  }
  if (end - off < hl) {
    wc.inc(W.internally_truncated_header);
    return -1;
  }
  if (verifyChecksum && !checksumOk(b, off, hl)) {
    wc.inc(W.bad_IP_checksum);
    return -1;
  }
  p.ipVersion = 4;
  p.ipOff = off;
  p.ipHdrLen = hl;
  p.ipLen = total;
  p.ttl = b[off + 8]!;
  p.proto = b[off + 9]!;
  p.s0 = 0;
  p.s1 = 0;
  p.s2 = 0xffff;
  p.s3 = ((b[off + 12]! << 24) | (b[off + 13]! << 16) | (b[off + 14]! << 8) | b[off + 15]!) >>> 0;
  p.d0 = 0;
  p.d1 = 0;
  p.d2 = 0xffff;
  p.d3 = ((b[off + 16]! << 24) | (b[off + 17]! << 16) | (b[off + 18]! << 8) | b[off + 19]!) >>> 0;
  const ff = (b[off + 6]! << 8) | b[off + 7]!;
  const fragOffset = (ff & 0x1fff) << 3;
  const more = (ff & 0x2000) !== 0;
  if (fragOffset !== 0 || more) {
    p.isFragment = true;
    p.fragMore = more;
    p.fragOffset = fragOffset;
    p.fragId = (b[off + 4]! << 8) | b[off + 5]!;
    if (ff & 0x4000) wc.inc(W.fragment_with_DF);
  }
  const dgEnd = off + total;
  if (dgEnd < p.end) p.end = dgEnd;
  p.l4Off = off + hl;
  p.l4Len = total - hl;
  return off + hl;
}

function checksumOk(b: Uint8Array, off: number, len: number): boolean {
  // Twenty bytes is nearly every header: summed without a loop.
  let sum =
    ((b[off]! << 8) | b[off + 1]!) + ((b[off + 2]! << 8) | b[off + 3]!) + ((b[off + 4]! << 8) | b[off + 5]!) + ((b[off + 6]! << 8) | b[off + 7]!) +
    ((b[off + 8]! << 8) | b[off + 9]!) + ((b[off + 10]! << 8) | b[off + 11]!) + ((b[off + 12]! << 8) | b[off + 13]!) +
    ((b[off + 14]! << 8) | b[off + 15]!) + ((b[off + 16]! << 8) | b[off + 17]!) + ((b[off + 18]! << 8) | b[off + 19]!);
  for (let i = off + 20; i < off + len; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum === 0xffff;
}

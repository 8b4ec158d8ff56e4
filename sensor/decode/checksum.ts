/**
 * TCP and UDP checksums (RFC 793 / 768 over IPv4, RFC 8200 §8.1 over IPv6),
 * verified the way Zeek verifies them, so that records mean what Zeek's mean.
 *
 * What Zeek does, and so what the sensor does (Zeek's documentation, "Connection
 * Handling: Checksum Behavior", docs.zeek.org/en/master/advanced/devel/conn.html,
 * and its TCP and UDP packet analyzers, src/packet_analysis/protocol/{tcp,udp}):
 * - The connection is looked up, or created, from the (possibly corrupt) header
 *   first; the checksum is judged afterwards. So a bad packet can still open a
 *   connection: Zeek's own example is a lone bad SYN logged as conn_state OTH,
 *   history "C", zero packets and zero IP bytes.
 * - A bad packet is reported as the connection weird bad_TCP_checksum or
 *   bad_UDP_checksum and adds 'C' (originator) or 'c' (responder) to the history,
 *   logarithmically (the 1st, 10th, 100th... bad packet of that side).
 * - Nothing else of it counts. TCP: it never reaches the endpoint state machine,
 *   the sequence bookkeeping or reassembly, so a bad FIN closes nothing and a bad
 *   RST resets nothing. UDP: no 'D', no payload bytes, no application analysis.
 *   For both it moves neither the connection's last-packet time (so it keeps no
 *   connection alive) nor orig/resp_pkts and ip_bytes (Zeek 8.2 documents that
 *   for every transport; Zeek releases before 8.2 still counted a bad UDP packet
 *   in the packet and IP-byte totals, because their UDP analyzer fed the
 *   size counter before the check).
 * - A VXLAN datagram whose outer checksum is bad is not decapsulated.
 * - Only a segment captured whole can be judged: one cut by the snaplen is taken
 *   as it is, never flagged. A UDP checksum of 0 over IPv4 means "none"; over
 *   IPv6 it is mandatory, except the zero that VXLAN senders use (RFC 6935), which
 *   Zeek accepts on its VXLAN ports.
 * - zeek -r verifies by default; -C (ignore_checksums) turns every check off. Live
 *   capture on a host whose NIC offloads checksums sees its own outgoing packets
 *   with partial checksums, which is why deployments capturing live commonly run
 *   with checksums ignored (see decode.verifyTransportChecksums in ../config.ts).
 *
 * The sum is one pass over the bytes, 32 bits at a time, with no allocation per
 * packet: the segment's 4-byte-aligned middle is read through an Int32Array view
 * of the capture buffer (made once per buffer, not per packet), each word's two
 * 16-bit halves added to two accumulators that cannot overflow for anything IP
 * carries. The halves are little- or big-endian words depending on the machine
 * and on whether the aligned part starts at an even or odd byte of the segment;
 * a ones' complement sum of byte-swapped words is the byte-swapped sum (RFC 1071
 * §2), so one swap of the folded result puts it right. The at most three bytes
 * before and after the aligned part are added one by one.
 */
import type { Packet } from './packet.js';

/** p.ip6Dst when the final destination is one the sensor cannot find: the checksum is not judged. */
export const IP6_DST_UNKNOWN = -2;

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** The 32-bit view of the last buffer summed (a capture block, a reassembled datagram...). */
let viewOf: ArrayBufferLike | null = null;
let view: Int32Array<ArrayBufferLike> = new Int32Array(0);

/**
 * The ones' complement sum of the big-endian 16-bit words of b[off, off+len)
 * (an odd last byte is a high byte), partly folded: below 2^26.
 */
function sumBytes(b: Uint8Array, off: number, len: number): number {
  const abs = b.byteOffset + off;
  let head = (4 - (abs & 3)) & 3;
  if (head > len) head = len;
  // Bytes at even positions of the segment are high bytes, at odd positions low bytes.
  let hi = 0;
  let lo = 0;
  let i = 0;
  for (; i < head; i++) {
    if ((i & 1) === 0) hi += b[off + i]!;
    else lo += b[off + i]!;
  }
  const words = (len - head) >> 2;
  let mid = 0;
  if (words > 0) {
    if (b.buffer !== viewOf) {
      viewOf = b.buffer;
      view = new Int32Array(b.buffer, 0, b.buffer.byteLength >> 2);
    }
    const v = view;
    let w = (abs + head) >> 2;
    const wEnd = w + words;
    const wEnd4 = w + (words & ~3);
    // Whole 32-bit words summed in a double (exact below 2^53, far beyond any packet):
    // one add per word; folding the total to 16 bits gives the sum of its halves, as
    // ones' complement arithmetic allows (RFC 1071's wider accumulators).
    let a = 0;
    for (; w < wEnd4; w += 4) a += (v[w]! >>> 0) + (v[w + 1]! >>> 0) + (v[w + 2]! >>> 0) + (v[w + 3]! >>> 0);
    for (; w < wEnd; w++) a += v[w]! >>> 0;
    while (a > 0xffff) a = (a % 65536) + Math.floor(a / 65536);
    mid = a;
    // Little-endian halves starting at an even byte of the segment are byte-swapped words; at an odd byte, right.
    if (LITTLE_ENDIAN === ((head & 1) === 0)) mid = ((mid & 0xff) << 8) | (mid >>> 8);
    i = head + words * 4;
  }
  for (; i < len; i++) {
    if ((i & 1) === 0) hi += b[off + i]!;
    else lo += b[off + i]!;
  }
  return hi * 256 + lo + mid;
}

/** The folded 16-bit ones' complement sum of b[off, off+len) (0xffff when a region with its checksum is right). */
export function internetSum(b: Uint8Array, off: number, len: number): number {
  return fold(sumBytes(b, off, len));
}

function fold(s: number): number {
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return (s & 0xffff) + (s >>> 16);
}

function words(w: number): number {
  return (w >>> 16) + (w & 0xffff);
}

/**
 * Whether the transport segment at b[off, off + p.l4Len) (header with its
 * checksum field, and payload) sums to all ones with its pseudo-header. The
 * caller has made sure the whole segment was captured.
 */
export function transportChecksumOk(p: Packet, b: Uint8Array, off: number, proto: number): boolean {
  const len = p.l4Len;
  let s = proto + len;
  if (p.ipVersion === 4) s += words(p.s3) + words(p.d3);
  else {
    s += words(p.s0) + words(p.s1) + words(p.s2) + words(p.s3);
    const r = p.ip6Dst;
    if (r >= 0) s += sumBytes(b, r, 16); // a routing header names the final destination: the pseudo-header's
    else s += words(p.d0) + words(p.d1) + words(p.d2) + words(p.d3);
    // (length is at most 65535 here: jumbograms are dropped by the IPv6 decoder)
  }
  s += sumBytes(b, off, len);
  return fold(s) === 0xffff;
}

/**
 * Whether the ICMP message at b[off, off + p.l4Len) sums right: ICMPv4 over the message
 * alone, ICMPv6 under the IPv6 pseudo-header (RFC 4443). Zeek reports a bad one as
 * bad_ICMP_checksum and skips it (no activity, no length); ICMP has no history letters.
 */
export function icmpChecksumOk(p: Packet, b: Uint8Array, off: number): boolean {
  if (p.ipVersion === 4) return fold(sumBytes(b, off, p.l4Len)) === 0xffff;
  return transportChecksumOk(p, b, off, 58);
}

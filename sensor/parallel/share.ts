/**
 * Which worker of `chot sensor read --workers N` accounts a frame: a
 * symmetric hash of the addresses of its outermost IP header, modulo N.
 *
 * Addresses only, and the outermost header, because every packet of a
 * connection must reach the worker that holds it, in both directions:
 *   - fragments after the first carry no ports (ports would split a datagram);
 *   - ICMP is keyed by its own addresses, as the flow table keys it;
 *   - a tunnel's inner connections name the tunnel connection as their parent
 *     (tunnel_parents), so the tunnel and everything in it stay together;
 *   - VLAN tags and MPLS labels are skipped, as the flow key skips them
 *     (the two directions cross the WAN on different label-switched paths).
 * A frame with no IP header that the link layer leads to (ARP, LLDP,
 * malformed) belongs to worker 0, which counts its weirds once.
 *
 * The link layer is walked with the decoder's own functions, so a frame
 * reaches the same IP header here as in sensor/decode/frame.ts.
 */
import { decodeEthernet, ETH_IPV4, ETH_IPV6, ETH_MPLS, ETH_MPLS_MC, ETH_PPPOE_SESS, ETH_QINQ, ETH_QINQ_OLD, ETH_TEB, ETH_VLAN } from '../decode/ethernet.js';
import { decodeMpls } from '../decode/mpls.js';
import { LINK_ETHERNET, LINK_IPV4, LINK_IPV6, LINK_LOOP, LINK_NULL, LINK_RAW, LINK_RAW_DLT, LINK_RAW_DLT_OPENBSD, LINK_SLL, LINK_SLL2, Packet } from '../decode/packet.js';
import { decodePppoe } from '../decode/pppoe.js';
import { D_IPV, D_S0 } from '../decode/predecoded.js';
import { decodeSll, decodeSll2 } from '../decode/sll.js';
import { decodeVlan } from '../decode/vlan.js';
import { WeirdCounters } from '../decode/weird.js';

/** Scratch for the link-layer decoders; their weirds are counted again by the owner's real decode. */
const scratch = new Packet();
const ignored = new WeirdCounters();
/** Bounds the walk as frame.ts bounds it (tags, labels and Ethernet-in-MPLS nesting). */
const MAX_STEPS = 16;

/** The worker (0..workers-1) that accounts this frame. */
export function shareOf(b: Uint8Array, off: number, caplen: number, linkType: number, workers: number): number {
  if (workers <= 1) return 0;
  const h = outerAddressHash(b, off, off + caplen, linkType);
  return h < 0 ? 0 : h % workers;
}

/**
 * shareOf for a frame the native reader decoded ahead (decode/predecoded.ts): its only
 * IP header's addresses are in the descriptor, hashed as outerAddressHash hashes them.
 */
export function shareOfDecoded(d: Int32Array, at: number, workers: number): number {
  if (workers <= 1) return 0;
  const a = at + D_S0;
  const h = d[at + D_IPV] === 4 ? pairHash(d[a + 3]!, 0, 0, 0, d[a + 7]!, 0, 0, 0) : pairHash(d[a]!, d[a + 1]!, d[a + 2]!, d[a + 3]!, d[a + 4]!, d[a + 5]!, d[a + 6]!, d[a + 7]!);
  return h % workers;
}

/** A non-negative hash of the outermost IP header's address pair, the same both ways; -1 without one. */
export function outerAddressHash(b: Uint8Array, off: number, end: number, linkType: number): number {
  if (linkType === LINK_ETHERNET) {
    // The usual frames (IP behind up to four VLAN tags) read in place; every
    // worker looks at every frame, so this is its cost per packet. Anything
    // else takes the decoders' walk below, which the fast path agrees with.
    let o = off + 14;
    if (o <= end) {
      let t = (b[o - 2]! << 8) | b[o - 1]!;
      for (let tags = 0; tags < 4 && (t === ETH_VLAN || t === ETH_QINQ || t === ETH_QINQ_OLD) && o + 4 <= end; tags++) {
        t = (b[o + 2]! << 8) | b[o + 3]!;
        o += 4;
      }
      if (t === ETH_IPV4 && end - o >= 20 && b[o]! >> 4 === 4) return pairHash(word(b, o + 12), 0, 0, 0, word(b, o + 16), 0, 0, 0);
      if (t === ETH_IPV6 && end - o >= 40 && b[o]! >> 4 === 6) {
        return pairHash(word(b, o + 8), word(b, o + 12), word(b, o + 16), word(b, o + 20), word(b, o + 24), word(b, o + 28), word(b, o + 32), word(b, o + 36));
      }
    }
  }
  return decodedAddressHash(b, off, end, linkType);
}

/** outerAddressHash by the decoders' own walk of the link layer. */
function decodedAddressHash(b: Uint8Array, off: number, end: number, linkType: number): number {
  const p = scratch;
  p.reset();
  p.end = end;
  let o: number;
  switch (linkType) {
    case LINK_ETHERNET:
      o = decodeEthernet(p, b, off, end, ignored);
      break;
    case LINK_RAW:
    case LINK_RAW_DLT:
    case LINK_RAW_DLT_OPENBSD:
    case LINK_IPV4:
    case LINK_IPV6:
      if (end <= off) return -1;
      p.etherType = b[off]! >> 4 === 6 ? ETH_IPV6 : ETH_IPV4;
      o = off;
      break;
    case LINK_SLL:
      o = decodeSll(p, b, off, end, ignored);
      break;
    case LINK_SLL2:
      o = decodeSll2(p, b, off, end, ignored);
      break;
    case LINK_NULL:
    case LINK_LOOP: {
      if (end - off < 4) return -1;
      const fam = linkType === LINK_LOOP ? b[off + 3]! : b[off]! | b[off + 3]!;
      p.etherType = fam === 2 ? ETH_IPV4 : fam === 24 || fam === 28 || fam === 30 ? ETH_IPV6 : 0;
      o = off + 4;
      break;
    }
    default:
      return -1;
  }
  for (let step = 0; o >= 0 && step < MAX_STEPS; step++) {
    switch (p.etherType) {
      case ETH_IPV4:
        if (end - o < 20 || b[o]! >> 4 !== 4) return -1;
        return pairHash(word(b, o + 12), 0, 0, 0, word(b, o + 16), 0, 0, 0);
      case ETH_IPV6:
        if (end - o < 40 || b[o]! >> 4 !== 6) return -1;
        return pairHash(word(b, o + 8), word(b, o + 12), word(b, o + 16), word(b, o + 20), word(b, o + 24), word(b, o + 28), word(b, o + 32), word(b, o + 36));
      case ETH_VLAN:
      case ETH_QINQ:
      case ETH_QINQ_OLD:
        o = decodeVlan(p, b, o, end, ignored);
        break;
      case ETH_MPLS:
      case ETH_MPLS_MC:
        o = decodeMpls(p, b, o, end, ignored);
        break;
      case ETH_PPPOE_SESS:
        o = decodePppoe(p, b, o, end, ignored);
        break;
      case ETH_TEB:
        o = decodeEthernet(p, b, o, end, ignored);
        break;
      default:
        return -1;
    }
  }
  return -1;
}

function word(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) | 0;
}

function addressHash(a0: number, a1: number, a2: number, a3: number): number {
  let h = Math.imul(a0, 0x9e3779b1) ^ Math.imul(a1, 0x85ebca6b) ^ Math.imul(a2, 0xc2b2ae35) ^ Math.imul(a3, 0x27d4eb2f);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h;
}

/** Symmetric: the sum of the two addresses' hashes, then mixed. */
function pairHash(s0: number, s1: number, s2: number, s3: number, d0: number, d1: number, d2: number, d3: number): number {
  let h = (addressHash(s0, s1, s2, s3) + addressHash(d0, d1, d2, d3)) | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

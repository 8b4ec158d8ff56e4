import { IP6_DST_UNKNOWN } from './checksum.js';
import type { Packet } from './packet.js';
import { W, type WeirdCounters } from './weird.js';

/** The largest datagram IP can describe. */
const MAX_DATAGRAM = 65535;

interface Pending {
  /** Unfragmentable part (IPv4 header, or IPv6 header plus the extension headers before the fragment header). */
  hdr: Uint8Array;
  proto: number;
  /** Payload assembled so far, indexed by fragment offset. */
  data: Uint8Array;
  /** Covered byte ranges of data, as sorted, disjoint [start, end) pairs. */
  ranges: number[];
  /** Payload length, known once the last fragment (MF clear) arrived; -1 before. */
  total: number;
  /** Packet time of the first fragment (ns), for the timeout. */
  first: number;
}

/**
 * IPv4 and IPv6 fragment reassembly. Fragments may come in any order and may
 * overlap: the bytes that arrived first win (the usual host policy), and every
 * overlap is a weird ("fragment_overlap", or "fragment_inconsistency" when the
 * bytes disagree, a classic evasion). The table is bounded in entries and
 * time, so a fragment flood costs memory proportional to the bound only.
 */
export class FragmentReassembler {
  private readonly pending = new Map<string, Pending>();
  completed = 0;

  constructor(
    private readonly wc: WeirdCounters,
    private readonly maxPending = 4096,
    private readonly timeoutNs = 60e9,
  ) {}

  get size(): number {
    return this.pending.size;
  }

  /**
   * Adds the fragment in p. When it completes a datagram, rewrites p to point
   * at the reassembled datagram (p.buf, offsets, lengths) and returns true.
   */
  add(p: Packet, now: number): boolean {
    const b = p.buf;
    const len = p.l4Len;
    const start = p.fragOffset;
    const end = start + len;
    if (p.end - p.l4Off < len) {
      // Captured bytes are missing (snaplen): the datagram can never be rebuilt.
      this.wc.inc(W.truncated_fragment);
      return false;
    }
    if (end > MAX_DATAGRAM) {
      this.wc.inc(W.excessively_large_fragment);
      return false;
    }
    if (p.fragMore && (len & 7) !== 0) {
      this.wc.inc(W.fragment_size_inconsistency);
      return false;
    }
    if (len === 0 && p.fragMore) {
      this.wc.inc(W.tiny_fragment);
      return false;
    }
    const key = this.keyOf(p);
    let e = this.pending.get(key);
    if (e === undefined) {
      if (this.pending.size >= this.maxPending) {
        // Evict the oldest (a Map iterates in insertion order).
        const oldest = this.pending.keys().next().value as string;
        this.pending.delete(oldest);
        this.wc.inc(W.fragment_table_full);
      }
      e = { hdr: new Uint8Array(0), proto: p.proto, data: new Uint8Array(Math.max(end, 1500)), ranges: [], total: -1, first: now };
      this.pending.set(key, e);
    } else if (e.proto !== p.proto) {
      this.wc.inc(W.fragment_protocol_inconsistency);
    }
    if (start === 0) {
      // The unfragmentable part is taken from the first fragment.
      const hdrEnd = p.ipVersion === 4 ? p.ipOff + p.ipHdrLen : p.fragHdrOff;
      e.hdr = b.slice(p.ipOff, hdrEnd);
    }
    if (!p.fragMore) {
      if (e.total >= 0 && e.total !== end) this.wc.inc(W.fragment_inconsistency);
      if (e.total < 0) e.total = end;
    }
    if (e.data.length < end) {
      const grown = new Uint8Array(Math.min(MAX_DATAGRAM, Math.max(end, e.data.length * 2)));
      grown.set(e.data);
      e.data = grown;
    }
    this.insert(e, b, p.l4Off, start, end);

    if (e.total < 0 || e.hdr.length === 0 || e.ranges.length !== 2 || e.ranges[0] !== 0 || e.ranges[1]! < e.total) return false;
    this.pending.delete(key);
    this.completed++;
    return this.rebuild(p, e);
  }

  /** Drops datagrams whose first fragment is older than the timeout. */
  expire(now: number): void {
    for (const [key, e] of this.pending) {
      if (now - e.first < this.timeoutNs) break; // insertion order is time order
      this.pending.delete(key);
      this.wc.inc(W.fragment_timeout);
    }
  }

  private keyOf(p: Packet): string {
    return p.ipVersion === 4
      ? `4 ${p.s3} ${p.d3} ${p.fragId} ${p.proto}`
      : `6 ${p.s0} ${p.s1} ${p.s2} ${p.s3} ${p.d0} ${p.d1} ${p.d2} ${p.d3} ${p.fragId}`;
  }

  /** Copies the bytes of [start,end) not yet covered, checking the overlapping ones. */
  private insert(e: Pending, b: Uint8Array, src: number, start: number, end: number): void {
    const r = e.ranges;
    let cur = start;
    let overlap = false;
    let inconsistent = false;
    for (let i = 0; i < r.length && cur < end; i += 2) {
      const rs = r[i]!;
      const re = r[i + 1]!;
      if (re <= cur) continue;
      if (rs >= end) break;
      if (rs > cur) e.data.set(b.subarray(src + (cur - start), src + (rs - start)), cur);
      const os = Math.max(rs, cur);
      const oe = Math.min(re, end);
      if (oe > os) {
        overlap = true;
        for (let k = os; k < oe; k++) {
          if (e.data[k] !== b[src + (k - start)]) {
            inconsistent = true;
            break;
          }
        }
      }
      cur = Math.max(cur, re);
    }
    if (cur < end) e.data.set(b.subarray(src + (cur - start), src + (end - start)), cur);
    if (overlap) this.wc.inc(inconsistent ? W.fragment_inconsistency : W.fragment_overlap);
    // Merge [start,end) into the sorted range list.
    const out: number[] = [];
    let ns = start;
    let ne = end;
    let placed = false;
    for (let i = 0; i < r.length; i += 2) {
      const rs = r[i]!;
      const re = r[i + 1]!;
      if (re < ns) out.push(rs, re);
      else if (rs > ne) {
        if (!placed) {
          out.push(ns, ne);
          placed = true;
        }
        out.push(rs, re);
      } else {
        ns = Math.min(ns, rs);
        ne = Math.max(ne, re);
      }
    }
    if (!placed) out.push(ns, ne);
    e.ranges = out;
  }

  private rebuild(p: Packet, e: Pending): boolean {
    const hl = e.hdr.length;
    const total = hl + e.total;
    if (total > MAX_DATAGRAM + 40) {
      this.wc.inc(W.excessively_large_fragment);
      return false;
    }
    const out = new Uint8Array(total);
    out.set(e.hdr, 0);
    out.set(e.data.subarray(0, e.total), hl);
    if (p.ipVersion === 4) {
      out[2] = total >> 8;
      out[3] = total & 0xff;
      out[6] = 0;
      out[7] = 0;
    } else {
      const plen = total - 40;
      out[4] = plen >> 8;
      out[5] = plen & 0xff;
    }
    p.buf = out;
    p.ipOff = 0;
    p.ipHdrLen = hl;
    p.ipLen = total;
    p.proto = e.proto;
    p.l4Off = hl;
    p.l4Len = e.total;
    p.end = total;
    p.wireEnd = total;
    p.isFragment = false;
    p.reassembled = true;
    // A routing header's final destination was found in the last fragment's bytes, not in the rebuilt header.
    if (p.ip6Dst >= 0) p.ip6Dst = IP6_DST_UNKNOWN;
    return true;
  }
}

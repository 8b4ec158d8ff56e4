/**
 * Per-direction TCP stream accounting, after Zeek's TCP_Reassembler: which
 * bytes of the sequence space were seen, which holes the peer acknowledged
 * without us ever seeing the data (a content gap: missed_bytes and the g/G
 * history letter), and, while an application analyzer wants the stream, the
 * in-order delivery of its bytes with a small bounded buffer for segments
 * that arrive ahead of a hole.
 */
import { type Conn, type Endpoint, TCP_CLOSED, TCP_ESTABLISHED } from './conn.js';
import { contentGap } from './history.js';

/** Out-of-order segments remembered per direction (ranges, for gap accounting). */
const MAX_BLOCKS = 64;
/** Bytes copied per direction for the app analyzer while waiting for a hole to fill. */
export const MAX_BUFFERED = 16 * 1024;

export interface StreamConsumer {
  /** True while the connection's app analyzer wants stream bytes (or has not been chosen yet). */
  wants(c: Conn): boolean;
  deliver(c: Conn, ep: Endpoint, buf: Uint8Array, start: number, end: number): void;
  gap(c: Conn, ep: Endpoint, len: number): void;
}

function isClean(e: Endpoint): boolean {
  return e.state === TCP_ESTABLISHED || (e.state === TCP_CLOSED && e.prevState === TCP_ESTABLISHED);
}

/** Payload [off, off+len) of a segment at relative sequence rseq (fully captured). */
export function dataSent(c: Conn, ep: Endpoint, rseq: number, len: number, buf: Uint8Array, off: number, out: StreamConsumer): void {
  const upper = rseq + len;
  if (upper <= ep.reasm) return; // old bytes again (a retransmission): already accounted for
  if (rseq <= ep.reasm) {
    const from = ep.reasm;
    ep.reasm = upper;
    if (out.wants(c)) out.deliver(c, ep, buf, off + (from - rseq), off + len);
    if (ep.ooo !== null) drain(c, ep, out);
    return;
  }
  addBlock(c, ep, rseq, upper, buf, off, out);
}

/**
 * The peer acknowledged this endpoint's stream up to relative sequence ack:
 * whatever below it was never seen is a content gap.
 */
export function ackReceived(c: Conn, ep: Endpoint, peer: Endpoint, ack: number, out: StreamConsumer): void {
  if (ep.finCnt > 0 && ack >= ep.finSeq) ack = ep.finSeq - 1; // the FIN octet is not data
  if (ack <= ep.reasm) return;
  if (ack <= 2 && c.isPartial) {
    // A partial connection's faked initial sequence (or a keep-alive one below it): nothing was really missed.
    return;
  }
  // Blocks starting below the acknowledged point: report the hole before each, then take it in.
  while (ep.ooo !== null && ep.ooo.ranges[0]! < ack) {
    const s = ep.ooo.ranges[0]!;
    if (s > ep.reasm) {
      gap(c, ep, peer, s - ep.reasm, out);
      ep.reasm = s;
    }
    drain(c, ep, out);
  }
  if (ack > ep.reasm) {
    gap(c, ep, peer, ack - ep.reasm, out);
    ep.reasm = ack;
    if (ep.ooo !== null) drain(c, ep, out);
  }
}

function gap(c: Conn, ep: Endpoint, peer: Endpoint, len: number, out: StreamConsumer): void {
  // Only connections that are established (or closed cleanly after being so) report gaps:
  // elsewhere they arise from RST sequence numbers or from what a partial connection never showed.
  if (isClean(ep) && isClean(peer)) {
    contentGap(c, ep);
    c.missed += len;
  }
  if (out.wants(c)) out.gap(c, ep, len);
}

/** Takes in the blocks that now continue the stream (ep.reasm reached their start). */
function drain(c: Conn, ep: Endpoint, out: StreamConsumer): void {
  const ooo = ep.ooo!;
  const blocks = ooo.ranges;
  const data = ooo.data;
  while (blocks.length > 0 && blocks[0]! <= ep.reasm) {
    const s = blocks[0]!;
    const e = blocks[1]!;
    const d = data[0]!;
    blocks.splice(0, 2);
    data.splice(0, 1);
    if (d !== null) ooo.bytes -= d.length;
    if (e <= ep.reasm) continue;
    const from = ep.reasm;
    ep.reasm = e;
    if (out.wants(c)) {
      if (d !== null) out.deliver(c, ep, d, from - s, e - s);
      else out.gap(c, ep, e - from);
    }
  }
  if (blocks.length === 0) ep.ooo = null;
}

function addBlock(c: Conn, ep: Endpoint, s: number, e: number, buf: Uint8Array, off: number, out: StreamConsumer): void {
  if (ep.ooo === null) ep.ooo = { ranges: [], data: [], bytes: 0 };
  const ooo = ep.ooo;
  const blocks = ooo.ranges;
  const data = ooo.data;
  let copy: Uint8Array | null = null;
  if (out.wants(c) && ooo.bytes + (e - s) <= MAX_BUFFERED) {
    // A real copy (on a Node Buffer, slice() would be a view of the reused capture buffer).
    copy = Uint8Array.prototype.slice.call(buf, off, off + (e - s));
    ooo.bytes += copy.length;
  }
  // Sorted by start; overlaps are allowed (drain skips what was already taken).
  let i = blocks.length;
  while (i > 0 && blocks[i - 2]! > s) i -= 2;
  if (i > 0 && blocks[i - 2] === s && blocks[i - 1]! >= e) {
    // The same segment again: nothing new.
    if (copy !== null) ooo.bytes -= copy.length;
    return;
  }
  blocks.splice(i, 0, s, e);
  data.splice(i >> 1, 0, copy);
  if (blocks.length > MAX_BLOCKS * 2) {
    // Too much disorder: forget the highest block; if it is acknowledged later it counts as missed.
    blocks.length -= 2;
    const d = data.pop();
    if (d) ooo.bytes -= d.length;
  }
}

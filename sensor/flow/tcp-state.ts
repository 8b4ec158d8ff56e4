/**
 * The TCP analysis of one packet, following Zeek's TCP session adapter step
 * by step so that conn_state, history, sizes and gaps mean exactly what they
 * mean in Zeek: endpoint initialization from the first segment (real or faked
 * SYN), relative sequence numbers with wrap counting, the history letters,
 * zero windows, retransmissions, the endpoint state machine (including the
 * SYN/SYN-ACK reversal that flips roles), closes, and the stream accounting.
 */
import type { Packet } from '../decode/packet.js';
import { TH_ACK, TH_FIN, TH_RST, TH_SYN, TH_URG } from '../decode/tcp.js';
import { weirdId } from '../decode/weird.js';
import {
  type Conn,
  type Endpoint,
  TCP_CLOSED,
  TCP_ESTABLISHED,
  TCP_INACTIVE,
  TCP_PARTIAL,
  TCP_RESET,
  TCP_SYN_ACK_SENT,
  TCP_SYN_SENT,
} from './conn.js';
import { addHistory, checkHistory, didRetransmit, HIST_ACK, HIST_DATA, HIST_FIN, HIST_FIN_RST, HIST_MULTI, HIST_RST, HIST_SYN, zeroWindow } from './history.js';
import { ackReceived, dataSent, type StreamConsumer } from './reassembly.js';

/** Sequence jumps beyond this on a SYN or RST are not trusted (Zeek's TOO_LARGE_SEQ_DELTA). */
const TOO_LARGE_SEQ_DELTA = 1048576;

export const TW = {
  SYN_seq_jump: weirdId('SYN_seq_jump'),
  SYN_inside_connection: weirdId('SYN_inside_connection'),
  TCP_seq_underflow_or_misorder: weirdId('TCP_seq_underflow_or_misorder'),
  TCP_ack_underflow_or_misorder: weirdId('TCP_ack_underflow_or_misorder'),
  possible_split_routing: weirdId('possible_split_routing'),
  connection_originator_SYN_ack: weirdId('connection_originator_SYN_ack'),
  bad_SYN_ack: weirdId('bad_SYN_ack'),
  simultaneous_open: weirdId('simultaneous_open'),
  unsolicited_SYN_response: weirdId('unsolicited_SYN_response'),
  spontaneous_FIN: weirdId('spontaneous_FIN'),
  spontaneous_RST: weirdId('spontaneous_RST'),
  repeated_SYN_with_ack: weirdId('repeated_SYN_with_ack'),
  repeated_SYN_reply_wo_ack: weirdId('repeated_SYN_reply_wo_ack'),
  inappropriate_FIN: weirdId('inappropriate_FIN'),
  data_before_established: weirdId('data_before_established'),
  SYN_after_partial: weirdId('SYN_after_partial'),
  SYN_after_close: weirdId('SYN_after_close'),
  FIN_advanced_last_seq: weirdId('FIN_advanced_last_seq'),
  SYN_after_reset: weirdId('SYN_after_reset'),
  FIN_after_reset: weirdId('FIN_after_reset'),
  data_after_reset: weirdId('data_after_reset'),
  TCP_christmas: weirdId('TCP_christmas'),
  baroque_SYN: weirdId('baroque_SYN'),
  SYN_with_data: weirdId('SYN_with_data'),
  truncated_tcp_payload: weirdId('truncated_tcp_payload'),
  active_connection_reuse: weirdId('active_connection_reuse'),
  premature_connection_reuse: weirdId('premature_connection_reuse'),
} as const;

export interface TcpHost extends StreamConsumer {
  weird(c: Conn, id: number): void;
  /** Both sides are done (FINs, a RST, or one side closed while the other never spoke): delete after the close delay. */
  closed(c: Conn): void;
  /** The originator sent its SYN: start the connection-attempt timer. */
  attempt(c: Conn): void;
  /** Connection linger (Zeek's tcp_connection_linger), ns: for the reuse check. */
  readonly lingerNs: number;
}

// Results of a step, kept in module state so that no object is allocated per packet.
let underflow = false;
let doClose = false;

function seqDelta(a: number, b: number): number {
  return (a - b) | 0;
}

// Sequence and acknowledgment numbers are read from the packet by the
// functions below rather than passed to them (or returned): half of all
// 32-bit sequence numbers are beyond V8's small integers, and each call
// passing one would allocate a number for it, several per packet.

/**
 * Zeek's get_relative_seq: the 64-bit offset of the segment's sequence number
 * (ofAck: its acknowledgment number) from the initial sequence number of ep
 * (the sender; for an acknowledgment, the peer).
 */
function relativeSeq(ep: Endpoint, p: Packet, ofAck: boolean): number {
  const cur = ofAck ? p.ack : p.seq;
  const last = ofAck ? ep.ackSeq : ep.lastSeq;
  let wraps = ofAck ? ep.ackWraps : ep.seqWraps;
  const delta = seqDelta(cur, last);
  if (delta < 0) {
    if (wraps !== 0 && cur > last) wraps--; // part of the previous 32-bit sequence space
  } else if (delta > 0) {
    if (cur < last) wraps++; // the sequence space wrapped
  }
  if (wraps === 0) {
    const d = seqDelta(cur, ep.startSeq);
    if (d < 0) underflow = true;
    return d;
  }
  return wraps * 4294967296 + cur - ep.startSeq;
}

function initEndpoint(c: Conn, ep: Endpoint, host: TcpHost, flags: number, p: Packet, segLen: number): void {
  const first = p.seq;
  let last = (first + segLen) >>> 0; // just past the segment (SYN and FIN count one each)
  switch (ep.state) {
    case TCP_INACTIVE:
      if (flags & TH_SYN) {
        ep.ackSeq = first;
        ep.startSeq = first;
      } else {
        // A partial connection: number bytes as though a SYN had been seen, so relative sequences stay consistent.
        ep.ackSeq = (first - 1) >>> 0;
        ep.startSeq = (first - 1) >>> 0;
        last = first; // and do not take the first packet for a retransmission
      }
      ep.lastSeq = last;
      break;
    case TCP_SYN_SENT:
    case TCP_SYN_ACK_SENT:
      if (flags & TH_SYN && first !== ep.startSeq) {
        host.weird(c, TW.SYN_seq_jump);
        ep.startSeq = first;
        ep.ackSeq = first;
        ep.lastSeq = last;
      }
      break;
    case TCP_ESTABLISHED:
    case TCP_PARTIAL:
      if (flags & TH_SYN) {
        if (ep.tcpSize(ep === c.o ? c.r : c.o) > 0) host.weird(c, TW.SYN_inside_connection);
        if (first !== ep.startSeq) host.weird(c, TW.SYN_seq_jump);
        // Guess the connection never got established and this SYN is the one that sets it up.
        ep.startSeq = first;
        ep.ackSeq = first;
        ep.lastSeq = last;
      }
      break;
    case TCP_RESET:
      if (flags & TH_SYN && ep.prevState === TCP_INACTIVE) {
        // Sequence numbers came from a RST (perhaps injected): the SYN is the better start.
        ep.startSeq = first;
        ep.ackSeq = first;
        ep.lastSeq = last;
      }
      break;
    default:
      break;
  }
}

function updateHistory(c: Conn, ep: Endpoint, flags: number, relSeq: number, len: number): void {
  const syn = flags & TH_SYN ? 1 : 0;
  const fin = flags & TH_FIN ? 1 : 0;
  const rst = flags & TH_RST ? 1 : 0;
  const bits = syn + fin + rst;
  if (bits > 1) {
    if (fin && rst) checkHistory(c, ep, HIST_FIN_RST, 'I');
    else checkHistory(c, ep, HIST_MULTI, 'Q');
  } else if (bits === 1) {
    if (syn) {
      const code = flags & TH_ACK ? 'H' : 'S';
      if (checkHistory(c, ep, HIST_SYN, code) && relSeq !== ep.histLastSyn) addHistory(c, ep, code);
      ep.histLastSyn = relSeq;
    }
    if (fin) {
      // A FIN's sequence number is that after its data.
      if (checkHistory(c, ep, HIST_FIN, 'F') && relSeq + len !== ep.histLastFin) addHistory(c, ep, 'F');
      ep.histLastFin = relSeq + len;
    }
    if (rst) {
      if (checkHistory(c, ep, HIST_RST, 'R') && relSeq !== ep.histLastRst) addHistory(c, ep, 'R');
      ep.histLastRst = relSeq;
    }
  } else if (len > 0) checkHistory(c, ep, HIST_DATA, 'D');
  else if (flags & TH_ACK) checkHistory(c, ep, HIST_ACK, 'A');
}

function initPeer(c: Conn, peer: Endpoint, ep: Endpoint, host: TcpHost, flags: number, ack: number): void {
  if (!(flags & (TH_SYN | TH_FIN | TH_RST))) {
    if (ep.state === TCP_SYN_SENT || ep.state === TCP_SYN_ACK_SENT || ep.state === TCP_ESTABLISHED) {
      // We sent a SYN that the other side has not answered, yet we acknowledge its data.
      host.weird(c, TW.possible_split_routing);
    }
  }
  const base = (ack - 1) >>> 0;
  peer.startSeq = base;
  peer.ackSeq = base;
  peer.lastSeq = base;
}

function updateAckSeq(ep: Endpoint, p: Packet): void {
  const ack = p.ack;
  const d = seqDelta(ack, ep.ackSeq);
  if (ack === 0 && d > TOO_LARGE_SEQ_DELTA) return; // more likely a broken ack than a wrap landing on 0
  if (d > 0) {
    if (ack < ep.ackSeq) ep.ackWraps++;
    ep.ackSeq = ack;
  }
}

function updateLastSeq(c: Conn, ep: Endpoint, p: Packet, segLen: number, flags: number, len: number): number {
  const last = (p.seq + segLen) >>> 0;
  const d = seqDelta(last, ep.lastSeq);
  if (flags & (TH_SYN | TH_RST) && (d > TOO_LARGE_SEQ_DELTA || d < -TOO_LARGE_SEQ_DELTA)) {
    // Do not trust a wild jump on a SYN or RST.
  } else if (flags & TH_FIN && ep.lastSeq === ((ep.startSeq + 1) >>> 0)) {
    // Only SYN and FIN seen (a >2 GB connection whose middle we missed): trust the FIN.
    if (last < ep.lastSeq) ep.seqWraps++;
    ep.lastSeq = last;
  } else if (ep.state === TCP_RESET) {
    // Nothing after a RST is trusted.
  } else if (d > 0) {
    if (last < ep.lastSeq) ep.seqWraps++;
    ep.lastSeq = last;
  } else if (len > 0) didRetransmit(c, ep);
  return d;
}

function connectionClosed(c: Conn, ep: Endpoint, peer: Endpoint, host: TcpHost): void {
  if (ep.didClose) return;
  ep.didClose = true;
  if (ep.state === TCP_RESET || peer.didClose || peer.state === TCP_INACTIVE) host.closed(c);
}

function updateInactive(c: Conn, ep: Endpoint, peer: Endpoint, host: TcpHost, p: Packet, isOrig: boolean, flags: number): void {
  const len = p.payLen;
  if (flags & TH_SYN) {
    if (isOrig) {
      if (flags & TH_ACK) {
        host.weird(c, TW.connection_originator_SYN_ack);
        ep.setState(TCP_SYN_ACK_SENT);
      } else ep.setState(TCP_SYN_SENT);
      host.attempt(c);
    } else {
      if (flags & TH_ACK) {
        if (peer.state !== TCP_INACTIVE && peer.state !== TCP_PARTIAL && !seqBetween(p.ack, peer.startSeq, peer.lastSeq)) host.weird(c, TW.bad_SYN_ack);
      } else if (peer.state === TCP_SYN_ACK_SENT && p.seq === ep.startSeq) {
        // The SYN-ACK was seen before its SYN (two capture points, interrupt coalescing): flip and establish.
        c.isPartial = false;
        c.flip();
        peer.setState(TCP_ESTABLISHED);
        c.firstSeen |= 1;
      } else host.weird(c, TW.simultaneous_open);
      if (peer.state === TCP_SYN_SENT) peer.setState(TCP_ESTABLISHED);
      else if (peer.state === TCP_INACTIVE) host.weird(c, TW.unsolicited_SYN_response);
      ep.setState(TCP_ESTABLISHED);
    }
  }
  if (flags & TH_FIN) {
    ep.setState(TCP_CLOSED);
    doClose = true;
    if (peer.state !== TCP_PARTIAL && !(flags & TH_SYN)) host.weird(c, TW.spontaneous_FIN);
  }
  if (flags & TH_RST) {
    ep.setState(TCP_RESET);
    let reject = false;
    if (isOrig) {
      // The responder is established, yet we never saw the originator's SYN: a reverse scan, i.e. a reject.
      if (peer.state === TCP_ESTABLISHED) reject = true;
    } else if (peer.state === TCP_SYN_SENT || peer.state === TCP_SYN_ACK_SENT) reject = true;
    doClose = true;
    if (!reject && peer.state === TCP_INACTIVE) host.weird(c, TW.spontaneous_RST);
  }
  if (ep.state === TCP_INACTIVE) {
    if (!isOrig && len === 0 && c.o.state === TCP_SYN_SENT) {
      // Some stacks ack a SYN before answering it: not yet a partial connection.
    } else if (flags & TH_ACK && peer.state === TCP_ESTABLISHED) {
      // SYN-ACK seen, SYN missed, and now the ACK: establish rather than call it partial.
      ep.setState(TCP_ESTABLISHED);
      c.isPartial = false;
      c.firstSeen |= isOrig ? 1 : 2;
    } else ep.setState(TCP_PARTIAL);
  }
}

function seqBetween(s: number, lo: number, hi: number): boolean {
  return seqDelta(s, lo) >= 0 && seqDelta(s, hi) <= 0;
}

function updateSynSent(c: Conn, ep: Endpoint, peer: Endpoint, host: TcpHost, len: number, isOrig: boolean, flags: number): void {
  if (flags & TH_SYN) {
    if (isOrig) {
      if (flags & TH_ACK && !(flags & (TH_FIN | TH_RST)) && ep.state !== TCP_SYN_ACK_SENT) host.weird(c, TW.repeated_SYN_with_ack);
    } else if (!(flags & TH_ACK) && ep.state !== TCP_SYN_SENT) host.weird(c, TW.repeated_SYN_reply_wo_ack);
  }
  if (flags & TH_FIN) {
    if (peer.state === TCP_INACTIVE || peer.state === TCP_SYN_SENT) host.weird(c, TW.inappropriate_FIN);
    ep.setState(TCP_CLOSED);
    doClose = true;
  }
  if (flags & TH_RST) {
    ep.setState(TCP_RESET);
    doClose = true;
  } else if (len > 0) host.weird(c, TW.data_before_established);
}

function updateEstablished(c: Conn, ep: Endpoint, peer: Endpoint, host: TcpHost, flags: number): void {
  if (flags & TH_SYN && ep.state === TCP_PARTIAL && peer.state === TCP_INACTIVE && !(flags & TH_ACK)) {
    host.weird(c, TW.SYN_after_partial);
    ep.setState(TCP_SYN_SENT);
  }
  if (flags & TH_FIN && !(flags & TH_RST)) {
    ep.setState(TCP_CLOSED);
    // The peer sent FIN then RST: that was a normal termination after all.
    if (peer.state === TCP_RESET && peer.prevState === TCP_CLOSED) peer.setState(TCP_CLOSED);
    doClose = true;
  }
  if (flags & TH_RST) {
    ep.setState(TCP_RESET);
    doClose = true;
  }
}

function updateClosed(c: Conn, ep: Endpoint, peer: Endpoint, host: TcpHost, deltaLast: number, flags: number): void {
  if (flags & TH_SYN) host.weird(c, TW.SYN_after_close);
  if (flags & TH_FIN && deltaLast > 0) host.weird(c, TW.FIN_advanced_last_seq);
  // Our FIN is out; a RST now changes our state unless the peer closed too (then the FIN exchange stands).
  if (flags & TH_RST && peer.state !== TCP_CLOSED) {
    ep.setState(TCP_RESET);
    if (!ep.didClose) doClose = true;
    host.closed(c); // Zeek's reset timer: the connection goes after the same delay
  }
}

function updateReset(c: Conn, host: TcpHost, len: number, flags: number): void {
  if (flags & TH_SYN) host.weird(c, TW.SYN_after_reset);
  if (flags & TH_FIN) host.weird(c, TW.FIN_after_reset);
  if (len > 0 && !(flags & TH_RST)) host.weird(c, TW.data_after_reset);
}

/**
 * Whether c's close is complete: a side reset it, or both sides sent a FIN and each FIN
 * was acknowledged (ackSeq of an endpoint is the highest acknowledgment its peer sent).
 * After that a well-behaved pair sends nothing more on the connection.
 */
export function closeComplete(c: Conn): boolean {
  const o = c.o;
  const r = c.r;
  if (o.state === TCP_RESET || r.state === TCP_RESET) return true;
  return o.didClose && r.didClose && seqDelta(o.ackSeq, o.lastSeq) >= 0 && seqDelta(r.ackSeq, r.lastSeq) >= 0;
}

/**
 * Whether a SYN on an existing connection starts a new one on the same
 * addresses and ports (Zeek's IsReuse); the caller then ends the old record.
 */
export function isReuse(c: Conn, p: Packet, host: TcpHost): boolean {
  const flags = p.tcpFlags;
  if (!(flags & TH_SYN)) return false;
  let connOrig = c.o;
  if (flags & TH_ACK) {
    if (c.o.state !== TCP_INACTIVE) return false; // not a half connection
    connOrig = c.r;
  }
  const o = c.o;
  const r = c.r;
  if (!o.didClose && !r.didClose) {
    if (p.seq === connOrig.startSeq) return false;
    if (!(flags & TH_ACK) && connOrig.state === TCP_SYN_ACK_SENT && r.state === TCP_INACTIVE && p.seq === r.startSeq) {
      // The SYN that belongs to a SYN-ACK already seen: the state machine flips the roles.
      return false;
    }
    host.weird(c, connOrig.state === TCP_SYN_SENT ? TW.SYN_seq_jump : TW.active_connection_reuse);
  } else if (((o.state !== TCP_INACTIVE && !o.didClose) || (r.state !== TCP_INACTIVE && !r.didClose)) && o.state !== TCP_RESET && r.state !== TCP_RESET) {
    host.weird(c, TW.active_connection_reuse);
  } else if (p.now - c.last < host.lingerNs && o.state !== TCP_RESET && r.state !== TCP_RESET) {
    host.weird(c, TW.premature_connection_reuse);
  }
  return true;
}

/** Processes one TCP packet of connection c; isOrig tells which side sent it. */
export function processTcp(c: Conn, isOrig: boolean, p: Packet, host: TcpHost): void {
  const flags = p.tcpFlags;
  const len = p.payLen;
  const ep = isOrig ? c.o : c.r;
  const peer = isOrig ? c.r : c.o;

  // Zeek's SetPartialStatus: did this side's first packet look like a clean start?
  if (isOrig) {
    if (!(c.firstSeen & 1)) c.isPartial = !(flags & TH_SYN) || (flags & TH_ACK) !== 0;
  } else if (!(c.firstSeen & 2) && !c.isPartial) c.isPartial = !(flags & TH_SYN);

  let segLen = len;
  if (flags & TH_SYN) segLen++;
  if (flags & TH_FIN) segLen++;
  if (flags & TH_RST) segLen -= len; // data on a RST is not part of the stream
  initEndpoint(c, ep, host, flags, p, segLen);

  underflow = false;
  const relSeq = relativeSeq(ep, p, false);
  const seqUnderflow = underflow;
  if (seqUnderflow && !(flags & TH_RST)) host.weird(c, TW.TCP_seq_underflow_or_misorder);

  updateHistory(c, ep, flags, relSeq, len);
  // A zero window is interesting unless it comes with or after a RST, or after the peer's FIN.
  if (p.win === 0 && !(flags & TH_RST) && peer.state !== TCP_CLOSED && ep.state !== TCP_RESET) zeroWindow(c, ep);

  if (!c.o.didClose || !c.r.didClose) c.lastFrom(p);

  if (flags & TH_SYN) {
    if (flags & TH_RST) host.weird(c, TW.TCP_christmas);
    if (flags & TH_URG) host.weird(c, TW.baroque_SYN);
    if (len > 0) host.weird(c, TW.SYN_with_data);
  }
  if (flags & TH_FIN) {
    ep.finCnt++;
    ep.finSeq = relSeq + segLen;
  }
  if (flags & TH_RST) ep.rstCnt++;

  let relAck = 0;
  if (flags & TH_ACK) {
    if (peer.state === TCP_INACTIVE) {
      relAck = 1;
      initPeer(c, peer, ep, host, flags, p.ack);
    } else {
      underflow = false;
      relAck = relativeSeq(peer, p, true);
      if (underflow) {
        relAck = 0;
        host.weird(c, TW.TCP_ack_underflow_or_misorder);
      } else if (!(flags & TH_RST)) updateAckSeq(peer, p); // acks on RSTs are not trusted
    }
  }

  const deltaLast = updateLastSeq(c, ep, p, segLen, flags, len);

  doClose = false;
  switch (ep.state) {
    case TCP_INACTIVE:
      updateInactive(c, ep, peer, host, p, isOrig, flags);
      break;
    case TCP_SYN_SENT:
    case TCP_SYN_ACK_SENT:
      updateSynSent(c, ep, peer, host, len, isOrig, flags);
      break;
    case TCP_ESTABLISHED:
    case TCP_PARTIAL:
      updateEstablished(c, ep, peer, host, flags);
      break;
    case TCP_CLOSED:
      updateClosed(c, ep, peer, host, deltaLast, flags);
      break;
    case TCP_RESET:
      updateReset(c, host, len, flags);
      break;
  }
  const close = doClose;

  // After the state update, so a gap revealed by this ack can tell whether it came at the very end.
  if (flags & TH_ACK) ackReceived(c, peer, ep, relAck, host);

  if (len > 0 && !(flags & TH_RST) && !seqUnderflow) {
    if (p.payCap < len) host.weird(c, TW.truncated_tcp_payload);
    else dataSent(c, ep, flags & TH_SYN ? relSeq + 1 : relSeq, len, p.buf, p.payOff, host);
  }

  if (close) connectionClosed(c, ep, peer, host);
  c.firstSeen |= isOrig ? 1 : 2;
}

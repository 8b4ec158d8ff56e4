/**
 * Zeek's conn_state, from the endpoint states at the time the record is made:
 *   S0 attempt, no reply · S1 established, not terminated · SF normal close
 *   REJ rejected · S2 / S3 established, only the originator / responder closed
 *   RSTO / RSTR established, originator / responder aborted
 *   RSTOS0 originator SYN then RST, no SYN-ACK · RSTRH responder SYN-ACK then RST, no SYN seen
 *   SH originator SYN then FIN, nothing back · SHR responder SYN-ACK then FIN, no SYN seen
 *   OTH anything else (midstream traffic, ICMP, ...)
 * UDP: SF both sides spoke, S0 only the originator, SHR only the responder.
 */
import { type Conn, TCP_CLOSED, TCP_ESTABLISHED, TCP_INACTIVE, TCP_PARTIAL, TCP_RESET, TCP_SYN_ACK_SENT, TCP_SYN_SENT } from './conn.js';

export const CONN_STATES = ['S0', 'S1', 'SF', 'REJ', 'S2', 'S3', 'RSTO', 'RSTR', 'RSTOS0', 'RSTRH', 'SH', 'SHR', 'OTH'] as const;
export type ConnState = (typeof CONN_STATES)[number];

/** "^?S[^HAFGIQ]*R.*": the originator's SYN, then its RST, with nothing acknowledging in between. */
const RSTOS0_HISTORY = /^\^?S[^HAFGIQ]*R/;

export function connState(c: Conn): ConnState {
  if (c.proto === 6) {
    const os = c.o.state;
    const rs = c.r.state;
    const oInactive = os === TCP_INACTIVE || os === TCP_PARTIAL;
    const rInactive = rs === TCP_INACTIVE || rs === TCP_PARTIAL;
    if (rs === TCP_RESET) {
      if (os === TCP_SYN_SENT || os === TCP_SYN_ACK_SENT || (os === TCP_RESET && c.o.tcpSize(c.r) === 0 && c.r.tcpSize(c.o) === 0)) return 'REJ';
      return oInactive ? 'RSTRH' : 'RSTR';
    }
    if (os === TCP_RESET) {
      if (rInactive) return RSTOS0_HISTORY.test(c.history) ? 'RSTOS0' : 'OTH';
      return 'RSTO';
    }
    if (rs === TCP_CLOSED && os === TCP_CLOSED) return 'SF';
    if (os === TCP_CLOSED) return rInactive ? 'SH' : 'S2';
    if (rs === TCP_CLOSED) return oInactive ? 'SHR' : 'S3';
    if (os === TCP_SYN_SENT && rs === TCP_INACTIVE) return 'S0';
    if (os === TCP_ESTABLISHED && rs === TCP_ESTABLISHED) return 'S1';
    return 'OTH';
  }
  if (c.proto === 17) {
    const oActive = c.o.pkts > 0;
    const rActive = c.r.pkts > 0;
    if (oActive) return rActive ? 'SF' : 'S0';
    return rActive ? 'SHR' : 'OTH';
  }
  return 'OTH';
}

import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../frames/tcp.js';
import type { ConnState } from '../truth.js';

// Zeek's TCP endpoint states, as far as clean traffic (no loss, no reordering) reaches them.
const INACTIVE = 0;
const SYN_SENT = 1;
const SYN_ACK_SENT = 2;
const ESTABLISHED = 3;
const CLOSED = 4;
const RESET = 5;

/**
 * Follows the packets a TCP flow emits the way Zeek's TCP analyzer does, to state the
 * `history` and `conn_state` Zeek will log. It covers what the generator produces: no
 * retransmitted data, no packets with more than one of SYN/FIN/RST.
 */
export class ZeekTcpState {
  private readonly state = [INACTIVE, INACTIVE];
  private readonly seen = [0, 0];
  private readonly size = [0, 0];
  private hist = '';

  observe(dir: 0 | 1, flags: number, payloadLen: number): void {
    const peer = dir === 0 ? 1 : 0;
    this.size[dir]! += payloadLen;
    if (flags & TCP_SYN) {
      this.letter(dir, flags & TCP_ACK ? 'H' : 'S', 1);
      if (this.state[dir] === INACTIVE) this.state[dir] = flags & TCP_ACK ? SYN_ACK_SENT : SYN_SENT;
      return;
    }
    if (flags & TCP_FIN) {
      this.letter(dir, 'F', 2);
      this.state[dir] = CLOSED;
      return;
    }
    if (flags & TCP_RST) {
      this.letter(dir, 'R', 4);
      this.state[dir] = RESET;
      return;
    }
    if (payloadLen > 0) this.letter(dir, 'D', 8);
    else if (flags & TCP_ACK) this.letter(dir, 'A', 16);
    if (flags & TCP_ACK && this.state[dir] === SYN_SENT && this.state[peer] === SYN_ACK_SENT) {
      this.state[dir] = ESTABLISHED;
      this.state[peer] = ESTABLISHED;
    }
  }

  get history(): string {
    return this.hist;
  }

  /** Zeek's conn_state() (base/protocols/conn/main.zeek) over the endpoint states reached. */
  get connState(): ConnState {
    const os = this.state[0]!;
    const rs = this.state[1]!;
    const oInactive = os === INACTIVE;
    const rInactive = rs === INACTIVE;
    if (rs === RESET) {
      if (os === SYN_SENT || os === SYN_ACK_SENT || (os === RESET && this.size[0] === 0 && this.size[1] === 0)) return 'REJ';
      return oInactive ? 'RSTRH' : 'RSTR';
    }
    if (os === RESET) {
      if (rInactive) return /^S[^HAFGIQ]*R/.test(this.hist) ? 'RSTOS0' : 'OTH';
      return 'RSTO';
    }
    if (rs === CLOSED && os === CLOSED) return 'SF';
    if (os === CLOSED) return rInactive ? 'SH' : 'S2';
    if (rs === CLOSED) return oInactive ? 'SHR' : 'S3';
    if (os === SYN_SENT && rs === INACTIVE) return 'S0';
    if (os === ESTABLISHED && rs === ESTABLISHED) return 'S1';
    return 'OTH';
  }

  private letter(dir: 0 | 1, upper: string, bit: number): void {
    if (this.seen[dir]! & bit) return;
    this.seen[dir]! |= bit;
    this.hist += dir === 0 ? upper : upper.toLowerCase();
  }
}

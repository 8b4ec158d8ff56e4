/**
 * Connection timers. Zeek schedules a timer object per connection event; a
 * sensor with a million connections cannot. Here every connection sits on
 * exactly one list per kind of timer, and since each list has one fixed
 * delay, appending at the tail keeps it ordered by deadline: expiring is
 * looking at the heads, and refreshing on activity is an O(1) move to the tail.
 *
 * Lists (Zeek's defaults): TCP inactivity 5 min, UDP/ICMP/other inactivity
 * 1 min (refreshed by activity); TCP attempt 5 s from the originator's SYN and
 * TCP close 5 s after the connection closed (not refreshed, as in Zeek).
 */
import type { Conn } from './conn.js';

export const LIST_TCP = 0;
export const LIST_UDP = 1;
export const LIST_ICMP = 2;
export const LIST_OTHER = 3;
export const LIST_ATTEMPT = 4;
export const LIST_CLOSED = 5;
export const LIST_COUNT = 6;

export interface TimeoutConfig {
  /** Seconds. */
  tcpInactivity: number;
  udpInactivity: number;
  icmpInactivity: number;
  otherInactivity: number;
  tcpAttempt: number;
  tcpClose: number;
}

export const ZEEK_TIMEOUTS: TimeoutConfig = {
  tcpInactivity: 300,
  udpInactivity: 60,
  icmpInactivity: 60,
  otherInactivity: 60,
  tcpAttempt: 5,
  tcpClose: 5,
};

export class TimeoutLists {
  readonly head: (Conn | null)[] = new Array<Conn | null>(LIST_COUNT).fill(null);
  readonly tail: (Conn | null)[] = new Array<Conn | null>(LIST_COUNT).fill(null);
  /** Delay of each list, ns. */
  readonly delay: Float64Array = new Float64Array(LIST_COUNT);
  /** Whether activity moves a connection back to the tail (inactivity lists) or not (fixed timers). */
  readonly refresh = [true, true, true, true, false, false];

  constructor(cfg: TimeoutConfig) {
    this.delay[LIST_TCP] = cfg.tcpInactivity * 1e9;
    this.delay[LIST_UDP] = cfg.udpInactivity * 1e9;
    this.delay[LIST_ICMP] = cfg.icmpInactivity * 1e9;
    this.delay[LIST_OTHER] = cfg.otherInactivity * 1e9;
    this.delay[LIST_ATTEMPT] = cfg.tcpAttempt * 1e9;
    this.delay[LIST_CLOSED] = cfg.tcpClose * 1e9;
  }

  /** Puts c at the tail of list l with deadline from + delay (removing it from wherever it was). */
  put(c: Conn, l: number, from: number): void {
    if (c.list >= 0) this.unlink(c);
    c.list = l;
    c.deadline = from + this.delay[l]!;
    const t = this.tail[l]!;
    c.lprev = t;
    c.lnext = null;
    if (t !== null) t.lnext = c;
    else this.head[l] = c;
    this.tail[l] = c;
  }

  /**
   * Activity on c at the clock's time: back to the tail of an inactivity list.
   * The time is read from the clock, not passed: a time in ns is no small
   * integer, and passing one to a call that is not inlined allocates it, once per packet.
   */
  touch(c: Conn, clock: { readonly nowNs: number }): void {
    const l = c.list;
    if (!this.refresh[l]) return;
    c.deadline = clock.nowNs + this.delay[l]!;
    if (this.tail[l] === c) return;
    // Unlink and append (c is not the tail, so it has a successor).
    const n = c.lnext!;
    const pr = c.lprev;
    n.lprev = pr;
    if (pr !== null) pr.lnext = n;
    else this.head[l] = n;
    const t = this.tail[l]!;
    t.lnext = c;
    c.lprev = t;
    c.lnext = null;
    this.tail[l] = c;
  }

  unlink(c: Conn): void {
    const l = c.list;
    if (l < 0) return;
    const pr = c.lprev;
    const n = c.lnext;
    if (pr !== null) pr.lnext = n;
    else this.head[l] = n;
    if (n !== null) n.lprev = pr;
    else this.tail[l] = pr;
    c.lprev = null;
    c.lnext = null;
    c.list = -1;
  }

  /** The connection whose deadline is earliest over all lists, if due at now. */
  due(now: number): Conn | null {
    let best: Conn | null = null;
    for (let l = 0; l < LIST_COUNT; l++) {
      const h = this.head[l]!;
      if (h !== null && h.deadline <= now && (best === null || h.deadline < best.deadline)) best = h;
    }
    return best;
  }

  /** The earliest deadline overall (for eviction when the table is full). */
  oldest(): Conn | null {
    let best: Conn | null = null;
    for (let l = 0; l < LIST_COUNT; l++) {
      const h = this.head[l]!;
      if (h !== null && (best === null || h.deadline < best.deadline)) best = h;
    }
    return best;
  }
}

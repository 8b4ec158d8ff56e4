import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from '../frames/tcp.js';
import type { Prng } from '../prng.js';
import { ByteStream } from './byte-stream.js';
import { PacketPlan } from './plan.js';

/** A byte range to send: a whole buffer, or a slice of a shared payload pool. */
export type Bytes = Buffer | { buf: Buffer; off: number; len: number };

export interface PathTiming {
  /** Round-trip time between the two hosts, in nanoseconds. */
  rttNs: number;
  /** The rate a bulk sender reaches on this path, in bits per second. */
  bitsPerSecond: number;
}

const US = 1_000;
const MS = 1_000_000;
/** Per-segment overhead on the wire beyond the TCP payload (Ethernet, IP, TCP with timestamps). */
const WIRE_OVERHEAD = 66;

/**
 * Writes a TCP conversation as a packet plan, in the order and at the times a capture
 * point next to the client would see it: the handshake, each side's sends cut into
 * MSS-sized segments paced by the path's rate with the receiver acknowledging every
 * second segment (delayed ACK), then a FIN or RST close, or none.
 */
export class TcpScript {
  readonly plan = new PacketPlan();
  readonly streams: readonly [ByteStream, ByteStream] = [new ByteStream(), new ByteStream()];
  /** Current time within the flow, ns. */
  t = 0;

  constructor(
    private readonly rng: Prng,
    readonly timing: PathTiming,
    /** Largest payload each side puts in one segment (MSS less TCP options). */
    readonly segmentSize: readonly [number, number],
  ) {}

  /** SYN, SYN-ACK one round trip later, then the client's ACK. */
  handshake(): this {
    this.emit(0, TCP_SYN, 0);
    this.wait(this.rtt());
    this.emit(1, TCP_SYN | TCP_ACK, 0);
    this.wait(this.jitter(60 * US));
    this.emit(0, TCP_ACK, 0);
    return this;
  }

  /** A SYN nobody answers, retransmitted after 1 s, 2 s more, ... (`retries` times). */
  unanswered(retries: number): this {
    this.emit(0, TCP_SYN, 0);
    for (let k = 0; k < retries; k++) {
      this.wait(1000 * MS * 2 ** k);
      this.emit(0, TCP_SYN, 0);
    }
    return this;
  }

  /** A SYN refused with RST-ACK (closed port). */
  refused(): this {
    this.emit(0, TCP_SYN, 0);
    this.wait(this.rtt());
    this.emit(1, TCP_RST | TCP_ACK, 0);
    return this;
  }

  /** A scanner's half-open probe of an open port: SYN, SYN-ACK, and the scanner's kernel resets. */
  probedOpen(): this {
    this.emit(0, TCP_SYN, 0);
    this.wait(this.rtt());
    this.emit(1, TCP_SYN | TCP_ACK, 0);
    this.wait(this.jitter(40 * US));
    this.emit(0, TCP_RST, 0);
    return this;
  }

  /**
   * Sends `data` from `dir`; the peer acknowledges every second segment, and the last
   * one too unless `ackLast` is false (the peer's reply will carry the ACK instead).
   */
  send(dir: 0 | 1, data: Bytes | readonly Bytes[], ackLast = true): this {
    const stream = this.streams[dir];
    let total = 0;
    for (const part of Array.isArray(data) ? (data as readonly Bytes[]) : [data as Bytes]) {
      if (Buffer.isBuffer(part)) stream.append(part);
      else stream.append(part.buf, part.off, part.len);
      total += Buffer.isBuffer(part) ? part.length : part.len;
    }
    const peer = dir === 0 ? 1 : 0;
    const mss = this.segmentSize[dir];
    let left = total;
    let segments = 0;
    while (left > 0) {
      const n = left < mss ? left : mss;
      left -= n;
      this.emit(dir, left === 0 ? TCP_ACK | TCP_PSH : TCP_ACK, n);
      segments++;
      const gap = Math.max(((n + WIRE_OVERHEAD) * 8 * 1e9) / this.timing.bitsPerSecond, 2 * US);
      if (segments % 2 === 0 && left > 0) {
        this.wait(gap / 2);
        this.emit(peer, TCP_ACK, 0);
        this.wait(gap / 2);
      } else {
        this.wait(gap);
      }
    }
    if (ackLast) {
      this.wait(segments % 2 === 1 ? this.jitter(40 * MS) : this.jitter(200 * US));
      this.emit(peer, TCP_ACK, 0);
    }
    return this;
  }

  /** Time for the other side to answer: a round trip plus `serverNs` of processing. */
  turnaround(serverNs: number): this {
    return this.wait(this.rtt() + serverNs);
  }

  wait(ns: number): this {
    this.t += Math.max(0, ns);
    return this;
  }

  /** Orderly close started by `first`: FIN, the peer's FIN (with or without a separate ACK), last ACK. */
  closeFin(first: 0 | 1): this {
    const peer = first === 0 ? 1 : 0;
    this.emit(first, TCP_FIN | TCP_ACK, 0);
    this.wait(this.rtt() / 2);
    if (this.rng.chance(0.3)) {
      this.emit(peer, TCP_ACK, 0);
      this.wait(this.jitter(300 * US));
    }
    this.emit(peer, TCP_FIN | TCP_ACK, 0);
    this.wait(this.rtt() / 2);
    this.emit(first, TCP_ACK, 0);
    return this;
  }

  /** Abortive close: `dir` sends RST-ACK (an application closing with unread data, or a timeout). */
  abort(dir: 0 | 1): this {
    this.emit(dir, TCP_RST | TCP_ACK, 0);
    return this;
  }

  get packets(): number {
    return this.plan.count;
  }

  private emit(dir: 0 | 1, flags: number, len: number): void {
    this.plan.push(dir, flags, len, this.t);
    // Two packets never share a timestamp within a flow: a capture could not tell their order.
    this.t += 1 * US;
  }

  private rtt(): number {
    return this.jitter(this.timing.rttNs);
  }

  /** `ns` give or take 20 %. */
  private jitter(ns: number): number {
    return ns * (0.8 + 0.4 * this.rng.float());
  }
}

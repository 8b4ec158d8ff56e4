import { ByteStream } from './byte-stream.js';
import { PacketPlan } from './plan.js';

/** Largest UDP payload that fits a 1500-byte IPv6 packet unfragmented (the generator never fragments). */
export const MAX_DATAGRAM_PAYLOAD = 1500 - 40 - 8;

/** A UDP exchange as a packet plan: each datagram's payload is appended to its side's stream. */
export class DatagramScript {
  readonly plan = new PacketPlan(4);
  readonly streams: readonly [ByteStream, ByteStream] = [new ByteStream(), new ByteStream()];
  t = 0;

  send(dir: 0 | 1, payload: Buffer): this {
    if (payload.length > MAX_DATAGRAM_PAYLOAD) throw new Error(`a ${payload.length}-byte datagram would need fragmenting`);
    this.streams[dir].append(payload);
    this.plan.push(dir, 0, payload.length, this.t);
    this.t += 1_000;
    return this;
  }

  wait(ns: number): this {
    this.t += Math.max(0, ns);
    return this;
  }
}

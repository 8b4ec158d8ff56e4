/**
 * Frames for the tests that hold two readers or two pipelines to the same results
 * (native-reader.test.ts, flow-native-table.test.ts): the frames of a capture, crafted
 * frames of every kind the decoders know, and those mutated as the fuzz test mutates.
 */
import { FileReader } from '../../../sensor/capture/file-reader.js';
import { uniform } from '../../support/rng.js';
import { bytes, concat, corruptTransportChecksum, ether, icmpMessage, ipv4, ipv6, tcpSegment, udpDatagram, withChecksum, type Frame } from './frames.js';

export function framesOf(file: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  // (plain Uint8Array copies: a Buffer's slice() is a view, here of the reader's block, which the next block overwrites)
  new FileReader(file).readAll({ packet: (b, off, cap) => void out.push(new Uint8Array(b.subarray(off, off + cap))) });
  return out;
}

/** Frames of every kind the decoders know, plain and unusual (the fuzz test's seeds, and more). */
export function craftedFrames(): Uint8Array[] {
  const u16 = (v: number) => Uint8Array.of(v >> 8, v & 0xff);
  const udp = withChecksum('10.0.0.1', '10.0.0.2', 17, udpDatagram(40000, 53, bytes(40)));
  const syn = withChecksum('10.0.0.1', '10.0.0.2', 6, tcpSegment(40000, 443, 1, 0, 2, new Uint8Array(0)));
  const udp4 = ipv4('10.0.0.1', '10.0.0.2', 17, udp);
  const tcp6 = ipv6('2001:db8::1', '2001:db8::2', 6, tcpSegment(1, 2, 3, 4, 0x18, bytes(30)));
  return [
    ether(udp4),
    ether(udp4, { vlans: [5] }),
    ether(udp4, { vlans: [5, 6] }),
    ether(udp4, { vlans: [1, 2, 3, 4, 5] }),
    ether(udp4, { mpls: [100] }),
    ether(udp4, { mpls: [100, 200, 300] }),
    ether(udp4, { vlans: [7], mpls: [16, 17] }),
    ether(udp4, { pppoe: 9 }),
    ether(ipv4('10.0.0.1', '10.0.0.2', 6, syn)),
    corruptTransportChecksum(ether(ipv4('10.0.0.1', '10.0.0.2', 6, syn))),
    ether(ipv4('10.0.0.1', '10.0.0.2', 17, udpDatagram(40000, 53, bytes(12)))), // UDP checksum 0: none, over IPv4
    ether(ipv6('2001:db8::1', '2001:db8::2', 17, udpDatagram(40000, 53, bytes(12)))), // 0 over IPv6: wrong
    ether(tcp6),
    ether(ipv6('2001:db8::1', '2001:db8::2', 6, tcpSegment(1, 2, 3, 4, 0x18, bytes(30)), { ext: [{ type: 0 }, { type: 43 }, { type: 60 }] })),
    ether(ipv6('2001:db8::1', '2001:db8::2', 17, bytes(64), { frag: { offset: 0, more: true, id: 1 } })),
    ether(ipv4('10.0.0.1', '10.0.0.2', 17, bytes(64), { fragOffset: 0, more: true, id: 3 })),
    ether(ipv4('10.0.0.1', '10.0.0.2', 17, bytes(64), { fragOffset: 64, more: false, id: 3 })),
    ether(ipv4('10.1.0.1', '10.1.0.2', 47, concat(u16(0x3000), u16(0x88be), bytes(12), ether(ipv4('10.0.0.1', '10.0.0.2', 6, syn))))),
    ether(ipv4('10.1.0.1', '10.1.0.2', 17, udpDatagram(5555, 4789, concat(Uint8Array.of(8, 0, 0, 0, 0, 0, 1, 0), ether(udp4))))),
    ether(ipv4('10.1.0.1', '10.1.0.2', 1, icmpMessage(8, 0, bytes(20)))),
    ether(ipv6('2001:db8::1', '2001:db8::2', 58, icmpMessage(128, 0, bytes(20)))),
    ether(ipv4('10.1.0.1', '10.1.0.2', 4, udp4)),
    ether(ipv4('10.1.0.1', '10.1.0.2', 50, bytes(40))),
    concat(ether(udp4), bytes(18, 0)), // Ethernet padding after the datagram
  ];
}

/** A corpus, mutated as the fuzz test mutates: flipped bytes, cuts, garbage, frames longer on the wire. */
export function mutated(real: Uint8Array[], crafted: Uint8Array[], count: number, seed: number): Frame[] {
  const rand = uniform(seed);
  const out: Frame[] = [];
  let sec = 1_767_225_600;
  let nsec = 0;
  for (let i = 0; i < count; i++) {
    // A third from the crafted frames, so that each of their kinds is mutated thousands of times.
    const seeds = rand() < 0.33 ? crafted : real;
    const data = seeds[Math.floor(rand() * seeds.length)]!.slice();
    let len = data.length;
    const kind = rand();
    if (kind < 0.35) {
      const flips = 1 + Math.floor(rand() * 4);
      for (let k = 0; k < flips; k++) data[rand() < 0.8 ? Math.floor(rand() * Math.min(len, 80)) : Math.floor(rand() * len)] = Math.floor(rand() * 256);
    } else if (kind < 0.55) {
      len = Math.floor(rand() * len);
    } else if (kind < 0.6) {
      for (let k = 0; k < len; k++) data[k] = Math.floor(rand() * 256);
    }
    nsec += Math.floor(rand() * 2_000_000);
    if (nsec >= 1e9) {
      sec++;
      nsec -= 1e9;
    }
    out.push({ ts: [sec, nsec], data: data.subarray(0, len), wire: rand() < 0.1 ? len + Math.floor(rand() * 2000) : undefined });
  }
  return out;
}


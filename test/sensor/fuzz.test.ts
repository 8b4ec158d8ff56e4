/**
 * Robustness: a million frames made by mutating and truncating real ones
 * (a lab/traffic capture plus crafted VLAN/QinQ/MPLS/PPPoE/IPv6/fragment/
 * tunnel frames) go through the whole pipeline, app analyzers included. No
 * exception may escape, and every frame that yields no connection must be
 * accounted for (a named weird, a non-IP frame, or a fragment held back).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeCapture } from '../../lab/traffic/generate.js';
import { createAppAnalyzer } from '../../sensor/app/index.js';
import { FileReader } from '../../sensor/capture/file-reader.js';
import { Pipeline } from '../../sensor/pipeline.js';
import { bytes, concat, ether, icmpMessage, ipv4, ipv6, tcpSegment, udpDatagram } from './support/frames.js';

const ITERATIONS = Number(process.env.CHOT_FUZZ_ITERATIONS ?? 1_000_000);
const SEED = Number(process.env.CHOT_FUZZ_SEED ?? 20260101);

/** xorshift32: deterministic, so a failure reproduces. */
function prng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

async function corpus(): Promise<Uint8Array[]> {
  const dir = mkdtempSync(join(tmpdir(), 'chot-fuzz-'));
  try {
    const file = join(dir, 'seed.pcap');
    await writeCapture(file, { seed: 11, packets: 5_000 });
    const out: Uint8Array[] = [];
    // (copies: a Buffer's slice() is a view of the reader's block, which the next block overwrites)
    new FileReader(file).readAll({ packet: (b, off, cap) => void (out.length < 30_000 && out.push(new Uint8Array(b.subarray(off, off + cap)))) });
    const u16 = (v: number) => Uint8Array.of(v >> 8, v & 0xff);
    const udp = ipv4('10.0.0.1', '10.0.0.2', 17, udpDatagram(40000, 53, bytes(40)));
    const syn = ipv4('10.0.0.1', '10.0.0.2', 6, tcpSegment(40000, 443, 1, 0, 2, new Uint8Array(0)));
    out.push(
      ether(udp, { vlans: [5, 6] }),
      ether(udp, { mpls: [100, 200, 300] }),
      ether(udp, { pppoe: 9 }),
      ether(ipv6('2001:db8::1', '2001:db8::2', 6, tcpSegment(1, 2, 3, 4, 0x18, bytes(30)), { ext: [{ type: 0 }, { type: 43 }, { type: 60 }] })),
      ether(ipv6('2001:db8::1', '2001:db8::2', 17, bytes(64), { frag: { offset: 0, more: true, id: 1 } })),
      ether(ipv4('10.0.0.1', '10.0.0.2', 17, bytes(64), { fragOffset: 0, more: true, id: 3 })),
      ether(ipv4('10.0.0.1', '10.0.0.2', 17, bytes(64), { fragOffset: 64, more: false, id: 3 })),
      ether(ipv4('10.1.0.1', '10.1.0.2', 47, concat(u16(0x3000), u16(0x88be), bytes(12), ether(syn)))),
      ether(ipv4('10.1.0.1', '10.1.0.2', 17, udpDatagram(5555, 4789, concat(Uint8Array.of(8, 0, 0, 0, 0, 0, 1, 0), ether(udp))))),
      ether(ipv4('10.1.0.1', '10.1.0.2', 1, icmpMessage(3, 3, syn))),
    );
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Twice: with transport checksums verified (as `sensor read`), where most mutated segments
// stop at the checksum, and unverified (as `sensor run`), where they reach the TCP state
// machine and the application analyzers.
describe.each([
  { checksums: true, label: 'transport checksums verified' },
  { checksums: false, label: 'transport checksums not verified' },
])('fuzzing the pipeline, $label', ({ checksums }) => {
  it(`survives ${ITERATIONS.toLocaleString()} mutated and truncated frames, counting every anomaly`, async () => {
    const frames = await corpus();
    const rand = prng(SEED);
    const pipeline = new Pipeline({ outputs: [{ record: () => {} }], analyzers: createAppAnalyzer, decoder: { verifyTransportChecksums: checksums }, flows: { maxFlows: 50_000, uidSeed: 1 } });
    const scratch = new Uint8Array(65536);
    const linkTypes = [1, 1, 1, 1, 1, 1, 101, 113, 276, 0];
    let sec = 1_767_225_600;
    let nsec = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const src = frames[Math.floor(rand() * frames.length)]!;
      let len = src.length;
      scratch.set(src, 0);
      const kind = rand();
      if (kind < 0.5) {
        // Flip a few bytes, mostly in the headers where decoders look.
        const flips = 1 + Math.floor(rand() * 4);
        for (let k = 0; k < flips; k++) {
          const at = rand() < 0.8 ? Math.floor(rand() * Math.min(len, 80)) : Math.floor(rand() * len);
          scratch[at] = Math.floor(rand() * 256);
        }
      } else if (kind < 0.8) {
        len = Math.floor(rand() * len); // truncate anywhere, down to nothing
      } else if (kind < 0.9) {
        for (let k = 0; k < len; k++) scratch[k] = Math.floor(rand() * 256); // pure garbage
      }
      const wire = rand() < 0.1 ? len + Math.floor(rand() * 2000) : len;
      const link = rand() < 0.05 ? linkTypes[Math.floor(rand() * linkTypes.length)]! : 1;
      nsec += Math.floor(rand() * 2_000_000);
      if (nsec >= 1e9) {
        sec++;
        nsec -= 1e9;
      }
      pipeline.packet(scratch, 0, len, wire, sec, nsec, link);
    }
    pipeline.finish();
    const s = pipeline.stats;
    const d = pipeline.decoder.stats;
    expect(s.packets).toBe(ITERATIONS);
    expect(s.internalErrors).toBe(0);
    const weirds = pipeline.weirds.snapshot();
    expect(Object.keys(weirds).length).toBeGreaterThan(15);
    // Every frame that made no connection is explained by a weird, a non-IP frame, or a held fragment.
    expect(s.undecoded).toBeLessThanOrEqual(pipeline.weirds.total() + d.nonIp + d.fragments);
    expect(pipeline.table.size).toBe(0);
  }, 120_000);
});

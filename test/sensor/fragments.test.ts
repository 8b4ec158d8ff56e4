import { describe, expect, it } from 'vitest';
import { bytes, concat, ether, ipv4, ipv6, udpDatagram, withChecksum, type Frame } from './support/frames.js';
import { only, runFrames } from './support/run.js';

const T0 = 1_700_000_000;

/** A UDP datagram of n payload bytes cut into IPv4 fragments of `size` bytes (multiple of 8). */
function v4Fragments(n: number, size: number, id = 77): Uint8Array[] {
  const payload = new Uint8Array(n).map((_, i) => i & 0xff);
  const dg = udpDatagram(40000, 9000, payload);
  const out: Uint8Array[] = [];
  for (let off = 0; off < dg.length; off += size) {
    const part = dg.slice(off, Math.min(dg.length, off + size));
    out.push(ether(ipv4('10.20.0.1', '10.20.0.2', 17, part, { id, fragOffset: off, more: off + size < dg.length })));
  }
  return out;
}

function v6Fragments(n: number, size: number, id = 99): Uint8Array[] {
  // Checksummed before it is cut: the sensor verifies the reassembled datagram (mandatory over IPv6).
  const dg = withChecksum('2001:db8::1', '2001:db8::2', 17, udpDatagram(40000, 9000, bytes(n, 0x42)));
  const out: Uint8Array[] = [];
  for (let off = 0; off < dg.length; off += size) {
    const part = dg.slice(off, Math.min(dg.length, off + size));
    out.push(ether(ipv6('2001:db8::1', '2001:db8::2', 17, part, { frag: { offset: off, more: off + size < dg.length, id } })));
  }
  return out;
}

const at = (datas: Uint8Array[]): Frame[] => datas.map((data, i) => ({ ts: T0 + i * 0.001, data }));

describe('IP fragment reassembly', () => {
  it('IPv4 in order: one packet of the reassembled size', () => {
    const res = runFrames(at(v4Fragments(3000, 1480)));
    const r = only(res);
    expect([r.origPkts, r.origIpBytes, r.origBytes]).toEqual([1, 20 + 8 + 3000, 3000]);
    expect(res.pipeline.decoder.stats.reassembled).toBe(1);
  });

  it('IPv4 out of order', () => {
    const f = v4Fragments(3000, 1000);
    const r = only(runFrames(at([f[2]!, f[0]!, f[3]!, f[1]!])));
    expect([r.origPkts, r.origBytes]).toEqual([1, 3000]);
  });

  it('IPv4 overlapping fragments: the first bytes win; consistent overlap and inconsistent overlap are different weirds', () => {
    const f = v4Fragments(2000, 1000);
    // A copy of the middle fragment again: same bytes.
    const same = runFrames(at([f[0]!, f[1]!, f[1]!, f[2]!]));
    expect(only(same).origBytes).toBe(2000);
    expect(same.pipeline.weirds.get('fragment_overlap')).toBe(1);
    // A fragment overlapping the first with different bytes.
    const evil = ether(ipv4('10.20.0.1', '10.20.0.2', 17, bytes(16, 0xee), { id: 77, fragOffset: 8, more: true }));
    const diff = runFrames(at([f[0]!, evil, f[1]!, f[2]!]));
    expect(only(diff).origBytes).toBe(2000);
    expect(diff.pipeline.weirds.get('fragment_inconsistency')).toBe(1);
  });

  it('IPv6 fragments, out of order', () => {
    const f = v6Fragments(4000, 1448);
    const r = only(runFrames(at([f[1]!, f[2]!, f[0]!])));
    expect([r.origPkts, r.origBytes, r.origIpBytes]).toEqual([1, 4000, 40 + 8 + 4000]);
  });

  it('an incomplete datagram makes no connection and times out', () => {
    const f = v4Fragments(3000, 1480);
    const later = ether(ipv4('10.30.0.1', '10.30.0.2', 17, udpDatagram(1, 2, bytes(4))));
    const res = runFrames([{ ts: T0, data: f[0]! }, { ts: T0 + 120, data: later }]);
    expect(res.finals.length).toBe(1);
    expect(res.pipeline.weirds.get('fragment_timeout')).toBe(1);
  });

  it('fragments too large for IP are refused', () => {
    const frag = ether(ipv4('10.20.0.1', '10.20.0.2', 17, bytes(16), { id: 5, fragOffset: 65528, more: false }));
    const res = runFrames(at([frag]));
    expect(res.pipeline.weirds.get('excessively_large_fragment')).toBe(1);
    void concat;
  });
});

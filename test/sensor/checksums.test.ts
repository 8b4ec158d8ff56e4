/**
 * TCP, UDP and ICMP checksums, judged as Zeek judges them (sensor/decode/checksum.ts):
 * a bad packet gives its connection the weird and a 'C' (originator) or 'c'
 * (responder), logarithmically, and counts for nothing else; only segments
 * captured whole are judged; UDP's 0 over IPv4 is "none"; IPv4 and IPv6
 * pseudo-headers; tunnels; and the switches that turn it off.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCapture } from '../../sensor/cli.js';
import { SensorConfigSchema } from '../../sensor/config.js';
import { internetSum } from '../../sensor/decode/checksum.js';
import { ACK, bytes, concat, corruptTransportChecksum, ether, icmpMessage, ip6, ipv4, ipv6, PSH, pcapBytes, TcpTalk, tcpSegment, transportChecksum, u16, udpDatagram, withChecksum, type Frame } from './support/frames.js';
import { only, runFrames } from './support/run.js';

const T0 = 1_700_000_000;
const dir = mkdtempSync(join(tmpdir(), 'chot-checksums-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const at = (...datas: Uint8Array[]): Frame[] => datas.map((data, i) => ({ ts: T0 + i * 0.01, data }));
const OFF = { decoder: { verifyTransportChecksums: false } };

/** An established connection with data both ways: the start of the TCP cases. */
function established(o: { client?: string; server?: string } = {}): TcpTalk {
  return new TcpTalk({ t0: T0, ...o }).c('S').s('SA').c('A').c('PA', 100).s('PA', 200).c('A');
}

describe('the sum', () => {
  /** RFC 1071 the plain way: big-endian 16-bit words, an odd last byte padded with zero. */
  function naive(b: Uint8Array, off: number, len: number): number {
    let sum = 0;
    for (let i = 0; i < len; i += 2) sum += (b[off + i]! << 8) | (i + 1 < len ? b[off + i + 1]! : 0);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    return sum;
  }

  it('equals RFC 1071 at every alignment of buffer and segment, and every length', () => {
    let x = 12345;
    const backing = new Uint8Array(70_000 + 16).map(() => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0), x >>> 24));
    for (let base = 0; base < 4; base++) {
      const b = backing.subarray(base); // the capture buffer itself may start anywhere in its ArrayBuffer
      for (let off = 0; off < 8; off++) {
        for (let len = 0; len <= 80; len++) expect(internetSum(b, off, len), `base ${base} off ${off} len ${len}`).toBe(naive(b, off, len));
        for (const len of [1499, 1500, 9000, 65535]) expect(internetSum(b, off, len)).toBe(naive(b, off, len));
      }
    }
    // All ones and all zeros: the extremes of the accumulators.
    const ones = new Uint8Array(65536).fill(0xff);
    for (const off of [0, 1, 2, 3]) expect(internetSum(ones, off, 65535 - off)).toBe(naive(ones, off, 65535 - off));
    expect(internetSum(new Uint8Array(100), 1, 90)).toBe(0);
  });
});

describe('TCP', () => {
  it('a bad FIN from the originator: the weird and C, and the connection stays open (the FIN closes nothing)', () => {
    const good = established();
    const bad = established().c('FA', 0, { badChecksum: true });
    const ref = only(runFrames(good.frames));
    const res = runFrames(bad.frames);
    const r = only(res);
    expect(r.history).toBe(`${ref.history}C`);
    expect(r.connState).toBe('S1'); // not S2: the FIN did not reach the state machine
    expect(r.weirds).toEqual(['bad_TCP_checksum']);
    expect(res.pipeline.weirds.get('bad_TCP_checksum')).toBe(1);
    // Not counted, and not activity: packets, IP bytes, payload and duration are those without it.
    expect([r.origPkts, r.origIpBytes, r.origBytes, r.respPkts, r.respBytes, r.durationNs]).toEqual([ref.origPkts, ref.origIpBytes, ref.origBytes, ref.respPkts, ref.respBytes, ref.durationNs]);
  });

  it('a connection lists each weird once, in the order they first happened, however often they recur', () => {
    const t = established().c('FA', 0, { badChecksum: true }).s('PA', 50, { badChecksum: true }).s('SA').c('FA', 0, { badChecksum: true }).s('SA');
    const res = runFrames(t.frames);
    const r = only(res);
    expect(r.weirds).toEqual(['bad_TCP_checksum', 'SYN_inside_connection', 'SYN_seq_jump']);
    expect(['bad_TCP_checksum', 'SYN_inside_connection', 'SYN_seq_jump'].map((w) => res.pipeline.weirds.get(w))).toEqual([3, 1, 2]);
  });

  it('the retransmitted good FIN then closes it as usual', () => {
    const t = established().c('FA', 0, { badChecksum: true }).c('FA').s('FA').c('A');
    const r = only(runFrames(t.frames));
    expect(r.connState).toBe('SF');
    expect(r.history).toBe('ShADdCFf');
  });

  it('a bad segment from the responder is c; its data is neither counted nor reassembled', () => {
    const t = established().s('PA', 500, { badChecksum: true }).s('PA', 300);
    const r = only(runFrames(t.frames));
    expect(r.history).toBe('ShADdc');
    // The SYN-ACK and the good 200 and 300 bytes (the 300 reuse the bad segment's sequence number, as a retransmission would).
    expect([r.respPkts, r.respBytes]).toEqual([3, 500]);
    // Bytes after the bad segment's: its 500 were never seen, a gap the acknowledgment reveals, as in Zeek.
    const acked = established()
      .s('PA', 500, { badChecksum: true })
      .s('PA', 300, { seq: 5000 + 1 + 200 + 500 })
      .c('A', 0, { ack: 5000 + 1 + 200 + 500 + 300 });
    const ra = only(runFrames(acked.frames));
    expect(ra.missedBytes).toBe(500);
    expect(ra.history).toContain('c');
  });

  it('a bad RST resets nothing', () => {
    const r = only(runFrames(established().s('R', 0, { badChecksum: true }).frames));
    expect([r.connState, r.history]).toEqual(['S1', 'ShADdc']);
  });

  it('C is logarithmic: at the 1st and the 10th bad packet of a side', () => {
    const t = established();
    for (let i = 0; i < 12; i++) t.c('PA', 10, { badChecksum: true });
    const r = only(runFrames(t.frames));
    expect(r.history).toBe('ShADdCC');
    expect(r.origPkts).toBe(4);
  });

  it('a lone bad SYN still makes a connection, as in Zeek: OTH, history C, nothing counted', () => {
    const r = only(runFrames(new TcpTalk({ t0: T0 }).c('S', 0, { badChecksum: true }).frames));
    expect([r.connState, r.history, r.origPkts, r.origIpBytes, r.respPkts, r.respIpBytes]).toEqual(['OTH', 'C', 0, 0, 0, 0]);
  });

  it('IPv6: the same, under the IPv6 pseudo-header', () => {
    const v6 = { client: '2001:db8::1', server: '2001:db8:1::2' };
    const clean = runFrames(established(v6).c('FA').s('FA').c('A').frames);
    expect(only(clean).connState).toBe('SF');
    expect(clean.pipeline.weirds.get('bad_TCP_checksum')).toBe(0);
    const r = only(runFrames(established(v6).c('FA', 0, { badChecksum: true }).frames));
    expect([r.connState, r.history, r.weirds]).toEqual(['S1', 'ShADdC', ['bad_TCP_checksum']]);
  });

  it('the pseudo-header counts: a checksum right for other addresses is wrong', () => {
    const seg = tcpSegment(40000, 443, 1, 1, ACK | PSH, bytes(33));
    // Right for 10.0.0.9 → 10.0.0.2, sent from 10.0.0.1 (IPv4); right for 2001:db8::9, sent from 2001:db8::1 (IPv6).
    const v4 = ether(ipv4('10.0.0.1', '10.0.0.2', 6, withChecksum('10.0.0.9', '10.0.0.2', 6, seg)));
    const v6 = ether(ipv6('2001:db8::1', '2001:db8::2', 6, withChecksum('2001:db8::9', '2001:db8::2', 6, seg)));
    const res = runFrames(at(v4, v6));
    expect(res.finals.map((r) => [r.history, r.origPkts])).toEqual([
      ['C', 0],
      ['C', 0],
    ]);
    const ok = runFrames(at(ether(ipv4('10.0.0.1', '10.0.0.2', 6, seg)), ether(ipv6('2001:db8::1', '2001:db8::2', 6, seg))));
    expect(ok.finals.map((r) => [r.history, r.origPkts])).toEqual([
      ['D', 1],
      ['D', 1],
    ]);
  });

  it('a segment cut by the snaplen cannot be judged and is not flagged', () => {
    const full = corruptTransportChecksum(ether(ipv4('10.8.0.1', '10.8.0.2', 6, tcpSegment(40000, 80, 1, 1, ACK | PSH, bytes(1000)))));
    const res = runFrames([{ ts: T0, data: full.slice(0, 96), wire: full.length }]);
    const r = only(res);
    expect([r.origPkts, r.origIpBytes, r.history]).toEqual([1, 1040, 'D']);
    expect(r.weirds).not.toContain('bad_TCP_checksum');
    expect(res.pipeline.weirds.get('bad_TCP_checksum')).toBe(0);
    // Captured whole, the same frame is flagged.
    expect(only(runFrames([{ ts: T0, data: full }])).history).toBe('C');
  });
});

describe('UDP', () => {
  const query = ether(ipv4('10.1.0.1', '10.1.0.53', 17, udpDatagram(40000, 53, bytes(30))));
  const reply = ether(ipv4('10.1.0.53', '10.1.0.1', 17, udpDatagram(53, 40000, bytes(90))));

  it('a bad reply: bad_UDP_checksum and c; not counted, no D, no bytes, no activity', () => {
    const ref = only(runFrames(at(query)));
    const res = runFrames(at(query, corruptTransportChecksum(reply)));
    const r = only(res);
    expect([r.history, r.connState, r.respPkts, r.respIpBytes, r.respBytes, r.weirds]).toEqual(['Dc', 'S0', 0, 0, 0, ['bad_UDP_checksum']]);
    expect([r.origPkts, r.origBytes, r.durationNs]).toEqual([ref.origPkts, ref.origBytes, ref.durationNs]);
    expect(res.pipeline.weirds.get('bad_UDP_checksum')).toBe(1);
  });

  it('a bad query from the originator is C; the good reply after it is counted', () => {
    const r = only(runFrames(at(corruptTransportChecksum(query), reply)));
    expect([r.history, r.origPkts, r.respPkts, r.respBytes]).toEqual(['Cd', 0, 1, 90]);
  });

  it('checksum 0 over IPv4 is "none" and accepted; over IPv6 it is mandatory', () => {
    const none4 = ether(ipv4('10.1.0.1', '10.1.0.53', 17, udpDatagram(40000, 53, bytes(30)), { noTransportChecksum: true }));
    expect(none4[14 + 20 + 6]! | none4[14 + 20 + 7]!).toBe(0);
    const r4 = only(runFrames(at(none4)));
    expect([r4.history, r4.origPkts, r4.weirds]).toEqual(['D', 1, []]);
    const none6 = ether(ipv6('2001:db8::1', '2001:db8::53', 17, udpDatagram(40000, 53, bytes(30)), { noTransportChecksum: true }));
    const r6 = only(runFrames(at(none6)));
    expect([r6.history, r6.origPkts, r6.weirds]).toEqual(['C', 0, ['bad_UDP_checksum']]);
    const good6 = ether(ipv6('2001:db8::1', '2001:db8::53', 17, udpDatagram(40000, 53, bytes(30))));
    expect(only(runFrames(at(good6))).history).toBe('D');
  });

  it('a computed checksum of 0 is sent as 0xffff, and verifies', () => {
    // Find a payload whose checksum comes out 0 before the substitution.
    let payload = bytes(2, 0);
    for (let v = 0; v < 0x10000; v++) {
      payload = Uint8Array.of(v >> 8, v & 0xff);
      const seg = udpDatagram(1000, 2000, payload);
      if (transportChecksum(ip6('2001:db8::1'), ip6('2001:db8::2'), 17, seg) === 0xffff) break;
    }
    const f = ether(ipv6('2001:db8::1', '2001:db8::2', 17, udpDatagram(1000, 2000, payload)));
    expect((f[14 + 40 + 6]! << 8) | f[14 + 40 + 7]!).toBe(0xffff);
    expect(only(runFrames(at(f))).history).toBe('D');
  });

  it('IPv6 routing header with segments left: the final destination is the pseudo-header\'s', () => {
    const src = '2001:db8::1';
    const via = '2001:db8::ff'; // the header's destination: the next hop
    const last = '2001:db8::2'; // the final destination, last in the type 0 routing header
    const dg = udpDatagram(40000, 9999, bytes(20));
    const routed = (checksumFor: string) => {
      const udp = withChecksum(src, checksumFor, 17, dg);
      const rh = concat(Uint8Array.of(17, 2, 0, 1), new Uint8Array(4), ip6(last));
      const body = concat(rh, udp);
      return ether(concat(Uint8Array.of(0x60, 0, 0, 0, body.length >> 8, body.length & 0xff, 43, 64), ip6(src), ip6(via), body));
    };
    expect(only(runFrames(at(routed(last)))).history).toBe('D');
    expect(only(runFrames(at(routed(via)))).history).toBe('C');
  });
});

describe('tunnels', () => {
  const vxlan = (inner: Uint8Array) => concat(Uint8Array.of(0x08, 0, 0, 0), Uint8Array.of(0, 0, 42, 0), inner);

  it('a bad inner TCP segment is flagged on the inner connection; the tunnel is fine', () => {
    const inner = corruptTransportChecksum(ether(ipv4('192.168.1.1', '192.168.1.2', 6, tcpSegment(1111, 80, 1, 1, ACK | PSH, bytes(20)))));
    const res = runFrames(at(ether(ipv4('10.9.0.1', '10.9.0.2', 17, udpDatagram(50000, 4789, vxlan(inner))))));
    const tunnel = res.finals.find((r) => r.respP === 4789)!;
    const inside = res.finals.find((r) => r.respP === 80)!;
    expect([tunnel.history, tunnel.weirds]).toEqual(['D', []]);
    expect([inside.history, inside.origPkts, inside.weirds, inside.tunnelParents]).toEqual(['C', 0, ['bad_TCP_checksum'], [tunnel.uid]]);
  });

  it('inside IP-in-IP too', () => {
    const inner = ipv4('192.168.1.1', '192.168.1.2', 17, udpDatagram(1111, 2222, bytes(20)));
    inner[20 + 6] ^= 0xff;
    const res = runFrames(at(ether(ipv4('198.51.100.1', '198.51.100.2', 4, inner))));
    expect(res.finals.find((r) => r.respP === 2222)!.history).toBe('C');
  });

  it('a bad outer VXLAN checksum: the outer connection is flagged and the datagram not decapsulated', () => {
    const inner = ether(ipv4('192.168.1.1', '192.168.1.2', 17, udpDatagram(1111, 2222, bytes(20))));
    const res = runFrames(at(corruptTransportChecksum(ether(ipv4('10.9.0.1', '10.9.0.2', 17, udpDatagram(50000, 4789, vxlan(inner)))))));
    const r = only(res);
    expect([r.respP, r.history, r.weirds]).toEqual([4789, 'C', ['bad_UDP_checksum']]);
    expect(res.pipeline.decoder.stats.tunneled).toBe(0);
  });

  it('VXLAN over IPv6 with the zero checksum its senders use (RFC 6935) is accepted', () => {
    const inner = ether(ipv4('192.168.1.1', '192.168.1.2', 17, udpDatagram(1111, 2222, bytes(20))));
    const outer = ether(ipv6('2001:db8::a', '2001:db8::b', 17, udpDatagram(50000, 4789, vxlan(inner)), { noTransportChecksum: true }));
    const res = runFrames(at(outer));
    expect(res.finals.map((r) => r.history).sort()).toEqual(['D', 'D']);
    expect(res.pipeline.weirds.get('bad_UDP_checksum')).toBe(0);
  });
});

describe('ICMP', () => {
  const echo4 = (from: string, to: string, type: number) => ether(ipv4(from, to, 1, icmpMessage(type, 0, concat(u16(7), u16(1), bytes(32)))));
  const echo6 = (from: string, to: string, type: number) => ether(ipv6(from, to, 58, icmpMessage(type, 0, concat(u16(7), u16(1), bytes(32)))));
  /** Flips the ICMP checksum (bytes 2-3 of the message after a 20- or 40-byte IP header). */
  const corrupt = (frame: Uint8Array): Uint8Array => {
    const out = frame.slice();
    const at = 14 + (out[14]! >> 4 === 6 ? 40 : 20) + 2;
    out[at] ^= 0x5a;
    out[at + 1] ^= 0xa5;
    return out;
  };

  it('a bad echo reply: bad_ICMP_checksum, not counted, no activity; ICMP has no history letters', () => {
    const good = only(runFrames(at(echo4('10.6.0.1', '10.6.0.2', 8), echo4('10.6.0.2', '10.6.0.1', 0))));
    expect([good.respPkts, good.weirds]).toEqual([1, []]);
    const res = runFrames(at(echo4('10.6.0.1', '10.6.0.2', 8), corrupt(echo4('10.6.0.2', '10.6.0.1', 0))));
    const r = only(res);
    expect([r.origPkts, r.respPkts, r.respIpBytes, r.durationNs, r.history, r.weirds]).toEqual([1, 0, 0, 0, '', ['bad_ICMP_checksum']]);
    expect(res.pipeline.weirds.get('bad_ICMP_checksum')).toBe(1);
  });

  it('ICMPv6 is summed under the IPv6 pseudo-header: right for its addresses, wrong for others', () => {
    const req = echo6('2001:db8::1', '2001:db8::2', 128);
    expect(only(runFrames(at(req))).weirds).toEqual([]);
    const moved = req.slice();
    moved[14 + 24 + 15] ^= 1; // another destination, the message unchanged
    expect(only(runFrames(at(moved))).weirds).toEqual(['bad_ICMP_checksum']);
    expect(only(runFrames(at(corrupt(req)))).origPkts).toBe(0);
  });

  it('with the option off nothing is flagged', () => {
    const r = only(runFrames(at(corrupt(echo4('10.6.0.1', '10.6.0.2', 8))), OFF));
    expect([r.origPkts, r.weirds]).toEqual([1, []]);
  });
});

describe('turned off', () => {
  it('decoder option off: nothing is flagged and the bad packets count as any other', () => {
    const t = established().c('FA', 0, { badChecksum: true });
    const res = runFrames(t.frames, OFF);
    const r = only(res);
    expect([r.connState, r.history, r.weirds]).toEqual(['S2', 'ShADdF', []]);
    const udp = runFrames(at(corruptTransportChecksum(ether(ipv6('2001:db8::1', '2001:db8::53', 17, udpDatagram(40000, 53, bytes(30)))))), OFF);
    expect([only(udp).history, only(udp).origPkts]).toEqual(['D', 1]);
    expect(res.pipeline.weirds.get('bad_TCP_checksum') + udp.pipeline.weirds.get('bad_UDP_checksum')).toBe(0);
  });

  it('`chot sensor read` verifies by default, as zeek -r does; --no-checksums turns the IP and transport checks off', async () => {
    const file = join(dir, 'bad.pcap');
    const badIp = ether(ipv4('10.2.0.1', '10.2.0.2', 17, udpDatagram(1, 2, bytes(4))));
    badIp[14 + 10] ^= 0xff;
    const badTcp = corruptTransportChecksum(ether(ipv4('10.2.0.1', '10.2.0.2', 6, tcpSegment(40000, 80, 1, 1, ACK, bytes(0)))));
    writeFileSync(file, pcapBytes(at(badIp, badTcp)));
    const read = (checksums: boolean) =>
      readCapture(file, { format: 'ndjson', out: join(dir, `out-${checksums}`), app: false, interim: '60', maxFlows: '1000000', reader: 'chot', checksums, quiet: true });
    const on = await read(true);
    expect([on.weirds.bad_IP_checksum, on.weirds.bad_TCP_checksum]).toEqual([1, 1]);
    const off = await read(false);
    expect([off.weirds.bad_IP_checksum, off.weirds.bad_TCP_checksum]).toEqual([undefined, undefined]);
    expect(readFileSync(join(dir, 'out-false', 'conn.ndjson'), 'utf8').trim().split('\n').length).toBe(2);
  });

  it('`chot sensor run` does not verify transport checksums unless configured (NIC checksum offload)', () => {
    const cfg = SensorConfigSchema.parse({ interfaces: [{ name: 'eth1' }] });
    expect([cfg.decode.verifyIpChecksum, cfg.decode.verifyTransportChecksums]).toEqual([true, false]);
    expect(SensorConfigSchema.parse({ interfaces: [{ name: 'eth1' }], decode: { verifyTransportChecksums: true } }).decode.verifyTransportChecksums).toBe(true);
  });
});

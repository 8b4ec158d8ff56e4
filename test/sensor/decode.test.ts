import { describe, expect, it } from 'vitest';
import { LINK_RAW, LINK_SLL, LINK_SLL2 } from '../../sensor/decode/packet.js';
import { bytes, concat, ether, icmpMessage, ipv4, ipv6, tcpSegment, udpDatagram, type Frame, ACK, PSH } from './support/frames.js';
import { only, runFrames } from './support/run.js';

const T0 = 1_700_000_000;
const u16 = (v: number) => Uint8Array.of(v >> 8, v & 0xff);

function udp4(src: string, dst: string, sp: number, dp: number, n: number): Uint8Array {
  return ipv4(src, dst, 17, udpDatagram(sp, dp, bytes(n)));
}

function frames(...datas: Uint8Array[]): Frame[] {
  return datas.map((data, i) => ({ ts: T0 + i * 0.001, data }));
}

describe('link layers and labels', () => {
  it('802.1Q: the VLAN id is recorded', () => {
    const r = only(runFrames(frames(ether(udp4('10.1.0.1', '10.1.0.2', 1234, 9999, 10), { vlans: [110] }))));
    expect([r.vlan, r.innerVlan, r.origPkts, r.origIpBytes]).toEqual([110, undefined, 1, 38]);
  });

  it('QinQ with 0x88a8 and with the older 0x9100 outer tag: outer and inner ids', () => {
    for (const outer of [0x88a8, 0x9100]) {
      const r = only(runFrames(frames(ether(udp4('10.1.0.1', '10.1.0.2', 1234, 9999, 10), { vlans: [2002, 110], tagTypes: [outer, 0x8100] }))));
      expect([r.vlan, r.innerVlan]).toEqual([2002, 110]);
    }
  });

  it('MPLS: one- and two-label stacks, different labels each way, still one connection', () => {
    const a = ether(udp4('10.2.0.1', '10.2.0.2', 5000, 7000, 10), { mpls: [16001] });
    const b = ether(udp4('10.2.0.2', '10.2.0.1', 7000, 5000, 20), { mpls: [17002, 24005] });
    const r = only(runFrames(frames(a, b)));
    expect([r.origPkts, r.respPkts, r.connState]).toEqual([1, 1, 'SF']);
    expect(r.mplsLabels).toEqual([16001, 17002, 24005]);
  });

  it('MPLS over VLAN, and a pseudowire (control word, then Ethernet) inside MPLS', () => {
    const plain = ether(udp4('10.3.0.1', '10.3.0.2', 1, 2, 4), { vlans: [7], mpls: [100] });
    expect(only(runFrames(frames(plain))).mplsLabels).toEqual([100]);
    const inner = ether(udp4('10.3.0.5', '10.3.0.6', 11, 12, 4));
    const label = Uint8Array.of(0x00, 0x06, 0x41, 64); // label 100, bottom of stack
    const pw = concat(inner.slice(0, 12), u16(0x8847), label, new Uint8Array(4), inner);
    const r = only(runFrames(frames(pw)));
    expect([r.origH, r.respH, r.mplsLabels]).toEqual(['10.3.0.5', '10.3.0.6', [100]]);
  });

  it('PPPoE session frames carry IPv4 and IPv6', () => {
    const r4 = only(runFrames(frames(ether(udp4('10.4.0.1', '10.4.0.2', 3, 4, 8), { pppoe: 0x1234 }))));
    expect(r4.origIpBytes).toBe(36);
    const r6 = only(runFrames(frames(ether(ipv6('2001:db8::1', '2001:db8::2', 17, udpDatagram(3, 4, bytes(8))), { pppoe: 7 }))));
    expect([r6.origH, r6.origIpBytes]).toEqual(['2001:db8::1', 56]);
  });

  it('Linux cooked captures (SLL, SLL2) and raw IP', () => {
    const ip = udp4('10.5.0.1', '10.5.0.2', 53000, 53, 12);
    const sll = concat(u16(0), u16(1), u16(6), new Uint8Array(8), u16(0x0800), ip);
    const sll2 = concat(u16(0x0800), u16(0), new Uint8Array(4), u16(1), Uint8Array.of(0, 6), new Uint8Array(8), ip);
    expect(only(runFrames(frames(sll), { linkType: LINK_SLL })).respP).toBe(53);
    expect(only(runFrames(frames(sll2), { linkType: LINK_SLL2 })).respP).toBe(53);
    expect(only(runFrames(frames(ip), { linkType: LINK_RAW })).respP).toBe(53);
  });

  it('non-IP frames are counted, not weird', () => {
    const arp = concat(new Uint8Array(12), u16(0x0806), new Uint8Array(28));
    const res = runFrames(frames(arp));
    expect(res.finals).toEqual([]);
    expect(res.pipeline.decoder.stats.nonIp).toBe(1);
    expect(res.pipeline.weirds.total()).toBe(0);
  });
});

describe('IP and transport', () => {
  it('IPv6 with hop-by-hop and destination-options headers: transport found after them', () => {
    const seg = tcpSegment(40000, 443, 1, 0, 0x02, new Uint8Array(0));
    const r = only(runFrames(frames(ether(ipv6('2001:db8::a', '2001:db8::b', 6, seg, { ext: [{ type: 0 }, { type: 60, len8: 1 }] })))));
    expect([r.proto, r.respP, r.history, r.origIpBytes]).toEqual(['tcp', 443, 'S', 40 + 8 + 16 + 20]);
  });

  it('ICMP echo request and reply are one connection, ports type/counterpart', () => {
    const req = ether(ipv4('10.6.0.1', '10.6.0.2', 1, icmpMessage(8, 0, concat(u16(9), u16(1), bytes(56)))));
    const rep = ether(ipv4('10.6.0.2', '10.6.0.1', 1, icmpMessage(0, 0, concat(u16(9), u16(1), bytes(56)))));
    const r = only(runFrames(frames(req, rep, req, rep)));
    expect([r.proto, r.origP, r.respP, r.origPkts, r.respPkts, r.origBytes, r.respBytes, r.connState, r.history]).toEqual(['icmp', 8, 0, 2, 2, 112, 112, 'OTH', '']);
  });

  it('ICMPv6 echo: 128/129', () => {
    const req = ether(ipv6('2001:db8::1', '2001:db8::2', 58, icmpMessage(128, 0, bytes(12))));
    const rep = ether(ipv6('2001:db8::2', '2001:db8::1', 58, icmpMessage(129, 0, bytes(12))));
    const r = only(runFrames(frames(req, rep)));
    expect([r.origP, r.respP, r.origPkts, r.respPkts]).toEqual([128, 129, 1, 1]);
  });

  it('ICMP messages without an answer type are one-way: type and code as ports', () => {
    const unreach = ether(ipv4('10.6.0.9', '10.6.0.1', 1, icmpMessage(3, 1, bytes(32))));
    const r = only(runFrames(frames(unreach)));
    expect([r.origP, r.respP]).toEqual([3, 1]);
  });

  it('other IP protocols become unknown_transport connections', () => {
    const esp = ether(ipv4('10.7.0.1', '10.7.0.2', 50, bytes(40)));
    const r = only(runFrames(frames(esp, esp)));
    expect([r.proto, r.ipProto, r.origPkts, r.origP]).toEqual(['unknown_transport', 50, 2, 0]);
  });

  it('a packet cut by the snaplen is still counted by its IP length', () => {
    const seg = tcpSegment(40000, 80, 1, 1, ACK | PSH, bytes(1000));
    const full = ether(ipv4('10.8.0.1', '10.8.0.2', 6, seg));
    const r = only(runFrames([{ ts: T0, data: full.slice(0, 96), wire: full.length }]));
    expect([r.origIpBytes, r.origPkts]).toEqual([1040, 1]);
  });
});

describe('tunnels: the inner connection, with the outer as its tunnel parent', () => {
  it('VXLAN', () => {
    const inner = ether(udp4('192.168.1.1', '192.168.1.2', 1111, 2222, 30));
    const vx = concat(Uint8Array.of(0x08, 0, 0, 0), Uint8Array.of(0, 0, 42, 0), inner);
    const outer = ether(ipv4('10.9.0.1', '10.9.0.2', 17, udpDatagram(50000, 4789, vx)));
    const res = runFrames(frames(outer));
    expect(res.finals.length).toBe(2);
    const tunnel = res.finals.find((r) => r.respP === 4789)!;
    const inside = res.finals.find((r) => r.respP === 2222)!;
    expect(inside.tunnelParents).toEqual([tunnel.uid]);
    expect(inside.origIpBytes).toBe(58);
  });

  it('GRE carrying IPv4, and ERSPAN type II carrying Ethernet', () => {
    const innerIp = udp4('172.16.0.1', '172.16.0.2', 7, 8, 5);
    const gre = concat(u16(0), u16(0x0800), innerIp);
    const res = runFrames(frames(ether(ipv4('10.10.0.1', '10.10.0.2', 47, gre))));
    const inside = res.finals.find((r) => r.origH === '172.16.0.1')!;
    const outer = res.finals.find((r) => r.ipProto === 47)!;
    expect(inside.tunnelParents).toEqual([outer.uid]);

    const erspan = concat(u16(0x1000), u16(0x88be), Uint8Array.of(0, 0, 0, 1), new Uint8Array(8), ether(innerIp));
    const res2 = runFrames(frames(ether(ipv4('10.10.0.1', '10.10.0.2', 47, erspan))));
    expect(res2.finals.some((r) => r.origH === '172.16.0.1' && r.tunnelParents.length === 1)).toBe(true);
  });

  it('IP in IP', () => {
    const res = runFrames(frames(ether(ipv4('10.11.0.1', '10.11.0.2', 4, udp4('172.17.0.1', '172.17.0.2', 1, 2, 3)))));
    expect(res.finals.find((r) => r.origH === '172.17.0.1')!.tunnelParents.length).toBe(1);
  });
});

describe('malformed packets are named weirds, never exceptions', () => {
  const cases: [string, Uint8Array, string][] = [
    ['truncated Ethernet', new Uint8Array(10), 'truncated_link_header'],
    ['IP version 5', ether(Uint8Array.of(0x55, ...new Array<number>(19).fill(0))), 'bad_IP_version'],
    ['header length below 20', (() => { const f = ether(udp4('1.1.1.1', '2.2.2.2', 1, 2, 4)); f[14] = 0x44; return f; })(), 'bad_IP_header_len'],
    ['total length beyond the frame', ether(ipv4('1.1.1.1', '2.2.2.2', 17, udpDatagram(1, 2, bytes(4)), { totalLength: 200 })), 'truncated_IP'],
    ['bad IPv4 checksum', (() => { const f = ether(udp4('1.1.1.1', '2.2.2.2', 1, 2, 4)); f[24] ^= 0xff; return f; })(), 'bad_IP_checksum'],
    ['TCP header cut short', ether(ipv4('1.1.1.1', '2.2.2.2', 6, bytes(10))), 'truncated_tcp_header'],
    ['TCP data offset beyond the segment', ether(ipv4('1.1.1.1', '2.2.2.2', 6, (() => { const s = tcpSegment(1, 2, 0, 0, 2, new Uint8Array(0)); s[12] = 0xf0; return s; })())), 'bad_TCP_header_len'],
    ['UDP length mismatch', ether(ipv4('1.1.1.1', '2.2.2.2', 17, (() => { const d = udpDatagram(1, 2, bytes(8)); d[5] = 99; return d; })())), 'UDP_datagram_length_mismatch'],
    ['ICMP cut short', ether(ipv4('1.1.1.1', '2.2.2.2', 1, bytes(4))), 'truncated_icmp_header'],
    ['MPLS stack without bottom', concat(new Uint8Array(12), u16(0x8847), Uint8Array.of(0, 0x10, 0, 64)), 'truncated_mpls_header'],
    ['unknown EtherType', concat(new Uint8Array(12), u16(0x1234), bytes(40)), 'unknown_ether_type'],
  ];
  for (const [what, frame, weird] of cases) {
    it(what, () => {
      const res = runFrames(frames(frame));
      expect(res.pipeline.weirds.get(weird)).toBe(1);
    });
  }
});

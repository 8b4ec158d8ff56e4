import { describe, expect, it } from 'vitest';
import { formatIpv6, ipv4InPrefix, ipv6Bytes, labMac, parseIpv4 } from '../../lab/traffic/addresses.js';
import { encodeDnsQuery } from '../../lab/traffic/apps/dns.js';
import { buildClientHello } from '../../lab/traffic/apps/tls-client-hello.js';
import { finishChecksum, sumWords } from '../../lab/traffic/frames/checksum.js';
import { mplsStack } from '../../lab/traffic/frames/mpls.js';
import { Prng } from '../../lab/traffic/prng.js';
import { parseClientHello, parseDns, tlsHandshakes } from './traffic-apps.js';

describe('traffic generator building blocks', () => {
  it('Prng: the same seed gives the same stream; forks are independent of later draws', () => {
    const a = new Prng(1);
    const b = new Prng(1);
    const xs = Array.from({ length: 5 }, () => a.u32());
    expect(Array.from({ length: 5 }, () => b.u32())).toEqual(xs);
    expect(new Prng(2).u32()).not.toBe(xs[0]);
    const r = new Prng(9);
    for (let i = 0; i < 1000; i++) {
      const v = r.int(3, 7);
      expect(v >= 3 && v <= 7).toBe(true);
    }
    expect(new Prng(5).fork('x').u32()).toBe(new Prng(5).fork('x').u32());
    expect(new Prng(5).fork('x').u32()).not.toBe(new Prng(5).fork('y').u32());
  });

  it('addresses: the plan, IPv6 text in RFC 5952 form, locally administered unicast MACs', () => {
    expect(ipv4InPrefix('198.18.10.0/24', 66)).toBe('198.18.10.66');
    expect(parseIpv4('198.18.0.10')).toBe(0xc612000a);
    expect(formatIpv6(ipv6Bytes('fd00:c407:0:10:0:0:0:5'))).toBe('fd00:c407:0:10::5');
    expect(formatIpv6(ipv6Bytes('fd00:c407::'))).toBe('fd00:c407::');
    const mac = labMac(0xffffff);
    expect(mac[0]! & 0x03).toBe(0x02);
    expect(mac.equals(Buffer.alloc(6, 0xff))).toBe(false);
  });

  it('checksum: the RFC 1071 example', () => {
    const words = Buffer.from([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
    expect(finishChecksum(sumWords(words, 0, 8))).toBe(~0xddf2 & 0xffff);
    expect(finishChecksum(sumWords(Buffer.from([0xab]), 0, 1))).toBe(~0xab00 & 0xffff);
  });

  it('MPLS: bottom-of-stack only on the last label; reserved labels refused', () => {
    const s = mplsStack([16001, 24005], 64);
    expect(s.readUInt32BE(0) >>> 12).toBe(16001);
    expect(s.readUInt32BE(0) & 0x100).toBe(0);
    expect(s.readUInt32BE(4) & 0x1ff).toBe(0x100 | 64);
    expect(() => mplsStack([3], 64)).toThrow();
  });

  it('DNS and TLS messages parse back', () => {
    const q = parseDns(encodeDnsQuery({ id: 7, name: 'popdata.chot.internal', type: 'AAAA', ednsUdpSize: 1232 }));
    expect([q.id, q.name, q.qtype, q.response]).toEqual([7, 'popdata.chot.internal', 28, false]);
    for (const profile of ['chromium', 'firefox', 'openssl', 'openssl-tls12'] as const) {
      const hello = buildClientHello(new Prng(3), { profile, sni: 'portal.chot.internal', alpn: ['h2', 'http/1.1'] });
      const [msg] = tlsHandshakes(hello.bytes);
      const facts = parseClientHello(msg!.body);
      expect(facts.sni).toBe('portal.chot.internal');
      expect(facts.alpn).toEqual(['h2', 'http/1.1']);
      expect(facts.supportedVersions.includes(0x0304)).toBe(profile !== 'openssl-tls12');
    }
  });
});

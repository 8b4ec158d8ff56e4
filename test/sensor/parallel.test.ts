// `chot sensor read --workers N`: the share of each frame (both directions of
// a connection, its fragments, a tunnel and what it carries, all to one
// worker), and records identical to one pipeline's (same set; row order and
// uids differ, so uids are compared through the connection they name).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../common/paths.js';
import { writeCapture } from '../../lab/traffic/generate.js';
import { NativeFileReader, type PredecodedSink } from '../../sensor/capture/native-reader.js';
import { shareOf, shareOfDecoded } from '../../sensor/parallel/share.js';
import { asLinkType, bytes, ether, icmpMessage, ipv4, ipv6, pcapBytes, tcpSegment, TcpTalk, udpDatagram, type Frame } from './support/frames.js';

const dir = mkdtempSync(join(tmpdir(), 'chot-parallel-'));
const share = (frame: Uint8Array, n: number) => shareOf(frame, 0, frame.length, 1, n);

describe('which worker accounts a frame', () => {
  it('both directions of a connection, whatever their tags and labels, and every fragment of a datagram', () => {
    for (let i = 0; i < 200; i++) {
      const a = `10.${i >> 8}.${i & 255}.7`;
      const b = `192.0.2.${(i * 7) & 255}`;
      const there = ether(ipv4(a, b, 6, tcpSegment(40000 + i, 443, 1, 0, 0x02, bytes(0))), { vlans: [10, 20], mpls: [100] });
      const back = ether(ipv4(b, a, 6, tcpSegment(443, 40000 + i, 9, 2, 0x12, bytes(0))), { mpls: [200, 300] });
      const first = ether(ipv4(a, b, 17, udpDatagram(5000, 53, bytes(1200)), { id: i, more: true }));
      const later = ether(ipv4(a, b, 17, bytes(400), { id: i, fragOffset: 1208 }));
      const six = ether(ipv6(`2001:db8::${i.toString(16)}`, '2001:db8:ffff::1', 17, udpDatagram(1, 2, bytes(8))));
      const sixBack = ether(ipv6('2001:db8:ffff::1', `2001:db8::${i.toString(16)}`, 17, udpDatagram(2, 1, bytes(8))), { vlans: [5] });
      for (const n of [2, 3, 8]) {
        const w = share(there, n);
        expect(w).toBeGreaterThanOrEqual(0);
        expect(w).toBeLessThan(n);
        expect(share(back, n)).toBe(w);
        expect(share(first, n)).toBe(share(later, n));
        expect(share(six, n)).toBe(share(sixBack, n));
      }
    }
  });

  it('spreads address pairs over the workers, and gives frames without IP to worker 0', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[share(ether(ipv4(`10.0.${i >> 8}.${i & 255}`, '10.9.9.9', 17, udpDatagram(1, 2, bytes(4)))), 4)]!++;
    for (const c of counts) expect(c).toBeGreaterThan(800);
    const arp = ether(bytes(28), {}, 0x0806);
    expect(share(arp, 4)).toBe(0);
    expect(share(bytes(6), 4)).toBe(0);
  });

  /** Reads a file natively; every frame decoded ahead must go to the worker shareOf sends its frame to. */
  const checkShares = (file: string, linkType: number): { decoded: number; wrong: string[] } => {
    let decoded = 0;
    const wrong: string[] = [];
    const reader = new NativeFileReader(file);
    reader.readAll({
      aheadSettings: () => ({ verifyIp: true, verifyL4: true, vxlanPorts: [4789], helloPrints: false }),
      predecoded(buf, desc, at) {
        decoded++;
        const off = desc[at + 1]!;
        for (const n of [2, 3, 8]) if (shareOfDecoded(desc, at, n) !== shareOf(buf, off, desc[at + 2]!, linkType, n) && wrong.length < 5) wrong.push(`packet ${decoded}, ${n} workers`);
      },
      packet() {},
    } satisfies PredecodedSink);
    expect(reader.mode).toBe('native');
    return { decoded, wrong };
  };

  it('a frame the native reader decoded ahead goes to the worker its frame would go to', async () => {
    const file = join(dir, 'share-native.pcap');
    await writeCapture(file, { seed: 9, packets: 20_000 });
    const r = checkShares(file, 1);
    expect(r.decoded).toBeGreaterThan(19_000);
    expect(r.wrong).toEqual([]);
  });

  it.each([1, 101, 113, 276])('so does one behind tags, labels or PPPoE, over IPv4 and IPv6 (link type %i)', (linkType) => {
    const frames: Frame[] = [];
    for (let i = 0; i < 300; i++) {
      const a = `10.${i >> 8}.${i & 255}.7`;
      const udp4 = ipv4(a, `192.0.2.${(i * 7) & 255}`, 17, udpDatagram(5000 + i, 53, bytes(20)));
      const tcp6 = ipv6(`2001:db8::${i.toString(16)}`, '2001:db8:ffff::1', 6, tcpSegment(40000 + i, 443, 1, 0, 0x02, bytes(0)));
      for (const f of [ether(udp4), ether(udp4, { vlans: [10, 20] }), ether(udp4, { mpls: [100, 200] }), ether(udp4, { pppoe: 7 }), ether(tcp6), ether(tcp6, { vlans: [5], mpls: [300] })]) frames.push({ ts: 1_767_225_600 + frames.length / 1000, data: asLinkType(f, linkType) });
    }
    const file = join(dir, `share-kinds-${linkType}.pcap`);
    writeFileSync(file, pcapBytes(frames, { linkType }));
    const r = checkShares(file, linkType);
    // (Raw IP has no link layer to carry tags, labels or PPPoE: only the plain frames are IP there.)
    expect(r.decoded).toBe(linkType === 101 ? frames.length / 3 : frames.length);
    expect(r.wrong).toEqual([]);
  });
});

/** Each log's rows, sorted, with uids replaced by the identity of the connection they name. */
function normalizedLogs(out: string): Record<string, string[]> {
  const rows = (f: string) => readFileSync(join(out, f), 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#open') && !l.startsWith('#close'));
  const idOf = new Map<string, string>();
  for (const l of rows('conn.log')) {
    if (l.startsWith('#')) continue;
    const c = l.split('\t');
    idOf.set(c[1]!, [c[0], c[2], c[3], c[4], c[5], c[6]].join(' '));
  }
  const logs: Record<string, string[]> = {};
  for (const f of readdirSync(out).filter((x) => x.endsWith('.log'))) {
    logs[f] = rows(f)
      .map((l) => {
        if (l.startsWith('#')) return l;
        const c = l.split('\t');
        if (f !== 'x509.log' && c[1] !== '-') c[1] = idOf.get(c[1]!) ?? `unknown uid ${c[1]}`;
        if (f === 'conn.log' && c[20] !== '-') c[20] = c[20]!.split(',').map((u) => idOf.get(u) ?? `unknown uid ${u}`).join(',');
        return c.join('\t');
      })
      .sort();
  }
  return logs;
}

function read(file: string, workers: number): { logs: Record<string, string[]>; summary: string } {
  const out = join(dir, `out-${workers}-${file.split('/').pop()}`);
  const r = spawnSync(process.execPath, [join(packageRoot, 'bin/chot.js'), 'sensor', 'read', file, '--out', out, '--workers', String(workers)], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  // The summary line, less the timing: packets, connections, interim records, weird counters.
  return { logs: normalizedLogs(out), summary: r.stderr.replace(/ in [\d.]+ s \([^)]*\)/, '') };
}

describe('sensor read --workers', () => {
  it('writes the records one pipeline writes: a generated capture (DNS, TLS, HTTP, SSH, scans)', async () => {
    const file = join(dir, 'gen.pcap');
    await writeCapture(file, { seed: 5, packets: 30_000 });
    const one = read(file, 1);
    const three = read(file, 3);
    expect(Object.keys(three.logs).sort()).toEqual(Object.keys(one.logs).sort());
    for (const log of Object.keys(one.logs)) expect(three.logs[log], log).toEqual(one.logs[log]);
    expect(three.summary).toBe(one.summary);
    expect(one.logs['conn.log']!.length).toBeGreaterThan(500);
  }, 60_000);

  it('keeps fragments, tunnels and what they carry, ICMP and long-lived connections exact', () => {
    const frames: Frame[] = [];
    let t = 1_700_000_000;
    for (let i = 0; i < 60; i++) {
      const a = `10.1.${i}.2`;
      const b = `172.16.${i % 7}.9`;
      // A TCP exchange with a data segment (tags differ per direction).
      const talk = new TcpTalk({ client: a, server: b, cport: 30000 + i, sport: 80 + (i % 3), t0: t, l2: { vlans: [i % 4] } });
      talk.c('S').s('SA').c('A').c('PA', 100).s('PA', 300).c('FA').s('FA').c('A');
      frames.push(...talk.frames);
      // A fragmented UDP datagram, its fragments apart.
      frames.push({ ts: t + 0.1, data: ether(ipv4(a, b, 17, udpDatagram(6000 + i, 7000, bytes(1000)).subarray(0, 504), { id: 900 + i, more: true, totalLength: 524 })) });
      frames.push({ ts: t + 0.2, data: ether(ipv4(b, a, 1, icmpMessage(3, 3, bytes(28)))) });
      frames.push({ ts: t + 0.3, data: ether(ipv4(a, b, 17, udpDatagram(6000 + i, 7000, bytes(1000)).subarray(504), { id: 900 + i, fragOffset: 504, totalLength: 20 + 504 })) });
      // IP-in-IP between two routers, carrying a UDP flow each way; and a ping.
      frames.push({ ts: t + 0.4, data: ether(ipv4('198.51.100.1', '198.51.100.2', 4, ipv4(a, b, 17, udpDatagram(1000 + i, 2000, bytes(20))))) });
      frames.push({ ts: t + 0.5, data: ether(ipv4('198.51.100.2', '198.51.100.1', 4, ipv4(b, a, 17, udpDatagram(2000, 1000 + i, bytes(30))))) });
      frames.push({ ts: t + 0.6, data: ether(ipv6(`2001:db8::${i + 1}`, '2001:db8::ffff', 58, icmpMessage(128, 0, bytes(16)))) });
      t += i % 10 === 9 ? 130 : 3; // some time passes: timers and interim records fire in between
    }
    const file = join(dir, 'crafted.pcap');
    writeFileSync(file, pcapBytes(frames));
    const one = read(file, 1);
    const two = read(file, 2);
    for (const log of Object.keys(one.logs)) expect(two.logs[log], log).toEqual(one.logs[log]);
    expect(two.summary).toBe(one.summary);
    expect(one.logs['conn.log']!.some((l) => l.split('\t')[20] !== '-')).toBe(true); // tunnel parents were compared
  }, 60_000);
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileReader } from '../../sensor/capture/file-reader.js';
import { LibpcapFileReader } from '../../sensor/capture/libpcap-reader.js';
import type { PacketSink } from '../../sensor/capture/source.js';
import { bytes, ether, ipv4, pcapBytes, pcapngBytes, udpDatagram, type Frame } from './support/frames.js';

const dir = mkdtempSync(join(tmpdir(), 'chot-reader-'));

interface Got {
  sec: number;
  nsec: number;
  cap: number;
  wire: number;
  link: number;
  first: number;
}

function read(path: string, blockSize?: number): { got: Got[]; reader: FileReader } {
  const got: Got[] = [];
  const reader = new FileReader(path, blockSize);
  const sink: PacketSink = {
    packet(buf, off, cap, wire, sec, nsec, link) {
      got.push({ sec, nsec, cap, wire, link, first: buf[off + 14]! });
    },
  };
  reader.readAll(sink);
  return { got, reader };
}

function file(name: string, data: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
}

const frame = (n: number) => ether(ipv4('10.0.0.1', '10.0.0.2', 17, udpDatagram(1, 2, bytes(n))));
const frames: Frame[] = [
  { ts: [1_767_225_600, 123_456_789], data: frame(10) },
  { ts: [1_767_225_601, 999_999_999], data: frame(1400) },
  { ts: [1_767_225_602, 1], data: frame(0), wire: 200 },
];

describe('our capture file reader', () => {
  it('pcap, microseconds, little and big endian', () => {
    for (const bigEndian of [false, true]) {
      const { got, reader } = read(file(`us-${bigEndian}.pcap`, pcapBytes(frames, { bigEndian })));
      expect(reader.format).toBe('pcap');
      expect(got.map((g) => [g.sec, g.nsec, g.cap, g.wire, g.link, g.first])).toEqual([
        [1_767_225_600, 123_456_000, 52, 52, 1, 0x45],
        [1_767_225_601, 999_999_000, 1442, 1442, 1, 0x45],
        [1_767_225_602, 0, 42, 200, 1, 0x45],
      ]);
    }
  });

  it('pcap, nanoseconds, exact', () => {
    const { got } = read(file('ns.pcap', pcapBytes(frames, { nano: true })));
    expect(got.map((g) => [g.sec, g.nsec])).toEqual([
      [1_767_225_600, 123_456_789],
      [1_767_225_601, 999_999_999],
      [1_767_225_602, 1],
    ]);
  });

  it('pcapng with the default (µs), nanosecond and binary timestamp resolutions, both byte orders, and simple packet blocks', () => {
    const ns = read(file('ns.pcapng', pcapngBytes(frames, { tsresol: 9 }))).got;
    expect(ns.map((g) => [g.sec, g.nsec, g.cap, g.wire])).toEqual([
      [1_767_225_600, 123_456_789, 52, 52],
      [1_767_225_601, 999_999_999, 1442, 1442],
      [1_767_225_602, 1, 42, 200],
    ]);
    const us = read(file('us.pcapng', pcapngBytes(frames, { bigEndian: true }))).got;
    expect(us.map((g) => g.nsec)).toEqual([123_456_000, 999_999_000, 0]);
    const bin = read(file('bin.pcapng', pcapngBytes(frames, { tsresol: 0x80 | 20 }))).got;
    expect(bin[0]!.sec).toBe(1_767_225_600);
    expect(Math.abs(bin[0]!.nsec - 123_456_789)).toBeLessThan(1000);
    const spb = read(file('spb.pcapng', pcapngBytes(frames, { simple: true }))).got;
    // A simple packet block has no captured length: it is what the block holds (padded to 4) up to the original length.
    expect(spb.map((g) => [g.cap, g.wire])).toEqual([[52, 52], [1442, 1442], [44, 200]]);
  });

  it('records spanning read blocks are reassembled (tiny blocks)', () => {
    const many: Frame[] = Array.from({ length: 200 }, (_, i) => ({ ts: 1_767_225_600 + i, data: frame(i * 7) }));
    const { got } = read(file('many.pcap', pcapBytes(many)), 64);
    expect(got.length).toBe(200);
    expect(got[199]!.cap).toBe(42 + 199 * 7);
  });

  it('a truncated last record is counted, not thrown; garbage is refused with a clear message', () => {
    const whole = pcapBytes(frames);
    const { got, reader } = read(file('cut.pcap', whole.slice(0, whole.length - 10)));
    expect(got.length).toBe(2);
    expect(reader.badRecords).toBe(1);
    expect(() => read(file('junk.pcap', bytes(100)))).toThrow(/not a pcap or pcapng capture/);
    expect(() => read(join(dir, 'absent.pcap'))).toThrow(/file not found/);
  });

  it('libpcap (the pcap module) reads the same packets', async () => {
    const p = file('lib.pcap', pcapBytes(frames));
    const got: number[][] = [];
    await new LibpcapFileReader(p).run({ packet: (_b, _o, cap, wire, sec, nsec, link) => got.push([sec, nsec, cap, wire, link]) });
    expect(got).toEqual([
      [1_767_225_600, 123_456_000, 52, 52, 1],
      [1_767_225_601, 999_999_000, 1442, 1442, 1],
      [1_767_225_602, 0, 42, 200, 1],
    ]);
  });
});

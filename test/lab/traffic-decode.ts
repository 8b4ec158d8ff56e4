/**
 * An independent reader for the traffic generator's tests: it shares no code with
 * lab/traffic/, so the ground truth is checked against the bytes, not against itself.
 * It reads classic pcap and decodes Ethernet, 802.1Q/802.1ad, MPLS, IPv4, IPv6, TCP, UDP
 * and ICMP just far enough to count flows the way Zeek keys them.
 */
import { readFileSync } from 'node:fs';

export interface PcapFile {
  magic: number;
  nanosecond: boolean;
  littleEndian: boolean;
  versionMajor: number;
  versionMinor: number;
  snaplen: number;
  linkType: number;
  records: { ts: bigint; frame: Buffer; origLen: number }[];
}

export function readPcap(path: string): PcapFile {
  const b = readFileSync(path);
  const raw = b.readUInt32LE(0);
  const le = raw === 0xa1b2c3d4 || raw === 0xa1b23c4d;
  const magic = le ? raw : b.readUInt32BE(0);
  if (magic !== 0xa1b2c3d4 && magic !== 0xa1b23c4d) throw new Error(`not a pcap file: magic ${raw.toString(16)}`);
  const u16 = (o: number): number => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const nanosecond = magic === 0xa1b23c4d;
  const records: PcapFile['records'] = [];
  let off = 24;
  while (off < b.length) {
    if (off + 16 > b.length) throw new Error(`truncated record header at ${off}`);
    const sec = u32(off);
    const frac = u32(off + 4);
    const incl = u32(off + 8);
    const orig = u32(off + 12);
    if (off + 16 + incl > b.length) throw new Error(`truncated record at ${off}`);
    const ts = BigInt(sec) * 1_000_000_000n + BigInt(frac) * (nanosecond ? 1n : 1000n);
    records.push({ ts, frame: b.subarray(off + 16, off + 16 + incl), origLen: orig });
    off += 16 + incl;
  }
  return { magic, nanosecond, littleEndian: le, versionMajor: u16(4), versionMinor: u16(6), snaplen: u32(16), linkType: u32(20), records };
}

export interface Packet {
  ts: bigint;
  vlans: number[];
  mpls: number[];
  ipVersion: 4 | 6;
  src: string;
  dst: string;
  proto: number;
  /** IP total length (IPv6: 40 + payload length). */
  ipLen: number;
  ipChecksumOk: boolean;
  l4ChecksumOk: boolean;
  srcPort: number;
  dstPort: number;
  tcpFlags: number;
  seq: number;
  icmpType: number;
  icmpId: number;
  payload: Buffer;
}

function sum16(b: Buffer, off: number, len: number): number {
  let s = 0;
  for (let i = 0; i + 1 < len; i += 2) s += b.readUInt16BE(off + i);
  if (len % 2) s += b[off + len - 1]! << 8;
  return s;
}

function foldOk(s: number): boolean {
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 65536);
  return s === 0xffff;
}

function v4(b: Buffer, o: number): string {
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
}

function v6(b: Buffer, o: number): string {
  const g: string[] = [];
  for (let i = 0; i < 16; i += 2) g.push(b.readUInt16BE(o + i).toString(16));
  // Compress the longest run of zero groups (RFC 5952), as the generator's truth prints them.
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && g[j] === '0') j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
  }
  if (best < 0) return g.join(':');
  return `${g.slice(0, best).join(':')}::${g.slice(best + bestLen).join(':')}`;
}

export function decode(ts: bigint, f: Buffer): Packet {
  let type = f.readUInt16BE(12);
  let o = 14;
  const vlans: number[] = [];
  const mpls: number[] = [];
  while (type === 0x8100 || type === 0x88a8) {
    vlans.push(f.readUInt16BE(o) & 0x0fff);
    type = f.readUInt16BE(o + 2);
    o += 4;
  }
  let version: number;
  if (type === 0x8847) {
    for (;;) {
      const entry = f.readUInt32BE(o);
      mpls.push(entry >>> 12);
      o += 4;
      if (entry & 0x100) break;
    }
    version = f[o]! >> 4;
  } else if (type === 0x0800) version = 4;
  else if (type === 0x86dd) version = 6;
  else throw new Error(`unexpected ethertype ${type.toString(16)}`);

  const p: Packet = { ts, vlans, mpls, ipVersion: version as 4 | 6, src: '', dst: '', proto: 0, ipLen: 0, ipChecksumOk: true, l4ChecksumOk: false, srcPort: 0, dstPort: 0, tcpFlags: 0, seq: 0, icmpType: -1, icmpId: -1, payload: Buffer.alloc(0) };
  let l4: number;
  let l4Len: number;
  let pseudo = 0;
  if (version === 4) {
    const ihl = (f[o]! & 0x0f) * 4;
    p.ipLen = f.readUInt16BE(o + 2);
    p.proto = f[o + 9]!;
    p.src = v4(f, o + 12);
    p.dst = v4(f, o + 16);
    p.ipChecksumOk = foldOk(sum16(f, o, ihl));
    l4 = o + ihl;
    l4Len = p.ipLen - ihl;
    pseudo = sum16(f, o + 12, 8) + p.proto + l4Len;
  } else if (version === 6) {
    const payloadLen = f.readUInt16BE(o + 4);
    p.ipLen = 40 + payloadLen;
    p.proto = f[o + 6]!;
    p.src = v6(f, o + 8);
    p.dst = v6(f, o + 24);
    l4 = o + 40;
    l4Len = payloadLen;
    pseudo = sum16(f, o + 8, 32) + p.proto + l4Len;
  } else throw new Error(`unexpected IP version ${version}`);

  if (p.proto === 6) {
    p.srcPort = f.readUInt16BE(l4);
    p.dstPort = f.readUInt16BE(l4 + 2);
    p.seq = f.readUInt32BE(l4 + 4);
    const hl = (f[l4 + 12]! >> 4) * 4;
    p.tcpFlags = f[l4 + 13]!;
    p.payload = f.subarray(l4 + hl, l4 + l4Len);
    p.l4ChecksumOk = foldOk(sum16(f, l4, l4Len) + pseudo);
  } else if (p.proto === 17) {
    p.srcPort = f.readUInt16BE(l4);
    p.dstPort = f.readUInt16BE(l4 + 2);
    p.payload = f.subarray(l4 + 8, l4 + l4Len);
    p.l4ChecksumOk = foldOk(sum16(f, l4, l4Len) + pseudo);
  } else if (p.proto === 1 || p.proto === 58) {
    p.icmpType = f[l4]!;
    p.icmpId = f.readUInt16BE(l4 + 4);
    p.payload = f.subarray(l4 + 8, l4 + l4Len);
    p.l4ChecksumOk = foldOk(sum16(f, l4, l4Len) + (p.proto === 58 ? pseudo : 0));
  } else throw new Error(`unexpected IP protocol ${p.proto}`);
  return p;
}

export interface DecodedFlow {
  key: string;
  proto: 'tcp' | 'udp' | 'icmp' | 'icmp6';
  origH: string;
  origP: number;
  respH: string;
  respP: number;
  pkts: [number, number];
  ipBytes: [number, number];
  appBytes: [number, number];
  first: bigint;
  last: bigint;
  maxGapNs: bigint;
  vlans: Set<string>;
  mpls: [string | null, string | null];
  /** The first bytes each side sent (TCP in sequence order, UDP the first datagram). */
  head: [Buffer[], Buffer[]];
  headLen: [number, number];
  packets: Packet[] | null;
  firstFlags: number;
  flagsSeen: [number, number];
  /** Packets with payload, the largest payload, and how many packets carried that largest payload. */
  dataPkts: [number, number];
  maxPayload: [number, number];
  maxPayloadCount: [number, number];
}

const ICMP_COUNTERPART: Record<number, number> = { 8: 0, 0: 8, 128: 129, 129: 128 };

/**
 * Groups packets into Zeek connections: TCP/UDP by 5-tuple, ICMP by host pair and the
 * echo type pairing, both directions together, MPLS labels and VLAN tags ignored.
 */
export function groupFlows(packets: Iterable<Packet>, opts: { keepPackets?: boolean; headBytes?: number } = {}): Map<string, DecodedFlow> {
  const flows = new Map<string, DecodedFlow>();
  const headBytes = opts.headBytes ?? 4096;
  for (const p of packets) {
    let a: string;
    let b: string;
    if (p.proto === 6 || p.proto === 17) {
      a = `${p.src}/${p.srcPort}`;
      b = `${p.dst}/${p.dstPort}`;
    } else {
      // Zeek's ICMP key: (src, type, dst, counterpart type); a reply is the request's key reversed.
      a = `${p.src}/${p.icmpType}`;
      b = `${p.dst}/${ICMP_COUNTERPART[p.icmpType]!}`;
    }
    const key = `${p.proto}|${a < b ? `${a}|${b}` : `${b}|${a}`}`;
    let fl = flows.get(key);
    if (!fl) {
      const icmp = p.proto === 1 || p.proto === 58;
      fl = {
        key,
        proto: p.proto === 6 ? 'tcp' : p.proto === 17 ? 'udp' : p.proto === 1 ? 'icmp' : 'icmp6',
        origH: p.src,
        origP: icmp ? p.icmpType : p.srcPort,
        respH: p.dst,
        respP: icmp ? ICMP_COUNTERPART[p.icmpType]! : p.dstPort,
        pkts: [0, 0],
        ipBytes: [0, 0],
        appBytes: [0, 0],
        first: p.ts,
        last: p.ts,
        maxGapNs: 0n,
        vlans: new Set(),
        mpls: [null, null],
        head: [[], []],
        headLen: [0, 0],
        packets: opts.keepPackets ? [] : null,
        firstFlags: p.tcpFlags,
        flagsSeen: [0, 0],
        dataPkts: [0, 0],
        maxPayload: [0, 0],
        maxPayloadCount: [0, 0],
      };
      flows.set(key, fl);
    }
    const dir = p.src === fl.origH && (p.proto === 1 || p.proto === 58 ? p.icmpType === fl.origP : p.srcPort === fl.origP) ? 0 : 1;
    fl.pkts[dir]++;
    fl.ipBytes[dir] += p.ipLen;
    fl.appBytes[dir] += p.payload.length;
    if (p.ts - fl.last > fl.maxGapNs) fl.maxGapNs = p.ts - fl.last;
    fl.last = p.ts;
    fl.vlans.add(p.vlans.join('.'));
    const labels = p.mpls.join(',');
    if (fl.mpls[dir] === null) fl.mpls[dir] = labels;
    else if (fl.mpls[dir] !== labels) fl.mpls[dir] = 'MIXED';
    fl.flagsSeen[dir] |= p.tcpFlags;
    const n = p.payload.length;
    if (n > 0) {
      fl.dataPkts[dir]++;
      if (n > fl.maxPayload[dir]) {
        fl.maxPayload[dir] = n;
        fl.maxPayloadCount[dir] = 0;
      }
      if (n === fl.maxPayload[dir]) fl.maxPayloadCount[dir]++;
    }
    if (n > 0 && fl.headLen[dir] < headBytes) {
      fl.head[dir].push(p.payload);
      fl.headLen[dir] += p.payload.length;
    }
    fl.packets?.push(p);
  }
  return flows;
}

export function* decodeAll(file: PcapFile): Generator<Packet> {
  for (const r of file.records) yield decode(r.ts, r.frame);
}

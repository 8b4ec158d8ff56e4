/**
 * Builds test frames byte by byte (Ethernet, 802.1Q/QinQ, MPLS, PPPoE, IPv4
 * with fragments, IPv6 with extension headers, TCP, UDP, ICMP, GRE/ERSPAN,
 * VXLAN) and writes them as pcap or pcapng, so each decoder and each Zeek
 * state can be exercised with exactly the packets that matter. ipv4() and
 * ipv6() compute the TCP/UDP checksum of an unfragmented segment whose field
 * is 0 (the segment builders leave it 0): the sensor verifies them.
 */
import { writeFileSync } from 'node:fs';

export type Bytes = Uint8Array;

export function concat(...parts: Bytes[]): Bytes {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function u16(v: number): Bytes {
  return Uint8Array.of((v >>> 8) & 0xff, v & 0xff);
}

function u32(v: number): Bytes {
  return Uint8Array.of((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
}

export function ip4(text: string): Bytes {
  return Uint8Array.from(text.split('.').map(Number));
}

export function ip6(text: string): Bytes {
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':').filter((x) => x !== '') : [];
  const t = tail !== undefined ? tail.split(':').filter((x) => x !== '') : [];
  const groups = [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t].map((g) => parseInt(g, 16));
  return concat(...groups.map(u16));
}

export function checksum(...parts: Bytes[]): number {
  let sum = 0;
  for (const data of parts) {
    for (let i = 0; i < data.length; i += 2) sum += (data[i]! << 8) | (i + 1 < data.length ? data[i + 1]! : 0);
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * The TCP or UDP checksum of a whole segment (header with its checksum field,
 * and payload) under the pseudo-header of src and dst (4 or 16 bytes each).
 * UDP's computed 0 is sent as 0xffff: 0 means "no checksum".
 */
export function transportChecksum(src: Bytes, dst: Bytes, proto: number, segment: Bytes): number {
  const seg = segment.slice();
  const at = proto === 6 ? 16 : 6;
  seg[at] = 0;
  seg[at + 1] = 0;
  const len = seg.length;
  const pseudo = src.length === 4 ? concat(src, dst, Uint8Array.of(0, proto), u16(len)) : concat(src, dst, u32(len), Uint8Array.of(0, 0, 0, proto));
  const c = checksum(pseudo, seg);
  return proto === 17 && c === 0 ? 0xffff : c;
}

/** A copy of a TCP or UDP segment with its checksum set for src → dst (to cut into fragments afterwards). */
export function withChecksum(src: string, dst: string, proto: 6 | 17, segment: Bytes): Bytes {
  const v6 = src.includes(':');
  const out = segment.slice();
  const c = transportChecksum(v6 ? ip6(src) : ip4(src), v6 ? ip6(dst) : ip4(dst), proto, out);
  const at = proto === 6 ? 16 : 6;
  out[at] = c >> 8;
  out[at + 1] = c & 0xff;
  return out;
}

/**
 * Fills the checksum of the TCP or UDP segment at pkt[off...] when it is 0 and the packet is no
 * fragment. An ICMPv6 message (built by icmpMessage with ICMPv4's sum) gets its sum under the
 * IPv6 pseudo-header instead.
 */
function fillTransportChecksum(pkt: Bytes, off: number, src: Bytes, dst: Bytes, proto: number): void {
  if (proto === 58 && pkt.length >= off + 4) {
    pkt[off + 2] = 0;
    pkt[off + 3] = 0;
    const len = pkt.length - off;
    const c = checksum(concat(src, dst, u32(len), Uint8Array.of(0, 0, 0, 58)), pkt.subarray(off));
    pkt[off + 2] = c >> 8;
    pkt[off + 3] = c & 0xff;
    return;
  }
  const at = off + (proto === 6 ? 16 : 6);
  if ((proto !== 6 && proto !== 17) || pkt.length < at + 2 || pkt[at] !== 0 || pkt[at + 1] !== 0) return;
  const c = transportChecksum(src, dst, proto, pkt.subarray(off));
  pkt[at] = c >> 8;
  pkt[at + 1] = c & 0xff;
}

/**
 * A copy of an Ethernet frame (no tags) whose TCP or UDP checksum is wrong: the
 * checksum field's bytes flipped, everything else as it was.
 */
export function corruptTransportChecksum(frame: Bytes): Bytes {
  const out = frame.slice();
  const ipOff = 14;
  const v6 = out[ipOff]! >> 4 === 6;
  const proto = v6 ? out[ipOff + 6]! : out[ipOff + 9]!;
  const l4 = ipOff + (v6 ? 40 : (out[ipOff]! & 0x0f) * 4);
  const at = l4 + (proto === 6 ? 16 : 6);
  out[at] ^= 0x5a;
  out[at + 1] ^= 0xa5;
  return out;
}

export interface L2Options {
  /** VLAN ids, outermost first; tagTypes gives each tag's TPID (default 0x8100, or 0x88a8 for the outer of two). */
  vlans?: number[];
  tagTypes?: number[];
  /** MPLS label stack, top first. */
  mpls?: number[];
  /** PPPoE session id. */
  pppoe?: number;
}

const MAC_A = Uint8Array.of(0x02, 0, 0, 0, 0, 1);
const MAC_B = Uint8Array.of(0x02, 0, 0, 0, 0, 2);

/**
 * An Ethernet frame (no tags) as another link type would carry it: raw IP (101) without
 * the 14-byte header, Linux cooked captures v1 (113) and v2 (276) with theirs and the
 * EtherType as protocol; Ethernet (1) as it is.
 */
export function asLinkType(frame: Bytes, linkType: number): Bytes {
  const body = frame.subarray(14);
  if (linkType === 101) return body;
  if (linkType === 113) return concat(Uint8Array.of(0, 0, 0, 1, 0, 6), bytes(8, 0x02), frame.subarray(12, 14), body);
  if (linkType === 276) return concat(frame.subarray(12, 14), Uint8Array.of(0, 0, 0, 0, 0, 2, 0, 1, 0, 6), bytes(8, 0x02), body);
  return frame;
}

/** Ethernet header with tags/labels in front of an IP packet. */
export function ether(ipPacket: Bytes, l2: L2Options = {}, etherTypeOverride?: number): Bytes {
  const version = ipPacket[0]! >> 4;
  let inner = etherTypeOverride ?? (version === 6 ? 0x86dd : 0x0800);
  let body = ipPacket;
  if (l2.pppoe !== undefined) {
    body = concat(Uint8Array.of(0x11, 0), u16(l2.pppoe), u16(body.length + 2), u16(inner === 0x86dd ? 0x0057 : 0x0021), body);
    inner = 0x8864;
  }
  if (l2.mpls && l2.mpls.length > 0) {
    const labels = l2.mpls.map((label, i) => {
      const bottom = i === l2.mpls!.length - 1 ? 1 : 0;
      return u32((label << 12) | (bottom << 8) | 64);
    });
    body = concat(...labels, body);
    inner = 0x8847;
  }
  const vlans = l2.vlans ?? [];
  for (let i = vlans.length - 1; i >= 0; i--) {
    // Each tag: its TCI, then the type of what follows it.
    body = concat(u16(vlans[i]!), u16(inner), body);
    inner = l2.tagTypes?.[i] ?? (i === 0 && vlans.length > 1 ? 0x88a8 : 0x8100);
  }
  return concat(MAC_B, MAC_A, u16(inner), body);
}

export interface Ipv4Options {
  id?: number;
  ttl?: number;
  /** Fragment offset in bytes (multiple of 8) and more-fragments flag. */
  fragOffset?: number;
  more?: boolean;
  df?: boolean;
  /** Override the total length field (to craft broken packets). */
  totalLength?: number;
  /** Leave a TCP/UDP checksum field of 0 as it is (by default it is computed, unless the packet is a fragment). */
  noTransportChecksum?: boolean;
}

export function ipv4(src: string, dst: string, proto: number, payload: Bytes, o: Ipv4Options = {}): Bytes {
  const total = o.totalLength ?? 20 + payload.length;
  const flags = (o.df ? 0x4000 : 0) | (o.more ? 0x2000 : 0) | ((o.fragOffset ?? 0) >> 3);
  const hdr = concat(Uint8Array.of(0x45, 0), u16(total), u16(o.id ?? 1), u16(flags), Uint8Array.of(o.ttl ?? 64, proto), u16(0), ip4(src), ip4(dst));
  const c = checksum(hdr);
  hdr[10] = c >> 8;
  hdr[11] = c & 0xff;
  const pkt = concat(hdr, payload);
  if (!o.noTransportChecksum && !o.more && !o.fragOffset) fillTransportChecksum(pkt, 20, ip4(src), ip4(dst), proto);
  return pkt;
}

export interface Ipv6Options {
  /** Extension headers before the payload: [next-header-type, body bytes] are built in order. */
  ext?: { type: 0 | 43 | 60; len8?: number }[];
  /** Fragment header: offset in bytes, more flag, identification. */
  frag?: { offset: number; more: boolean; id: number };
  /** Leave a TCP/UDP checksum field of 0 as it is (by default it is computed, unless the packet is a fragment). */
  noTransportChecksum?: boolean;
}

export function ipv6(src: string, dst: string, proto: number, payload: Bytes, o: Ipv6Options = {}): Bytes {
  const chain: { type: number; body: (next: number) => Bytes }[] = [];
  for (const e of o.ext ?? []) {
    const len8 = e.len8 ?? 0;
    chain.push({ type: e.type, body: (next) => concat(Uint8Array.of(next, len8), new Uint8Array(6 + len8 * 8)) });
  }
  if (o.frag) {
    const f = o.frag;
    chain.push({ type: 44, body: (next) => concat(Uint8Array.of(next, 0), u16(f.offset | (f.more ? 1 : 0)), u32(f.id)) });
  }
  let next = proto;
  let ext: Bytes = new Uint8Array(0);
  for (let i = chain.length - 1; i >= 0; i--) {
    ext = concat(chain[i]!.body(next), ext);
    next = chain[i]!.type;
  }
  const body = concat(ext, payload);
  const pkt = concat(Uint8Array.of(0x60, 0, 0, 0), u16(body.length), Uint8Array.of(next, 64), ip6(src), ip6(dst), body);
  if (!o.noTransportChecksum && !o.frag) fillTransportChecksum(pkt, 40 + ext.length, ip6(src), ip6(dst), proto);
  return pkt;
}

export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;
export const URG = 0x20;

/** Flags from letters: S, A, F, R, P, U. */
export function flagsOf(s: string): number {
  let f = 0;
  for (const ch of s) f |= ({ S: SYN, A: ACK, F: FIN, R: RST, P: PSH, U: URG } as Record<string, number>)[ch] ?? 0;
  return f;
}

export function tcpSegment(sport: number, dport: number, seq: number, ack: number, flags: number, payload: Bytes, win = 65535): Bytes {
  return concat(u16(sport), u16(dport), u32(seq >>> 0), u32(ack >>> 0), Uint8Array.of(5 << 4, flags), u16(win), u16(0), u16(0), payload);
}

export function udpDatagram(sport: number, dport: number, payload: Bytes): Bytes {
  return concat(u16(sport), u16(dport), u16(8 + payload.length), u16(0), payload);
}

export function icmpMessage(type: number, code: number, rest: Bytes): Bytes {
  const m = concat(Uint8Array.of(type, code), u16(0), rest);
  const c = checksum(m);
  m[2] = c >> 8;
  m[3] = c & 0xff;
  return m;
}

export function bytes(n: number, fill = 0x61): Bytes {
  return new Uint8Array(n).fill(fill);
}

// ---------------------------------------------------------------- captures

export interface Frame {
  /** Seconds since the epoch (fractions allowed), or exact [sec, nsec]. */
  ts: number | [number, number];
  data: Bytes;
  /** Bytes on the wire, when more than captured. */
  wire?: number;
}

function secNsec(ts: number | [number, number]): [number, number] {
  if (Array.isArray(ts)) return ts;
  const sec = Math.floor(ts);
  return [sec, Math.round((ts - sec) * 1e9)];
}

export function pcapBytes(frames: Frame[], o: { nano?: boolean; linkType?: number; bigEndian?: boolean; snaplen?: number } = {}): Bytes {
  const le = !o.bigEndian;
  const w32 = (v: number) => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, le);
    return b;
  };
  const w16 = (v: number) => {
    const b = new Uint8Array(2);
    new DataView(b.buffer).setUint16(0, v, le);
    return b;
  };
  const parts: Bytes[] = [w32(o.nano ? 0xa1b23c4d : 0xa1b2c3d4), w16(2), w16(4), w32(0), w32(0), w32(o.snaplen ?? 262144), w32(o.linkType ?? 1)];
  for (const f of frames) {
    const [sec, nsec] = secNsec(f.ts);
    parts.push(w32(sec), w32(o.nano ? nsec : Math.floor(nsec / 1000)), w32(f.data.length), w32(f.wire ?? f.data.length), f.data);
  }
  // (not concat(...parts): a spread of hundreds of thousands of frames exceeds the call stack)
  return new Uint8Array(Buffer.concat(parts));
}

export function writePcap(path: string, frames: Frame[], o: { nano?: boolean; linkType?: number; bigEndian?: boolean } = {}): void {
  writeFileSync(path, pcapBytes(frames, o));
}

/** pcapng with one interface; tsresol as in if_tsresol (6 = µs, 9 = ns, 0x80|n = 2^-n). */
export function pcapngBytes(frames: Frame[], o: { tsresol?: number; linkType?: number; bigEndian?: boolean; simple?: boolean } = {}): Bytes {
  const le = !o.bigEndian;
  const w32 = (v: number) => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, le);
    return b;
  };
  const w16 = (v: number) => {
    const b = new Uint8Array(2);
    new DataView(b.buffer).setUint16(0, v, le);
    return b;
  };
  const block = (type: number, body: Bytes) => {
    const len = 12 + body.length;
    return concat(w32(type), w32(len), body, w32(len));
  };
  const pad4 = (b: Bytes) => concat(b, new Uint8Array((4 - (b.length % 4)) % 4));
  const shb = block(0x0a0d0d0a, concat(w32(0x1a2b3c4d), w16(1), w16(0), w32(0xffffffff), w32(0xffffffff)));
  const res = o.tsresol ?? 6;
  const opts = res === 6 ? new Uint8Array(0) : concat(w16(9), w16(1), Uint8Array.of(res, 0, 0, 0), w16(0), w16(0));
  const idb = block(1, concat(w16(o.linkType ?? 1), w16(0), w32(0), opts));
  const parts: Bytes[] = [shb, idb];
  const units = res & 0x80 ? 2n ** BigInt(res & 0x7f) : 10n ** BigInt(res);
  for (const f of frames) {
    if (o.simple) {
      parts.push(block(3, concat(w32(f.wire ?? f.data.length), pad4(f.data))));
      continue;
    }
    const [sec, nsec] = secNsec(f.ts);
    const t = BigInt(sec) * units + (BigInt(nsec) * units) / 1_000_000_000n;
    parts.push(block(6, concat(w32(0), w32(Number(t >> 32n)), w32(Number(t & 0xffffffffn)), w32(f.data.length), w32(f.wire ?? f.data.length), pad4(f.data))));
  }
  return concat(...parts);
}

// ---------------------------------------------------------------- TCP conversations

export interface SideState {
  addr: string;
  port: number;
  seq: number;
}

/** Adjustments of one packet of a TcpTalk: seq/ack for crafted cases; badChecksum sends it with a wrong TCP checksum. */
export interface TalkOptions {
  seq?: number;
  ack?: number;
  advance?: boolean;
  win?: number;
  dt?: number;
  badChecksum?: boolean;
}

/**
 * A TCP conversation between a client and a server, keeping each side's
 * sequence number so tests read as the packets Zeek would see:
 *   const t = new TcpTalk(); t.c('S'); t.s('SA'); t.c('A'); t.c('PA', 100); ...
 */
export class TcpTalk {
  readonly frames: Frame[] = [];
  readonly client: SideState;
  readonly server: SideState;
  t: number;
  step = 0.01;
  l2: L2Options;
  v6: boolean;

  constructor(o: { client?: string; server?: string; cport?: number; sport?: number; t0?: number; l2?: L2Options; cisn?: number; sisn?: number } = {}) {
    this.v6 = (o.client ?? '').includes(':');
    this.client = { addr: o.client ?? '10.0.0.1', port: o.cport ?? 40000, seq: o.cisn ?? 1000 };
    this.server = { addr: o.server ?? '10.0.0.2', port: o.sport ?? 80, seq: o.sisn ?? 5000 };
    this.t = o.t0 ?? 1_700_000_000;
    this.l2 = o.l2 ?? {};
  }

  /** A packet from the client: flags as letters, payload length (or bytes); options adjust seq/ack for crafted cases. */
  c(flags: string, payload: number | Bytes = 0, o: TalkOptions = {}): this {
    return this.send(this.client, this.server, flags, payload, o);
  }

  s(flags: string, payload: number | Bytes = 0, o: TalkOptions = {}): this {
    return this.send(this.server, this.client, flags, payload, o);
  }

  private send(from: SideState, to: SideState, flags: string, payload: number | Bytes, o: TalkOptions): this {
    const f = flagsOf(flags);
    const data = typeof payload === 'number' ? bytes(payload) : payload;
    const seq = o.seq ?? from.seq;
    const ack = f & ACK ? (o.ack ?? to.seq) : 0;
    const seg = tcpSegment(from.port, to.port, seq, ack, f, data, o.win ?? 65535);
    const ip = this.v6 ? ipv6(from.addr, to.addr, 6, seg) : ipv4(from.addr, to.addr, 6, seg);
    if (o.badChecksum) ip[(this.v6 ? 40 : 20) + 16] ^= 0x5a;
    this.t += o.dt ?? this.step;
    // Whole microseconds, so float steps give the exact times a µs capture would hold.
    let sec = Math.floor(this.t);
    let us = Math.round((this.t - sec) * 1e6);
    if (us >= 1e6) {
      sec++;
      us -= 1e6;
    }
    this.frames.push({ ts: [sec, us * 1000], data: ether(ip, this.l2) });
    // A segment with a bad checksum is dropped by the receiver, so the sender's next one reuses its sequence number.
    if (o.advance !== false && o.seq === undefined && !o.badChecksum) from.seq = (from.seq + data.length + (f & SYN ? 1 : 0) + (f & FIN ? 1 : 0)) >>> 0;
    return this;
  }
}

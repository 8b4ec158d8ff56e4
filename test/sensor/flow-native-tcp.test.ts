/**
 * The native flow core's TCP analysis (native/flow-tcp.c, flow-history.c, flow-reasm.c)
 * against the JavaScript one it must equal (sensor/flow/tcp-state.ts, history.ts,
 * reassembly.ts, conn-state.ts): the same packets through both, and after every packet
 * the same weirds, timers, deliveries and gaps in the same order, and the same history,
 * endpoint states, sizes, missed bytes, conn_state, reassembly point and close.
 * CHOT_NATIVE_FLOW_FUZZ=<conversations> runs a longer comparison.
 */
import { describe, expect, it } from 'vitest';
import { addonPaths, loadAddon } from '../../sensor/capture/addon.js';
import { Packet } from '../../sensor/decode/packet.js';
import { weirdName } from '../../sensor/decode/weird.js';
import { Arena, Conn, type Endpoint } from '../../sensor/flow/conn.js';
import { connState } from '../../sensor/flow/conn-state.js';
import { closeComplete, isReuse, processTcp, type TcpHost } from '../../sensor/flow/tcp-state.js';
import { rng } from './app/helpers.js';

interface FlowCoreAddon {
  tcpReplay(packets: Float64Array, payload: Uint8Array, wants: boolean, lingerNs: number): string;
}

const loaded = loadAddon<FlowCoreAddon>('flow core', addonPaths('flow-core'));
const LINGER = 5e9;

/** One packet of a conversation between host 0 and host 1. */
interface Pkt {
  from: 0 | 1;
  flags: number;
  seq: number;
  ack: number;
  win: number;
  len: number;
  /** Captured payload bytes (len unless cut short). */
  cap: number;
  now: number;
  payload: Uint8Array;
}

const F = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20 } as const;

function hash(buf: Uint8Array, start: number, end: number): number {
  let s = 0;
  for (let i = start; i < end; i++) s = (Math.imul(s, 31) + buf[i]!) >>> 0;
  return s;
}

/** The JavaScript analysis of the packets, as text in tcpReplay's format. */
function jsReplay(pkts: Pkt[], wants: boolean): string {
  let out = '';
  const arena = new Arena();
  const host: TcpHost = {
    lingerNs: LINGER,
    weird: (_c, id) => void (out += ` weird:${weirdName(id)}`),
    closed: () => void (out += ' closed'),
    attempt: () => void (out += ' attempt'),
    wants: () => wants,
    deliver: (c: Conn, ep: Endpoint, buf: Uint8Array, start: number, end: number) => void (out += ` deliver:${ep === c.o ? 0 : 1}:${end - start}:${hash(buf, start, end)}`),
    gap: (c: Conn, ep: Endpoint, len: number) => void (out += ` gap:${ep === c.o ? 0 : 1}:${len}`),
  };
  let c = new Conn(arena);
  let ep0: Endpoint = c.o;
  let base = 0;
  let fresh = true;
  const p = new Packet();
  pkts.forEach((k, i) => {
    p.reset();
    p.proto = 6;
    p.tcpFlags = k.flags;
    p.seq = k.seq;
    p.ack = k.ack;
    p.win = k.win;
    p.payLen = k.len;
    p.payCap = k.cap;
    p.buf = k.payload;
    p.payOff = 0;
    p.now = k.now;
    out += `${i}:`;
    if (!fresh && isReuse(c, p, host)) {
      out += ' reuse';
      fresh = true;
    }
    if (fresh) {
      c = new Conn(arena);
      c.reset();
      c.proto = 6;
      c.start = k.now;
      c.last = k.now;
      ep0 = c.o;
      base = k.from;
      fresh = false;
    }
    processTcp(c, (k.from ^ base) === 0 === (c.o === ep0), p, host);
    const o = c.o;
    const r = c.r;
    out += ` | h=${c.history} o=${o.state},${o.prevState} r=${r.state},${r.prevState} size=${o.tcpSize(r)},${r.tcpSize(o)} missed=${c.missed} cs=${connState(c)} cc=${closeComplete(c) ? 1 : 0} partial=${c.isPartial ? 1 : 0} first=${c.firstSeen} reasm=${o.reasm},${r.reasm} ooo=${o.ooo ? o.ooo.ranges.length / 2 : 0},${r.ooo ? r.ooo.ranges.length / 2 : 0} last=${c.last}\n`;
  });
  return out;
}

function nativeReplay(addon: FlowCoreAddon, pkts: Pkt[], wants: boolean): string {
  const fields = new Float64Array(pkts.length * 9);
  const payload = new Uint8Array(pkts.reduce((n, k) => n + k.cap, 0));
  let off = 0;
  pkts.forEach((k, i) => {
    fields.set([k.from, k.flags, k.seq, k.ack, k.win, k.len, k.cap, off, k.now], i * 9);
    payload.set(k.payload.subarray(0, k.cap), off);
    off += k.cap;
  });
  return addon.tcpReplay(fields, payload, wants, LINGER);
}

/** A payload byte: a function of the sender and the absolute sequence number, so a retransmission carries the same bytes. */
function payloadAt(from: number, seq: number, len: number): Uint8Array {
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = (Math.imul((seq + i) >>> 0, 7) + from * 101) & 0xff;
  return b;
}

/**
 * A conversation the way networks garble them: any opening (clean, missing SYN, SYN-ACK
 * first, midstream, none answered), data both ways with losses, reordering,
 * retransmissions, zero windows and cut payloads, sequence numbers near the 32-bit wrap,
 * any close (FINs, RSTs, both, none), then stray and random packets.
 */
function conversation(r: () => number): Pkt[] {
  const pkts: Pkt[] = [];
  const u32 = (n: number) => n >>> 0;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const near = (n: number) => u32(n + Math.floor((r() - 0.5) * 4000));
  const next = [u32(r() * 2 ** 32), u32(r() * 2 ** 32)];
  if (r() < 0.3) next[0] = u32(2 ** 32 - Math.floor(r() * 5000));
  if (r() < 0.3) next[1] = u32(2 ** 32 - Math.floor(r() * 5000));
  let now = 1e9 + Math.floor(r() * 1e6);
  const emit = (from: 0 | 1, flags: number, len: number, o: { seq?: number; ack?: number; advance?: boolean; cap?: number; win?: number } = {}): Pkt => {
    const seq = o.seq ?? next[from]!;
    const k: Pkt = {
      from,
      flags,
      seq,
      ack: o.ack ?? next[1 - from]!,
      win: o.win ?? (r() < 0.03 ? 0 : 65535),
      len,
      cap: o.cap ?? len,
      now,
      payload: payloadAt(from, seq, len),
    };
    now += Math.floor(r() * (r() < 0.05 ? 8e9 : 5e7));
    if (o.advance !== false && (o.seq === undefined || o.seq === next[from])) next[from] = u32(next[from]! + len + (flags & F.SYN ? 1 : 0) + (flags & F.FIN ? 1 : 0));
    return k;
  };
  const opening = pick(['clean', 'clean', 'clean', 'nosyn', 'synack-first', 'midstream', 'unanswered', 'rejected', 'simultaneous', 'synack-only']);
  if (opening === 'clean') pkts.push(emit(0, F.SYN, 0), emit(1, F.SYN | F.ACK, 0), emit(0, F.ACK, 0));
  else if (opening === 'nosyn') pkts.push(emit(1, F.SYN | F.ACK, 0), emit(0, F.ACK, 0));
  else if (opening === 'synack-first') {
    const syn = emit(0, F.SYN, 0);
    const sa = emit(1, F.SYN | F.ACK, 0);
    pkts.push(sa, syn, emit(0, F.ACK, 0));
  } else if (opening === 'midstream') {
    /* nothing: data first */
  } else if (opening === 'unanswered') {
    pkts.push(emit(0, F.SYN, 0));
    if (r() < 0.5) pkts.push(emit(0, F.SYN, 0, { seq: u32(next[0]! - 1), advance: false }));
    if (r() < 0.5) pkts.push(emit(0, F.RST, 0));
    if (r() < 0.5) return pkts;
  } else if (opening === 'rejected') {
    pkts.push(emit(0, F.SYN, 0), emit(1, F.RST | F.ACK, 0));
    if (r() < 0.5) return pkts;
  } else if (opening === 'simultaneous') pkts.push(emit(0, F.SYN, 0), emit(1, F.SYN, 0), emit(0, F.SYN | F.ACK, 0), emit(1, F.ACK, 0));
  else pkts.push(emit(1, F.SYN | F.ACK, 0));

  const segments = Math.floor(r() * 40);
  const sent: Pkt[] = [];
  for (let i = 0; i < segments; i++) {
    const from: 0 | 1 = r() < 0.5 ? 0 : 1;
    const len = r() < 0.3 ? 0 : 1 + Math.floor(r() * (r() < 0.1 ? 70000 : 1460));
    const what = r();
    if (what < 0.08) {
      next[from] = u32(next[from]! + len); // lost on the way: a hole the peer may acknowledge
      continue;
    }
    let k: Pkt;
    if (what < 0.14 && sent.length > 0) {
      const old = pick(sent);
      k = { ...old, now, ack: next[1 - old.from]! }; // a retransmission
      now += 1000;
    } else if (what < 0.18) k = emit(from, F.ACK | F.PSH, len, { cap: Math.floor(len / 2) }); // cut short
    else k = emit(from, r() < 0.9 ? F.ACK | F.PSH : F.PSH, len);
    if (r() < 0.1 && pkts.length > 0) pkts.splice(pkts.length - 1, 0, k); // reordered
    else pkts.push(k);
    if (len > 0) sent.push(k);
  }

  const close = pick(['fin', 'fin', 'fin-one', 'rst-orig', 'rst-resp', 'fin-rst', 'none', 'fin-then-rst', 'rst-and-fin', 'fin-again']);
  if (close === 'fin') pkts.push(emit(0, F.FIN | F.ACK, 0), emit(1, F.FIN | F.ACK, 0), emit(0, F.ACK, 0));
  else if (close === 'fin-again') {
    // A FIN sent again (lost, or its ack was), and data after a FIN.
    const fin = emit(0, F.FIN | F.ACK, 0);
    pkts.push(fin, { ...fin, now }, emit(1, F.ACK, 0));
    if (r() < 0.5) pkts.push(emit(0, F.FIN | F.ACK, 1 + Math.floor(r() * 100), { seq: fin.seq }));
  }
  else if (close === 'fin-one') pkts.push(emit(pick([0, 1] as const), F.FIN | F.ACK, 0));
  else if (close === 'rst-orig') pkts.push(emit(0, F.RST | (r() < 0.5 ? F.ACK : 0), 0));
  else if (close === 'rst-resp') pkts.push(emit(1, F.RST, 0));
  else if (close === 'fin-rst') pkts.push(emit(0, F.FIN | F.RST, 0));
  else if (close === 'fin-then-rst') pkts.push(emit(0, F.FIN | F.ACK, 0), emit(0, F.RST, 0), emit(1, F.FIN | F.ACK, 0));
  else if (close === 'rst-and-fin') pkts.push(emit(1, F.RST, 0), emit(0, F.FIN | F.ACK, 0));

  // Stragglers and noise: a new SYN (reuse), random flags, sequence numbers near or far from the stream's.
  const noise = r() < 0.5 ? 0 : Math.floor(r() * 8);
  for (let i = 0; i < noise; i++) {
    const from: 0 | 1 = r() < 0.5 ? 0 : 1;
    const flags = r() < 0.3 ? F.SYN : Math.floor(r() * 64);
    const len = r() < 0.5 ? 0 : Math.floor(r() * 600);
    const seq = r() < 0.5 ? near(next[from]!) : u32(r() * 2 ** 32);
    const ack = r() < 0.2 ? 0 : r() < 0.6 ? near(next[1 - from]!) : u32(r() * 2 ** 32);
    pkts.push(emit(from, flags, len, { seq, ack, advance: r() < 0.5 }));
  }
  return pkts;
}

/** A packet of random fields: every path of the state machine, most of them nonsense. */
function randomPackets(r: () => number): Pkt[] {
  const n = 1 + Math.floor(r() * 30);
  const pkts: Pkt[] = [];
  const seqs = [Math.floor(r() * 2 ** 32), Math.floor(r() * 2 ** 32)];
  let now = 1e9;
  for (let i = 0; i < n; i++) {
    const from: 0 | 1 = r() < 0.5 ? 0 : 1;
    const len = r() < 0.5 ? 0 : Math.floor(r() * 3000);
    const seq = r() < 0.7 ? (seqs[from]! + Math.floor((r() - 0.3) * 5000)) >>> 0 : Math.floor(r() * 2 ** 32);
    const ack = r() < 0.7 ? (seqs[1 - from]! + Math.floor((r() - 0.3) * 5000)) >>> 0 : Math.floor(r() * 2 ** 32);
    seqs[from] = (seq + len) >>> 0;
    pkts.push({ from, flags: Math.floor(r() * 64), seq, ack, win: r() < 0.1 ? 0 : 1024, len, cap: r() < 0.1 ? Math.floor(len / 3) : len, now, payload: payloadAt(from, seq, len) });
    now += Math.floor(r() * (r() < 0.1 ? 1e10 : 1e8));
  }
  return pkts;
}

function compare(addon: FlowCoreAddon, pkts: Pkt[], what: string): void {
  for (const wants of [false, true]) {
    const js = jsReplay(pkts, wants);
    const c = nativeReplay(addon, pkts, wants);
    if (c !== js) {
      const a = js.split('\n');
      const b = c.split('\n');
      const i = a.findIndex((l, k) => l !== b[k]);
      expect(`${what} (wants ${wants}), packet ${i}: ${b[i]}`).toBe(`${what} (wants ${wants}), packet ${i}: ${a[i]}`);
    }
  }
}

describe('native flow core: TCP analysis', () => {
  it('is built (npm run build)', () => {
    expect(loaded).toHaveProperty('addon');
  });
  const addon = 'addon' in loaded ? loaded.addon : undefined;

  it.runIf(addon)('follows the crafted cases exactly as the JavaScript analysis', () => {
    const syn = (from: 0 | 1, flags: number, seq: number, ack: number, len = 0, now = 1e9): Pkt => ({ from, flags, seq, ack, win: 1024, len, cap: len, now, payload: payloadAt(from, seq, len) });
    const cases: [string, Pkt[]][] = [
      ['handshake and data', [syn(0, F.SYN, 100, 0), syn(1, F.SYN | F.ACK, 500, 101), syn(0, F.ACK, 101, 501), syn(0, F.ACK | F.PSH, 101, 501, 10), syn(1, F.ACK, 501, 111)]],
      ['SYN-ACK before its SYN (flip)', [syn(1, F.SYN | F.ACK, 500, 101), syn(0, F.SYN, 100, 0), syn(0, F.ACK, 101, 501)]],
      ['a hole acknowledged', [syn(0, F.SYN, 100, 0), syn(1, F.SYN | F.ACK, 500, 101), syn(0, F.ACK, 101, 501), syn(0, F.ACK, 201, 501, 50), syn(1, F.ACK, 501, 251), syn(0, F.ACK, 151, 501, 50)]],
      ['sequence numbers across the wrap', [syn(0, F.SYN, 0xffffff00, 0), syn(1, F.SYN | F.ACK, 7, 0xffffff01), syn(0, F.ACK | F.PSH, 0xffffff01, 8, 1000), syn(1, F.ACK, 8, (0xffffff01 + 1000) >>> 0), syn(0, F.FIN | F.ACK, (0xffffff01 + 1000) >>> 0, 8), syn(1, F.FIN | F.ACK, 8, (0xffffff02 + 1000) >>> 0)]],
      ['reuse after a close', [syn(0, F.SYN, 100, 0), syn(1, F.RST | F.ACK, 0, 101), syn(0, F.SYN, 90000, 0, 0, 2e9)]],
      ['Christmas tree', [syn(0, 0x3f, 100, 5, 20)]],
    ];
    for (const [what, pkts] of cases) compare(addon!, pkts, what);
  });

  it.runIf(addon)('equals the JavaScript analysis on garbled conversations and random packets', () => {
    const rounds = Number(process.env.CHOT_NATIVE_FLOW_FUZZ ?? 3000);
    const r = rng(0x7c9);
    let packets = 0;
    const seen = new Set<string>();
    for (let i = 0; i < rounds; i++) {
      const pkts = i % 3 === 2 ? randomPackets(r) : conversation(r);
      packets += pkts.length;
      compare(addon!, pkts, `round ${i}`);
      for (const m of jsReplay(pkts, true).matchAll(/ (weird:\w+|gap|reuse|closed|attempt|deliver)|cs=(\w+)/g)) seen.add(m[1] ?? m[2]!);
    }
    // The generator reached the paths worth comparing (a generator that stopped doing so would pass vacuously).
    for (const x of ['gap', 'reuse', 'closed', 'attempt', 'deliver', 'S0', 'S1', 'SF', 'REJ', 'S2', 'S3', 'RSTO', 'RSTR', 'RSTOS0', 'RSTRH', 'SH', 'SHR', 'OTH', 'weird:SYN_seq_jump', 'weird:FIN_advanced_last_seq', 'weird:SYN_after_close', 'weird:truncated_tcp_payload', 'weird:TCP_christmas', 'weird:possible_split_routing', 'weird:active_connection_reuse']) expect(seen, x).toContain(x);
    expect(packets).toBeGreaterThan(rounds * 5);
  });
});

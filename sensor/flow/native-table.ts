/**
 * The flow table in C (native/flow-table.c and the TCP analysis beside it), for
 * `sensor read --format zeek` without application analyzers: the same connections,
 * timers and records as FlowTable, whose conn.log rows it writes itself. Packets the
 * native reader decoded go through it a block at a time (Pipeline.nativeBlock); packets
 * the JavaScript decoders took (tunnels, fragments, bad checksums, anything unusual)
 * come one at a time through process(), as they come to FlowTable.
 */
import { addonPaths, loadAddon, type Loaded } from '../capture/addon.js';
import type { Packet } from '../decode/packet.js';
import {
  D_ACK, D_DPORT, D_FLAGS, D_ICMP_CODE, D_ICMP_TYPE, D_IP_LEN, D_IPV, D_L4_BAD, D_MPLS0, D_MPLS_COUNT, D_PAY_CAP, D_PAY_LEN, D_PAY_OFF, D_PROTO, D_S0, D_SEQ, D_SPORT, D_VLAN0, D_VLAN1, D_WIN, STRIDE,
} from '../decode/predecoded.js';
import { weirdId, type WeirdCounters } from '../decode/weird.js';
import { FlowTableStats, type ConnWeird, type FlowTableOptions } from './table.js';
import { ZEEK_TIMEOUTS } from './timeouts.js';

interface NativeTableStats {
  created: number;
  expired: number;
  evicted: number;
  reused: number;
  records: number;
  interims: number;
  afterRecord: number;
  size: number;
  weirds: Record<string, number>;
}

type Handle = object;

interface FlowCoreAddon {
  ioCount: number;
  stride: number;
  tableNew(config: object, onConnWeird: (...a: [string, number, number, string, string, number, string, number]) => void, io: Float64Array): Handle;
  tableBlock(h: Handle, data: Uint8Array, desc: Int32Array, from: number, count: number, mult: number): number;
  tableOne(h: Handle, desc: Int32Array, buf: Uint8Array, now: number, parentHandle: number, parentGen: number): number;
  tableBase(h: Handle, baseSec: number): void;
  tableTick(h: Handle, now: number): number;
  tableFlush(h: Handle): void;
  tableRows(h: Handle): Buffer;
  tableStats(h: Handle): NativeTableStats;
}

/** The state shared with the C side (flow-core.c's IO_*). */
export const IO_BASE_SEC = 0;
export const IO_LAST_NOW = 1;
export const IO_LAST_SWEEP = 2;
export const IO_CUR_SEC = 3;
export const IO_CUR_NSEC = 4;
export const IO_PACKETS = 5;
export const IO_BYTES = 6;
export const IO_RECEIVED = 7;
export const IO_TRUNCATED = 8;
export const IO_DECODED = 9;
export const IO_FRAGS_PENDING = 10;
export const IO_STOP = 11;
const IO_ROWS = 12;
const IO_GEN = 13;
const IO_COUNT = 14;
/** IO_STOP after a block: fragments are due for expiry (else the packet at the returned index is JavaScript's, or the block is done). */
export const STOP_SWEEP = 1;

let loaded: Loaded<FlowCoreAddon> | undefined;

/** The addon, or why there is none (the pipeline then keeps the JavaScript table). */
export function flowCoreAddon(): Loaded<FlowCoreAddon> {
  loaded ??= loadAddon<FlowCoreAddon>('flow core', addonPaths('flow-core'));
  if ('addon' in loaded && (loaded.addon.ioCount !== IO_COUNT || loaded.addon.stride !== STRIDE)) loaded = { error: 'the flow core addon was built from other sources than this code: rebuild it (npm run build)' };
  return loaded;
}

/** Where the native table's records and weirds go: conn.log rows as bytes, weird.log rows as FlowTable gives them. */
export interface NativeRowsOutput {
  connRows(rows: Uint8Array, count: number): void;
  connWeird?(w: ConnWeird): void;
}

/** A connection of the native table, as a tunnel's contents name their parent. */
export interface NativeConn {
  readonly handle: number;
  readonly gen: number;
}

export class NativeFlowTable {
  readonly io = new Float64Array(IO_COUNT);
  readonly lingerNs = 5e9;
  private readonly h: Handle;
  private readonly one = new Int32Array(STRIDE);
  private base = 0;
  /** Weird counts already added to the pipeline's counters. */
  private readonly merged = new Map<string, number>();

  constructor(
    private readonly addon: FlowCoreAddon,
    private readonly wc: WeirdCounters,
    private readonly out: NativeRowsOutput,
    opts: Omit<FlowTableOptions, 'analyzers' | 'policy'> = {},
  ) {
    const t = { ...ZEEK_TIMEOUTS, ...opts.timeouts };
    this.io[IO_BASE_SEC] = -1;
    this.h = addon.tableNew(
      {
        maxFlows: opts.maxFlows ?? 1_000_000,
        delays: [t.tcpInactivity, t.udpInactivity, t.icmpInactivity, t.otherInactivity, t.tcpAttempt, t.tcpClose],
        interimSec: opts.interimSec ?? 60,
        recordAtClose: opts.recordAt === 'close' ? 1 : 0,
        communityId: opts.communityId === false ? 0 : 1,
        communitySeed: opts.communityIdSeed ?? 0,
        // As FlowTable draws it.
        uidSeed: (opts.uidSeed ?? Math.floor(Math.random() * 0x7fffffff)) | 1,
      },
      (name, tsSec, tsNsec, uid, origH, origP, respH, respP) => {
        try {
          this.out.connWeird?.({ tsSec, tsNsec, uid, origH, origP, respH, respP, name });
        } catch {
          this.wc.inc(weirdId('internal_error'));
        }
      },
      this.io,
    );
  }

  get baseSec(): number {
    return this.base;
  }

  set baseSec(v: number) {
    this.base = v;
    this.addon.tableBase(this.h, v);
  }

  /** When the next timer is due is the C table's to know: -Infinity has every tick() ask it. */
  get nextDue(): number {
    return -Infinity;
  }

  get size(): number {
    return this.addon.tableStats(this.h).size;
  }

  get stats(): FlowTableStats {
    const s = this.addon.tableStats(this.h);
    return Object.assign(new FlowTableStats(), { created: s.created, expired: s.expired, evicted: s.evicted, reused: s.reused, records: s.records, interims: s.interims, afterRecord: s.afterRecord });
  }

  /** The packets of a block the native reader decoded, from index from on, until one is JavaScript's (io[IO_STOP] says why it stopped). */
  block(data: Uint8Array, desc: Int32Array, from: number, count: number, mult: number): number {
    const k = this.addon.tableBlock(this.h, data, desc, from, count, mult);
    this.takeRows();
    return k;
  }

  /** One packet the JavaScript decoders decoded, at its time p.now; returns its connection (a tunnel's contents name it as parent). */
  process(p: Packet, parent: NativeConn | null): NativeConn {
    const d = this.one;
    d[D_PROTO] = p.proto;
    d[D_IPV] = p.ipVersion;
    d[D_S0] = p.s0;
    d[D_S0 + 1] = p.s1;
    d[D_S0 + 2] = p.s2;
    d[D_S0 + 3] = p.s3;
    d[D_S0 + 4] = p.d0;
    d[D_S0 + 5] = p.d1;
    d[D_S0 + 6] = p.d2;
    d[D_S0 + 7] = p.d3;
    d[D_SPORT] = p.sport;
    d[D_DPORT] = p.dport;
    d[D_ICMP_TYPE] = p.icmpType;
    d[D_ICMP_CODE] = p.icmpCode;
    d[D_FLAGS] = p.tcpFlags;
    d[D_SEQ] = p.seq;
    d[D_ACK] = p.ack;
    d[D_WIN] = p.win;
    d[D_IP_LEN] = p.ipLen;
    d[D_PAY_OFF] = p.payOff;
    d[D_PAY_LEN] = p.payLen;
    d[D_PAY_CAP] = p.payCap;
    d[D_VLAN0] = p.vlan0;
    d[D_VLAN1] = p.vlan1;
    const labels = Math.min(p.mplsCount, 8, p.mpls.length);
    d[D_MPLS_COUNT] = labels;
    for (let i = 0; i < labels; i++) d[D_MPLS0 + i] = p.mpls[i]!;
    d[D_L4_BAD] = p.l4Bad ? 1 : 0;
    const handle = this.addon.tableOne(this.h, d, p.buf, p.now, parent === null ? -1 : parent.handle, parent === null ? 0 : parent.gen);
    this.takeRows();
    return { handle, gen: this.io[IO_GEN]! };
  }

  tick(now: number): void {
    this.addon.tableTick(this.h, now);
    this.takeRows();
  }

  /** Ends every connection (end of input); the table's weird counts join the pipeline's. */
  flush(): void {
    this.addon.tableFlush(this.h);
    this.takeRows();
    for (const [name, n] of Object.entries(this.addon.tableStats(this.h).weirds)) {
      const before = this.merged.get(name) ?? 0;
      if (n > before) this.wc.add(weirdId(name), n - before);
      this.merged.set(name, n);
    }
  }

  private takeRows(): void {
    const n = this.io[IO_ROWS]!;
    if (n > 0) this.out.connRows(this.addon.tableRows(this.h), n);
  }
}

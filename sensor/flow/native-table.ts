/**
 * The flow table in C (native/flow-table.c and the TCP analysis beside it), for
 * `sensor read --format zeek`: the same connections, timers and records as FlowTable,
 * whose conn.log rows it writes itself. Packets the native reader decoded go through it
 * a block at a time (Pipeline.nativeBlock); packets the JavaScript decoders took
 * (tunnels, fragments, bad checksums, anything unusual) come one at a time through
 * process(), as they come to FlowTable. The application analyzers stay here: the table
 * calls back with each connection's payload in order, its gaps and its records, and
 * this file does with them what FlowTable does.
 */
import type { AnalyzerFactory, AppAnalyzer, AppEvents, AppMetadata, Direction } from '../app/analyzer.js';
import type { AppLogRecord } from '../app/log-common.js';
import { armPrints, disarmPrints } from '../app/tls/prints-ahead.js';
import { addonPaths, loadAddon, type Loaded } from '../capture/addon.js';
import type { Packet } from '../decode/packet.js';
import {
  D_ACK, D_DPORT, D_FLAGS, D_HELLO, D_ICMP_CODE, HELLO_NONE, D_ICMP_TYPE, D_IP_LEN, D_IPV, D_L4_BAD, D_MPLS0, D_MPLS_COUNT, D_PAY_CAP, D_PAY_LEN, D_PAY_OFF, D_PROTO, D_S0, D_SEQ, D_SPORT, D_VLAN0, D_VLAN1, D_WIN, STRIDE,
} from '../decode/predecoded.js';
import { weirdId, type WeirdCounters } from '../decode/weird.js';
import { escapeZeek } from '../output/zeek-log.js';
import { AnalyzerClock } from './analyzer-clock.js';
import { APP_ACTIVE, APP_NONE } from './conn.js';
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
  tableNew(config: object, callbacks: NativeCallbacks, io: Float64Array): Handle;
  tableBlock(h: Handle, data: Uint8Array, desc: Int32Array, from: number, count: number, mult: number): number;
  tableOne(h: Handle, desc: Int32Array, buf: Uint8Array, now: number, parentHandle: number, parentGen: number): number;
  tableBase(h: Handle, baseSec: number): void;
  tableTick(h: Handle, now: number): number;
  tableFlush(h: Handle): void;
  tableRows(h: Handle): Buffer;
  tableStats(h: Handle): NativeTableStats;
  tableIdentity(h: Handle, handle: number, gen: number): [string, string, number, string, number, number, number] | undefined;
}

/** The C table's callbacks; the numbers of deliver, gap and metadata are in io (IO_CB_*). */
interface NativeCallbacks {
  connWeird(name: string, tsSec: number, tsNsec: number, uid: string, origH: string, origP: number, respH: string, respP: number): void;
  deliver(buf: Buffer | null): number;
  gap(len: number): number;
  metadata(uid: string, origH: string, respH: string): string | undefined;
}

/** A connection's application analyzer, kept by the connection's handle (the C table's connections have no JavaScript object). */
interface AppEntry {
  gen: number;
  a: AppAnalyzer | null;
  /** Application weirds already in weird.log for the connection (each name once, as FlowTable logs them). */
  logged: Set<string> | null;
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
// A callback's numbers: the connection, and deliver's and metadata's own.
const IO_CB_HANDLE = 14;
const IO_CB_GEN = 15;
const IO_CB_DIR = 16;
const IO_CB_OFF = 17;
const IO_CB_LEN = 18;
const IO_CB_AT = 19;
const IO_CB_NOW = 20;
const IO_CB_BASE = 21;
const IO_CB_PROTO = 22;
const IO_CB_RESP_P = 23;
const IO_CB_ORIG_P = 24;
const IO_CB_FINAL = 25;
const IO_COUNT = 26;
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
  /** The application logs' rows of a record (with analyzers). */
  appRecord?(r: AppLogRecord): void;
}

const W_APP_EXCEPTION = 'app_analyzer_exception';
const W_INTERNAL = weirdId('internal_error');
/** deliver's answer for an analyzer that exists but wants no more (the C table's APP_ENDED). */
const APP_ENDED = 3;

/** A connection of the native table, as a tunnel's contents name their parent. */
export interface NativeConn {
  readonly handle: number;
  readonly gen: number;
}

export class NativeFlowTable {
  readonly io = new Float64Array(IO_COUNT);
  private readonly h: Handle;
  private readonly one = new Int32Array(STRIDE);
  private base = 0;
  /** Weird counts already added to the pipeline's counters. */
  private readonly merged = new Map<string, number>();
  private readonly apps: (AppEntry | undefined)[] = [];
  /** The buffer of the call in progress: a block's data, or one packet's (the C table gives offsets into it). */
  private buf: Uint8Array = new Uint8Array(0);
  private desc: Int32Array | null = null;
  private current: AppEntry | null = null;
  private currentHandle = -1;
  private readonly events: AppEvents;
  private readonly clock = new AnalyzerClock();

  constructor(
    private readonly addon: FlowCoreAddon,
    private readonly wc: WeirdCounters,
    private readonly out: NativeRowsOutput,
    opts: Omit<FlowTableOptions, 'policy'> = {},
    /** A bug caught in a callback (counted as the pipeline counts one that costs a packet). */
    private readonly onInternalError: () => void = () => {},
  ) {
    const factory = opts.analyzers;
    const self = this;
    this.events = {
      weird(name: string): void {
        self.appWeird(name);
      },
    };
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
        app: factory === undefined ? 0 : 1,
      },
      {
        connWeird: (name, tsSec, tsNsec, uid, origH, origP, respH, respP) => {
          try {
            this.out.connWeird?.({ tsSec, tsNsec, uid, origH, origP, respH, respP, name });
          } catch {
            this.internalError();
          }
        },
        deliver: (buf) => this.deliver(factory, buf),
        gap: (len) => this.gap(len),
        metadata: (uid, origH, respH) => this.metadata(uid, origH, respH),
      },
      this.io,
    );
  }

  // ------------------------------------------------------------------ application analyzers (as FlowTable.deliver, gap and makeRecord)

  private entry(handle: number, gen: number): AppEntry {
    let e = this.apps[handle];
    if (e === undefined || e.gen !== gen) {
      e = { gen, a: null, logged: null };
      this.apps[handle] = e;
    }
    return e;
  }

  private deliver(factory: AnalyzerFactory | undefined, buf: Buffer | null): number {
    const io = this.io;
    const handle = io[IO_CB_HANDLE]!;
    const dir = io[IO_CB_DIR] as Direction;
    const off = io[IO_CB_OFF]!;
    const len = io[IO_CB_LEN]!;
    const at = io[IO_CB_AT]!;
    const e = this.entry(handle, io[IO_CB_GEN]!);
    const b = buf ?? this.buf;
    // A hello the reader fingerprinted, offered for this packet's bytes only (as Pipeline.predecoded offers it).
    const arm = at >= 0 && this.desc !== null && this.desc[at + D_HELLO] !== HELLO_NONE;
    if (arm) armPrints(b, this.desc!, at);
    try {
      let a = e.a;
      if (a === null) {
        a = factory?.(io[IO_CB_PROTO] as 6 | 17, io[IO_CB_RESP_P]!, io[IO_CB_ORIG_P]!, dir, b, off, off + len, this.events) ?? null;
        if (a === null) return APP_NONE;
        e.a = a;
      }
      this.current = e;
      this.currentHandle = handle;
      try {
        a.deliver(dir, b, off, off + len, this.clock.at(io[IO_CB_BASE]!, io[IO_CB_NOW]!));
      } catch {
        // An analyzer bug must never stop the sensor: counted, and the connection analyzed no further.
        this.appWeird(W_APP_EXCEPTION);
        return APP_ENDED;
      }
      // (ended, it still has its records to give: the table asks for its metadata as FlowTable does)
      return a.done ? APP_ENDED : APP_ACTIVE;
    } catch {
      // A bug outside the analyzers (its factory, this file): it costs the connection's analysis, never the read.
      this.internalError();
      return e.a === null ? APP_NONE : APP_ENDED;
    } finally {
      this.current = null;
      // (prints the pipeline armed for a packet it handed over stay for all of that packet's deliveries, as with FlowTable)
      if (arm) disarmPrints();
    }
  }

  private gap(len: number): number {
    const handle = this.io[IO_CB_HANDLE]!;
    const dir = this.io[IO_CB_DIR] as Direction;
    const e = this.apps[handle];
    if (e === undefined || e.gen !== this.io[IO_CB_GEN] || e.a === null) return APP_NONE;
    this.current = e;
    this.currentHandle = handle;
    try {
      e.a.gap(dir, len);
    } catch {
      try {
        this.appWeird(W_APP_EXCEPTION);
      } catch {
        this.internalError();
      }
      return APP_NONE;
    } finally {
      this.current = null;
    }
    return e.a.done ? APP_NONE : APP_ACTIVE;
  }

  private metadata(uid: string, origH: string, respH: string): string | undefined {
    const io = this.io;
    const handle = io[IO_CB_HANDLE]!;
    const final = io[IO_CB_FINAL] !== 0;
    const origP = io[IO_CB_ORIG_P]!;
    const respP = io[IO_CB_RESP_P]!;
    const e = this.apps[handle];
    if (e === undefined || e.gen !== io[IO_CB_GEN] || e.a === null) return undefined;
    const a = e.a;
    let app: AppMetadata | undefined;
    this.current = e;
    this.currentHandle = handle;
    try {
      app = a.metadata(final);
    } catch {
      try {
        this.appWeird(W_APP_EXCEPTION);
      } catch {
        this.internalError();
      }
    }
    this.current = null;
    if (final) this.apps[handle] = undefined;
    try {
      if (app !== undefined) this.out.appRecord?.({ uid, origH, origP, respH, respP, app });
      const service = a.service;
      return service === undefined ? undefined : escapeZeek(service);
    } catch {
      // (as with FlowTable, the conn.log row is written all the same)
      this.internalError();
      return undefined;
    }
  }

  private internalError(): void {
    this.wc.inc(W_INTERNAL);
    this.onInternalError();
  }

  /** An application analyzer's weird: counted, and a weird.log row the first time for its connection (FlowTable.weird). */
  private appWeird(name: string): void {
    const id = weirdId(name);
    const e = this.current;
    const who = e === null ? undefined : this.addon.tableIdentity(this.h, this.currentHandle, e.gen);
    if (e === null || who === undefined) {
      this.wc.inc(id);
      return;
    }
    this.wc.count(id);
    if (e.logged?.has(name)) return;
    (e.logged ??= new Set()).add(name);
    const [uid, origH, origP, respH, respP, tsSec, tsNsec] = who;
    this.out.connWeird?.({ tsSec, tsNsec, uid, origH, origP, respH, respP, name });
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
    this.buf = data;
    this.desc = desc;
    const k = this.addon.tableBlock(this.h, data, desc, from, count, mult);
    this.desc = null;
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
    this.buf = p.buf;
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

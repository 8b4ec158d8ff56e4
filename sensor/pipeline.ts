/**
 * The sensor's data path: packet source → decode → flow table → records →
 * outputs. `chot sensor read` and `chot sensor run` both drive one of these;
 * it is a PacketSink, so any source (file reader, live capture) feeds it.
 */
import type { AnalyzerFactory } from './app/analyzer.js';
import type { PacketSink } from './capture/source.js';
import { Decoder, type DecoderOptions } from './decode/frame.js';
import { DECODE_DROP, DECODE_FLOW, DECODE_TUNNEL, Packet } from './decode/packet.js';
import { armPrints, armed as printsArmed, disarmPrints } from './app/tls/prints-ahead.js';
import { D_HELLO, fillPacket, HELLO_NONE, type AheadSettings } from './decode/predecoded.js';
import { weirdId, weirdName, WeirdCounters } from './decode/weird.js';
import { flowCoreAddon, IO_BASE_SEC, IO_BYTES, IO_CUR_NSEC, IO_CUR_SEC, IO_DECODED, IO_FRAGS_PENDING, IO_LAST_NOW, IO_LAST_SWEEP, IO_PACKETS, IO_RECEIVED, IO_STOP, IO_TRUNCATED, NativeFlowTable, STOP_SWEEP } from './flow/native-table.js';
import { FlowTable, type ConnWeird, type FlowOutput, type FlowTableOptions, type FlowTableStats } from './flow/table.js';
import type { PopulationDataPolicyChecker } from './policy/population-data.js';
import type { AppLogRecord } from './app/log-common.js';
import type { ConnRecord } from './record.js';

const W_TIME_BACKWARDS = weirdId('non_monotonic_timestamp');
const W_INTERNAL = weirdId('internal_error');

/** Where records (and weird rows) go: conn.log, NDJSON, the uplink, a test's array... */
export interface RecordOutput {
  record(r: ConnRecord): void;
  /** conn.log rows as bytes (the native flow table's records): an output that takes them (and appRecord, with analyzers) lets the pipeline use it. */
  connRows?(rows: Uint8Array, count: number): void;
  appRecord?(r: AppLogRecord): void;
  connWeird?(w: ConnWeird): void;
  packetWeird?(name: string, tsSec: number, tsNsec: number): void;
  close?(): void;
}

export interface PipelineOptions {
  decoder?: DecoderOptions;
  flows?: Omit<FlowTableOptions, 'analyzers' | 'policy'>;
  analyzers?: AnalyzerFactory;
  policy?: PopulationDataPolicyChecker;
  outputs: RecordOutput[];
  /**
   * Use the flow table in C (sensor/flow/native-table.ts) where it can serve: its addon is
   * built, no policy, and every output takes conn.log rows as bytes (and application
   * records, with analyzers). Otherwise (and by default) the JavaScript FlowTable.
   */
  nativeFlows?: boolean;
}

/** What the pipeline needs of a flow table: FlowTable's, or the native one's. A tunnel's contents name their parent by what process() returned. */
interface PacketTable {
  baseSec: number;
  readonly nextDue: number;
  readonly stats: FlowTableStats;
  readonly size: number;
  process(p: Packet, parent: object | null): object;
  tick(now: number): void;
  flush(): void;
}

export class PipelineStats {
  packets = 0;
  bytes = 0;
  /** Frames decoded to no flow (malformed, non-IP, fragments held back). */
  undecoded = 0;
  /** Packets whose processing failed on a bug (caught, counted, never fatal). */
  internalErrors = 0;
}

export class Pipeline implements PacketSink {
  readonly weirds = new WeirdCounters();
  readonly decoder: Decoder;
  readonly table: PacketTable;
  /** The native table when it is the one in use (nativeBlock() then takes the native reader's blocks). */
  readonly native: NativeFlowTable | undefined;
  private inBlock = false;
  readonly stats = new PipelineStats();
  private readonly p = new Packet();
  private readonly outputs: RecordOutput[];
  private readonly analyzers: AnalyzerFactory | undefined;
  private baseSec = -1;
  // Times in ns are doubles: starting them as -0 rather than 0 (a small integer) gives the fields their
  // double layout from the start, so the first real time does not change it and discard optimized code.
  private lastNow = -0;
  private lastSweep = -0;
  private curSec = 0;
  private curNsec = 0;

  constructor(opts: PipelineOptions) {
    this.outputs = opts.outputs;
    this.analyzers = opts.analyzers;
    this.decoder = new Decoder(this.weirds, opts.decoder);
    const outs = opts.outputs;
    const fanout: FlowOutput =
      outs.length === 1
        ? { record: (r) => outs[0]!.record(r), connWeird: (w) => outs[0]!.connWeird?.(w) }
        : {
            record: (r) => {
              for (const o of outs) o.record(r);
            },
            connWeird: (w) => {
              for (const o of outs) o.connWeird?.(w);
            },
          };
    const core =
      opts.nativeFlows === true && (opts.policy === undefined || opts.policy.empty) && outs.every((o) => o.connRows !== undefined && (opts.analyzers === undefined || o.appRecord !== undefined)) ? flowCoreAddon() : undefined;
    if (core !== undefined && 'addon' in core) {
      this.native = new NativeFlowTable(
        core.addon,
        this.weirds,
        {
          connRows: (rows, n) => {
            for (const o of outs) o.connRows!(rows, n);
          },
          connWeird: fanout.connWeird,
          appRecord: (r) => {
            for (const o of outs) o.appRecord!(r);
          },
        },
        { ...opts.flows, analyzers: opts.analyzers },
        () => this.stats.internalErrors++,
      );
      this.table = this.native;
    } else this.table = new FlowTable(this.weirds, fanout, { ...opts.flows, analyzers: opts.analyzers, policy: opts.policy });
    if (outs.some((o) => o.packetWeird !== undefined)) {
      this.weirds.sink = {
        onWeird: (id: number) => {
          const name = weirdName(id);
          // (inside a native block, the packet in hand's time is the native table's)
          const io = this.inBlock ? this.native!.io : undefined;
          const sec = io === undefined ? this.curSec : io[IO_CUR_SEC]!;
          const nsec = io === undefined ? this.curNsec : io[IO_CUR_NSEC]!;
          for (const o of outs) o.packetWeird?.(name, sec, nsec);
        },
      };
    }
  }

  packet(buf: Uint8Array, off: number, caplen: number, wirelen: number, tsSec: number, tsNsec: number, linkType: number): void {
    if (printsArmed) disarmPrints();
    try {
      this.process(buf, off, caplen, wirelen, tsSec, tsNsec, linkType);
    } catch {
      // A bug must cost one packet, never the sensor: counted (and alarmed on through the metrics).
      this.stats.internalErrors++;
      this.weirds.inc(W_INTERNAL);
    }
  }

  /**
   * A packet the native reader decoded ahead (see decode/predecoded.ts): accounted as
   * packet() accounts a frame that decodeFrame found a plain IP packet.
   */
  predecoded(buf: Uint8Array, desc: Int32Array, at: number, wirelen: number, tsSec: number, tsNsec: number): void {
    // A hello fingerprinted by the reader: offered to the TLS session for this packet's bytes only (app/tls/prints-ahead.ts).
    if (desc[at + D_HELLO] !== HELLO_NONE) armPrints(buf, desc, at);
    else if (printsArmed) disarmPrints();
    try {
      this.arrive(wirelen, tsSec, tsNsec);
      const p = this.p;
      fillPacket(p, buf, desc, at);
      this.table.process(p, null);
      this.sweepFragments(p.now);
    } catch {
      this.stats.internalErrors++;
      this.weirds.inc(W_INTERNAL);
    }
  }

  /**
   * Packets of a block the native reader decoded ahead, from index from on, through the
   * native table with no call per packet: accounted as predecoded() accounts them. Stops
   * at the first packet that is JavaScript's and returns its index (the caller gives it to
   * predecoded() or packet(), and goes on after it); or at count.
   * counts[0, 3) gains the packets received, cut short and decoded.
   */
  nativeBlock(data: Uint8Array, desc: Int32Array, from: number, count: number, mult: number, counts: Float64Array): number {
    const t = this.native!;
    const io = t.io;
    const st = this.stats;
    io[IO_BASE_SEC] = this.baseSec;
    io[IO_LAST_NOW] = this.lastNow;
    io[IO_LAST_SWEEP] = this.lastSweep;
    io[IO_CUR_SEC] = this.curSec;
    io[IO_CUR_NSEC] = this.curNsec;
    io[IO_PACKETS] = st.packets;
    io[IO_BYTES] = st.bytes;
    io[IO_RECEIVED] = 0;
    io[IO_TRUNCATED] = 0;
    io[IO_DECODED] = 0;
    // (a hello armed for the last packet handed over is not for the block's packets)
    if (printsArmed) disarmPrints();
    let k = from;
    for (;;) {
      io[IO_FRAGS_PENDING] = this.decoder.frags.size > 0 ? 1 : 0;
      this.inBlock = true;
      try {
        k = t.block(data, desc, k, count, mult);
      } finally {
        this.inBlock = false;
      }
      this.clockFrom(io);
      if (io[IO_STOP] !== STOP_SWEEP) break;
      // (weirds of expired fragments are rows of their own, at the time of the packet that expired them)
      this.decoder.frags.expire(this.lastNow);
    }
    counts[0]! += io[IO_RECEIVED]!;
    counts[1]! += io[IO_TRUNCATED]!;
    counts[2]! += io[IO_DECODED]!;
    return k;
  }

  /** The clock and counters as the native table left them. */
  private clockFrom(io: Float64Array): void {
    if (this.baseSec < 0 && io[IO_BASE_SEC]! >= 0) this.baseSec = io[IO_BASE_SEC]!;
    this.lastNow = io[IO_LAST_NOW]!;
    this.lastSweep = io[IO_LAST_SWEEP]!;
    this.curSec = io[IO_CUR_SEC]!;
    this.curNsec = io[IO_CUR_NSEC]!;
    this.stats.packets = io[IO_PACKETS]!;
    this.stats.bytes = io[IO_BYTES]!;
  }

  /** The decoder settings a reader decoding ahead must use (see predecoded()). */
  aheadSettings(): AheadSettings {
    return { ...this.decoder.aheadSettings(), helloPrints: this.analyzers !== undefined };
  }

  /** Counts a packet and sets the clock (this.p.now) to its time. */
  private arrive(wirelen: number, tsSec: number, tsNsec: number): void {
    const st = this.stats;
    st.packets++;
    st.bytes += wirelen;
    if (this.baseSec < 0) {
      this.baseSec = tsSec;
      this.table.baseSec = tsSec;
    }
    let now = (tsSec - this.baseSec) * 1e9 + tsNsec;
    if (now < this.lastNow) {
      // Capture order is not time order (merged captures): keep time from running backwards for the timers.
      this.weirds.inc(W_TIME_BACKWARDS);
      now = this.lastNow;
    }
    this.lastNow = now;
    this.curSec = tsSec;
    this.curNsec = tsNsec;
    this.p.now = now;
  }

  private sweepFragments(now: number): void {
    if (now - this.lastSweep > 1e9) {
      this.lastSweep = now;
      if (this.decoder.frags.size > 0) this.decoder.frags.expire(now);
    }
  }

  private process(buf: Uint8Array, off: number, caplen: number, wirelen: number, tsSec: number, tsNsec: number, linkType: number): void {
    const st = this.stats;
    this.arrive(wirelen, tsSec, tsNsec);
    const p = this.p;
    const now = p.now;
    let r = this.decoder.decodeFrame(p, linkType, buf, off, caplen, wirelen);
    const table = this.table;
    if (r === DECODE_FLOW) {
      table.process(p, null);
    } else if (r === DECODE_DROP) {
      st.undecoded++;
      table.tick(now);
    } else {
      let parent: object | null = null;
      while (r === DECODE_TUNNEL) {
        parent = table.process(p, parent);
        r = this.decoder.decodeInner(p);
      }
      if (r === DECODE_FLOW) table.process(p, parent);
      else st.undecoded++;
    }
    this.sweepFragments(now);
  }

  /**
   * A packet that another worker of `sensor read --workers` accounts went by:
   * time moves exactly as process() would move it (the same time base, the
   * same clamp against time running backwards, timers and fragment expiry at
   * the same instants), so each worker's records are those one pipeline makes.
   * Weirds about the packet are the owner's to count.
   */
  passBy(tsSec: number, tsNsec: number): void {
    if (printsArmed) disarmPrints();
    if (this.baseSec < 0) {
      this.baseSec = tsSec;
      this.table.baseSec = tsSec;
    }
    const now = (tsSec - this.baseSec) * 1e9 + tsNsec;
    if (now <= this.lastNow) return;
    this.lastNow = now;
    // (Compared here so that the usual packet, with no timer due, passes no time in ns as an argument: no number is allocated.)
    if (now >= this.table.nextDue) this.table.tick(now);
    this.sweepFragments(now);
  }

  /**
   * Lets time pass without packets (a live link gone quiet): timers fire as of
   * the given wall-clock time. Ignored before the first packet.
   */
  tick(tsSec: number, tsNsec: number): void {
    if (this.baseSec < 0) return;
    const now = (tsSec - this.baseSec) * 1e9 + tsNsec;
    if (now <= this.lastNow) return;
    this.lastNow = now;
    this.table.tick(now);
  }

  /** End of input: every connection still open gets its record, outputs are closed. */
  finish(): void {
    if (printsArmed) disarmPrints();
    this.table.flush();
    for (const o of this.outputs) o.close?.();
  }
}

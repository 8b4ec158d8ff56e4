/**
 * `chot sensor read`'s reader of pcap and pcapng files when the native addon is built
 * (native/capture-decode.c): a thread of its own reads the file in blocks and decodes
 * the common frames ahead, while the pipeline works on the block before. Packets it
 * decoded reach the sink as descriptors (Pipeline.predecoded); every other packet
 * reaches it as a frame, as from FileReader, whose header parsing and fallback (no addon,
 * a sink that takes frames only) this reader uses.
 */
import type { PacketSink, PacketSource, CaptureStats } from './source.js';
import { addonPaths, loadAddon, type Loaded } from './addon.js';
import { CaptureFileError, FileReader, pcapngTime, resolution, type CaptureLayout } from './file-reader.js';
import { D_CAPLEN, D_FRAC, D_KIND, D_LINK, D_OFF, D_SEC, D_TSRAW, D_WIRELEN, KIND_BAD, KIND_DECODED, STRIDE, type AheadSettings } from '../decode/predecoded.js';

interface Slot {
  data: Buffer;
  desc: Int32Array;
}

interface NativeStats {
  bytes: number;
  /** Why a read failed (strerror). */
  readError?: string;
  /** A structural error that ends reading (FileReader throws the same). */
  formatError?: string;
}

interface CaptureDecodeAddon {
  stride: number;
  open(fd: number, options: { offset: number; pcapng: boolean; littleEndian: boolean; linkType: number } & AheadSettings, slots: Slot[]): object;
  next(h: object): number;
  count(h: object, slot: number): number;
  release(h: object, slot: number): void;
  stats(h: object): NativeStats;
  close(h: object): void;
  /** The fingerprints the decoder gives a ClientHello (1: JA3 and JA4) or ServerHello (2: JA3S as ja3) body; undefined where it leaves them to JavaScript. */
  helloPrints(type: number, body: Uint8Array): { ja3: string; ja4?: string } | undefined;
}

/** A sink that also takes packets decoded ahead. */
export interface PredecodedSink extends PacketSink {
  aheadSettings(): AheadSettings;
  predecoded(buf: Uint8Array, desc: Int32Array, at: number, wirelen: number, tsSec: number, tsNsec: number): void;
  /** Present when the sink takes whole blocks (Pipeline with the native flow table): see Pipeline.nativeBlock. */
  readonly native?: object;
  nativeBlock?(data: Uint8Array, desc: Int32Array, from: number, count: number, mult: number, counts: Float64Array): number;
}

function takesPredecoded(sink: PacketSink): sink is PredecodedSink {
  return typeof (sink as Partial<PredecodedSink>).predecoded === 'function';
}

export type { CaptureDecodeAddon };

let loaded: Loaded<CaptureDecodeAddon> | undefined;

/** The addon, or why there is none. */
export function captureDecodeAddon(paths?: readonly string[]): Loaded<CaptureDecodeAddon> {
  if (paths) return loadAddon('capture decode', paths);
  loaded ??= loadAddon<CaptureDecodeAddon>('capture decode', addonPaths('capture-decode'));
  if ('addon' in loaded && loaded.addon.stride !== STRIDE) loaded = { error: `the capture decode addon's descriptors have ${loaded.addon.stride} fields, this code reads ${STRIDE}: rebuild it (npm run build)` };
  return loaded;
}

/** 1 MiB blocks, as FileReader's: large enough for few reads, small enough to be in cache when the pipeline reads them. */
const BLOCK = 1024 * 1024;
const SLOTS = 4;
/** Packets per block at most (the rest of the block is carried to the next one). */
const PACKETS_PER_BLOCK = 8192;

export class NativeFileReader implements PacketSource {
  readonly name: string;
  /** Packets the native decoder decoded (the rest went through the JavaScript decoders). */
  decoded = 0;
  /** Whether the last run read natively, or why not. */
  mode: 'native' | { fallback: string } = { fallback: 'not run' };
  private readonly fallback: FileReader;
  private native = false;
  private stopped = false;
  // Counted here as packets are handed over, not by the thread, which may have read further when stopped.
  private received = 0;
  private truncated = 0;
  private bad = 0;
  private bytesRead = 0;

  constructor(
    readonly path: string,
    private readonly addon: Loaded<CaptureDecodeAddon> = captureDecodeAddon(),
    private readonly block = BLOCK,
  ) {
    this.name = path;
    this.fallback = new FileReader(path);
  }

  get badRecords(): number {
    return this.native ? this.bad : this.fallback.badRecords;
  }

  get bytes(): number {
    return this.native ? this.bytesRead : this.fallback.bytes;
  }

  stats(): CaptureStats {
    if (!this.native) return this.fallback.stats();
    return { received: this.received, droppedKernel: 0, droppedInterface: 0, truncated: this.truncated };
  }

  stop(): void {
    this.stopped = true;
    this.fallback.stop();
  }

  async run(sink: PacketSink | PredecodedSink): Promise<void> {
    this.readAll(sink);
  }

  readAll(sink: PacketSink | PredecodedSink): void {
    const reader = this.fallback;
    reader.open();
    const layout = reader.layout();
    const why = !('addon' in this.addon) ? this.addon.error : !takesPredecoded(sink) ? 'the sink takes frames only' : undefined;
    if (why !== undefined || !('addon' in this.addon) || !takesPredecoded(sink)) return this.readInJavaScript(sink, why ?? '');
    const slots: Slot[] = [];
    for (let i = 0; i < SLOTS; i++) slots.push({ data: Buffer.allocUnsafe(this.block), desc: new Int32Array(PACKETS_PER_BLOCK * STRIDE) });
    const a = this.addon.addon;
    let h: object;
    try {
      h = a.open(reader.descriptor, { offset: layout.recordsAt, pcapng: layout.pcapng, littleEndian: layout.littleEndian, linkType: layout.linkType, ...sink.aheadSettings() }, slots);
    } catch (err) {
      // (settings the addon does not take, such as more than 16 VXLAN ports)
      return this.readInJavaScript(sink, `the capture decode addon refused: ${(err as Error).message}`);
    }
    reader.close();
    this.mode = 'native';
    this.native = true;
    this.bytesRead = layout.recordsAt;
    this.readNative(a, h, slots, sink, layout);
  }

  /** FileReader reads on from its open(), as `--reader js` would. */
  private readInJavaScript(sink: PacketSink, why: string): void {
    this.mode = { fallback: why };
    try {
      this.fallback.continue(sink);
    } finally {
      this.fallback.close();
    }
  }

  /** The packet (or bad record) whose descriptor is at desc[at...], to the sink as predecoded() or packet() takes it. */
  private one(sink: PredecodedSink, data: Buffer, desc: Int32Array, at: number, mult: number): void {
    const kind = desc[at + D_KIND]!;
    if (kind === KIND_BAD) {
      this.bad++;
      return;
    }
    const caplen = desc[at + D_CAPLEN]!;
    const wirelen = desc[at + D_WIRELEN]! >>> 0;
    this.received++;
    if (wirelen > caplen) this.truncated++;
    let sec = desc[at + D_SEC]! >>> 0;
    let nsec = (desc[at + D_FRAC]! >>> 0) * mult;
    const raw = desc[at + D_TSRAW]!;
    if (raw !== 0) {
      // A pcapng resolution the addon leaves to FileReader's exact arithmetic (binary, or finer than 1 ns).
      const t = pcapngTime(sec, desc[at + D_FRAC]! >>> 0, resolution(raw & 0xff));
      sec = t.sec;
      nsec = t.nsec;
    }
    if (kind === KIND_DECODED) {
      this.decoded++;
      sink.predecoded(data, desc, at, wirelen, sec, nsec);
    } else sink.packet(data, desc[at + D_OFF]!, caplen, wirelen, sec, nsec, desc[at + D_LINK]!);
  }

  private readNative(a: CaptureDecodeAddon, h: object, slots: Slot[], sink: PredecodedSink, layout: CaptureLayout): void {
    // pcap: fractions in µs or ns as the file says; pcapng: converted to ns by the addon (or raw, see D_TSRAW).
    const mult = layout.nanoseconds ? 1 : 1000;
    const block = sink.native !== undefined && sink.nativeBlock !== undefined ? sink : undefined;
    const counts = new Float64Array(3);
    let stats: NativeStats;
    try {
      while (!this.stopped) {
        const i = a.next(h);
        if (i < 0) break;
        const { data, desc } = slots[i]!;
        const n = a.count(h, i);
        if (block !== undefined) {
          // Whole runs of the block through the sink's native table; the packets it leaves go one at a time.
          for (let k = 0; k < n && !this.stopped; ) {
            k = block.nativeBlock!(data, desc, k, n, mult, counts);
            if (k < n) this.one(sink, data, desc, k++ * STRIDE, mult);
          }
        } else for (let k = 0, at = 0; k < n && !this.stopped; k++, at += STRIDE) this.one(sink, data, desc, at, mult);
        a.release(h, i);
      }
    } finally {
      this.received += counts[0]!;
      this.truncated += counts[1]!;
      this.decoded += counts[2]!;
      a.close(h);
      stats = a.stats(h);
      this.bytesRead += stats.bytes;
    }
    if (!this.stopped) {
      if (stats.readError !== undefined) throw new CaptureFileError(`${this.path}: reading failed: ${stats.readError}`);
      if (stats.formatError !== undefined) throw new CaptureFileError(`${this.path}: ${stats.formatError}`);
    }
  }
}

/**
 * `chot sensor read`'s reader of pcap files when the native addon is built
 * (native/capture-decode.c): a thread of its own reads the file in blocks and decodes
 * the common frames ahead, while the pipeline works on the block before. Packets it
 * decoded reach the sink as descriptors (Pipeline.predecoded); every other packet
 * reaches it as a frame, as from FileReader, whose header parsing and fallback (no addon,
 * a sink that takes frames only) this reader uses.
 */
import type { PacketSink, PacketSource, CaptureStats } from './source.js';
import { addonPaths, loadAddon, type Loaded } from './addon.js';
import { CaptureFileError, FileReader, pcapngTime, resolution, type CaptureLayout } from './file-reader.js';
import { D_CAPLEN, D_FRAC, D_KIND, D_LINK, D_OFF, D_SEC, D_TSRAW, D_WIRELEN, KIND_DECODED, STRIDE } from '../decode/predecoded.js';

interface Slot {
  data: Buffer;
  desc: Int32Array;
}

interface NativeStats {
  packets: number;
  truncated: number;
  badRecords: number;
  bytes: number;
  decoded: number;
  /** Why a read failed (strerror). */
  readError?: string;
  /** A structural error that ends reading (FileReader throws the same). */
  formatError?: string;
}

interface CaptureDecodeAddon {
  stride: number;
  open(path: string, options: { offset: number; pcapng: boolean; littleEndian: boolean; linkType: number; verifyIp: boolean; verifyL4: boolean; vxlanPorts: number[] }, slots: Slot[]): object;
  next(h: object): number;
  count(h: object, slot: number): number;
  release(h: object, slot: number): void;
  stats(h: object): NativeStats;
  close(h: object): void;
}

/** A sink that also takes packets decoded ahead. */
export interface PredecodedSink extends PacketSink {
  aheadSettings(): { verifyIp: boolean; verifyL4: boolean; vxlanPorts: number[] };
  predecoded(buf: Uint8Array, desc: Int32Array, at: number, wirelen: number, tsSec: number, tsNsec: number): void;
}

function takesPredecoded(sink: PacketSink): sink is PredecodedSink {
  return typeof (sink as Partial<PredecodedSink>).predecoded === 'function';
}

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
  private native: NativeStats | undefined;
  private stopped = false;
  /** Packets handed to the sink (the thread may have read further when stopped). */
  private received = 0;

  constructor(
    readonly path: string,
    private readonly addon: Loaded<CaptureDecodeAddon> = captureDecodeAddon(),
    private readonly block = BLOCK,
  ) {
    this.name = path;
    this.fallback = new FileReader(path);
  }

  get badRecords(): number {
    return this.native ? this.native.badRecords : this.fallback.badRecords;
  }

  get bytes(): number {
    return this.native ? this.native.bytes : this.fallback.bytes;
  }

  stats(): CaptureStats {
    if (!this.native) return this.fallback.stats();
    return { received: this.received, droppedKernel: 0, droppedInterface: 0, truncated: this.native.truncated };
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
    if (why !== undefined || !('addon' in this.addon) || !takesPredecoded(sink)) {
      this.mode = { fallback: why ?? '' };
      try {
        reader.continue(sink);
      } finally {
        reader.close();
      }
      return;
    }
    reader.close();
    this.mode = 'native';
    this.readNative(this.addon.addon, sink, layout);
  }

  private readNative(a: CaptureDecodeAddon, sink: PredecodedSink, layout: CaptureLayout): void {
    const slots: Slot[] = [];
    for (let i = 0; i < SLOTS; i++) slots.push({ data: Buffer.allocUnsafe(this.block), desc: new Int32Array(PACKETS_PER_BLOCK * STRIDE) });
    const h = a.open(this.path, { offset: layout.recordsAt, pcapng: layout.pcapng, littleEndian: layout.littleEndian, linkType: layout.linkType, ...sink.aheadSettings() }, slots);
    // pcap: fractions in µs or ns as the file says; pcapng: converted to ns by the addon (or raw, see D_TSRAW).
    const mult = layout.nanoseconds ? 1 : 1000;
    try {
      while (!this.stopped) {
        const i = a.next(h);
        if (i < 0) break;
        const { data, desc } = slots[i]!;
        let n = a.count(h, i);
        for (let k = 0, at = 0; k < n; k++, at += STRIDE) {
          const wirelen = desc[at + D_WIRELEN]! >>> 0;
          let sec = desc[at + D_SEC]! >>> 0;
          let nsec = (desc[at + D_FRAC]! >>> 0) * mult;
          const raw = desc[at + D_TSRAW]!;
          if (raw !== 0) {
            // A pcapng resolution the addon leaves to FileReader's exact arithmetic (binary, or finer than 1 ns).
            const t = pcapngTime(sec, desc[at + D_FRAC]! >>> 0, resolution(raw & 0xff));
            sec = t.sec;
            nsec = t.nsec;
          }
          if (desc[at + D_KIND] === KIND_DECODED) sink.predecoded(data, desc, at, wirelen, sec, nsec);
          else sink.packet(data, desc[at + D_OFF]!, desc[at + D_CAPLEN]!, wirelen, sec, nsec, desc[at + D_LINK]!);
          if (this.stopped) {
            n = k + 1;
            break;
          }
        }
        this.received += n;
        a.release(h, i);
      }
      this.native = a.stats(h);
      this.decoded = this.native.decoded;
      if (this.native.readError !== undefined) throw new CaptureFileError(`${this.path}: reading failed: ${this.native.readError}`);
      if (this.native.formatError !== undefined) throw new CaptureFileError(`${this.path}: ${this.native.formatError}`);
    } finally {
      a.close(h);
    }
  }
}

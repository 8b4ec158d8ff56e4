/**
 * Live capture with `cap` (libpcap): device, BPF filter, snaplen and kernel
 * buffer size. cap hands each packet over in one reused buffer; its size is
 * the snaplen (cap itself captures up to 65535 bytes and reports what did not
 * fit as truncated). cap gives neither packet timestamps nor pcap_stats, so
 * the time is taken from the clock when the packet reaches JavaScript, and the
 * statistics are gathered here: packets received and truncated, the kernel's
 * own counters read from cap's packet socket (packet-socket.ts: what pcap_stats
 * would report as received and dropped), and the interface's loss counters
 * from /sys.
 *
 * Why packets are queued here before the pipeline sees them: cap opens every
 * device with a 65535-byte snaplen and in immediate mode, so libpcap uses a
 * TPACKET_V2 ring whose slots are sized from the snaplen; on an interface with
 * segmentation or receive offloads (veth, most NICs) libpcap cannot shrink
 * them to the MTU, and each slot takes 64 KiB whatever the packet's length.
 * The kernel ring of bufferMb MiB then holds bufferMb × 16 packets (1,023 at
 * the default 64 MiB, measured): a few milliseconds at 100,000 packets/s, less
 * than one pass of the garbage collector or a cold stretch of the pipeline.
 * So the packet callback only copies the frame, at its own length, into a
 * queue of the same size in this process (at the lab's mean frame size some
 * 90,000 packets for 64 MiB) and takes its timestamp; the pipeline reads the
 * queue in slices between turns of the event loop, in which cap empties the
 * kernel ring again. A full queue is handed to the pipeline at once, which is
 * what happened to every packet before: nothing is ever dropped here.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { retainClosedCap } from '../../common/cap-handles.js';
import { RuntimeError } from '../../common/errors.js';
import { LINK_ETHERNET, LINK_NULL, LINK_RAW, LINK_SLL } from '../decode/packet.js';
import { withKernelCounters, type KernelCaptureCounters } from './packet-socket.js';
import type { CaptureStats, PacketSink, PacketSource } from './source.js';

interface CapInstance {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  close(): void;
}

interface CapModule {
  Cap: { new (): CapInstance; deviceList(): { name: string }[] };
}

type OnPacket = (nbytes: number, truncated: boolean) => void;
const ignorePacket: OnPacket = () => undefined;

/** A Cap whose packets go straight to one function instead of through EventEmitter's emit. */
interface DirectCap extends CapInstance {
  onPacket: OnPacket;
}

let directCap: (new () => DirectCap) | undefined;

/**
 * cap's native side looks up the object's `emit` once, when it is constructed, and calls
 * it for every packet with ('packet', length, truncated). A subclass's own emit is found
 * there, so each packet costs one plain call: no rest-argument array, no listener lookup.
 */
function directCapClass(mod: CapModule): new () => DirectCap {
  directCap ??= class extends mod.Cap implements DirectCap {
    onPacket: OnPacket = ignorePacket;
    emit(_ev: string, nbytes: number, truncated: boolean): boolean {
      this.onPacket(nbytes, truncated);
      return true;
    }
  };
  return directCap;
}

const LINK_TYPES: Record<string, number> = {
  ETHERNET: LINK_ETHERNET,
  NULL: LINK_NULL,
  RAW: LINK_RAW,
  LINKTYPE_LINUX_SLL: LINK_SLL,
};

export interface LiveOptions {
  device: string;
  bpf?: string;
  snaplen?: number;
  bufferMb?: number;
}

function readCounter(device: string, name: string): number | undefined {
  try {
    return Number(readFileSync(`/sys/class/net/${device}/statistics/${name}`, 'utf8').trim());
  } catch {
    return undefined;
  }
}

/**
 * Frames the NIC itself lost (ring full, FIFO overrun). Not rx_dropped: Linux
 * counts there what the IP stack discarded (unknown protocols, MPLS...), which a
 * packet socket still sees.
 */
function interfaceDrops(device: string): number | undefined {
  const parts = ['rx_missed_errors', 'rx_fifo_errors', 'rx_over_errors'].map((n) => readCounter(device, n));
  if (parts.every((v) => v === undefined)) return undefined;
  return parts.reduce<number>((a, v) => a + (v ?? 0), 0);
}

/** Packets the pipeline takes from the queue before the event loop gets a turn (cap then drains the kernel ring). */
const SLICE = 256;
/** Most packets queued at once (their frames share the byte queue). */
const QUEUE_PACKETS = 1 << 17;

/**
 * Captured packets waiting for the pipeline, oldest first: each frame at its own length in
 * a ring of bytes (a frame never wraps around its end), and its lengths and time in a ring
 * of slots.
 */
export class PacketQueue {
  readonly bytes: Buffer;
  private readonly off: Int32Array;
  private readonly caplen: Int32Array;
  private readonly wirelen: Int32Array;
  private readonly sec: Float64Array;
  private readonly nsec: Float64Array;
  private head = 0;
  private count = 0;
  private write = 0;

  constructor(bytes: number, readonly slots: number) {
    // Not zero-filled: the pages only become resident once a backlog reaches them.
    this.bytes = Buffer.allocUnsafeSlow(bytes);
    this.off = new Int32Array(slots);
    this.caplen = new Int32Array(slots);
    this.wirelen = new Int32Array(slots);
    this.sec = new Float64Array(slots);
    this.nsec = new Float64Array(slots);
  }

  get size(): number {
    return this.count;
  }

  /** Queues a copy of frame; false (nothing queued) when there is no room. */
  push(frame: Uint8Array, wirelen: number, sec: number, nsec: number): boolean {
    const caplen = frame.length;
    const at = this.place(caplen);
    if (at < 0) return false;
    this.bytes.set(frame, at);
    let slot = this.head + this.count;
    if (slot >= this.slots) slot -= this.slots;
    this.off[slot] = at;
    this.caplen[slot] = caplen;
    this.wirelen[slot] = wirelen;
    this.sec[slot] = sec;
    this.nsec[slot] = nsec;
    this.count++;
    this.write = at + caplen;
    return true;
  }

  /** Where n bytes go, or -1. The write position never catches up with the oldest frame: equal means empty. */
  private place(n: number): number {
    if (this.count === 0) return n <= this.bytes.length ? 0 : -1;
    if (this.count === this.slots) return -1;
    const read = this.off[this.head]!;
    const w = this.write;
    if (w >= read) {
      if (w + n <= this.bytes.length) return w;
      return n < read ? 0 : -1;
    }
    return w + n < read ? w : -1;
  }

  /** Hands up to max packets to the sink, oldest first. */
  deliver(sink: PacketSink, max: number, linkType: number): void {
    const q = this.bytes;
    let n = Math.min(max, this.count);
    while (n-- > 0) {
      const h = this.head;
      this.head = h + 1 === this.slots ? 0 : h + 1;
      this.count--;
      sink.packet(q, this.off[h]!, this.caplen[h]!, this.wirelen[h]!, this.sec[h]!, this.nsec[h]!, linkType);
    }
  }
}

export class LiveCapture implements PacketSource {
  readonly name: string;
  linkType = -1;
  private cap: DirectCap | undefined;
  private buf: Buffer = Buffer.alloc(0);
  private received = 0;
  private truncated = 0;
  private ifDropBase: number | undefined;
  private kernel: KernelCaptureCounters | undefined;
  /** The kernel's totals once the socket is closed (its descriptor may then be another's). */
  private kernelFinal: { packets: number; drops: number } | undefined;
  /** Why the kernel's counters cannot be read, when they cannot. */
  kernelCountersUnavailable: string | undefined;
  private done: (() => void) | undefined;
  private sink: PacketSink | undefined;
  private queue: PacketQueue | undefined;
  /**
   * cap's buffer seen at each frame length met so far: copying a whole view into the queue
   * is a plain memory move, where a copy of part of a buffer makes a new view every time.
   */
  private views: (Uint8Array | undefined)[] = [];
  private drainScheduled: NodeJS.Immediate | undefined;
  private readonly drainSlice = () => {
    this.drainScheduled = undefined;
    this.deliver(SLICE);
    if (this.queue!.size > 0) this.drainScheduled = setImmediate(this.drainSlice);
  };

  constructor(private readonly opts: LiveOptions) {
    this.name = opts.device;
  }

  /** Opens the device now (so errors surface before anything else starts). */
  open(): void {
    const require = createRequire(import.meta.url);
    let mod: CapModule;
    try {
      mod = require('cap') as CapModule;
    } catch (err) {
      throw new RuntimeError(`live capture needs the cap module (libpcap): ${(err as Error).message}`);
    }
    const cap = new (directCapClass(mod))();
    const buf = Buffer.alloc(this.opts.snaplen ?? 65535);
    const bufferMb = this.opts.bufferMb ?? 64;
    let link: string;
    try {
      const opened = withKernelCounters(this.opts.device, () => cap.open(this.opts.device, this.opts.bpf ?? '', bufferMb * 1024 * 1024, buf));
      link = opened.value;
      this.kernel = opened.counters;
      this.kernelCountersUnavailable = opened.unavailable;
    } catch (err) {
      throw new RuntimeError(`cannot capture on ${this.opts.device}: ${(err as Error).message}`);
    }
    const lt = LINK_TYPES[link];
    if (lt === undefined) {
      this.kernel = undefined;
      cap.close();
      retainClosedCap(cap, buf);
      throw new RuntimeError(`cannot capture on ${this.opts.device}: unsupported link type ${link}`);
    }
    this.linkType = lt;
    this.cap = cap;
    this.buf = buf;
    this.queue = new PacketQueue(Math.max(bufferMb * 1024 * 1024, 2 * buf.length), QUEUE_PACKETS);
    this.ifDropBase = interfaceDrops(this.opts.device);
  }

  run(sink: PacketSink): Promise<void> {
    if (this.cap === undefined) this.open();
    this.sink = sink;
    this.cap!.onPacket = (nbytes, truncated) => this.enqueue(nbytes, truncated);
    return new Promise((resolve) => {
      this.done = resolve;
    });
  }

  /** One packet from cap (in this.buf): queued at its own length with the time it arrived. */
  private enqueue(nbytes: number, truncated: boolean): void {
    this.received++;
    if (truncated) this.truncated++;
    // Wall-clock time that never runs backwards: the time origin plus the monotonic clock (µs resolution).
    const ms = performance.timeOrigin + performance.now();
    const sec = Math.floor(ms / 1000);
    const nsec = Math.floor((ms - sec * 1000) * 1000) * 1000;
    const wirelen = truncated ? Math.max(nbytes, this.buf.length + 1) : nbytes;
    const frame = this.views[nbytes] ?? (this.views[nbytes] = this.buf.subarray(0, nbytes));
    const q = this.queue!;
    if (!q.push(frame, wirelen, sec, nsec)) {
      // Queue full: the pipeline takes the whole backlog now (the kernel ring holds what arrives meanwhile).
      this.deliver(q.size);
      q.push(frame, wirelen, sec, nsec);
    }
    if (this.drainScheduled === undefined) this.drainScheduled = setImmediate(this.drainSlice);
  }

  private deliver(max: number): void {
    if (this.sink !== undefined && this.queue !== undefined) this.queue.deliver(this.sink, max, this.linkType);
  }

  /**
   * The link's time for timers when it is quiet: undefined while packets are queued (they
   * move the pipeline's time themselves, and the clock is already past them), else the clock.
   */
  now(): { sec: number; nsec: number } | undefined {
    if ((this.queue?.size ?? 0) > 0) return undefined;
    const ms = Date.now();
    return { sec: Math.floor(ms / 1000), nsec: (ms % 1000) * 1e6 };
  }

  stop(): void {
    if (this.cap !== undefined) {
      this.cap.onPacket = ignorePacket;
      this.kernelFinal = this.kernel?.totals();
      this.kernel = undefined;
      this.cap.close();
      retainClosedCap(this.cap, this.buf);
      this.cap = undefined;
    }
    if (this.drainScheduled !== undefined) clearImmediate(this.drainScheduled);
    this.drainScheduled = undefined;
    // Everything captured reaches the pipeline before run() ends.
    this.deliver(Infinity);
    this.sink = undefined;
    this.done?.();
    this.done = undefined;
  }

  stats(): CaptureStats {
    const d = interfaceDrops(this.opts.device);
    return {
      received: this.received,
      droppedKernel: this.kernel !== undefined ? this.kernel.current()?.drops : this.kernelFinal?.drops,
      droppedInterface: d === undefined || this.ifDropBase === undefined ? undefined : d - this.ifDropBase,
      truncated: this.truncated,
    };
  }
}

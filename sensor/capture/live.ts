/**
 * Live capture with `cap` (libpcap): device, BPF filter, snaplen and kernel
 * buffer size. cap hands each packet over in one reused buffer; its size is
 * the snaplen (cap itself captures up to 65535 bytes and reports what did not
 * fit as truncated). cap gives neither packet timestamps nor pcap_stats, so
 * the time is taken from the clock when the packet reaches JavaScript and the
 * statistics are what the sensor can know: packets received and truncated,
 * and the interface's own loss counters from /sys (the kernel's per-socket
 * drop count is not reachable through cap).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { retainClosedCap } from '../../common/cap-handles.js';
import { RuntimeError } from '../../common/errors.js';
import { LINK_ETHERNET, LINK_NULL, LINK_RAW, LINK_SLL } from '../decode/packet.js';
import type { CaptureStats, PacketSink, PacketSource } from './source.js';

interface CapInstance {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  close(): void;
  on(ev: 'packet', cb: (nbytes: number, truncated: boolean) => void): void;
  removeAllListeners(): void;
}

interface CapModule {
  Cap: { new (): CapInstance; deviceList(): { name: string }[] };
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

export class LiveCapture implements PacketSource {
  readonly name: string;
  linkType = -1;
  private cap: CapInstance | undefined;
  private received = 0;
  private truncated = 0;
  private ifDropBase: number | undefined;
  private done: (() => void) | undefined;

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
    const cap = new mod.Cap();
    const buf = Buffer.alloc(this.opts.snaplen ?? 65535);
    let link: string;
    try {
      link = cap.open(this.opts.device, this.opts.bpf ?? '', (this.opts.bufferMb ?? 64) * 1024 * 1024, buf);
    } catch (err) {
      throw new RuntimeError(`cannot capture on ${this.opts.device}: ${(err as Error).message}`);
    }
    const lt = LINK_TYPES[link];
    if (lt === undefined) {
      cap.close();
      retainClosedCap(cap, buf);
      throw new RuntimeError(`cannot capture on ${this.opts.device}: unsupported link type ${link}`);
    }
    this.linkType = lt;
    this.cap = cap;
    this.buf = buf;
    this.ifDropBase = interfaceDrops(this.opts.device);
  }

  private buf: Buffer = Buffer.alloc(0);

  run(sink: PacketSink): Promise<void> {
    if (this.cap === undefined) this.open();
    const cap = this.cap!;
    const buf = this.buf;
    const linkType = this.linkType;
    cap.on('packet', (nbytes: number, truncated: boolean) => {
      this.received++;
      if (truncated) this.truncated++;
      // Wall-clock time that never runs backwards: the time origin plus the monotonic clock (µs resolution).
      const ms = performance.timeOrigin + performance.now();
      const sec = Math.floor(ms / 1000);
      const nsec = Math.floor((ms - sec * 1000) * 1000) * 1000;
      sink.packet(buf, 0, nbytes, truncated ? Math.max(nbytes, buf.length + 1) : nbytes, sec, nsec, linkType);
    });
    return new Promise((resolve) => {
      this.done = resolve;
    });
  }

  stop(): void {
    if (this.cap !== undefined) {
      this.cap.removeAllListeners();
      this.cap.close();
      retainClosedCap(this.cap, this.buf);
      this.cap = undefined;
    }
    this.done?.();
    this.done = undefined;
  }

  stats(): CaptureStats {
    const d = interfaceDrops(this.opts.device);
    return {
      received: this.received,
      droppedKernel: undefined,
      droppedInterface: d === undefined || this.ifDropBase === undefined ? undefined : d - this.ifDropBase,
      truncated: this.truncated,
    };
  }
}

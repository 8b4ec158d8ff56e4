import { closeHandle, openHandle, type CapHandle } from './pcap-handle.js';

export interface FrameTapOptions {
  /** Frames kept for `frames`; later ones are counted in `overflow` and still seen by `waitFor`. */
  maxFrames?: number;
  /** libpcap's kernel buffer. */
  bufferBytes?: number;
}

interface Waiter {
  match: (frame: Buffer) => boolean;
  resolve: (frame: Buffer | undefined) => void;
  timer: NodeJS.Timeout;
}

// Taps open in this process. `cap` aborts the whole process (a failed assertion in its poll
// callback) when the interface under an open handle is deleted, so the lab's teardown closes
// the taps on the interfaces it is about to remove.
const openTaps = new Set<FrameTap>();

/** Closes this process's taps on the given interfaces; returns how many it closed. */
export function closeTapsOn(ifaces: Iterable<string>): number {
  const names = new Set(ifaces);
  let closed = 0;
  for (const t of openTaps) {
    if (!names.has(t.iface)) continue;
    t.close();
    closed++;
  }
  return closed;
}

/**
 * A live capture on one interface, for lab checks: "did this frame cross that link?". Keeps a
 * bounded copy of what it saw. Not a sensor: it copies every frame and decodes nothing.
 */
export class FrameTap {
  readonly frames: Buffer[] = [];
  overflow = 0;
  private readonly cap: CapHandle;
  private readonly waiters = new Set<Waiter>();
  private closed = false;

  private constructor(
    readonly iface: string,
    readonly filter: string,
    private readonly maxFrames: number,
    bufferBytes: number,
  ) {
    const { cap, buffer } = openHandle(iface, filter, bufferBytes);
    this.cap = cap;
    cap.on('packet', (nbytes) => this.onFrame(Buffer.from(buffer.subarray(0, nbytes))));
    openTaps.add(this);
  }

  /** Opens a capture with a BPF filter (pcap-filter(7) syntax; '' for every frame). */
  static open(iface: string, filter = '', opts: FrameTapOptions = {}): FrameTap {
    return new FrameTap(iface, filter, opts.maxFrames ?? 10_000, opts.bufferBytes ?? 4 << 20);
  }

  /** The first frame, already seen or still to come, that matches; undefined after the timeout. */
  waitFor(match: (frame: Buffer) => boolean, timeoutMs: number): Promise<Buffer | undefined> {
    const seen = this.frames.find(match);
    if (seen || this.closed) return Promise.resolve(seen);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        match,
        resolve,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          resolve(undefined);
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    openTaps.delete(this);
    closeHandle(this.cap);
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.resolve(undefined);
    }
    this.waiters.clear();
  }

  private onFrame(frame: Buffer): void {
    if (this.frames.length < this.maxFrames) this.frames.push(frame);
    else this.overflow++;
    for (const w of this.waiters) {
      if (!w.match(frame)) continue;
      clearTimeout(w.timer);
      this.waiters.delete(w);
      w.resolve(frame);
    }
  }
}

/**
 * A capture file replayed as if it were a link, for `chot sensor run`: packets
 * keep the file's timestamps (the sensor's clock follows the packets), either
 * as fast as the pipeline takes them ('topspeed') or spaced as in the file,
 * in real time or sped up by a factor. Reading is done in slices between
 * which the event loop runs, so the uplink keeps sending while a replay
 * paces or races through a large file.
 */
import { FileReader } from './file-reader.js';
import type { CaptureStats, PacketSink, PacketSource } from './source.js';

/** 'realtime': as captured; 'topspeed': no waiting; a number: that many times faster than captured. */
export type ReplayPace = 'realtime' | 'topspeed' | number;

/** The longest the replay reads before letting the event loop run, ms. */
const SLICE_MS = 20;
/** Packets between looks at the clock while reading a slice. */
const CHECK_EVERY = 1024;
/** A packet due this close (ms) is handed over now rather than after a timer. */
const EARLY_MS = 1;

export class FileReplay implements PacketSource {
  readonly name: string;
  private readonly reader: FileReader;
  /** Wall-clock ms per capture ms: 0 at topspeed. */
  private readonly msPerMs: number;
  private opened = false;
  private stopped = false;
  /** Capture time (ms) of the first packet, and the wall time (performance.now()) it was handed over. */
  private fileStart = -1;
  private wallStart = 0;
  /** The last packet handed over (seconds, nanoseconds). */
  private lastSec = -1;
  private lastNsec = 0;
  /** A packet that was not yet due: a copy, handed over when its time comes. */
  private held: { frame: Buffer; wirelen: number; sec: number; nsec: number; linkType: number; dueAt: number } | undefined;
  private sliceEnd = 0;
  private sinceCheck = 0;
  private wake: (() => void) | undefined;
  private timeout: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private reading = false;

  constructor(
    readonly path: string,
    readonly pace: ReplayPace,
    name?: string,
  ) {
    this.name = name ?? path;
    this.reader = new FileReader(path);
    this.msPerMs = pace === 'topspeed' ? 0 : pace === 'realtime' ? 1 : 1 / pace;
  }

  /** Opens the file and checks its header now, so a bad file is reported before anything starts. */
  open(): void {
    if (this.opened) return;
    this.reader.open();
    this.opened = true;
  }

  run(sink: PacketSink): Promise<void> {
    this.open();
    const pacer: PacketSink = { packet: (buf, off, caplen, wirelen, sec, nsec, linkType) => this.pass(sink, buf, off, caplen, wirelen, sec, nsec, linkType) };
    return new Promise<void>((resolve, reject) => {
      const end = (err?: unknown): void => {
        this.wake = undefined;
        this.held = undefined;
        this.reader.close();
        if (err === undefined) resolve();
        else reject(err instanceof Error ? err : new Error(String(err)));
      };
      const step = (): void => {
        this.timeout = undefined;
        this.immediate = undefined;
        if (this.stopped) return end();
        this.reading = true;
        try {
          this.sliceEnd = performance.now() + SLICE_MS;
          this.sinceCheck = 0;
          const h = this.held;
          if (h !== undefined) {
            this.held = undefined;
            this.deliver(sink, h.frame, 0, h.frame.length, h.wirelen, h.sec, h.nsec, h.linkType);
          }
          if (this.reader.continue(pacer)) return end();
        } catch (err) {
          return end(err);
        } finally {
          this.reading = false;
        }
        const wait = this.held === undefined ? 0 : this.held.dueAt - performance.now();
        if (wait > 0) this.timeout = setTimeout(step, wait);
        else this.immediate = setImmediate(step);
      };
      this.wake = () => {
        // While reading, the reader's stop ends the slice and the step ends the run.
        if (this.reading) return;
        if (this.timeout !== undefined) clearTimeout(this.timeout);
        if (this.immediate !== undefined) clearImmediate(this.immediate);
        step();
      };
      this.immediate = setImmediate(step);
    });
  }

  private pass(sink: PacketSink, buf: Uint8Array, off: number, caplen: number, wirelen: number, sec: number, nsec: number, linkType: number): void {
    if (this.msPerMs > 0) {
      const t = sec * 1000 + nsec / 1e6;
      if (this.fileStart < 0) {
        this.fileStart = t;
        this.wallStart = performance.now();
      }
      const dueAt = this.wallStart + (t - this.fileStart) * this.msPerMs;
      if (dueAt > performance.now() + EARLY_MS) {
        // Not yet: keep a copy (the reader reuses its buffer) and stop reading until then.
        this.held = { frame: Buffer.from(buf.subarray(off, off + caplen)), wirelen, sec, nsec, linkType, dueAt };
        this.reader.pause();
        return;
      }
    }
    this.deliver(sink, buf, off, caplen, wirelen, sec, nsec, linkType);
    if (++this.sinceCheck >= CHECK_EVERY) {
      this.sinceCheck = 0;
      if (performance.now() >= this.sliceEnd) this.reader.pause();
    }
  }

  private deliver(sink: PacketSink, buf: Uint8Array, off: number, caplen: number, wirelen: number, sec: number, nsec: number, linkType: number): void {
    this.lastSec = sec;
    this.lastNsec = nsec;
    sink.packet(buf, off, caplen, wirelen, sec, nsec, linkType);
  }

  /**
   * The replay's clock, for timers while no packet comes: capture time as the
   * pacing has reached it, never past the next packet (just before it, so that
   * packet still finds its timers as reading straight through would), and the
   * last packet's time at topspeed. Undefined before the first packet.
   */
  now(): { sec: number; nsec: number } | undefined {
    if (this.lastSec < 0) return undefined;
    const h = this.held;
    if (h === undefined || this.msPerMs === 0) return { sec: this.lastSec, nsec: this.lastNsec };
    const ms = Math.min(this.fileStart + (performance.now() - this.wallStart) / this.msPerMs, h.sec * 1000 + h.nsec / 1e6);
    let sec = Math.floor(ms / 1000);
    let nsec = Math.floor((ms - sec * 1000) * 1e6);
    // One nanosecond before the held packet at most.
    if (sec > h.sec || (sec === h.sec && nsec >= h.nsec)) {
      sec = h.nsec > 0 ? h.sec : h.sec - 1;
      nsec = h.nsec > 0 ? h.nsec - 1 : 999_999_999;
    }
    return { sec, nsec };
  }

  stop(): void {
    this.stopped = true;
    this.reader.stop();
    this.wake?.();
  }

  stats(): CaptureStats {
    return this.reader.stats();
  }
}

// A native analyzer that reads a protocol's common path and leaves the rest to its
// JavaScript analyzer (native/tls.h, native/http.h): at the first input it does not
// follow, it hands the connection over, and everything it was given is replayed, with its
// times, into a new JavaScript analyzer that goes on from there. The native one reported
// nothing before (no weirds; rows only for what the replay then drops), so nothing is
// reported twice.

import type { AppAnalyzer, AppMetadata, Direction } from './analyzer.js';
import { CONFIRMED, DONE, HANDOVER, type NativeHandle } from './native.js';

/** Connections a native analyzer read to the end, and those it handed over (for tests and profiles). */
export interface HandoverStats {
  native: number;
  handedOver: number;
}

export abstract class NativeWithHandover<J extends AppAnalyzer> implements AppAnalyzer {
  service: string | undefined = undefined;
  done = false;
  /** The JavaScript analyzer, once the connection is handed over. */
  protected js: J | undefined;

  protected constructor(
    /** 0 once closed (a closed handle may be another connection's by now). */
    protected h: NativeHandle,
    private readonly serviceName: string,
    private readonly stats: HandoverStats,
  ) {}

  /** The native analyzer's data call: its flags. */
  protected abstract nativeData(dir: Direction, buf: Uint8Array, start: number, end: number, tsNs: bigint): number;
  protected abstract nativeGap(dir: Direction, bytes: number): number;
  /** What the native analyzer recorded for a handover; closes the handle. */
  protected abstract recorded(): Uint8Array;
  protected abstract newJs(): J;

  deliver(dir: Direction, buf: Uint8Array, start: number, end: number, tsNs: bigint): void {
    if (this.js) {
      this.js.deliver(dir, buf, start, end, tsNs);
      this.follow();
      return;
    }
    // (closed: the final metadata call was made, and nothing comes after it)
    if (this.done || this.h === 0) return;
    // (a time the native analyzer cannot hold, outside 1677 to 2262, goes with its connection to JavaScript)
    const r = tsNs >= MIN_I64 && tsNs <= MAX_I64 ? this.nativeData(dir, buf, start, end, tsNs) : HANDOVER;
    if (r & HANDOVER) {
      this.handOver().deliver(dir, buf, start, end, tsNs);
      this.follow();
      return;
    }
    this.flags(r);
  }

  gap(dir: Direction, bytes: number): void {
    if (this.js) {
      this.js.gap(dir, bytes);
      this.follow();
      return;
    }
    if (this.done || this.h === 0 || !(bytes > 0)) return;
    // (a gap of part of a byte, which no TCP stream has, is the JavaScript analyzer's to count)
    const r = Number.isInteger(bytes) ? this.nativeGap(dir, bytes) : HANDOVER;
    if (r & HANDOVER) {
      this.handOver().gap(dir, bytes);
      this.follow();
      return;
    }
    this.flags(r);
  }

  abstract metadata(final: boolean): AppMetadata | undefined;

  /** Whether the connection went to the JavaScript analyzer. */
  get handedOver(): boolean {
    return this.js !== undefined;
  }

  /** After a final metadata call the native analyzer answered: the handle is closed. */
  protected closedNatively(): void {
    this.h = 0;
    this.stats.native++;
  }

  protected follow(): void {
    this.service = this.js!.service;
    this.done = this.js!.done;
  }

  /** A JavaScript analyzer given everything the native one was given before the current input. */
  protected handOver(): J {
    const rec = this.recorded();
    this.h = 0;
    this.stats.handedOver++;
    const js = this.newJs();
    replay(rec, js);
    this.js = js;
    return js;
  }

  private flags(r: number): void {
    if (r & CONFIRMED) this.service = this.serviceName;
    if (r & DONE) this.done = true;
  }
}

const MAX_I64 = 2n ** 63n - 1n;
const MIN_I64 = -(2n ** 63n);

/** Entry kinds of a replay log (native/replay-log.h). */
const DATA = 0;
const GAP = 1;
const METADATA = 2;
const HEADER = 18;
/** What a long skipped entry is replayed in: zeros, never written to. */
const ZEROS = new Uint8Array(64 * 1024);

/** Gives `js` n bytes of zeros in one direction (bytes it only counts), in pieces of ZEROS. */
export function deliverZeros(js: AppAnalyzer, dir: Direction, n: number, ts: bigint): void {
  for (let at = 0; at < n; at += ZEROS.length) js.deliver(dir, ZEROS, 0, Math.min(ZEROS.length, n - at), ts);
}

/**
 * Gives `js` what a replay log holds, in order: each delivery again (its skipped runs as
 * zeros: the native analyzer only counted them), each gap, and each metadata call that was
 * made, whose result is dropped (the native analyzer wrote those rows already).
 */
export function replay(rec: Uint8Array, js: AppAnalyzer): void {
  const v = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
  for (let off = 0; off < rec.length; ) {
    if (off + HEADER > rec.length) throw new Error(`replay log: an entry header cut short at ${off} of ${rec.length}`);
    const kind = rec[off]!;
    const dir = (rec[off + 1]! & 1) as Direction;
    const ts = v.getBigInt64(off + 2, true);
    const len = v.getUint32(off + 10, true);
    const runs = v.getUint32(off + 14, true);
    off += HEADER;
    if (kind === GAP) {
      js.gap(dir, len);
      continue;
    }
    if (kind === METADATA) {
      js.metadata(false);
      continue;
    }
    if (kind !== DATA) throw new Error(`replay log: an entry of unknown kind ${kind} at ${off - HEADER}`);
    if (runs === 1 && len > ZEROS.length && v.getUint32(off, true) === 0 && v.getUint32(off + 4, true) === len) {
      // Skipped whole and long (an HTTP body, up to 4 GB in one entry): given in pieces, not as one buffer of zeros.
      deliverZeros(js, dir, len, ts);
      off += 8;
      continue;
    }
    const data = new Uint8Array(len);
    let at = 0;
    let from = off + 8 * runs;
    for (let i = 0; i <= runs; i++) {
      const to = i < runs ? v.getUint32(off + 8 * i, true) : len;
      data.set(rec.subarray(from, from + (to - at)), at);
      from += to - at;
      if (i < runs) at = to + v.getUint32(off + 8 * i + 4, true);
    }
    off = from;
    js.deliver(dir, data, 0, len, ts);
  }
}

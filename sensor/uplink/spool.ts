import { closeSync, fsync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, unlinkSync, writeFile, writeSync, ftruncateSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from '../../common/crc32.js';

/**
 * The sensor's on-disk queue of batches not yet acknowledged by a collector.
 *
 * Append-only segment files; each entry is
 *   u32 length of payload | u32 CRC-32 of (seq, payload) | f64 seq | payload
 * A crash mid-write leaves at most a torn last entry, which recovery cuts off (and counts).
 * Sequence numbers start from the wall clock in microseconds when a spool is created, so
 * a sensor whose disk was replaced never reuses a number the collector has seen.
 */
export type FsyncPolicy = 'always' | 'interval' | 'never';

export interface SpoolOptions {
  dir: string;
  maxBytes: number;
  segmentBytes?: number;
  fsync?: FsyncPolicy;
  fsyncIntervalMs?: number;
  /** Memory for the newest entries (default 32 MiB). */
  cacheBytes?: number;
  /**
   * Told of every failed background fsync or save of the acknowledged position (the
   * interval policy). Writes whose fsync failed may be lost in a crash: a person must hear of it.
   */
  onSyncError?: (err: NodeJS.ErrnoException, what: 'segment' | 'state') => void;
}

export interface SpoolEntry {
  seq: number;
  payload: Buffer;
}

export interface SpoolStats {
  depthBatches: number;
  depthBytes: number;
  nextSeq: number;
  ackedSeq: number;
  droppedBatches: number;
  corruptTails: number;
  /** Background fsyncs and position saves that failed (see SpoolOptions.onSyncError). */
  syncErrors: number;
}

const HEADER = 16;
const SEGMENT_RE = /^seg-(\d{16,20})\.log$/;

interface Segment {
  file: string;
  firstSeq: number;
  lastSeq: number;
  bytes: number;
  entries: number;
}

export class Spool {
  private readonly segments: Segment[] = [];
  private fd: number | undefined;
  private nextSeqValue: number;
  private acked: number;
  private dropped = 0;
  private corruptTails = 0;
  private dirty = false;
  private stateDirty = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly segmentBytes: number;
  private readonly policy: FsyncPolicy;
  /**
   * The newest unacknowledged entries, also kept in memory (bounded), so sending what was
   * just appended never reads the disk; older entries (after a restart or a long outage)
   * are read back from their segments.
   */
  private recent: SpoolEntry[] = [];
  /** Descriptors with a background fsync running, and how many. */
  private readonly syncing = new Map<number, number>();
  /** Descriptors to close once their background fsync is done. */
  private readonly closeWhenSynced = new Set<number>();
  private stateWriting = false;
  private syncErrors = 0;
  private stateGeneration = 0;
  /** The segment read back last (see segmentData). */
  private readBack: { file: string; data: Buffer } | undefined;
  private recentBytes = 0;
  private readonly recentMaxBytes: number;

  constructor(private readonly opts: SpoolOptions) {
    if (!Number.isSafeInteger(opts.maxBytes) || opts.maxBytes < 1) throw new RangeError(`spool maxBytes must be a positive whole number of bytes (got ${opts.maxBytes})`);
    this.segmentBytes = opts.segmentBytes ?? 8 * 1024 * 1024;
    this.policy = opts.fsync ?? 'interval';
    this.recentMaxBytes = opts.cacheBytes ?? 32 * 1024 * 1024;
    mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
    const state = this.readState();
    this.acked = state.ackedSeq;
    this.dropped = state.droppedBatches;
    this.nextSeqValue = Math.max(state.nextSeq, Date.now() * 1000);
    this.recover();
    const last = this.segments.at(-1);
    if (last && last.lastSeq >= this.nextSeqValue) this.nextSeqValue = last.lastSeq + 1;
    // The acknowledged position is saved lazily: if a crash loses the latest, the few
    // batches replayed are recognised by the collector and not stored twice.
    this.timer = setInterval(() => this.syncInBackground(), opts.fsyncIntervalMs ?? 1000);
    this.timer.unref();
  }

  /** Appends a batch and returns its sequence number. Durable per the fsync policy. */
  append(payload: Buffer): number {
    const seq = this.nextSeqValue++;
    let seg = this.segments.at(-1);
    if (!seg || this.fd === undefined || seg.bytes + HEADER + payload.length > this.segmentBytes) seg = this.rotate(seq);
    const header = Buffer.allocUnsafe(HEADER);
    header.writeUInt32LE(payload.length, 0);
    header.writeDoubleLE(seq, 8);
    const crc = crc32(payload, 0, payload.length, crc32(header, 8, 16));
    header.writeUInt32LE(crc, 4);
    writeSync(this.fd!, header);
    writeSync(this.fd!, payload);
    if (seg.entries === 0) seg.firstSeq = seq;
    seg.lastSeq = seq;
    seg.entries++;
    seg.bytes += HEADER + payload.length;
    if (this.policy === 'always') fsyncSync(this.fd!);
    else this.dirty = true;
    this.recent.push({ seq, payload });
    this.recentBytes += payload.length;
    while (this.recentBytes > this.recentMaxBytes && this.recent.length > 1) this.recentBytes -= this.recent.shift()!.payload.length;
    this.enforceBound();
    return seq;
  }

  /** Everything at or below seq is durable at a collector: whole segments of it are deleted. */
  ack(seq: number): void {
    if (seq <= this.acked) return;
    this.acked = seq;
    while (this.recent.length > 0 && this.recent[0]!.seq <= seq) this.recentBytes -= this.recent.shift()!.payload.length;
    while (this.segments.length > 1 && this.segments[0]!.lastSeq <= seq) this.removeOldest(false);
    const only = this.segments[0];
    if (only && this.segments.length === 1 && only.entries > 0 && only.lastSeq <= seq) {
      // The open segment is all acknowledged: start afresh instead of keeping dead bytes.
      this.removeOldest(false);
    }
    this.stateDirty = true;
  }

  /** Unacknowledged entries in order (for replay after a reconnect or restart). */
  *pending(fromSeq = this.acked + 1): Generator<SpoolEntry> {
    const from = Math.max(fromSeq, this.acked + 1);
    const cachedFrom = this.recent.length > 0 ? this.recent[0]!.seq : Infinity;
    if (from < cachedFrom) yield* this.fromDisk(from, cachedFrom);
    for (const e of this.recent.slice()) if (e.seq >= from && e.seq > this.acked) yield e;
  }

  /**
   * Entries in [fromSeq, beforeSeq) read back from the segment files. What was appended is
   * read back whether or not it was fsynced yet (the page cache holds it), so reading asks
   * for no fsync: the sender reads after every acknowledgement.
   */
  private *fromDisk(fromSeq: number, beforeSeq: number): Generator<SpoolEntry> {
    for (const seg of this.segments.slice()) {
      if (seg.lastSeq < fromSeq || seg.entries === 0 || seg.firstSeq >= beforeSeq) continue;
      const data = this.segmentData(seg);
      for (let off = 0; off + HEADER <= data.length; ) {
        const len = data.readUInt32LE(off);
        const seq = data.readDoubleLE(off + 8);
        if (off + HEADER + len > data.length) break;
        if (seq >= beforeSeq) return;
        if (seq >= fromSeq && seq > this.acked) yield { seq, payload: data.subarray(off + HEADER, off + HEADER + len) };
        off += HEADER + len;
      }
    }
  }

  /**
   * A segment's bytes, from the one read last while it still holds all of them: a replay
   * asks again after every acknowledgement, and reading a whole segment each time made a
   * long replay slow (an 8 MiB read per batch sent).
   */
  private segmentData(seg: Segment): Buffer {
    const kept = this.readBack;
    if (kept && kept.file === seg.file && kept.data.length >= seg.bytes) return kept.data;
    const data = readFileSync(seg.file);
    this.readBack = { file: seg.file, data };
    return data;
  }

  stats(): SpoolStats {
    let depthBatches = 0;
    let depthBytes = 0;
    for (const s of this.segments) {
      depthBytes += s.bytes;
      depthBatches += s.entries;
    }
    return { depthBatches, depthBytes, nextSeq: this.nextSeqValue, ackedSeq: this.acked, droppedBatches: this.dropped, corruptTails: this.corruptTails, syncErrors: this.syncErrors };
  }

  /**
   * The interval policy's fsync, off the event loop: the sensor captures on this thread,
   * and an fsync waiting on the disk would stop it reading packets (the kernel's ring
   * holds milliseconds of them). The acknowledged position is saved the same way.
   */
  private syncInBackground(): void {
    const fd = this.fd;
    if (this.dirty && fd !== undefined && this.policy !== 'never') {
      this.dirty = false;
      this.syncing.set(fd, (this.syncing.get(fd) ?? 0) + 1);
      fsync(fd, (err) => {
        const left = this.syncing.get(fd)! - 1;
        if (left > 0) this.syncing.set(fd, left);
        else this.syncing.delete(fd);
        if (err) {
          // Linux reports a writeback error once: a retry would succeed without the lost pages,
          // so the failure is told, not retried away.
          this.syncFailed(err, 'segment');
          if (this.fd === fd) this.dirty = true;
        }
        if (left === 0 && this.closeWhenSynced.delete(fd)) {
          try {
            closeSync(fd);
          } catch (closeErr) {
            this.syncFailed(closeErr as NodeJS.ErrnoException, 'segment');
          }
        }
      });
    }
    if (this.stateDirty && !this.stateWriting) {
      this.stateDirty = false;
      this.stateWriting = true;
      const generation = ++this.stateGeneration;
      const file = join(this.opts.dir, 'state.json');
      const tmp = `${file}.background`;
      writeFile(tmp, this.stateText(), { flush: true }, (err) => {
        this.stateWriting = false;
        if (err) {
          this.syncFailed(err, 'state');
          this.stateDirty = true;
          return;
        }
        // Put in place only if nothing newer was saved meanwhile (close() saves on this thread).
        try {
          if (generation === this.stateGeneration) renameSync(tmp, file);
          else unlinkSync(tmp);
        } catch (renameErr) {
          this.syncFailed(renameErr as NodeJS.ErrnoException, 'state');
          this.stateDirty = true;
        }
      });
    }
  }

  private syncFailed(err: NodeJS.ErrnoException, what: 'segment' | 'state'): void {
    this.syncErrors++;
    this.opts.onSyncError?.(err, what);
  }

  /** Everything written made durable now (segment and state), on this thread. */
  flush(): void {
    if (this.dirty && this.fd !== undefined && this.policy !== 'never') {
      fsyncSync(this.fd);
      this.dirty = false;
    }
    if (this.stateDirty) this.writeState();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.stateDirty = true;
    if (this.fd !== undefined) fsyncSync(this.fd);
    this.flush();
    if (this.fd !== undefined) this.closeSegmentFile(this.fd);
    this.fd = undefined;
  }

  /** Closes a segment's descriptor, once no fsync of it is still running (the number could be reused meanwhile). */
  private closeSegmentFile(fd: number): void {
    if (this.syncing.has(fd)) this.closeWhenSynced.add(fd);
    else closeSync(fd);
  }

  private rotate(firstSeq: number): Segment {
    // The segment left behind is made durable in the background, like any other interval's writes.
    this.syncInBackground();
    if (this.fd !== undefined) this.closeSegmentFile(this.fd);
    // Closed (or closing): never written to again, even if opening the next segment fails.
    this.fd = undefined;
    const file = join(this.opts.dir, `seg-${String(firstSeq).padStart(16, '0')}.log`);
    this.fd = openSync(file, 'a', 0o600);
    const seg: Segment = { file, firstSeq, lastSeq: firstSeq - 1, bytes: 0, entries: 0 };
    this.segments.push(seg);
    return seg;
  }

  /** Past the size bound the oldest segment goes, and every batch in it is counted as dropped. */
  private enforceBound(): void {
    let total = 0;
    for (const s of this.segments) total += s.bytes;
    while (total > this.opts.maxBytes && this.segments.length > 1) {
      const oldest = this.segments[0]!;
      total -= oldest.bytes;
      this.removeOldest(true);
    }
  }

  private removeOldest(countAsDropped: boolean): void {
    const seg = this.segments.shift()!;
    if (this.readBack?.file === seg.file) this.readBack = undefined;
    while (this.recent.length > 0 && this.recent[0]!.seq <= seg.lastSeq) this.recentBytes -= this.recent.shift()!.payload.length;
    if (countAsDropped) {
      // Only entries nobody acknowledged are lost.
      for (const e of this.entriesOf(seg)) if (e > this.acked) this.dropped++;
    }
    if (this.segments.length === 0 && this.fd !== undefined) {
      this.closeSegmentFile(this.fd);
      this.fd = undefined;
    }
    try {
      unlinkSync(seg.file);
    } catch {
      // already gone
    }
    if (countAsDropped) this.stateDirty = true;
  }

  private entriesOf(seg: Segment): number[] {
    const out: number[] = [];
    const data = readFileSync(seg.file);
    for (let off = 0; off + HEADER <= data.length; ) {
      const len = data.readUInt32LE(off);
      if (off + HEADER + len > data.length) break;
      out.push(data.readDoubleLE(off + 8));
      off += HEADER + len;
    }
    return out;
  }

  /** Rebuilds the segment list from disk, cutting off a torn or corrupt tail. */
  private recover(): void {
    const files = readdirSync(this.opts.dir)
      .filter((f) => SEGMENT_RE.test(f))
      .sort();
    for (const name of files) {
      const file = join(this.opts.dir, name);
      const data = readFileSync(file);
      const seg: Segment = { file, firstSeq: Number(SEGMENT_RE.exec(name)![1]), lastSeq: -1, bytes: 0, entries: 0 };
      let off = 0;
      let first = true;
      while (off + HEADER <= data.length) {
        const len = data.readUInt32LE(off);
        if (off + HEADER + len > data.length) break;
        const expected = data.readUInt32LE(off + 4);
        const actual = crc32(data, off + HEADER, off + HEADER + len, crc32(data, off + 8, off + 16));
        if (expected !== actual) break;
        const seq = data.readDoubleLE(off + 8);
        if (first) seg.firstSeq = seq;
        first = false;
        seg.lastSeq = seq;
        seg.entries++;
        off += HEADER + len;
      }
      if (off < data.length) {
        this.corruptTails++;
        const fd = openSync(file, 'r+');
        ftruncateSync(fd, off);
        fsyncSync(fd);
        closeSync(fd);
      }
      seg.bytes = off;
      if (seg.entries === 0 || seg.lastSeq <= this.acked) {
        unlinkSync(file);
        continue;
      }
      this.segments.push(seg);
    }
    const last = this.segments.at(-1);
    if (last) this.fd = openSync(last.file, 'a', 0o600);
  }

  private readState(): { ackedSeq: number; nextSeq: number; droppedBatches: number } {
    try {
      const s = JSON.parse(readFileSync(join(this.opts.dir, 'state.json'), 'utf8')) as { ackedSeq: number; nextSeq: number; droppedBatches: number };
      return { ackedSeq: s.ackedSeq ?? -1, nextSeq: s.nextSeq ?? 0, droppedBatches: s.droppedBatches ?? 0 };
    } catch {
      return { ackedSeq: -1, nextSeq: 0, droppedBatches: 0 };
    }
  }

  private stateText(): string {
    return JSON.stringify({ ackedSeq: this.acked, nextSeq: this.nextSeqValue, droppedBatches: this.dropped });
  }

  private writeState(): void {
    this.stateDirty = false;
    this.stateGeneration++;
    const file = join(this.opts.dir, 'state.json');
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, this.stateText());
    const fd = openSync(tmp, 'r');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, file);
  }
}

export function spoolDiskUsage(dir: string): number {
  let total = 0;
  for (const f of readdirSync(dir)) if (SEGMENT_RE.test(f)) total += statSync(join(dir, f)).size;
  return total;
}

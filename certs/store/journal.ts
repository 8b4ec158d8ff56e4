import { closeSync, fdatasyncSync, fstatSync, ftruncateSync, mkdirSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { RuntimeError } from '../../common/errors.js';
import { fsyncDirectory } from './atomic-file.js';

export interface LinePosition {
  offset: number;
  length: number;
}

/** Reads one record back from where `onRecord` said its line is. */
export function readLine(path: string, at: LinePosition): unknown {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(at.length);
    readSync(fd, buf, 0, at.length, at.offset);
    return JSON.parse(buf.toString('utf8'));
  } finally {
    closeSync(fd);
  }
}

/**
 * An append-only file of JSON records, one per line, that loses nothing on a crash:
 * a batch is one write() followed by fdatasync, and nothing is reported done before
 * that returns. A crash can leave only an incomplete last line (no newline, or not
 * JSON); readers ignore it and the next writer, holding the CA lock, cuts it off.
 * A bad line anywhere before the end is damage, reported and never skipped.
 */
export class Journal<T> {
  /** Bytes of complete lines read so far. */
  private offset = 0;
  private inode = -1;
  private lineNo = 0;

  constructor(
    readonly path: string,
    private readonly parse: (value: unknown, line: number) => T,
    /** Called for every record, with where its line is in the file (for `readLine`). */
    private readonly onRecord: (record: T, at: LinePosition) => void,
    /** Forget every record: the file was replaced (rotated or compacted) and is read again. */
    private readonly onReset: () => void,
    private readonly mode = 0o600,
  ) {}

  /** Reads what other processes appended since the last call (or everything, the first time). */
  refresh(): void {
    let st;
    try {
      st = statSync(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    if (this.inode === -1) {
      // Created by another process since we loaded.
      this.inode = st.ino;
      this.offset = 0;
    }
    if (st.ino !== this.inode || st.size < this.offset) {
      this.onReset();
      this.load();
      return;
    }
    if (st.size === this.offset) return;
    this.readFrom(this.offset, st.size);
  }

  /** Loads the file from the start. Call once, before refresh/append. */
  load(): void {
    let size: number;
    try {
      const st = statSync(this.path);
      this.inode = st.ino;
      size = st.size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        this.inode = -1;
        return;
      }
      throw err;
    }
    this.offset = 0;
    this.lineNo = 0;
    this.readFrom(0, size);
  }

  private readFrom(start: number, end: number): void {
    const fd = openSync(this.path, 'r');
    let buf: Buffer;
    try {
      buf = Buffer.alloc(end - start);
      let got = 0;
      while (got < buf.length) {
        const n = readSync(fd, buf, got, buf.length - got, start + got);
        if (n === 0) break;
        got += n;
      }
      buf = buf.subarray(0, got);
    } finally {
      closeSync(fd);
    }
    let pos = 0;
    for (;;) {
      const nl = buf.indexOf(0x0a, pos);
      if (nl < 0) break; // an incomplete tail: ignored until it is complete or cut off
      const text = buf.toString('utf8', pos, nl);
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        // A complete but unreadable line is a torn write only if nothing follows it.
        if (buf.indexOf(0x0a, nl + 1) < 0 && nl + 1 === buf.length) break;
        throw new RuntimeError(`${this.path}: line ${this.lineNo + 1} is damaged (not JSON); the store needs repair by hand`);
      }
      this.lineNo++;
      this.onRecord(this.parse(value, this.lineNo), { offset: start + pos, length: nl - pos });
      pos = nl + 1;
    }
    this.offset = start + pos;
  }

  /** Bytes after the last complete record: what a crash left behind. */
  tornBytes(): number {
    try {
      return statSync(this.path).size - this.offset;
    } catch {
      return 0;
    }
  }

  /**
   * Appends records durably. The caller holds the CA lock and has called refresh(),
   * so this process has seen every complete record and may cut off a torn tail.
   */
  append(records: readonly T[]): void {
    if (records.length === 0) return;
    const lines = records.map((r) => Buffer.from(JSON.stringify(r) + '\n'));
    const data = Buffer.concat(lines);
    const created = this.inode === -1;
    if (created) mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const fd = openSync(this.path, 'a+', this.mode);
    try {
      const st = fstatSync(fd);
      if (created) this.inode = st.ino;
      else if (st.ino !== this.inode) throw new RuntimeError(`${this.path} was replaced while open; reopen the CA directory`);
      if (st.size > this.offset) ftruncateSync(fd, this.offset);
      let off = 0;
      while (off < data.length) off += writeSync(fd, data, off, data.length - off);
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (created) fsyncDirectory(dirname(this.path));
    let at = this.offset;
    records.forEach((r, i) => {
      this.onRecord(r, { offset: at, length: lines[i]!.length - 1 });
      at += lines[i]!.length;
    });
    this.offset += data.length;
    this.lineNo += records.length;
  }
}

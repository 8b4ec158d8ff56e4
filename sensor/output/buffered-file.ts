/**
 * Line output for logs: each line is encoded straight into a large
 * preallocated buffer that is written out when full. Keeping rows as strings
 * until a flush would keep every row's pieces alive (concatenated strings are
 * trees in V8), which costs far more in garbage collection than the copy.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

const SIZE = 1 << 20;

export class BufferedFile {
  private readonly buf = Buffer.allocUnsafe(SIZE);
  private pos = 0;
  private readonly fd: number;
  private readonly own: boolean;
  private closed = false;
  /** The reader went away (a pipe into `head`): further output is dropped, quietly, as other CLI tools do. */
  private broken = false;

  /** path, or '-' for standard output. */
  constructor(path: string) {
    this.own = path !== '-';
    this.fd = this.own ? openSync(path, 'w') : 1;
  }

  write(text: string): void {
    if (this.broken) return;
    // Worst case 3 bytes per UTF-16 unit.
    if (this.pos + text.length * 3 > SIZE) {
      this.flush();
      if (text.length * 3 > SIZE) {
        this.out(Buffer.from(text, 'utf8'));
        return;
      }
    }
    this.pos += this.buf.write(text, this.pos, 'utf8');
  }

  flush(): void {
    if (this.pos === 0) return;
    this.out(this.buf.subarray(0, this.pos));
    this.pos = 0;
  }

  private out(data: Uint8Array): void {
    if (this.broken) return;
    try {
      writeAll(this.fd, data);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EPIPE') throw err;
      this.broken = true;
    }
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    if (this.own) closeSync(this.fd);
    this.closed = true;
  }
}

/** writeSync until everything is written (a pipe may take part of it, or ask to retry). */
function writeAll(fd: number, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) {
    try {
      off += writeSync(fd, data, off, data.length - off);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
    }
  }
}

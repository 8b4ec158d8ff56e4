/**
 * Line output to a file (or standard output): rows are written as bytes into
 * a large preallocated buffer (see line-buffer.ts) that goes out with one
 * write when full. Keeping rows as strings until a flush would keep every
 * row's pieces alive (concatenated strings are trees in V8), which costs far
 * more in garbage collection than writing them out as bytes at once.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { LineBuffer } from './line-buffer.js';

/** A file descriptor that takes whole blocks; a reader gone away (EPIPE) ends the output quietly. */
export class FileSink {
  private readonly fd: number;
  private readonly own: boolean;
  /** The reader went away (a pipe into `head`): further output is dropped, quietly, as other CLI tools do. */
  private broken = false;

  /** path, or '-' for standard output. */
  constructor(path: string) {
    this.own = path !== '-';
    this.fd = this.own ? openSync(path, 'w') : 1;
  }

  readonly write = (data: Uint8Array): void => {
    if (this.broken) return;
    try {
      writeAll(this.fd, data);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EPIPE') throw err;
      this.broken = true;
    }
  };

  close(): void {
    if (this.own) closeSync(this.fd);
  }
}

export class BufferedFile {
  readonly lines: LineBuffer;
  private readonly file: { close(): void };
  private closed = false;

  /** path, or '-' for standard output; or, given a stream, the lines go there (and path is not opened). */
  constructor(path: string, stream?: { sink: (bytes: Uint8Array) => void; close(): void }) {
    if (stream !== undefined) {
      this.file = stream;
      this.lines = new LineBuffer(stream.sink);
    } else {
      const f = new FileSink(path);
      this.file = f;
      this.lines = new LineBuffer(f.write);
    }
  }

  /** One whole line (without its newline). */
  line(text: string): void {
    this.lines.text(text);
    this.lines.endLine();
  }

  flush(): void {
    this.lines.flush();
  }

  close(): void {
    if (this.closed) return;
    this.lines.flush();
    this.file.close();
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

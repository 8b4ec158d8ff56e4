// HTTP/1.x message framing of one direction (RFC 9112 §6-7): start line,
// header fields, then a body framed by Content-Length, chunked coding, or the
// end of the connection. Bodies are counted, never buffered. After a gap
// that framing cannot absorb, the reader drops lines until one is a start
// line again (the handler decides), which is how it resyncs.

import { chunkSize, headerColon } from './parse.js';
import { LineReader } from '../lines.js';

export const MAX_HEADERS = 256;
/** Longest start or header line kept; the rest of a longer one is dropped (and counted). */
export const MAX_LINE = 16 * 1024;

export type Framing =
  | { kind: 'none' }
  | { kind: 'length'; length: number }
  | { kind: 'chunked' }
  | { kind: 'close' } // until the connection ends (responses only)
  | { kind: 'tunnel' }; // the stream stops being HTTP (CONNECT, 101 Upgrade)

export interface MessageHandler {
  /** A candidate start line; false when it is not one. `probing` after a loss: no weird for a miss. */
  startLine(b: Uint8Array, start: number, end: number, truncated: boolean, probing: boolean): boolean;
  header(b: Uint8Array, name: number, colon: number, end: number, truncated: boolean): void;
  headersDone(): Framing;
  body(bytes: number): void;
  messageDone(): void;
  weird(name: string): void;
}

const enum S {
  Start,
  Headers,
  Body,
  ChunkSize,
  ChunkData,
  ChunkEnd,
  Trailers,
  Close,
  Tunnel,
  Lost,
}

export class MessageReader {
  private state = S.Start;
  private remaining = 0;
  private headers = 0;
  private readonly lines = new LineReader(MAX_LINE);

  constructor(private readonly h: MessageHandler) {}

  /** Whether the stream has turned into something else (a tunnel). */
  get tunnel(): boolean {
    return this.state === S.Tunnel;
  }

  feed(b: Uint8Array, start: number, end: number): void {
    let off = start;
    while (off < end) {
      switch (this.state) {
        case S.Tunnel:
          return;
        case S.Body:
        case S.ChunkData: {
          const n = Math.min(this.remaining, end - off);
          this.h.body(n);
          this.remaining -= n;
          off += n;
          if (this.remaining === 0) {
            if (this.state === S.Body) this.endMessage();
            else this.state = S.ChunkEnd;
          }
          break;
        }
        case S.Close:
          this.h.body(end - off);
          return;
        default:
          off = this.lines.next(b, off, end, this.onLine);
      }
    }
  }

  /** Missed bytes. Inside a counted body they are skipped; elsewhere framing is lost. */
  gap(bytes: number): void {
    if (this.state === S.Tunnel) return;
    if (this.state === S.Close) return this.h.body(bytes);
    if ((this.state === S.Body || this.state === S.ChunkData) && bytes <= this.remaining) {
      this.h.body(bytes);
      this.remaining -= bytes;
      if (this.remaining === 0) {
        if (this.state === S.Body) this.endMessage();
        else this.state = S.ChunkEnd;
      }
      return;
    }
    this.h.weird('http_content_gap');
    this.lines.reset();
    this.state = S.Lost;
  }

  /** The connection ended: a body running to the close is complete now. */
  end(): void {
    if (this.state === S.Close) this.endMessage();
  }

  private readonly onLine = (b: Uint8Array, start: number, end: number, truncated: boolean): void => {
    switch (this.state) {
      case S.Start:
      case S.Lost: {
        if (end === start) return; // stray CRLF between messages (RFC 9112 §2.2)
        const probing = this.state === S.Lost;
        if (this.h.startLine(b, start, end, truncated, probing)) {
          this.state = S.Headers;
          this.headers = 0;
        } else if (!probing) {
          this.state = S.Lost;
        }
        return;
      }
      case S.Headers:
        if (end === start) return this.bodyStarts();
        if (b[start] === 0x20 || b[start] === 0x09) return this.h.weird('http_obsolete_line_folding');
        if (++this.headers > MAX_HEADERS) {
          if (this.headers === MAX_HEADERS + 1) this.h.weird('http_too_many_headers');
          return;
        }
        {
          const colon = headerColon(b, start, end);
          if (colon < 0) return this.h.weird('http_bad_header_line');
          if (truncated) this.h.weird('http_header_too_long');
          this.h.header(b, start, colon, end, truncated);
        }
        return;
      case S.ChunkEnd:
        this.state = S.ChunkSize;
        if (end === start) return;
        // No CRLF after the data: read the line as the next chunk size.
        this.h.weird('http_chunk_missing_crlf');
        return this.chunkSizeLine(b, start, end, truncated);
      case S.ChunkSize:
        return this.chunkSizeLine(b, start, end, truncated);
      case S.Trailers:
        if (end === start) this.endMessage();
        return;
    }
  };

  private chunkSizeLine(b: Uint8Array, start: number, end: number, truncated: boolean): void {
    const n = truncated ? -1 : chunkSize(b, start, end);
    if (n < 0) {
      this.h.weird('http_bad_chunk_size');
      this.state = S.Lost;
    } else if (n === 0) {
      this.state = S.Trailers;
    } else {
      this.remaining = n;
      this.state = S.ChunkData;
    }
  }

  private bodyStarts(): void {
    const f = this.h.headersDone();
    switch (f.kind) {
      case 'none':
        return this.endMessage();
      case 'length':
        if (f.length === 0) return this.endMessage();
        this.remaining = f.length;
        this.state = S.Body;
        return;
      case 'chunked':
        this.state = S.ChunkSize;
        return;
      case 'close':
        this.state = S.Close;
        return;
      case 'tunnel':
        this.h.messageDone();
        this.state = S.Tunnel;
        return;
    }
  }

  private endMessage(): void {
    this.state = S.Start;
    this.h.messageDone();
  }
}

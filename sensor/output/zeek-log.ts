/**
 * A writer of Zeek's tab-separated log format, so that zeek-cut and every
 * tool built for Zeek logs read what the sensor writes: the header lines
 * (#separator, #set_separator, #empty_field, #unset_field, #path, #open,
 * #fields, #types), one row per entry, and #close. Values are escaped as Zeek
 * does: the separator, non-printable bytes and a value that would read as
 * "unset" or "empty" become \xNN. Output is buffered and written in large blocks.
 */
import { FileSink } from './buffered-file.js';
import { LineBuffer, type LineSink } from './line-buffer.js';

export type ZeekType = 'time' | 'interval' | 'string' | 'addr' | 'port' | 'count' | 'int' | 'double' | 'bool' | 'enum' | 'set[string]' | 'set[count]' | 'vector[string]' | 'vector[count]' | 'vector[interval]';

export interface ZeekField {
  name: string;
  type: ZeekType;
}

export type ZeekValue = string | number | boolean | bigint | null | undefined | readonly (string | number)[];

/** Zeek's log timestamp for #open/#close: local wall clock, "YYYY-MM-DD-HH-MM-SS". */
export function zeekOpenTime(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}-${p(d.getHours())}-${p(d.getMinutes())}-${p(d.getSeconds())}`;
}

/** Escapes one string value for a Zeek log field (sets also escape their separator). */
export function escapeZeek(s: string, inSet = false): string {
  if (s === '') return '';
  if (s === '-' || s === '(empty)') return s.replace(/./, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
  let out: string | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const bad = c < 0x20 || c === 0x7f || c === 0x5c || (inSet && c === 0x2c);
    if (bad) {
      if (out === null) out = s.slice(0, i);
      out += `\\x${c.toString(16).padStart(2, '0')}`;
    } else if (out !== null) out += s[i];
  }
  return out ?? s;
}

/** Seconds with six decimals (Zeek's time and interval format). */
export function formatTime(sec: number, nsec: number): string {
  const us = Math.floor(nsec / 1000);
  return `${sec}.${String(us).padStart(6, '0')}`;
}

export function formatInterval(ns: number): string {
  const sec = Math.floor(ns / 1e9);
  return formatTime(sec, ns - sec * 1e9);
}

/** Formats one value by its Zeek type; undefined/null is the unset field "-". */
export function formatZeekValue(type: ZeekType, v: ZeekValue): string {
  if (v === undefined || v === null) return '-';
  switch (type) {
    case 'bool':
      return v ? 'T' : 'F';
    case 'time':
    case 'interval':
    case 'double':
      return typeof v === 'number' ? v.toFixed(6) : String(v);
    case 'count':
    case 'int':
    case 'port':
      return typeof v === 'number' ? String(Math.trunc(v)) : String(v);
    case 'set[string]':
    case 'set[count]':
    case 'vector[string]':
    case 'vector[count]':
    case 'vector[interval]': {
      const arr = v as readonly (string | number)[];
      if (!Array.isArray(arr)) return escapeZeek(String(v), true);
      if (arr.length === 0) return '(empty)';
      return arr.map((x) => (typeof x === 'string' ? escapeZeek(x, true) : String(x))).join(',');
    }
    default:
      return escapeZeek(String(v));
  }
}

/** Where a log's rows go instead of a file of their own (a worker's rows, to the thread that writes the file). */
export interface RowStream {
  /** Receives whole lines; must consume or copy them before returning. */
  sink: LineSink;
  close(): void;
}

const KIND_OTHER = 0;
const KIND_BOOL = 1;
const KIND_FIXED = 2;
const KIND_INT = 3;
const KIND_LIST = 4;

function kindOf(type: ZeekType): number {
  switch (type) {
    case 'bool':
      return KIND_BOOL;
    case 'time':
    case 'interval':
    case 'double':
      return KIND_FIXED;
    case 'count':
    case 'int':
    case 'port':
      return KIND_INT;
    case 'set[string]':
    case 'set[count]':
    case 'vector[string]':
    case 'vector[count]':
    case 'vector[interval]':
      return KIND_LIST;
    default:
      return KIND_OTHER;
  }
}

/** Writes one value as formatZeekValue formats it (the same bytes, without the intermediate string). */
function writeValue(o: LineBuffer, kind: number, v: ZeekValue): void {
  if (v === undefined || v === null) {
    o.byte(0x2d);
    return;
  }
  switch (kind) {
    case KIND_BOOL:
      o.byte(v ? 0x54 : 0x46);
      return;
    case KIND_FIXED:
      o.text(typeof v === 'number' ? v.toFixed(6) : String(v));
      return;
    case KIND_INT:
      if (typeof v === 'number') o.num(Math.trunc(v));
      else o.text(String(v));
      return;
    case KIND_LIST: {
      if (!Array.isArray(v)) {
        o.zeek(String(v), true);
        return;
      }
      const arr = v as readonly (string | number)[];
      if (arr.length === 0) {
        o.text('(empty)');
        return;
      }
      for (let i = 0; i < arr.length; i++) {
        if (i > 0) o.byte(0x2c);
        const x = arr[i]!;
        if (typeof x === 'string') o.zeek(x, true);
        else o.text(String(x));
      }
      return;
    }
    default:
      o.zeek(typeof v === 'string' ? v : String(v));
  }
}

export class ZeekLogWriter {
  /** The row bytes; writers of hot logs (conn.log) fill it field by field, then call endRow(). */
  readonly out: LineBuffer;
  private readonly target: { close(): void };
  private readonly kinds: number[];
  private readonly own: boolean;
  private closed = false;
  rows = 0;

  /**
   * A log file with Zeek's header lines; or, given a stream, just the rows
   * (whoever receives them writes the header and #close of the file).
   */
  constructor(
    readonly file: string,
    readonly path: string,
    readonly fields: readonly ZeekField[],
    openedAt = new Date(),
    stream?: RowStream,
  ) {
    this.kinds = fields.map((f) => kindOf(f.type));
    this.own = stream === undefined;
    if (stream === undefined) {
      const f = new FileSink(file);
      this.target = f;
      this.out = new LineBuffer(f.write);
      this.out.textLines(zeekHeader(path, fields, openedAt));
    } else {
      this.target = stream;
      this.out = new LineBuffer(stream.sink);
    }
  }

  /** A row from values in field order (formatted by type). */
  row(values: readonly ZeekValue[]): void {
    const o = this.out;
    const kinds = this.kinds;
    for (let i = 0; i < kinds.length; i++) {
      if (i > 0) o.tab();
      writeValue(o, kinds[i]!, values[i]);
    }
    this.endRow();
  }

  /** Ends a row written field by field into out. */
  endRow(): void {
    this.rows++;
    this.out.endLine();
  }

  /** count rows already formatted as bytes, each ending in a newline (the native flow core's). */
  rawRows(rows: Uint8Array, count: number): void {
    this.out.lines(rows);
    this.rows += count;
  }

  /** A row already formatted (fields joined by tabs, escaped). */
  line(text: string): void {
    this.out.text(text);
    this.endRow();
  }

  flush(): void {
    this.out.flush();
  }

  close(closedAt = new Date()): void {
    if (this.closed) return;
    if (this.own) {
      this.out.text(zeekFooter(closedAt));
      this.out.endLine();
    }
    this.out.flush();
    this.target.close();
    this.closed = true;
  }
}

/**
 * Rows written field by field (the application logs' write functions use it):
 * each field formatted as writeValue formats a value of its type, without the
 * array of values or any intermediate string. The log is opened by its first
 * field, so a log that gets no row is never created (as Zeek leaves none).
 */
export class ZeekRowWriter {
  private first = true;
  private log: ZeekLogWriter | undefined;
  private o: LineBuffer | undefined;

  constructor(private readonly open: () => ZeekLogWriter) {}

  private sep(): void {
    if (!this.first) {
      this.o!.tab();
      return;
    }
    this.first = false;
    if (this.log === undefined) {
      this.log = this.open();
      this.o = this.log.out;
    }
  }

  time(tsNs: bigint): void {
    this.sep();
    if (tsNs >= 0n && tsNs < MAX_EXACT_NS) {
      // As zeekTime: microseconds since the epoch are exact in a double, one division.
      const us = Number(tsNs / 1000n);
      const sec = Math.floor(us / 1e6);
      this.o!.time(sec, (us - sec * 1e6) * 1000);
      return;
    }
    const sec = tsNs / 1_000_000_000n;
    this.o!.time(Number(sec), Number(tsNs - sec * 1_000_000_000n));
  }

  interval(ns: bigint | undefined): void {
    this.sep();
    if (ns === undefined) {
      this.o!.byte(0x2d);
      return;
    }
    const n = Number(ns);
    const sec = Math.floor(n / 1e9);
    this.o!.time(sec, n - sec * 1e9);
  }

  str(v: string | undefined): void {
    this.sep();
    if (v === undefined || v === null) this.o!.byte(0x2d);
    else this.o!.zeek(v);
  }

  count(v: number | undefined): void {
    this.sep();
    if (v === undefined || v === null) this.o!.byte(0x2d);
    else this.o!.num(Math.trunc(v));
  }

  bool(v: boolean | undefined): void {
    this.sep();
    this.o!.byte(v === undefined || v === null ? 0x2d : v ? 0x54 : 0x46);
  }

  list(v: readonly (string | number)[] | undefined): void {
    this.sep();
    writeValue(this.o!, KIND_LIST, v);
  }

  end(): void {
    this.log!.endRow();
    this.first = true;
  }

  /**
   * Rows a native analyzer wrote, each "<ts>\t<the columns after id.resp_p>\n" (one
   * character per byte), with the connection's id columns put between as writeIds writes them.
   */
  preformatted(conn: { uid: string; origH: string; origP: number; respH: string; respP: number }, rows: string): void {
    for (let p = 0; p < rows.length; ) {
      const ts = rows.indexOf('\t', p);
      const nl = rows.indexOf('\n', ts);
      if (ts < 0 || nl < 0) throw new Error('preformatted rows: a row without its time column or end');
      this.sep();
      this.o!.bytes(rows, p, ts);
      this.str(conn.uid);
      this.str(conn.origH);
      this.count(conn.origP);
      this.str(conn.respH);
      this.count(conn.respP);
      this.sep();
      this.o!.bytes(rows, ts + 1, nl);
      this.end();
      p = nl + 1;
    }
  }

  /** Whole rows a native analyzer wrote, each ending in "\n" (one character per byte): logs without id columns (x509.log). */
  preformattedWhole(rows: string): void {
    for (let p = 0; p < rows.length; ) {
      const nl = rows.indexOf('\n', p);
      if (nl < 0) throw new Error('preformatted rows: a row without its end');
      this.sep();
      this.o!.bytes(rows, p, nl);
      this.end();
      p = nl + 1;
    }
  }

  /** Hands every complete row to the log's file or stream. */
  flush(): void {
    this.log?.flush();
  }

  close(): void {
    this.log?.close();
  }
}

const MAX_EXACT_NS = 2n ** 53n * 1000n;

/** The header lines of a Zeek log (each ending in a newline). */
export function zeekHeader(path: string, fields: readonly ZeekField[], openedAt: Date): string {
  return (
    '#separator \\x09\n' +
    '#set_separator\t,\n' +
    '#empty_field\t(empty)\n' +
    '#unset_field\t-\n' +
    `#path\t${path}\n` +
    `#open\t${zeekOpenTime(openedAt)}\n` +
    `#fields\t${fields.map((f) => f.name).join('\t')}\n` +
    `#types\t${fields.map((f) => f.type).join('\t')}\n`
  );
}

/** The last line of a Zeek log (without its newline). */
export function zeekFooter(closedAt: Date): string {
  return `#close\t${zeekOpenTime(closedAt)}`;
}

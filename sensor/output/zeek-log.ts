/**
 * A writer of Zeek's tab-separated log format, so that zeek-cut and every
 * tool built for Zeek logs read what the sensor writes: the header lines
 * (#separator, #set_separator, #empty_field, #unset_field, #path, #open,
 * #fields, #types), one row per entry, and #close. Values are escaped as Zeek
 * does: the separator, non-printable bytes and a value that would read as
 * "unset" or "empty" become \xNN. Output is buffered and written in large blocks.
 */
import { BufferedFile } from './buffered-file.js';

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

export class ZeekLogWriter {
  private readonly out: BufferedFile;
  private closed = false;
  rows = 0;

  constructor(
    readonly file: string,
    readonly path: string,
    readonly fields: readonly ZeekField[],
    openedAt = new Date(),
  ) {
    this.out = new BufferedFile(file);
    this.out.write(
      '#separator \\x09\n' +
        '#set_separator\t,\n' +
        '#empty_field\t(empty)\n' +
        '#unset_field\t-\n' +
        `#path\t${path}\n` +
        `#open\t${zeekOpenTime(openedAt)}\n` +
        `#fields\t${fields.map((f) => f.name).join('\t')}\n` +
        `#types\t${fields.map((f) => f.type).join('\t')}\n`,
    );
  }

  /** A row from values in field order (formatted by type). */
  row(values: readonly ZeekValue[]): void {
    let line = '';
    for (let i = 0; i < this.fields.length; i++) {
      if (i > 0) line += '\t';
      line += formatZeekValue(this.fields[i]!.type, values[i]);
    }
    this.line(line);
  }

  /** A row already formatted (fields joined by tabs, escaped). */
  line(text: string): void {
    this.rows++;
    this.out.write(text);
    this.out.write('\n');
  }

  flush(): void {
    this.out.flush();
  }

  close(closedAt = new Date()): void {
    if (this.closed) return;
    this.out.write(`#close\t${zeekOpenTime(closedAt)}\n`);
    this.out.close();
    this.closed = true;
  }
}

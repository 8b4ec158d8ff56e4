// What every application log row starts with, and the time formats the
// Zeek and ECS outputs share. Rows are plain value arrays in field order,
// for the generic writer in sensor/output/zeek-log.ts.

import { isoMicros } from '../../common/iso-time.js';
import type { AppMetadata } from './analyzer.js';
import { formatInterval, formatTime, type ZeekField, type ZeekValue } from '../output/zeek-log.js';

export type { ZeekField, ZeekValue };

/** The connection a row belongs to (ConnRecord has these fields). */
export interface ConnIds {
  uid: string;
  origH: string;
  origP: number;
  respH: string;
  respP: number;
}

/** What an application log's rows need of a record: the connection's identity and its metadata. */
export type AppLogRecord = ConnIds & { readonly app?: AppMetadata };

/** One log of the application layer: its Zeek path, columns, and rows for one record's metadata. */
export interface AppLog<M> {
  path: string;
  fields: readonly ZeekField[];
  rows(conn: ConnIds, meta: M): ZeekValue[][];
  /**
   * The same rows written field by field, without the value arrays (the hot
   * path of `sensor read`): must give exactly the bytes rows() gives through
   * the generic writer, which test/sensor/app/log.test.ts checks.
   */
  write(w: RowWriter, conn: ConnIds, meta: M): void;
}

/**
 * Writes a row field by field, each formatted by its Zeek type as the generic
 * writer formats values (sensor/output/zeek-log.ts): undefined is "-", strings
 * are escaped, lists are joined by ",", an empty list is "(empty)".
 */
export interface RowWriter {
  /** A time column from ns since the epoch (what zeekTime gives). */
  time(tsNs: bigint): void;
  /** An interval column from ns (what zeekInterval gives); undefined is unset. */
  interval(ns: bigint | undefined): void;
  /** A string, enum or addr column. */
  str(v: string | undefined): void;
  /** A count, int or port column. */
  count(v: number | undefined): void;
  bool(v: boolean | undefined): void;
  /** A set or vector column. */
  list(v: readonly (string | number)[] | undefined): void;
  /** Ends the row. */
  end(): void;
}

/** The six id columns every application log starts with (idValues, written). */
export function writeIds(w: RowWriter, conn: ConnIds, tsNs: bigint): void {
  w.time(tsNs);
  w.str(conn.uid);
  w.str(conn.origH);
  w.count(conn.origP);
  w.str(conn.respH);
  w.count(conn.respP);
}

export const ID_FIELDS: readonly ZeekField[] = [
  { name: 'ts', type: 'time' },
  { name: 'uid', type: 'string' },
  { name: 'id.orig_h', type: 'addr' },
  { name: 'id.orig_p', type: 'port' },
  { name: 'id.resp_h', type: 'addr' },
  { name: 'id.resp_p', type: 'port' },
];

export function idValues(conn: ConnIds, tsNs: bigint): ZeekValue[] {
  return [zeekTime(tsNs), conn.uid, conn.origH, conn.origP, conn.respH, conn.respP];
}

const MAX_EXACT_NS = 2n ** 53n * 1000n;

/** Zeek's time column: seconds with six decimals, exact from nanoseconds. */
export function zeekTime(tsNs: bigint): string {
  if (tsNs >= 0n && tsNs < MAX_EXACT_NS) {
    // One division: microseconds since the epoch are exact in a double until the year 2255.
    const us = Number(tsNs / 1000n);
    const sec = Math.floor(us / 1e6);
    return formatTime(sec, (us - sec * 1e6) * 1000);
  }
  const sec = tsNs / 1_000_000_000n;
  return formatTime(Number(sec), Number(tsNs - sec * 1_000_000_000n));
}

export function zeekInterval(ns: bigint): string {
  return formatInterval(Number(ns));
}

/** ECS dates: ISO 8601 with microseconds. */
export function isoTime(tsNs: bigint): string {
  if (tsNs >= 0n) {
    const sec = tsNs / 1_000_000_000n;
    return isoMicros(Number(sec), Number(tsNs - sec * 1_000_000_000n));
  }
  // Before 1970 (a certificate's validity can start then): as Date divides, towards zero.
  const ms = tsNs / 1_000_000n;
  const us = (tsNs / 1_000n) % 1_000_000n;
  return new Date(Number(ms)).toISOString().replace(/\.\d{3}Z$/, `.${String(us).padStart(6, '0')}Z`);
}

/** Drops undefined members (and empty objects/arrays) so ECS documents carry only what was seen. */
export function compact<T extends Record<string, unknown>>(o: T): T {
  // A new object with the kept members in their order, rather than deleting from o: an
  // object that has had members deleted becomes a slow dictionary, for JSON.stringify too.
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o)) {
    let v = o[k];
    if (v === undefined) continue;
    if (Array.isArray(v)) {
      if (v.length === 0) continue;
    } else if (v !== null && typeof v === 'object') {
      v = compact(v as Record<string, unknown>);
      if (Object.keys(v as object).length === 0) continue;
    }
    out[k] = v;
  }
  return out as T;
}

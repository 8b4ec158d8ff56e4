// HTTP/1.x start lines and header fields (RFC 9112 §3, §4, §5), read from one
// line's bytes. Lenient where real clients are (extra spaces, HTTP/0.9
// requests without a version), strict where a wrong guess would misframe.

import { asciiEqualsLower, wireString } from '../bytes.js';

/** How much of each field is kept; longer values are cut and counted as a weird. */
export const LIMITS = {
  method: 32,
  uri: 2048,
  version: 16,
  statusMsg: 256,
  host: 256,
  userAgent: 1024,
  referrer: 2048,
  origin: 1024,
  username: 256,
  proxied: 256,
} as const;

/** Request methods recognised in a request line: RFC 9110, WebDAV, and a few common extensions. */
export const METHODS = [
  'GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'CONNECT', 'TRACE', 'PATCH',
  'PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'SEARCH', 'REPORT',
  'MKACTIVITY', 'CHECKOUT', 'MERGE', 'MSEARCH', 'M-SEARCH', 'NOTIFY', 'SUBSCRIBE', 'UNSUBSCRIBE',
  'PURGE', 'LINK', 'UNLINK', 'BPROPFIND', 'BPROPPATCH', 'POLL', 'BMOVE', 'BDELETE', 'BCOPY',
] as const;

export interface RequestLine {
  method: string;
  uri: string;
  uriTruncated: boolean;
  /** "1.1" etc.; undefined for an HTTP/0.9 request. */
  version?: string;
}

export interface StatusLine {
  version: string;
  code: number;
  msg: string;
}

function isMethodByte(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || c === 0x2d || c === 0x5f; // A-Z - _
}

/** The length of a known method at b[start..) followed by a space, or 0. */
export function methodLength(b: Uint8Array, start: number, end: number): number {
  let i = start;
  while (i < end && i - start <= LIMITS.method && isMethodByte(b[i]!)) i++;
  if (i === start || i >= end || b[i] !== 0x20) return 0;
  return isMethod(b, start, i) ? i - start : 0;
}

/** Whether b[start, end) spells one of METHODS (compared in place: detection must not allocate). */
function isMethod(b: Uint8Array, start: number, end: number): boolean {
  outer: for (const m of METHODS) {
    if (m.length !== end - start) continue;
    for (let k = 0; k < m.length; k++) if (b[start + k] !== m.charCodeAt(k)) continue outer;
    return true;
  }
  return false;
}

/**
 * For detection on a first payload that may stop early: 2 when it starts with
 * "<METHOD> ", 1 when what there is could still become that, 0 when not.
 */
export function methodPrefix(b: Uint8Array, start: number, end: number): 0 | 1 | 2 {
  if (start >= end || !isMethodByte(b[start]!)) return 0; // most payloads end here
  if (methodLength(b, start, end) > 0) return 2;
  const n = end - start;
  outer: for (const m of METHODS) {
    if (n > m.length) continue;
    for (let k = 0; k < n; k++) if (b[start + k] !== m.charCodeAt(k)) continue outer;
    return 1;
  }
  return 0;
}

export function parseRequestLine(b: Uint8Array, start: number, end: number): RequestLine | undefined {
  const mlen = methodLength(b, start, end);
  if (mlen === 0) return undefined;
  const method = methodName(b, start, start + mlen);
  let i = start + mlen;
  while (i < end && b[i] === 0x20) i++;
  // The URI runs to the last space before "HTTP/" (URIs should not hold spaces, but do).
  let uriEnd = end;
  let version: string | undefined;
  for (let j = end - 1; j > i; j--) {
    if (b[j] === 0x20) {
      const v = versionAt(b, j + 1, end);
      if (v !== undefined) {
        version = v;
        uriEnd = j;
        while (uriEnd > i && b[uriEnd - 1] === 0x20) uriEnd--;
      }
      break;
    }
  }
  if (uriEnd <= i) return undefined;
  return {
    method,
    uri: wireString(b, i, uriEnd, LIMITS.uri),
    uriTruncated: uriEnd - i > LIMITS.uri,
    version,
  };
}

/** "HTTP/x.y" at b[start, end) exactly; returns "x.y". */
function versionAt(b: Uint8Array, start: number, end: number): string | undefined {
  if (end - start < 8 || end - start > LIMITS.version) return undefined;
  if (b[start] !== 0x48 || b[start + 1] !== 0x54 || b[start + 2] !== 0x54 || b[start + 3] !== 0x50 || b[start + 4] !== 0x2f)
    return undefined;
  for (let i = start + 5; i < end; i++) {
    const c = b[i]!;
    if (!((c >= 0x30 && c <= 0x39) || c === 0x2e)) return undefined;
  }
  // The usual versions as the same constant strings; others built from their bytes.
  if (end - start === 8 && b[start + 6] === 0x2e) {
    if (b[start + 5] === 0x31 && b[start + 7] === 0x31) return '1.1';
    if (b[start + 5] === 0x31 && b[start + 7] === 0x30) return '1.0';
  }
  return String.fromCharCode(...b.subarray(start + 5, end));
}

/** The entry of METHODS that b[start, end) spells (methodLength found one there): no string is built. */
function methodName(b: Uint8Array, start: number, end: number): string {
  outer: for (const m of METHODS) {
    if (m.length !== end - start) continue;
    for (let k = 0; k < m.length; k++) if (b[start + k] !== m.charCodeAt(k)) continue outer;
    return m;
  }
  return String.fromCharCode(...b.subarray(start, end));
}

export function parseStatusLine(b: Uint8Array, start: number, end: number): StatusLine | undefined {
  let sp = start;
  while (sp < end && b[sp] !== 0x20) sp++;
  const version = versionAt(b, start, sp);
  if (version === undefined) return undefined;
  let i = sp;
  while (i < end && b[i] === 0x20) i++;
  if (i + 3 > end) return undefined;
  let code = 0;
  for (let k = 0; k < 3; k++) {
    const c = b[i + k]!;
    if (c < 0x30 || c > 0x39) return undefined;
    code = code * 10 + (c - 0x30);
  }
  i += 3;
  if (i < end && b[i] !== 0x20) return undefined;
  while (i < end && b[i] === 0x20) i++;
  return { version, code, msg: wireString(b, i, end, LIMITS.statusMsg) };
}

/** Where a header line's name ends (the colon), or -1 when it is not a field line. */
export function headerColon(b: Uint8Array, start: number, end: number): number {
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    if (c === 0x3a) return i > start ? i : -1;
    if (c <= 0x20 || c >= 0x7f) return -1; // no whitespace or controls inside a field name
  }
  return -1;
}

/** The value's [start, end) with surrounding spaces and tabs removed. */
export function trimValue(b: Uint8Array, start: number, end: number): [number, number] {
  while (start < end && (b[start] === 0x20 || b[start] === 0x09)) start++;
  while (end > start && (b[end - 1] === 0x20 || b[end - 1] === 0x09)) end--;
  return [start, end];
}

/**
 * A Content-Length value: a non-negative decimal (RFC 9110 §8.6). A list of
 * identical values counts as one; anything else is -1.
 */
export function contentLength(b: Uint8Array, start: number, end: number): number {
  let value = -1;
  let i = start;
  while (i < end) {
    while (i < end && (b[i] === 0x20 || b[i] === 0x09)) i++;
    let n = 0;
    let digits = 0;
    while (i < end && b[i]! >= 0x30 && b[i]! <= 0x39) {
      n = n * 10 + (b[i]! - 0x30);
      i++;
      if (++digits > 15) return -1; // beyond 2^53: not a length we can honour
    }
    if (digits === 0) return -1;
    while (i < end && (b[i] === 0x20 || b[i] === 0x09)) i++;
    if (i < end && b[i] !== 0x2c) return -1;
    i++;
    if (value >= 0 && n !== value) return -1;
    value = n;
  }
  return value;
}

/** Whether the last transfer coding listed is "chunked" (RFC 9112 §6.1). */
export function isChunked(b: Uint8Array, start: number, end: number): boolean {
  let e = end;
  while (e > start && (b[e - 1] === 0x20 || b[e - 1] === 0x09)) e--;
  let s = e;
  while (s > start && b[s - 1] !== 0x2c) s--;
  while (s < e && (b[s] === 0x20 || b[s] === 0x09)) s++;
  return asciiEqualsLower(b, s, e, 'chunked');
}

/** A chunk-size line: hex digits, then optional extensions. -1 when malformed. */
export function chunkSize(b: Uint8Array, start: number, end: number): number {
  let i = start;
  while (i < end && (b[i] === 0x20 || b[i] === 0x09)) i++;
  let n = 0;
  let digits = 0;
  for (; i < end; i++) {
    const c = b[i]!;
    const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
    if (d < 0) break;
    n = n * 16 + d;
    if (++digits > 12) return -1;
  }
  if (digits === 0) return -1;
  while (i < end && (b[i] === 0x20 || b[i] === 0x09)) i++;
  if (i < end && b[i] !== 0x3b) return -1; // ';' starts chunk extensions
  return n;
}

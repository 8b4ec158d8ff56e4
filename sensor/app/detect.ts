// Payload-based service detection: does the first payload of a connection
// look like the start of a protocol we analyze? Each check answers
//   YES   - the bytes are that protocol's opening, structurally checked;
//   MAYBE - the payload stops before that can be decided, and what is there fits;
//   NO    - it is not.
// The factory trusts YES on any port and MAYBE only on the protocol's usual
// ports. These run on every new connection, so they read in place and never
// allocate.

import { u16, u24 } from './bytes.js';
import { walkDnsMessage } from './dns/parse.js';
import { methodPrefix } from './http/parse.js';
import { MAX_RECORD } from './tls/record.js';

export const NO = 0;
export const MAYBE = 1;
export const YES = 2;
export type Verdict = typeof NO | typeof MAYBE | typeof YES;

/**
 * A TLS record carrying a ClientHello (or, first from the responder, a
 * ServerHello), or an SSLv2-format ClientHello.
 */
export function tlsHello(b: Uint8Array, s: number, e: number, dir: 0 | 1): Verdict {
  const n = e - s;
  if (n < 1) return MAYBE;
  const b0 = b[s]!;
  if (b0 & 0x80 && dir === 0) {
    // SSLv2 record: 2-byte length, msg_type CLIENT-HELLO (1), version 0x0002 or 0x03xx.
    if (n < 5) return MAYBE;
    const len = ((b0 & 0x7f) << 8) | b[s + 1]!;
    if (len < 9 || b[s + 2] !== 1) return NO;
    return (b[s + 3] === 3 && b[s + 4]! <= 4) || (b[s + 3] === 0 && b[s + 4] === 2) ? YES : NO;
  }
  if (b0 !== 0x16) return NO;
  if (n < 3) return n < 2 || b[s + 1] === 3 ? MAYBE : NO;
  if (b[s + 1] !== 3 || b[s + 2]! > 4) return NO;
  if (n < 5) return MAYBE;
  const len = u16(b, s + 3);
  if (len < 4 || len > MAX_RECORD) return NO;
  if (n < 6) return MAYBE;
  if (b[s + 5] !== (dir === 0 ? 1 : 2)) return NO;
  if (n < 11) return MAYBE;
  // A hello holds at least version, random and three length bytes; its version is 3.x.
  return u24(b, s + 6) >= 38 && b[s + 9] === 3 && b[s + 10]! <= 4 ? YES : NO;
}

/** An HTTP/1 request line start ("GET ", "POST " ...) or, from the responder, a status line start. */
export function httpStart(b: Uint8Array, s: number, e: number, dir: 0 | 1): Verdict {
  if (dir === 0) return methodPrefix(b, s, e) as Verdict;
  return prefix(b, s, e, 'HTTP/1.');
}

/** An SSH identification line ("SSH-2.0-..."). */
export function sshBanner(b: Uint8Array, s: number, e: number): Verdict {
  return prefix(b, s, e, 'SSH-');
}

/**
 * A DNS message (UDP) or a length-prefixed one (TCP). YES only when every
 * section walks to exactly the end with one question: random payloads almost
 * never do. MAYBE when the header is plausible and the question parses, or
 * the message is still incomplete.
 */
export function dnsMessage(b: Uint8Array, s: number, e: number, tcp: boolean): Verdict {
  if (tcp) {
    if (e - s < 2) return MAYBE;
    const len = u16(b, s);
    if (len < 12) return NO;
    if (e - s < 2 + len) return e - s >= 14 && plausibleHeader(b, s + 2) ? MAYBE : e - s >= 14 ? NO : MAYBE;
    return dnsMessage(b, s + 2, s + 2 + len, false);
  }
  if (e - s < 12 || !plausibleHeader(b, s)) return NO;
  const end = walkDnsMessage(b, s, e);
  if (end === e && u16(b, s + 4) === 1) return YES;
  return MAYBE;
}

/** Opcode QUERY/IQUERY/STATUS/NOTIFY/UPDATE and at most a handful of questions. */
function plausibleHeader(b: Uint8Array, s: number): boolean {
  const opcode = (b[s + 2]! >> 3) & 0xf;
  if (opcode === 3 || opcode > 5) return false;
  return u16(b, s + 4) <= 4;
}

function prefix(b: Uint8Array, s: number, e: number, lit: string): Verdict {
  const n = Math.min(e - s, lit.length);
  for (let i = 0; i < n; i++) if (b[s + i] !== lit.charCodeAt(i)) return NO;
  return n === lit.length ? YES : MAYBE;
}

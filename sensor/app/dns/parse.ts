// One DNS message (RFC 1035 §4): header, first question, answer section.
//
// Authority and additional records are walked over, not decoded: dns.log
// shows only answers, as Zeek's does. Every length comes from the wire and is
// checked against the message end before it is used.

import { ipv4, ipv6, u16, u32, wireString } from '../bytes.js';
import type { AppEvents } from '../events.js';
import { ecsTypeName, TYPE } from './consts.js';
import { NAME_ERRORS, nameResult, readName } from './name.js';
import type { DnsAnswer } from './types.js';

export const HEADER_LEN = 12;
/** Answers kept per message; more are counted as a weird and dropped. */
export const MAX_ANSWERS = 64;
/** Longest answer data string kept (a TXT record can carry 64 KB). */
export const MAX_DATA = 1024;

export interface DnsMessage {
  id: number;
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  z: number;
  rcode: number;
  qdcount: number;
  ancount: number;
  nscount: number;
  arcount: number;
  qname?: string;
  qtype?: number;
  qclass?: number;
  answers: DnsAnswer[];
}

/**
 * Parses b[start, end) as one DNS message. Undefined when it is not one (too
 * short for a header, or its question does not parse): the caller's protocol
 * violation. A message whose answers break off keeps the answers before the break.
 */
export function parseDnsMessage(b: Uint8Array, start: number, end: number, events: AppEvents): DnsMessage | undefined {
  if (end - start < HEADER_LEN) {
    events.weird('DNS_truncated_len_lt_hdr_len');
    return undefined;
  }
  const flags = u16(b, start + 2);
  const m: DnsMessage = {
    id: u16(b, start),
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rd: (flags & 0x0100) !== 0,
    ra: (flags & 0x0080) !== 0,
    z: (flags >> 4) & 0x7,
    rcode: flags & 0xf,
    qdcount: u16(b, start + 4),
    ancount: u16(b, start + 6),
    nscount: u16(b, start + 8),
    arcount: u16(b, start + 10),
    answers: [],
  };
  let off = start + HEADER_LEN;
  for (let q = 0; q < m.qdcount; q++) {
    if (!readName(b, start, off, end, q === 0)) {
      events.weird(NAME_ERRORS[nameResult.error]!);
      return undefined;
    }
    const name = nameResult.text;
    off = nameResult.next;
    if (off + 4 > end) {
      events.weird('DNS_truncated_quest_too_short');
      return undefined;
    }
    if (q === 0) {
      m.qname = name;
      m.qtype = u16(b, off);
      m.qclass = u16(b, off + 2);
    }
    off += 4;
  }
  if (m.ancount > MAX_ANSWERS) events.weird('DNS_too_many_answers');
  const keep = Math.min(m.ancount, MAX_ANSWERS);
  for (let i = 0; i < keep; i++) {
    if (!readName(b, start, off, end, true)) {
      events.weird(NAME_ERRORS[nameResult.error]!);
      break;
    }
    const owner = nameResult.text;
    off = nameResult.next;
    if (off + 10 > end) {
      events.weird('DNS_truncated_ans_too_short');
      break;
    }
    const type = u16(b, off);
    const cls = u16(b, off + 2);
    const ttl = u32(b, off + 4);
    const rdlen = u16(b, off + 8);
    off += 10;
    if (off + rdlen > end) {
      events.weird('DNS_truncated_RR_rdlength_lt_len');
      break;
    }
    m.answers.push({ name: owner, type, class: cls, ttl, data: rdata(b, start, type, off, off + rdlen, events) });
    off += rdlen;
  }
  return m;
}

/** The record data as dns.log shows it. */
function rdata(b: Uint8Array, msg: number, type: number, off: number, end: number, events: AppEvents): string {
  const len = end - off;
  switch (type) {
    case TYPE.A:
      if (len === 4) return ipv4(b, off);
      break;
    case TYPE.AAAA:
      if (len === 16) return ipv6(b, off);
      break;
    case TYPE.NS:
    case TYPE.CNAME:
    case TYPE.PTR:
    case TYPE.DNAME:
    case TYPE.SOA: // Zeek logs the primary server (mname) of an SOA
      return name(b, msg, off, end, events);
    case TYPE.MX:
      if (len >= 3) return name(b, msg, off + 2, end, events);
      break;
    case TYPE.SRV:
      if (len >= 7) return name(b, msg, off + 6, end, events);
      break;
    case TYPE.SVCB:
    case TYPE.HTTPS:
      if (len >= 3) return `${u16(b, off)} ${name(b, msg, off + 2, end, events) || '.'}`;
      break;
    case TYPE.TXT:
    case TYPE.SPF:
      return txt(b, off, end, events);
    case TYPE.CAA:
      if (len >= 2 && 2 + b[off + 1]! <= len) {
        const tagEnd = off + 2 + b[off + 1]!;
        return bounded(`${b[off]} ${wireString(b, off + 2, tagEnd, 255)} ${wireString(b, tagEnd, end, MAX_DATA)}`, events);
      }
      break;
    default:
      return `<${ecsTypeName(type)}>`;
  }
  events.weird('DNS_RR_bad_length');
  return `<${ecsTypeName(type)}>`;
}

function name(b: Uint8Array, msg: number, off: number, end: number, events: AppEvents): string {
  if (!readName(b, msg, off, end, true)) {
    events.weird(NAME_ERRORS[nameResult.error]!);
    return '';
  }
  if (nameResult.next !== end) events.weird('DNS_RR_length_mismatch');
  return nameResult.text;
}

/** Zeek's form: each character-string as "TXT <len> <text>", space-separated. */
function txt(b: Uint8Array, off: number, end: number, events: AppEvents): string {
  let s = '';
  while (off < end && s.length < MAX_DATA) {
    const n = b[off]!;
    if (off + 1 + n > end) {
      events.weird('DNS_TXT_char_str_past_rdlen');
      break;
    }
    s += `${s ? ' ' : ''}TXT ${n} ${wireString(b, off + 1, off + 1 + n, 255)}`;
    off += 1 + n;
  }
  return bounded(s, events);
}

function bounded(s: string, events: AppEvents): string {
  if (s.length <= MAX_DATA) return s;
  events.weird('DNS_answer_data_truncated');
  return s.slice(0, MAX_DATA);
}

/**
 * Walks every section of b[start, end) without decoding or allocating.
 * Returns the offset where the last record ends, or -1 when the message does
 * not hold together. Detection uses it to recognise DNS on unusual ports.
 */
export function walkDnsMessage(b: Uint8Array, start: number, end: number): number {
  if (end - start < HEADER_LEN) return -1;
  const qd = u16(b, start + 4);
  const rr = u16(b, start + 6) + u16(b, start + 8) + u16(b, start + 10);
  let off = start + HEADER_LEN;
  for (let i = 0; i < qd; i++) {
    if (!readName(b, start, off, end, false)) return -1;
    off = nameResult.next + 4;
    if (off > end) return -1;
  }
  for (let i = 0; i < rr; i++) {
    if (!readName(b, start, off, end, false)) return -1;
    off = nameResult.next;
    if (off + 10 > end) return -1;
    off += 10 + u16(b, off + 8);
    if (off > end) return -1;
  }
  return off;
}

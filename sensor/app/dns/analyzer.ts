// DNS over UDP (one message per datagram) and TCP (RFC 1035 §4.2.2: each
// message behind a 2-byte length), paired into transactions as Zeek pairs them:
// by transaction id, a reply taking the oldest pending query with its id.
// Query and reply are told apart by the QR bit, not by direction, so mDNS and
// flipped flows pair correctly.

import type { AppMetadata, Direction } from '../analyzer.js';
import { Backlog } from '../backlog.js';
import { Carry } from '../carry.js';
import type { AppEvents } from '../events.js';
import { GuardedAnalyzer } from '../guarded.js';
import { u16 } from '../bytes.js';
import { parseDnsMessage, type DnsMessage } from './parse.js';
import type { DnsTransaction } from './types.js';

/** Queries waiting for replies; past this the oldest is logged unanswered. */
const MAX_PENDING = 64;
/** Finished transactions held between two metadata() calls: at most this many, and about this many bytes. */
const MAX_DONE = 1024;
const MAX_DONE_BYTES = 512 * 1024;
/** A TCP message and its length prefix. */
const MAX_TCP_MESSAGE = 65535 + 2;

export class DnsAnalyzer extends GuardedAnalyzer {
  private readonly pending: DnsTransaction[] = [];
  private readonly finished = new Backlog<DnsTransaction>(MAX_DONE, MAX_DONE_BYTES);
  /** TCP only: per direction, the part of a message not yet complete. */
  private readonly carry: [Carry, Carry] | undefined;
  private readonly lost: [boolean, boolean] = [false, false];

  constructor(
    private readonly proto: 'udp' | 'tcp',
    events: AppEvents,
  ) {
    super(events, 'dns_analyzer_error');
    this.carry = proto === 'tcp' ? [new Carry(MAX_TCP_MESSAGE), new Carry(MAX_TCP_MESSAGE)] : undefined;
  }

  protected onData(dir: Direction, b: Uint8Array, start: number, end: number, tsNs: bigint): void {
    if (!this.carry) {
      this.message(b, start, end, tsNs);
      return;
    }
    if (this.lost[dir]) return;
    const c = this.carry[dir];
    let off = start;
    while (off < end && !this.done) {
      if (c.length > 0) {
        // Complete the carried message with just the bytes it lacks, then go on in place.
        const need = c.length < 2 ? 2 - c.length : 2 + u16(c.bytes, 0) - c.length;
        const take = Math.min(need, end - off);
        c.append(b, off, off + take);
        off += take;
        if (c.length >= 2 && c.length === 2 + u16(c.bytes, 0)) {
          this.framed(c.bytes, 0, c.length, tsNs);
          c.consume(c.length);
        }
        continue;
      }
      if (end - off < 2 || off + 2 + u16(b, off) > end) {
        c.append(b, off, end); // less than one message: at most 65537 bytes, always fits
        return;
      }
      const len = u16(b, off);
      this.framed(b, off, off + 2 + len, tsNs);
      off += 2 + len;
    }
  }

  private framed(b: Uint8Array, start: number, end: number, tsNs: bigint): void {
    if (end - start === 2) {
      this.events.weird('DNS_zero_length_tcp_message');
      return;
    }
    this.message(b, start + 2, end, tsNs);
  }

  protected onGap(dir: Direction, _bytes: number): void {
    if (!this.carry) return;
    // Length prefixes give no way back into the byte stream: stop this direction.
    this.events.weird('dns_tcp_content_gap');
    this.lost[dir] = true;
    this.carry[dir].clear();
    if (this.lost[0] && this.lost[1]) this.done = true;
  }

  private message(b: Uint8Array, start: number, end: number, tsNs: bigint): void {
    const m = parseDnsMessage(b, start, end, this.events);
    if (!m) {
      // Not DNS before we recognised it: a violation, stop. After: one bad message.
      if (this.service === undefined) this.stop('dns_protocol_violation');
      return;
    }
    this.confirm('dns');
    if (m.qr) this.reply(m, tsNs);
    else this.query(m, tsNs);
  }

  private query(m: DnsMessage, tsNs: bigint): void {
    if (this.pending.length >= MAX_PENDING) {
      this.events.weird('dns_unmatched_msg_quantity');
      this.finish(this.pending.shift()!);
    }
    // Every field present, in one order, in both literals here: one hidden class for the log writer.
    this.pending.push({
      tsNs,
      proto: this.proto,
      transId: m.id,
      rttNs: undefined,
      query: m.qname,
      qclass: m.qclass,
      qtype: m.qtype,
      opcode: m.opcode,
      rcode: undefined,
      AA: false,
      TC: m.tc,
      RD: m.rd,
      RA: false,
      Z: m.z,
      answers: [],
      rejected: false,
      sawQuery: true,
      sawReply: false,
    });
  }

  private reply(m: DnsMessage, tsNs: bigint): void {
    const i = this.pending.findIndex((t) => t.transId === m.id);
    let t: DnsTransaction;
    if (i >= 0) {
      t = this.pending.splice(i, 1)[0]!;
      t.rttNs = tsNs - t.tsNs;
    } else {
      this.events.weird('dns_unmatched_reply');
      t = {
        tsNs,
        proto: this.proto,
        transId: m.id,
        rttNs: undefined,
        query: undefined,
        qclass: undefined,
        qtype: undefined,
        opcode: m.opcode,
        rcode: undefined,
        AA: false,
        TC: false,
        RD: m.rd,
        RA: false,
        Z: 0,
        answers: [],
        rejected: false,
        sawQuery: false,
        sawReply: true,
      };
    }
    // The reply repeats the question; take it when the query was not seen.
    if (t.query === undefined && m.qname !== undefined) {
      t.query = m.qname;
      t.qtype = m.qtype;
      t.qclass = m.qclass;
    }
    t.sawReply = true;
    t.rcode = m.rcode;
    t.AA = m.aa;
    t.TC = m.tc;
    t.RA = m.ra;
    t.Z = m.z;
    t.answers = m.answers;
    t.rejected = m.ancount === 0 && m.nscount === 0 && m.arcount === 0;
    this.finish(t);
  }

  private finish(t: DnsTransaction): void {
    let size = 96 + (t.query?.length ?? 0);
    for (const a of t.answers) size += 48 + a.name.length + a.data.length;
    if (!this.finished.push(t, size)) this.events.weird('dns_transactions_dropped');
  }

  protected onMetadata(final: boolean): AppMetadata | undefined {
    if (final && this.pending.length > 0) {
      this.events.weird('dns_unmatched_msg');
      for (const t of this.pending) this.finish(t);
      this.pending.length = 0;
    }
    const dns = this.finished.drain();
    return dns && { dns };
  }
}

import { ipv4Bytes, ipv6Bytes } from '../addresses.js';

/** DNS messages in wire format (RFC 1035), with EDNS(0) (RFC 6891) when the client uses it. */

export const DNS_TYPE = { A: 1, SOA: 6, TXT: 16, AAAA: 28, OPT: 41 } as const;
export type DnsQueryType = 'A' | 'AAAA' | 'TXT';
export const DNS_RCODE = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3 } as const;
export type DnsRcodeName = keyof typeof DNS_RCODE;

const CLASS_IN = 1;
const HEADER_LEN = 12;
/** A compression pointer to the question's name, which always starts right after the header. */
const POINTER_TO_QNAME = 0xc000 | HEADER_LEN;

export interface DnsQuestion {
  id: number;
  name: string;
  type: DnsQueryType;
  /** UDP payload size the client advertises in an OPT record; absent = no EDNS. */
  ednsUdpSize?: number;
}

export interface DnsAnswer {
  ttl: number;
  /** An address for A/AAAA; the text of one character-string set for TXT. */
  data: string;
}

export function encodeDnsQuery(q: DnsQuestion): Buffer {
  const w = new DnsWriter();
  w.u16(q.id).u16(0x0100 /* RD */).u16(1).u16(0).u16(0).u16(q.ednsUdpSize ? 1 : 0);
  w.name(q.name).u16(DNS_TYPE[q.type]).u16(CLASS_IN);
  if (q.ednsUdpSize) w.opt(q.ednsUdpSize);
  return w.done();
}

/**
 * A recursive resolver's answer: QR, RD and RA set, the question echoed, answers that
 * point back at the question's name, and for NXDOMAIN the zone's SOA as authority.
 */
export function encodeDnsResponse(q: DnsQuestion, rcode: DnsRcodeName, answers: readonly DnsAnswer[], soaZone?: string): Buffer {
  const w = new DnsWriter();
  const authority = rcode === 'NXDOMAIN' && soaZone ? 1 : 0;
  w.u16(q.id).u16(0x8180 | DNS_RCODE[rcode]).u16(1).u16(answers.length).u16(authority).u16(q.ednsUdpSize ? 1 : 0);
  w.name(q.name).u16(DNS_TYPE[q.type]).u16(CLASS_IN);
  for (const a of answers) {
    w.u16(POINTER_TO_QNAME).u16(DNS_TYPE[q.type]).u16(CLASS_IN).u32(a.ttl);
    const rdata = q.type === 'A' ? ipv4Bytes(a.data) : q.type === 'AAAA' ? ipv6Bytes(a.data) : txtRdata(a.data);
    w.u16(rdata.length).bytes(rdata);
  }
  if (authority && soaZone) {
    const rdata = new DnsWriter()
      .name(`ns1.${soaZone}`)
      .name(`hostmaster.${soaZone}`)
      .u32(2026010101)
      .u32(3600)
      .u32(600)
      .u32(604800)
      .u32(300)
      .done();
    w.name(soaZone).u16(DNS_TYPE.SOA).u16(CLASS_IN).u32(300).u16(rdata.length).bytes(rdata);
  }
  if (q.ednsUdpSize) w.opt(1232);
  return w.done();
}

/** TXT rdata: the text as character-strings of at most 255 bytes each. */
function txtRdata(text: string): Buffer {
  const raw = Buffer.from(text, 'latin1');
  const parts: Buffer[] = [];
  for (let off = 0; off < raw.length || parts.length === 0; off += 255) {
    const chunk = raw.subarray(off, off + 255);
    parts.push(Buffer.from([chunk.length]), chunk);
  }
  return Buffer.concat(parts);
}

class DnsWriter {
  private readonly parts: Buffer[] = [];

  u16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(v & 0xffff);
    this.parts.push(b);
    return this;
  }

  u32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v >>> 0);
    this.parts.push(b);
    return this;
  }

  bytes(b: Buffer): this {
    this.parts.push(b);
    return this;
  }

  name(name: string): this {
    const labels = name.replace(/\.$/, '').split('.').filter(Boolean);
    let total = 1;
    for (const label of labels) {
      const b = Buffer.from(label, 'latin1');
      if (b.length === 0 || b.length > 63) throw new Error(`DNS label of ${b.length} bytes in ${name}`);
      this.parts.push(Buffer.from([b.length]), b);
      total += b.length + 1;
    }
    if (total > 255) throw new Error(`DNS name longer than 255 bytes: ${name}`);
    this.parts.push(Buffer.from([0]));
    return this;
  }

  /** The EDNS(0) pseudo-record: root owner, type OPT, class = UDP payload size, no options. */
  opt(udpSize: number): this {
    return this.bytes(Buffer.from([0])).u16(DNS_TYPE.OPT).u16(udpSize).u32(0).u16(0);
  }

  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

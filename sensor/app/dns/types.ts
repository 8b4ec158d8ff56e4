// What the DNS analyzer reports: one transaction per query/reply pair, the
// unit of a dns.log row. Names are in presentation form (RFC 1035 §5.1):
// printable ASCII as is, a '.' or '\' inside a label escaped with '\', any
// other byte as \DDD, so a name is one unambiguous string; the root is ''.

export interface DnsAnswer {
  /** The owner name of the record, as received (case kept). */
  name: string;
  type: number;
  class: number;
  /** Seconds. */
  ttl: number;
  /** The record data as Zeek's dns.log shows it: an address, a name, "TXT <len> <text>" ..., or "<TYPE>" when not decoded. */
  data: string;
}

export interface DnsTransaction {
  /** When the query was seen (the reply when there was no query), ns since the epoch. */
  tsNs: bigint;
  proto: 'udp' | 'tcp';
  transId: number;
  /** Reply time minus query time, ns; absent without both. */
  rttNs?: bigint;
  /** The first question's name, as received (case kept; dns.log lowercases it as Zeek does). */
  query?: string;
  qclass?: number;
  qtype?: number;
  opcode: number;
  /** From the reply; absent when no reply was seen. */
  rcode?: number;
  AA: boolean;
  TC: boolean;
  RD: boolean;
  RA: boolean;
  /** The three bits after RA (Z, AD, CD), as Zeek reports them. */
  Z: number;
  /** The answer section of the reply (not authority or additional), at most MAX_ANSWERS. */
  answers: DnsAnswer[];
  /** A reply with no records at all: the server refused the query in some way (Zeek's rejected). */
  rejected: boolean;
  sawQuery: boolean;
  sawReply: boolean;
}

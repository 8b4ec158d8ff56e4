import { describe, expect, it } from 'vitest';
import { DnsAnalyzer } from '../../../sensor/app/dns/analyzer.js';
import { readName, nameResult } from '../../../sensor/app/dns/name.js';
import { parseDnsMessage } from '../../../sensor/app/dns/parse.js';
import type { DnsTransaction } from '../../../sensor/app/dns/types.js';
import { be16, bytes, cat, dnsMessage, dnsName, rr, splits, Weirds } from './helpers.js';

const Q = 0x0100; // standard query, RD
const R = 0x8180; // response, RD RA, NOERROR

/** Offset of the question name in a message: right after the 12-byte header. */
const QNAME = [0xc0, 12];

const query = dnsMessage({ id: 0x1234, flags: Q, qname: 'www.Example.com', qtype: 1 });
const response = dnsMessage({
  id: 0x1234,
  flags: R,
  qname: 'www.Example.com',
  qtype: 1,
  answers: [
    rr({ name: QNAME, type: 5, ttl: 300, rdata: [3, ...Buffer.from('cdn'), 0xc0, 16] }), // "cdn" + pointer to "Example.com"; the label sits at offset 45
    rr({ name: [0xc0, 45], type: 1, ttl: 60, rdata: [93, 184, 216, 34] }),
    rr({ name: [0xc0, 45], type: 28, ttl: 60, rdata: [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1] }),
    rr({ name: QNAME, type: 16, ttl: 3600, rdata: [5, ...Buffer.from('hello'), 3, ...Buffer.from('a b')] }),
    rr({ name: QNAME, type: 15, ttl: 7200, rdata: [0, 10, 2, ...Buffer.from('mx'), 0xc0, 16] }),
  ],
});

function run(transport: 'udp' | 'tcp', deliveries: Array<[0 | 1, Uint8Array, bigint]>): { txs: DnsTransaction[]; w: Weirds; a: DnsAnalyzer } {
  const w = new Weirds();
  const a = new DnsAnalyzer(transport, w);
  for (const [dir, b, ts] of deliveries) a.deliver(dir, b, 0, b.length, ts);
  return { txs: a.metadata(true)?.dns ?? [], w, a };
}

describe('DNS message parsing', () => {
  it('reads the header and question of a query', () => {
    const w = new Weirds();
    const m = parseDnsMessage(query, 0, query.length, w)!;
    expect(m).toMatchObject({ id: 0x1234, qr: false, opcode: 0, rd: true, ra: false, qname: 'www.Example.com', qtype: 1, qclass: 1 });
    expect(w.names).toEqual([]);
  });

  it('decodes compressed answers of each common type', () => {
    const w = new Weirds();
    const m = parseDnsMessage(response, 0, response.length, w)!;
    expect(w.names).toEqual([]);
    expect(m.answers.map((a) => [a.name, a.type, a.ttl, a.data])).toEqual([
      ['www.Example.com', 5, 300, 'cdn.Example.com'],
      ['cdn.Example.com', 1, 60, '93.184.216.34'],
      ['cdn.Example.com', 28, 60, '2001:db8::1'],
      ['www.Example.com', 16, 3600, 'TXT 5 hello TXT 3 a b'],
      ['www.Example.com', 15, 7200, 'mx.Example.com'],
    ]);
  });

  it('writes unusual label bytes in presentation form', () => {
    const msg = bytes(new Array(12).fill(0), [3, 0x61, 0x2e, 0x62, 2, 0x20, 0x5c, 0]);
    expect(readName(msg, 0, 12, msg.length, true)).toBe(true);
    expect(nameResult.text).toBe('a\\.b.\\032\\\\');
  });

  it('rejects a pointer to itself and a pointer forward', () => {
    const self = bytes(new Array(12).fill(0), [0xc0, 12]);
    expect(readName(self, 0, 12, self.length, true)).toBe(false);
    const w = new Weirds();
    const msg = bytes(be16(1), be16(0x0100), be16(1), be16(0), be16(0), be16(0), [0xc0, 12], be16(1), be16(1));
    expect(parseDnsMessage(msg, 0, msg.length, w)).toBeUndefined();
    expect(w.names).toEqual(['DNS_label_forward_compress_offset']);
  });

  it('ends a two-pointer loop (each points at the other) without hanging', () => {
    // Offset 12: a pointer to 14; offset 14: a pointer to 12. Following 12 -> 14 is forward: refused.
    // Following 14 -> 12 is backward, but 12's pointer would lead to 14, which is not before 14: refused.
    const msg = bytes(new Array(12).fill(0), [0xc0, 14, 0xc0, 12]);
    expect(readName(msg, 0, 14, msg.length, true)).toBe(false);
    expect(readName(msg, 0, 12, msg.length, true)).toBe(false);
  });

  it('bounds a long backward pointer chain', () => {
    // 200 pointers, each pointing at the one before it, the first at a real name.
    const chain: number[] = [...dnsName('a')];
    for (let i = 0; i < 200; i++) {
      const prev = 12 + (i === 0 ? 0 : 3 + (i - 1) * 2);
      chain.push(0xc0 | (prev >> 8), prev & 0xff);
    }
    const msg = bytes(new Array(12).fill(0), chain);
    expect(readName(msg, 0, msg.length - 2, msg.length, true)).toBe(false);
    expect(nameResult.error).toBe(5); // DNS_name_too_many_pointers
    expect(readName(msg, 0, 15, msg.length, true)).toBe(true); // a short chain is fine
    expect(nameResult.text).toBe('a');
  });

  it('rejects names over 255 bytes and labels over 63', () => {
    const long = bytes(new Array(12).fill(0), ...Array.from({ length: 5 }, () => [60, ...new Array(60).fill(0x61)]), 0);
    expect(readName(long, 0, 12, long.length, false)).toBe(false);
    expect(nameResult.error).toBe(4);
    const label = bytes(new Array(12).fill(0), 64, new Array(64).fill(0x61), 0);
    expect(readName(label, 0, 12, label.length, false)).toBe(false);
  });

  it('never throws on a message cut at any byte', () => {
    for (const m of [query, response]) {
      for (let cut = 0; cut <= m.length; cut++) {
        const w = new Weirds();
        expect(() => parseDnsMessage(m, 0, cut, w)).not.toThrow();
        const a = new DnsAnalyzer('udp', w);
        expect(() => {
          a.deliver(0, m, 0, cut, 1n);
          a.metadata(true);
        }).not.toThrow();
      }
    }
  });
});

describe('DNS transactions', () => {
  it('pairs a UDP query with its reply and reports the Zeek fields', () => {
    const { txs, w, a } = run('udp', [
      [0, query, 1_000_000_000n],
      [1, response, 1_025_000_000n],
    ]);
    expect(a.service).toBe('dns');
    expect(w.names).toEqual([]);
    expect(txs).toHaveLength(1);
    expect(txs[0]).toMatchObject({
      proto: 'udp',
      transId: 0x1234,
      rttNs: 25_000_000n,
      query: 'www.Example.com',
      qtype: 1,
      qclass: 1,
      rcode: 0,
      AA: false,
      TC: false,
      RD: true,
      RA: true,
      rejected: false,
      sawQuery: true,
      sawReply: true,
    });
    expect(txs[0]!.answers).toHaveLength(5);
  });

  it('marks a reply with no records at all as rejected', () => {
    const refused = dnsMessage({ id: 0x1234, flags: 0x8185, qname: 'www.Example.com' });
    const { txs } = run('udp', [
      [0, query, 1n],
      [1, refused, 2n],
    ]);
    expect(txs[0]).toMatchObject({ rcode: 5, rejected: true });
  });

  it('logs an unanswered query at the end and an unmatched reply on its own', () => {
    const other = dnsMessage({ id: 7, flags: R, qname: 'x.test', answers: [rr({ name: QNAME, type: 1, ttl: 1, rdata: [1, 2, 3, 4] })] });
    const { txs, w } = run('udp', [
      [0, query, 1n],
      [1, other, 2n],
    ]);
    expect(w.has('dns_unmatched_reply')).toBe(true);
    expect(w.has('dns_unmatched_msg')).toBe(true);
    expect(txs.map((t) => [t.transId, t.sawQuery, t.sawReply, t.query])).toEqual([
      [7, false, true, 'x.test'],
      [0x1234, true, false, 'www.Example.com'],
    ]);
  });

  it('drains: each transaction is returned once', () => {
    const w = new Weirds();
    const a = new DnsAnalyzer('udp', w);
    a.deliver(0, query, 0, query.length, 1n);
    expect(a.metadata(false)).toBeUndefined();
    a.deliver(1, response, 0, response.length, 2n);
    expect(a.metadata(false)?.dns).toHaveLength(1);
    expect(a.metadata(false)).toBeUndefined();
    expect(a.metadata(true)).toBeUndefined();
  });

  it('takes TCP messages behind their length prefix, however the stream is cut', () => {
    const q = cat(bytes(be16(query.length)), query);
    const r = cat(bytes(be16(response.length)), response, bytes(be16(query.length)), query); // a reply, then a second query
    for (const parts of splits(q)) {
      for (const rparts of [[r], [r.subarray(0, 1), r.subarray(1)], [r.subarray(0, 2), r.subarray(2, 40), r.subarray(40)]]) {
        const deliveries: Array<[0 | 1, Uint8Array, bigint]> = [
          ...parts.map((p): [0 | 1, Uint8Array, bigint] => [0, p, 10n]),
          ...rparts.map((p): [0 | 1, Uint8Array, bigint] => [1, p, 20n]),
        ];
        const { txs, w } = run('tcp', deliveries);
        expect(w.names.filter((n) => n !== 'dns_unmatched_msg')).toEqual([]);
        expect(txs.map((t) => [t.proto, t.sawQuery, t.sawReply, t.rttNs])).toEqual([
          ['tcp', true, true, 10n],
          ['tcp', true, false, undefined],
        ]);
      }
    }
  });

  it('stops a TCP direction after a gap instead of misreading lengths', () => {
    const w = new Weirds();
    const a = new DnsAnalyzer('tcp', w);
    const q = cat(bytes(be16(query.length)), query);
    a.deliver(0, q, 0, 5, 1n);
    a.gap(0, 10);
    a.deliver(0, q, 15, q.length, 1n);
    expect(w.has('dns_tcp_content_gap')).toBe(true);
    expect(a.metadata(true)).toBeUndefined();
  });

  it('does not claim a UDP stream that is not DNS', () => {
    const w = new Weirds();
    const a = new DnsAnalyzer('udp', w);
    a.deliver(0, bytes('hello'), 0, 5, 1n);
    expect(a.service).toBeUndefined();
    expect(a.done).toBe(true);
  });

  it('bounds what one flow holds between two metadata() calls', () => {
    const w = new Weirds();
    const a = new DnsAnalyzer('udp', w);
    const txt = rr({ name: QNAME, type: 16, ttl: 1, rdata: [255, ...new Array(255).fill(0x41)] });
    for (let id = 0; id < 3000; id++) {
      const m = dnsMessage({ id, flags: R, qname: 'flood.test', answers: [txt, txt, txt, txt] });
      a.deliver(1, m, 0, m.length, BigInt(id));
    }
    const kept = a.metadata(false)!.dns!;
    expect(kept.length).toBeGreaterThan(100);
    expect(kept.length).toBeLessThan(3000);
    expect(w.has('dns_transactions_dropped')).toBe(true);
  });

  it('bounds the answers it keeps', () => {
    const many = dnsMessage({
      id: 1,
      flags: R,
      qname: 'a.test',
      answers: Array.from({ length: 100 }, (_, i) => rr({ name: QNAME, type: 1, ttl: 1, rdata: [10, 0, 0, i] })),
    });
    const w = new Weirds();
    const m = parseDnsMessage(many, 0, many.length, w)!;
    expect(m.answers).toHaveLength(64);
    expect(w.has('DNS_too_many_answers')).toBe(true);
  });
});

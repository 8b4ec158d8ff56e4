/**
 * The DNS analyzer in native code (native/dns.c through sensor/app/dns/native-analyzer.ts)
 * against DnsAnalyzer, the reference: for the same deliveries, the same dns.log bytes,
 * the same weirds in the same order, and the same service and done after every call.
 * Crafted messages reach every rule of the parser and the pairing; a fuzz run mutates
 * real ones; `sensor read` writes the same logs with either.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeCapture } from '../../../lab/traffic/generate.js';
import type { AppAnalyzer, AppMetadata, Direction } from '../../../sensor/app/analyzer.js';
import { DnsAnalyzer } from '../../../sensor/app/dns/analyzer.js';
import { dnsLog, DNS_FIELDS } from '../../../sensor/app/dns/log.js';
import { NativeDnsAnalyzer } from '../../../sensor/app/dns/native-analyzer.js';
import { nativeTlsStats } from '../../../sensor/app/tls/native-analyzer.js';
import { nativeHttpStats } from '../../../sensor/app/http/native-analyzer.js';
import { APP_WEIRDS } from '../../../sensor/app/events.js';
import { zeekLogAnalyzers } from '../../../sensor/app/index.js';
import { appAnalyzersAddon } from '../../../sensor/app/native.js';
import { NativeFileReader } from '../../../sensor/capture/native-reader.js';
import { createAppLogs } from '../../../sensor/output/app-logs.js';
import { ZeekDirOutput } from '../../../sensor/output/zeek-dir.js';
import { ZeekLogWriter, ZeekRowWriter } from '../../../sensor/output/zeek-log.js';
import { Pipeline } from '../../../sensor/pipeline.js';
import { readSettings } from '../../../sensor/read.js';
import { be16, be32, bytes, cat, dnsMessage, dnsName, mutate, rng, rr, splits, Weirds } from './helpers.js';

const loaded = appAnalyzersAddon();
const addon = 'addon' in loaded ? loaded.addon : undefined;
const dir = mkdtempSync(join(tmpdir(), 'chot-native-dns-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CONN = { uid: 'CdnsTest1', origH: '10.0.0.1', origP: 40000, respH: '10.0.0.53', respP: 53 };

type Step = { data: [Direction, Uint8Array, bigint] } | { gap: [Direction, number] } | { meta: boolean } | { range: [Direction, Uint8Array, number, number, bigint] };

interface Outcome {
  /** Each step's weirds, service and done. */
  steps: string[];
  rows: string;
}

/** What an analyzer makes of the steps: its rows through the Zeek writer and its state after each step. */
function outcome(a: AppAnalyzer, w: Weirds, steps: Step[]): Outcome {
  const chunks: Buffer[] = [];
  const rows = new ZeekRowWriter(() => new ZeekLogWriter('dns.log', 'dns', DNS_FIELDS, undefined, { sink: (b) => void chunks.push(Buffer.from(b)), close() {} }));
  const write = (m: AppMetadata | undefined): void => {
    if (m?.dns) dnsLog.write(rows, CONN, m.dns);
    if (m?.rows) for (const r of m.rows) rows.preformatted(CONN, r.text);
  };
  const seen: string[] = [];
  for (const s of [...steps, { meta: true }]) {
    const before = w.names.length;
    if ('data' in s) a.deliver(s.data[0], s.data[1], 0, s.data[1].length, s.data[2]);
    else if ('range' in s) a.deliver(s.range[0], s.range[1], s.range[2], s.range[3], s.range[4]);
    else if ('gap' in s) a.gap(s.gap[0], s.gap[1]);
    else write(a.metadata(s.meta));
    seen.push(`${w.names.slice(before).join(' ')} | ${a.service} ${a.done}`);
  }
  rows.close();
  return { steps: seen, rows: Buffer.concat(chunks).toString('latin1') };
}

/** Both analyzers' outcomes for the steps; the test then holds them equal. */
function both(proto: 'udp' | 'tcp', steps: Step[]): { js: Outcome; native: Outcome } {
  const wj = new Weirds();
  const wn = new Weirds();
  const js = outcome(new DnsAnalyzer(proto, wj), wj, steps);
  const native = outcome(new NativeDnsAnalyzer(addon!, proto, wn), wn, steps);
  return { js, native };
}

function same(proto: 'udp' | 'tcp', steps: Step[]): Outcome {
  const { js, native } = both(proto, steps);
  expect(native.steps).toEqual(js.steps);
  expect(native.rows).toBe(js.rows);
  return js;
}

const T0 = 1_767_225_600_123_456_789n;
const udp = (msgs: Uint8Array[], dirs?: Direction[]): Step[] => msgs.map((m, i) => ({ data: [dirs?.[i] ?? (i % 2 === 0 ? 0 : 1), m, T0 + BigInt(i) * 1_234_567n] as [Direction, Uint8Array, bigint] }));
const framed = (m: Uint8Array): Uint8Array => cat(Uint8Array.from(be16(m.length)), m);
const rowsOf = (o: Outcome): string[] => o.rows.split('\n').filter((l) => l !== '' && !l.startsWith('#'));

const Q = 0x0100;
const R = 0x8180;
const QNAME = [0xc0, 12];
const ans = (type: number, rdata: number[], ttl = 300, name = QNAME): number[] => rr({ name, type, ttl, rdata });
const reply = (answers: number[][], id = 7, flags = R, qname = 'example.com', qtype = 1): Uint8Array => dnsMessage({ id, flags, qname, qtype, answers });
const ask = (id = 7, qname = 'example.com', qtype = 1, flags = Q): Uint8Array => dnsMessage({ id, flags, qname, qtype });
const utf8 = (s: string): number[] => [...Buffer.from(s, 'utf8')];

describe('the native DNS analyzer', () => {
  it('is built (npm run build compiles native/app-addon.c), and reports only weirds the sensor knows', () => {
    expect(loaded).toHaveProperty('addon');
    expect(addon!.weirdNames.length).toBeGreaterThan(20);
    for (const n of addon!.weirdNames) expect(APP_WEIRDS).toContain(n);
  });

  it('writes a query and its reply as DnsAnalyzer does, with the answers of each common type', () => {
    const r = reply([
      ans(5, [3, ...Buffer.from('cdn'), 0xc0, 12]),
      ans(1, [93, 184, 216, 34], 60),
      ans(28, [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 60),
      ans(16, [5, ...Buffer.from('hello'), 3, ...Buffer.from('a,b')], 3600),
      ans(15, [0, 10, 2, ...Buffer.from('mx'), 0xc0, 12], 7200),
    ], 0x1234, R, 'www.Example.COM');
    const o = same('udp', udp([ask(0x1234, 'www.Example.COM'), r]));
    // Held to the text too, not only to the reference: lowercased query, answers as received, commas escaped in a set.
    expect(rowsOf(o)).toEqual([
      '1767225600.123456\tCdnsTest1\t10.0.0.1\t40000\t10.0.0.53\t53\tudp\t4660\t0.001234\twww.example.com\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\tcdn.www.Example.COM,93.184.216.34,2001:db8::1,TXT 5 hello TXT 3 a\\x2cb,mx.www.Example.COM\t300.000000,60.000000,60.000000,3600.000000,7200.000000\tF',
    ]);
  });

  it('record data of every kind, well and badly formed, as the reference shows it', () => {
    const name = dnsName('ns1.example.net');
    const cases: number[][] = [
      ans(1, [10, 0, 0, 1]), ans(1, [10, 0, 0]),
      ans(28, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1]), ans(28, [0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]),
      ans(28, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), ans(28, [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
      ans(28, [0x20, 1, 0xd, 0xb8, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1]), ans(28, [1, 2, 3]),
      ans(2, name), ans(5, [...name, 0xaa]), ans(12, [3, 0x61]), ans(39, name), ans(6, [...name, ...dnsName('hostmaster.example.net'), ...be32(1)]),
      ans(15, [0, 5, ...name]), ans(15, [0, 5]), ans(33, [0, 1, 0, 2, 0, 53, ...name]), ans(33, [0, 1, 0, 2, 0, 53]),
      ans(64, [0, 1, 0]), ans(65, [0, 1, ...name, 0, 1, 0, 2, 0x68, 0x32]), ans(65, [0, 1]), ans(64, [0, 1, 0xc0, 0xff]),
      ans(16, [3, ...Buffer.from('a\\b'), 0, 2, 0x0a, 0x7f]), ans(16, [200, 1, 2]), ans(99, [4, ...utf8('été')]),
      ans(16, [6, 0xe9, 0x74, 0xe9, 0xff, 0x80, 0x41]), ans(16, [4, ...utf8('😀')]), ans(16, [1, 0x2d]), ans(16, []),
      ans(257, [0, 5, ...Buffer.from('issue'), ...Buffer.from('ca.example.net')]), ans(257, [128, 9, ...Buffer.from('iodef')]), ans(257, [0]),
      ans(4242, [1, 2, 3]), ans(250, []), ans(41, [0, 0]), ans(255, [1]),
    ];
    for (const c of cases) same('udp', udp([ask(), reply([c])]));
    // All at once, too: one row, every answer in order.
    same('udp', udp([ask(), reply(cases)]));
  });

  it('long TXT data: cut at 1,024 characters, a UTF-16 surrogate pair split by the cut as JavaScript splits it', () => {
    const strings = (text: number[], n: number): number[] => Array.from({ length: n }, () => [text.length, ...text]).flat();
    for (const cut of [0, 1, 2, 3]) {
      // "TXT 255 " + 255 characters per string; padding moves where 1,024 falls.
      const pad = [cut + 1, ...new Array(cut + 1).fill(0x78)];
      const emoji = strings(utf8('😀'.repeat(63)), 4);
      same('udp', udp([ask(), reply([ans(16, [...pad, ...emoji])])]));
      same('udp', udp([ask(), reply([ans(16, [...pad, ...strings(new Array(255).fill(0xe9), 8)])])]));
    }
    same('udp', udp([ask(), reply([ans(257, [0, 3, ...Buffer.from('tag'), ...new Array(1200).fill(0x41)])])]));
  });

  it('names: presentation escapes, lowercasing, the values Zeek reads as unset or empty, and every name error', () => {
    const raw = (labels: number[][]): number[] => [...labels.flatMap((l) => [l.length, ...l]), 0];
    const msg = (qname: number[], flags = Q, rest: number[] = []): Uint8Array => bytes(be16(9), be16(flags), be16(1), be16(rest.length ? 1 : 0), be16(0), be16(0), qname, be16(1), be16(1), rest);
    const names = [
      raw([[0x2d]]), raw([[...Buffer.from('(empty)')]]), raw([[0x41, 0x2e, 0x5c, 0x20, 0x00, 0xff, 0x7f]]), [0], raw([[...Buffer.from('MiXeD')], [...Buffer.from('CaSe')]]),
      raw([new Array(63).fill(0x61), new Array(63).fill(0x62), new Array(63).fill(0x63), new Array(61).fill(0x64)]),
    ];
    for (const n of names) same('udp', udp([msg(n), msg(n, R, [...QNAME, ...be16(1), ...be16(1), ...be32(5), ...be16(4), 1, 2, 3, 4])]));
    const broken = [
      [5, 0x61], // label past the message
      [0x40, 0x61], // label type 01
      [0x80], // label type 10
      [0xc0, 12], // pointer to itself
      [0xc0], // pointer cut
      raw([new Array(63).fill(0x61), new Array(63).fill(0x62), new Array(63).fill(0x63), new Array(63).fill(0x64)]), // too long
    ];
    for (const b of broken) {
      same('udp', udp([msg(b)])); // before recognition: a violation, the analyzer stops
      same('udp', udp([ask(), msg(b), reply([])])); // after: one bad message
      same('udp', udp([ask(), reply([], 7, R).slice(0, 29), dnsMessage({ id: 7, flags: R, qname: 'example.com', answers: [[...b, ...be16(1), ...be16(1), ...be32(1), ...be16(0)]] })]));
    }
    // A chain of pointers, each to the one before, in a NULL record's data, followed from the names of the
    // answers after it: 63 are read, 64 and more are too many (DNS_name_too_many_pointers).
    for (const hops of [1, 62, 63, 64, 65, 80]) {
      const at = (k: number): number => (k === 0 ? 12 : 28 + 2 * (k - 1)); // the question's root name, then the chain
      const chain = Array.from({ length: hops }, (_, k) => [0xc0 | (at(k) >> 8), at(k) & 0xff]).flat();
      const last = [0xc0 | (at(hops) >> 8), at(hops) & 0xff];
      const m = bytes(be16(1), be16(R), be16(1), be16(3), be16(0), be16(0), 0, be16(1), be16(1),
        0, be16(10), be16(1), be32(1), be16(chain.length), chain,
        last, be16(5), be16(1), be32(1), be16(2), last,
        last, be16(1), be16(1), be32(1), be16(4), 1, 2, 3, 4);
      const o = same('udp', udp([bytes(be16(1), be16(Q), be16(1), be16(0), be16(0), be16(0), 0, be16(1), be16(1)), m]));
      expect(o.steps.join(' ').includes('DNS_name_too_many_pointers'), `${hops} pointers`).toBe(hops >= 64);
    }
  });

  it('headers: a message shorter than a header, a question cut, more answers than are kept, rcodes and flags', () => {
    same('udp', udp([bytes(1, 2, 3)]));
    same('udp', udp([ask(), bytes(0, 7, 0x81)]));
    same('udp', udp([ask().slice(0, ask().length - 2)]));
    const many = Array.from({ length: 70 }, (_, i) => ans(1, [10, 0, 0, i]));
    same('udp', udp([ask(), reply(many)]));
    for (let rcode = 0; rcode < 16; rcode++) same('udp', udp([ask(), reply([], 7, 0x8000 | 0x0400 | 0x0200 | 0x0070 | rcode)]));
    for (const qtype of [0, 1, 28, 255, 256, 257, 999, 32768, 32769, 65535]) same('udp', udp([ask(7, 'x.example', qtype), reply([], 7, R, 'x.example', qtype)]));
    same('udp', udp([dnsMessage({ id: 1, flags: Q }), dnsMessage({ id: 1, flags: R })])); // no question at all
    same('udp', udp([dnsMessage({ id: 1, flags: R, qname: 'a.b', ns: [ans(2, dnsName('ns.b'))] })])); // not rejected: an authority record
  });

  it('pairing: replies without queries, repeated ids, replies first, a reply earlier than its query, too many pending', () => {
    same('udp', udp([reply([ans(1, [1, 2, 3, 4])])]));
    same('udp', udp([ask(1), ask(1, 'second.example'), reply([], 1), reply([], 1), reply([], 1)], [0, 0, 1, 1, 1]));
    same('udp', [{ data: [0, ask(3), T0 + 5_000_000_000n] }, { data: [1, reply([], 3), T0] }]);
    same('udp', udp([reply([], 3, R, 'mdns.local'), ask(3)], [0, 1]));
    const queries = Array.from({ length: 70 }, (_, i) => ask(i, `q${i}.example`));
    same('udp', udp([...queries, reply([], 5), reply([], 69)], [...queries.map(() => 0 as Direction), 1, 1]));
  });

  it('interim metadata between transactions, and the bound on what waits between two calls', () => {
    same('udp', [...udp([ask(1), reply([], 1)]), { meta: false }, ...udp([ask(2)]), { meta: false }, ...udp([reply([], 2)], [1]), { meta: false }]);
    // 1,100 transactions with no call between: the first 1,024 are kept, the rest dropped (counted).
    const steps: Step[] = [];
    for (let i = 0; i < 1100; i++) steps.push(...udp([ask(i & 0xffff), reply([ans(1, [1, 1, 1, 1])], i & 0xffff)]));
    const o = same('udp', steps);
    expect(rowsOf(o)).toHaveLength(1024);
    // ... and by size: long answers reach 512 KB first.
    const big = Array.from({ length: 64 }, () => ans(16, [255, ...new Array(255).fill(0x61), 255, ...new Array(255).fill(0x62)]));
    const sized: Step[] = [];
    for (let i = 0; i < 40; i++) sized.push(...udp([ask(i), reply(big, i)]));
    same('udp', sized);
  });

  it('DNS over TCP: messages split at every byte, several in one segment, empty messages, gaps', () => {
    const m1 = framed(ask(0x51, 'tcp.example'));
    const m2 = framed(reply([ans(1, [192, 0, 2, 7]), ans(16, [3, 0x61, 0x62, 0x63])], 0x51, R, 'tcp.example'));
    for (const parts of splits(m1)) same('tcp', [...parts.map((p, i) => ({ data: [0, p, T0 + BigInt(i)] as [Direction, Uint8Array, bigint] })), { data: [1, m2, T0 + 99n] }]);
    for (const parts of splits(m2)) same('tcp', [{ data: [0, m1, T0] }, ...parts.map((p, i) => ({ data: [1, p, T0 + BigInt(i)] as [Direction, Uint8Array, bigint] }))]);
    same('tcp', [{ data: [0, cat(m1, framed(ask(0x52)), Uint8Array.from([0, 0]), framed(ask(0x53)).subarray(0, 5)), T0] }, { data: [1, cat(m2, framed(reply([], 0x52))), T0 + 1n] }]);
    same('tcp', [{ data: [0, m1.subarray(0, 7), T0] }, { gap: [0, 100] }, { data: [0, m1, T0 + 1n] }, { data: [1, m2, T0 + 2n] }, { gap: [1, 5] }, { data: [1, m2, T0 + 3n] }]);
    same('tcp', [{ gap: [0, 1] }, { gap: [1, 0] }, { gap: [1, -3] }, { data: [1, m2, T0] }]);
    same('tcp', [{ data: [0, framed(bytes(1, 2, 3)), T0] }, { data: [0, m1, T0 + 1n] }]); // a violation first: stopped
    same('udp', [{ gap: [0, 10] }, ...udp([ask(), reply([])])]); // gaps mean nothing to UDP
  });

  it('ranges are clamped as GuardedAnalyzer clamps them; times at the edges of the format', () => {
    const q = ask(4);
    same('udp', [{ range: [0, q, -5, q.length + 10, T0] }, { range: [1, reply([], 4), 3, 2, T0 + 1n] }, { range: [1, cat(bytes(9, 9, 9), reply([], 4)), 3, 3 + reply([], 4).length, T0 + 2n] }]);
    for (const [t1, t2] of [[0n, 1n], [999n, 1000n], [2n ** 62n, 2n ** 62n + 1_000_000_001n], [9_007_199_254_740_993_000n, 9_007_199_254_740_993_001n], [1_000_000_000n, 0n], [T0, T0 - 1500n]]) {
      same('udp', [{ data: [0, ask(8), t1!] }, { data: [1, reply([], 8), t2!] }]);
    }
    // Past 64 bits (pcapng times can be): an rtt of 2^64 ns, times either side of 2^63, up to 2^52 seconds.
    const limit = 2n ** 52n * 1_000_000_000n;
    for (const [t1, t2] of [[-(2n ** 63n), 2n ** 63n - 1n], [9_223_372_036_000_000_000n, 9_223_372_037_000_000_000n], [2n ** 64n + 5n, 2n ** 64n + 1_000_000_005n], [-(2n ** 70n) - 3n, 2n ** 70n], [-limit, limit], [limit - 1n, -limit + 999_999_999n]]) {
      same('udp', [{ data: [0, ask(8), t1!] }, { data: [1, reply([], 8), t2!] }]);
      same('tcp', [{ data: [0, framed(ask(8)), t1!] }, { data: [1, framed(reply([], 8)), t2!] }]);
    }
    // Past 2^52 seconds (142 million years) at a connection's start: the JavaScript analyzer takes it whole.
    same('udp', [{ data: [0, ask(8), limit + 1n] }, { data: [1, reply([], 8), limit + 2n] }]);
    // ...and later: the connection's DNS analysis stops there, with what it had (its query, unanswered), never a wrong time.
    const late = both('udp', [{ data: [0, ask(8), T0] }, { data: [1, reply([], 8), -limit - 1n] }, { data: [0, ask(9), T0] }]).native;
    expect(late.steps.slice(1)).toEqual([' | dns true', ' | dns true', 'dns_unmatched_msg | dns true']);
    expect(rowsOf(late)).toHaveLength(1);
    expect(rowsOf(late)[0]).toMatch(/^1767225600\.123456\tCdnsTest1\t.*\t8\t-\texample\.com\t/);
    // Ranges past 32 bits, infinite or not a number: clamped in the same way (NaN: nothing delivered).
    for (const [s1, e1] of [[0, 2 ** 31], [0, Infinity], [0, 2 ** 32 + 3], [2 ** 32, q.length], [-(2 ** 32) + 1, q.length], [-Infinity, q.length]]) same('udp', [{ range: [0, q, s1!, e1!, T0] }, { data: [1, reply([], 4), T0 + 1n] }]);
    expect(addon!.dnsData(addon!.dnsNew(false), 0, q, Number.NaN, q.length, T0)).toBe(0);
  });

  // CHOT_NATIVE_DNS_FUZZ=<rounds> runs a longer one (each round: three datagrams, a TCP stream of three, one more reply).
  const rounds = Number(process.env.CHOT_NATIVE_DNS_FUZZ ?? 10_000);
  it(`fuzz: ${(rounds * 7).toLocaleString('en')} mutated and cut messages over UDP and TCP give the reference rows and weirds`, () => {
    const r = rng(0xd05);
    const seeds = [
      ask(), reply([ans(1, [1, 2, 3, 4]), ans(28, new Array(16).fill(0).map((_, i) => i)), ans(5, [3, 0x77, 0x77, 0x77, 0xc0, 12])]),
      reply([ans(16, [5, ...Buffer.from('hello'), 3, 0xe9, 0x2c, 0x5c]), ans(257, [0, 5, ...Buffer.from('issue'), 0x61]), ans(65, [0, 1, 0])]),
      reply([ans(15, [0, 10, 2, 0x6d, 0x78, 0xc0, 12]), ans(33, [0, 1, 0, 2, 0, 53, 0]), ans(6, [...dnsName('a.b'), ...dnsName('c.d')])]),
      dnsMessage({ id: 9, flags: R, qname: 'x.y', ns: [ans(2, dnsName('ns.y'))], ar: [ans(1, [9, 9, 9, 9])] }),
    ];
    let rows = 0;
    for (let i = 0; i < rounds; i++) {
      const msgs = Array.from({ length: 3 }, () => mutate(seeds[Math.floor(r() * seeds.length)]!, r));
      const o = same('udp', udp(msgs));
      rows += rowsOf(o).length;
      const stream = cat(...msgs.map((m) => (r() < 0.8 ? framed(m) : m)));
      const at = Math.floor(r() * (stream.length + 1));
      same('tcp', [{ data: [0, stream.subarray(0, at), T0] }, { data: [0, stream.subarray(at), T0 + 1n] }, { data: [1, framed(mutate(seeds[1]!, r)), T0 + 2n] }]);
    }
    // The mutations leave most messages readable: rows were written, not only weirds counted.
    expect(rows).toBeGreaterThan(rounds / 2);
  }, 60_000);

  it('refuses a closed or unknown handle, and bad arguments, with what is wrong', () => {
    const a = addon!;
    const h = a.dnsNew(false);
    expect(a.dnsData(h, 0, ask(), 0, ask().length, T0)).toBe(1);
    // A query alone waits for its reply until the final call, which writes it unanswered.
    expect(a.dnsRows(h, false)).toBeUndefined();
    const final = a.dnsRows(h, true) as [string, number];
    expect(final[0]).toMatch(/^1767225600\.123456\tudp\t7\t-\texample\.com\t1\tC_INTERNET\t1\tA\t-\t-\tF\tF\tT\tF\t0\t-\t-\tF\n$/);
    expect(a.weirdNames[final[1]]).toBe('dns_unmatched_msg');
    expect(() => a.dnsData(h, 0, ask(), 0, 10, T0)).toThrow('not an open DNS analyzer handle');
    expect(() => a.dnsRows(h, true)).toThrow('not an open DNS analyzer handle');
    expect(() => a.dnsGap(123_456_789, 0)).toThrow('not an open DNS analyzer handle');
    const h2 = a.dnsNew(true);
    expect(() => a.dnsData(h2, 0, 'text' as unknown as Uint8Array, 0, 4, T0)).toThrow('dnsData(handle, dir: 0 or 1, bytes: Uint8Array, start, end, tsNs: bigint)');
    expect(() => a.dnsData(h2, 0, ask(), 0, 4, 5 as unknown as bigint)).toThrow('tsNs: bigint');
    expect(() => a.dnsNew('yes' as unknown as boolean)).toThrow('dnsNew(tcp): a boolean');
    a.dnsRows(h2, true);
  });

  it('the unanswered query of the last test reached its row with the final call', () => {
    const w = new Weirds();
    const o = outcome(new NativeDnsAnalyzer(addon!, 'udp', w), w, udp([ask(77)]));
    expect(rowsOf(o)).toHaveLength(1);
    expect(w.names).toEqual(['dns_unmatched_msg']);
  });
});

describe('sensor read with the native analyzers', () => {
  it('writes the same logs as with every analyzer in JavaScript, and uses the native one only for Zeek logs', async () => {
    const file = join(dir, 'logs.pcap');
    await writeCapture(file, { seed: 11, packets: 30_000 });
    const logsOf = (factory: ReturnType<typeof zeekLogAnalyzers>['factory'], name: string): Record<string, string> => {
      const out = join(dir, name);
      const p = new Pipeline({ outputs: [new ZeekDirOutput(out, createAppLogs)], analyzers: factory, flows: { uidSeed: 3, interimSec: 60 } });
      new NativeFileReader(file).readAll(p);
      p.finish();
      const logs: Record<string, string> = {};
      for (const f of readdirSync(out)) logs[f] = readFileSync(join(out, f), 'utf8').replace(/^#(open|close).*$/gm, '');
      return logs;
    };
    const native = zeekLogAnalyzers();
    expect(native.native).toEqual(['dns', 'tls', 'http']);
    const kept0 = addon!.replayBudget();
    const tls0 = { ...nativeTlsStats };
    const http0 = { ...nativeHttpStats };
    const { createAppAnalyzer } = await import('../../../sensor/app/index.js');
    const nativeLogs = logsOf(native.factory, 'native');
    const jsLogs = logsOf(createAppAnalyzer, 'js');
    expect(Object.keys(nativeLogs).sort()).toEqual(Object.keys(jsLogs).sort());
    for (const name of Object.keys(jsLogs)) expect(nativeLogs[name], name).toBe(jsLogs[name]);
    expect(nativeLogs['dns.log']!.split('\n').length).toBeGreaterThan(300);
    // Most TLS connections of the capture stayed native (TLS 1.3); those with certificates were handed over.
    const kept = nativeTlsStats.native - tls0.native;
    const handed = nativeTlsStats.handedOver - tls0.handedOver;
    expect(kept).toBeGreaterThan(100);
    expect(kept + handed).toBeGreaterThanOrEqual(nativeLogs['ssl.log']!.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length);
    // Every analyzer was closed: what they kept for handovers is all given back.
    expect(addon!.replayBudget()).toEqual(kept0);
    // The capture's HTTP conversations are plain: all of them native.
    expect(nativeHttpStats.native - http0.native).toBeGreaterThan(50);
    expect(nativeHttpStats.handedOver - http0.handedOver).toBeLessThan((nativeHttpStats.native - http0.native) / 10);
    const settings = (o: { format?: string; analyzers?: string }) => readSettings({ format: o.format ?? 'zeek', app: true, interim: '60', maxFlows: '1000000', reader: 'chot', checksums: true, analyzers: o.analyzers });
    expect(settings({}).analyzers).toBe('native');
    expect(settings({ analyzers: 'js' }).analyzers).toBe('js');
    expect(() => settings({ analyzers: 'c' })).toThrow('--analyzers: expected native or js, got "c"');
  }, 60_000);
});

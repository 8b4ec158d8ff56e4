/**
 * The TLS analyzer's common path in native code (native/tls.c through
 * sensor/app/tls/native-analyzer.ts) against TlsAnalyzer, the reference: for the same
 * deliveries, the same ssl.log and x509.log bytes, the same weirds in the same order, and
 * the same service and done after every call, whether the native analyzer reads the whole
 * handshake or hands it over part way. Ordinary TLS 1.3 and 1.2 handshakes without
 * certificates stay native; everything unusual is handed over.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { AppAnalyzer, AppMetadata, Direction } from '../../../sensor/app/analyzer.js';
import { appAnalyzersAddon } from '../../../sensor/app/native.js';
import { TlsAnalyzer } from '../../../sensor/app/tls/analyzer.js';
import { HRR_RANDOM } from '../../../sensor/app/tls/consts.js';
import { sslLog, SSL_FIELDS, x509Log, X509_FIELDS } from '../../../sensor/app/tls/log.js';
import { NativeTlsAnalyzer } from '../../../sensor/app/tls/native-analyzer.js';
import { ZeekLogWriter, ZeekRowWriter } from '../../../sensor/output/zeek-log.js';
import { alpnExt, be16, be24, bytes, cat, clientHelloBody, ext, handshake, mutate, record, rng, serverHelloBody, sniExt, splits, u16list, Weirds } from './helpers.js';
import { D_HELLO, D_HELLO_END, D_HELLO_START, HELLO_CLIENT, HELLO_SERVER, STRIDE } from '../../../sensor/decode/predecoded.js';
import { certificateList, der } from './der-builder.js';
import { makePki, pemToDer } from './pki.js';
import { ALERT, APP, CCS, clientHello12, HS, mutual12, tls13, type Flights } from './samples.js';

const loaded = appAnalyzersAddon();
const addon = 'addon' in loaded ? loaded.addon : undefined;
const CONN = { uid: 'CtlsTest1', origH: '10.0.0.1', origP: 40000, respH: '10.0.0.2', respP: 443 };
const T0 = 1_767_225_600_500_000_000n;

let serverDer: Uint8Array;
let clientDer: Uint8Array;
beforeAll(() => {
  const pki = makePki();
  serverDer = pemToDer(pki.serverCert);
  clientDer = pemToDer(pki.clientCert);
});

type Step = { data: [Direction, Uint8Array] } | { gap: [Direction, number] } | { meta: boolean };

interface Outcome {
  steps: string[];
  rows: string;
}

function outcome(a: AppAnalyzer, w: Weirds, steps: Step[]): Outcome {
  const text: Record<string, Buffer[]> = { ssl: [], x509: [] };
  const writer = (path: 'ssl' | 'x509') =>
    new ZeekRowWriter(() => new ZeekLogWriter(`${path}.log`, path, path === 'ssl' ? SSL_FIELDS : X509_FIELDS, undefined, { sink: (b) => void text[path]!.push(Buffer.from(b)), close() {} }));
  const ssl = writer('ssl');
  const x509 = writer('x509');
  const write = (m: AppMetadata | undefined): void => {
    if (m?.tls) {
      sslLog.write(ssl, CONN, m.tls);
      x509Log.write(x509, CONN, m.tls);
    }
    for (const r of m?.rows ?? []) {
      if (r.log === 'x509') x509.preformattedWhole(r.text);
      else ssl.preformatted(CONN, r.text);
    }
  };
  const seen: string[] = [];
  let ts = T0;
  for (const s of [...steps, { meta: true }]) {
    const before = w.names.length;
    if ('data' in s) a.deliver(s.data[0], s.data[1], 0, s.data[1].length, (ts += 1_000_123n));
    else if ('gap' in s) a.gap(s.gap[0], s.gap[1]);
    else write(a.metadata(s.meta));
    seen.push(`${w.names.slice(before).join(' ')} | ${a.service} ${a.done}`);
  }
  ssl.close();
  x509.close();
  return { steps: seen, rows: Buffer.concat([...text.ssl!, ...text.x509!]).toString('latin1') };
}

/** Runs both analyzers; returns whether the native one kept the connection. */
function same(steps: Step[] | Flights): boolean {
  const st: Step[] = steps.map((s) => (Array.isArray(s) ? { data: s } : s));
  const wj = new Weirds();
  const wn = new Weirds();
  const js = outcome(new TlsAnalyzer(wj), wj, st);
  const n = new NativeTlsAnalyzer(addon!, wn);
  const native = outcome(n, wn, st);
  expect(native.steps).toEqual(js.steps);
  expect(native.rows).toBe(js.rows);
  return !n.handedOver;
}

const ch13 = (extensions: number[][] = [sniExt('chot.test'), ext(43, u16list([0x0304, 0x0303], 1)), ext(51, [0, 6, 0, 29, 0, 2, 1, 2])]) =>
  handshake(1, clientHelloBody({ ciphers: [0x1301, 0x1302, 0x0a0a], extensions }));
const sh13 = (extensions: number[][] = [ext(43, be16(0x0304)), ext(51, [0, 29, 0, 2, 1, 2])], random?: number[]) => handshake(2, serverHelloBody({ cipher: 0x1301, extensions, random }));
const flight13 = (ch: number[] = ch13(), sh: number[] = sh13()): Flights => [
  [0, record(HS, ch, 0x0301)],
  [1, cat(record(HS, sh), record(CCS, [1]), record(APP, new Array(300).fill(3)))],
  [0, cat(record(CCS, [1]), record(APP, new Array(50).fill(4)))],
];

describe('the native TLS analyzer', () => {
  it('is built with the addon, and keeps a plain TLS 1.3 handshake to itself, row and all', () => {
    expect(loaded).toHaveProperty('addon');
    expect(same(tls13())).toBe(true);
    expect(same(flight13())).toBe(true);
  });

  it('the same however the handshake is cut into deliveries', () => {
    const f = flight13();
    for (const [i, [dir, b]] of f.entries()) {
      for (const parts of splits(b)) {
        const steps: Flights = [...f.slice(0, i), ...parts.map((p) => [dir, p] as [Direction, Uint8Array]), ...f.slice(i + 1)];
        expect(same(steps)).toBe(true);
      }
    }
  });

  it('keeps TLS 1.2 with certificates: chain fingerprints, subjects, x509.log rows, the client certificate, however cut', () => {
    expect(same(mutual12(serverDer, clientDer))).toBe(true);
    const f = mutual12(serverDer, clientDer);
    for (const parts of splits(f[1]![1])) expect(same([f[0]!, ...parts.map((p) => [1, p] as [Direction, Uint8Array]), ...f.slice(2)])).toBe(true);
  });

  it('certificates: chains, empty lists, names the SNI matches or not, wildcards, and what is handed over', () => {
    const decoded0 = addon!.certStats();
    const leaf = (cn: string, sans: string[] = [], serial = 1): Uint8Array => der({ cn, sans, serial });
    const ca = der({ cn: 'Chot Test CA', serial: 99 });
    const flights = (sni: string | undefined, server: Uint8Array[], client?: Uint8Array[]): Flights => {
      const ch = handshake(1, clientHelloBody({ ciphers: [0xc02f], extensions: sni === undefined ? [] : [sniExt(sni)] }));
      const out: Flights = [[0, record(HS, ch)], [1, record(HS, [...handshake(2, serverHelloBody({ cipher: 0xc02f })), ...certificateList(server), ...handshake(14, [])])]];
      out.push([0, cat(...(client ? [record(HS, certificateList(client))] : []), record(HS, handshake(16, [1, 2])), record(CCS, [1]))], [1, record(CCS, [1])], [0, record(APP, [1])]);
      return out;
    };
    const kept: Flights[] = [
      flights('www.example.vn', [leaf('www.example.vn'), ca]),
      flights('WWW.Example.VN.', [leaf('other', ['x.example.vn', 'www.example.vn'])]),
      flights('a.example.vn', [leaf('x', ['*.example.vn'])]),
      flights('a.b.example.vn', [leaf('x', ['*.example.vn'])]),
      flights('example.vn', [leaf('x', ['*.vn'])]),
      flights('nomatch.example', [leaf('www.example.vn')]),
      flights(undefined, [leaf('www.example.vn')]),
      flights('www.example.vn', []),
      flights('www.example.vn', [leaf('www.example.vn')], []),
      flights('www.example.vn', [leaf('www.example.vn')], [leaf('client-7', [], 7), ca]),
      flights('www.example.vn', Array.from({ length: 10 }, (_, i) => leaf(`c${i}`, [], 100 + i))),
      flights(undefined, [leaf('Tên máy chủ'), ca]), // a subject not ASCII, escaped as JavaScript escapes it (no SNI to match it against)
    ];
    for (const [i, c] of kept.entries()) expect(same(c), `kept ${i}`).toBe(true);
    const handed: Flights[] = [
      flights('www.example.vn', Array.from({ length: 11 }, (_, i) => leaf(`c${i}`, [], 200 + i))), // too long a chain
      flights('www.example.vn', [leaf('x', Array.from({ length: 70 }, (_, i) => `n${i}.example`))]), // too many SANs: a weird
      flights('www.example.vn', [leaf('x'.repeat(1100))]), // a name truncated: a weird
      flights('www.example.vn', [bytes(0x30, 3, 1, 2, 3)]), // not a certificate
      flights('www.example.vn', [leaf('ünïcode.example')]), // a name not ASCII to match the SNI against
      flights('tëst.example', [leaf('www.example.vn')]), // an SNI not ASCII
      flights('bank.example', [leaf('x', ['bank.example\u0000.evil.example'])]), // a name with a NUL (no match: C would have cut it at the NUL)
      [[0, record(HS, clientHello12())], [1, record(HS, [...handshake(2, serverHelloBody({ cipher: 0xc02f })), ...handshake(11, [0, 0])])]], // too short a message
      [[0, record(HS, clientHello12())], [1, record(HS, [...handshake(2, serverHelloBody({ cipher: 0xc02f })), ...handshake(11, [0, 0, 9, 0, 0, 20, 1])])]], // an entry past the list
    ];
    for (const [i, c] of handed.entries()) expect(same(c), `handed ${i}`).toBe(false);
    // A certificate seen again is remembered either way: the same outcome the second time.
    expect(same(kept[0]!)).toBe(true);
    expect(same(handed[1]!)).toBe(false);
    // Leaves were decoded natively (native/x509.c), those it does not take by JavaScript (not a certificate, an overlong name, too many names).
    const decoded = addon!.certStats();
    expect(decoded.native - decoded0.native).toBeGreaterThanOrEqual(5);
    expect(decoded.js - decoded0.js).toBeGreaterThanOrEqual(3);
  });

  it('certificates made to share their cache key (length and signature tail): eight are kept, each compared whole; past that, handed over', () => {
    const flight = (cert: Uint8Array): Flights => [
      [0, record(HS, handshake(1, clientHelloBody({ ciphers: [0xc02f], extensions: [sniExt('collide.example')] })))],
      [1, record(HS, [...handshake(2, serverHelloBody({ cipher: 0xc02f })), ...certificateList([cert])])],
    ];
    const kept = Array.from({ length: 100 }, (_, i) => same(flight(der({ cn: 'collide.example', serial: 500_000 + i, signature: new Array(70).fill(9) }))));
    expect(kept.filter((k) => k)).toHaveLength(8);
    expect(kept.slice(8).every((k) => !k)).toBe(true);
  });

  it('remembers at most 4,096 certificates and then starts over, giving the same rows', () => {
    for (let i = 0; i < 4200; i += 7) {
      const chain = Array.from({ length: 7 }, (_, k) => der({ cn: `host${i + k}.example`, serial: 10_000 + i + k }));
      const ch = handshake(1, clientHelloBody({ ciphers: [0xc02f], extensions: [sniExt(`host${i}.example`)] }));
      expect(same([[0, record(HS, ch)], [1, record(HS, [...handshake(2, serverHelloBody({ cipher: 0xc02f })), ...certificateList(chain)])]])).toBe(true);
    }
  });

  it('TLS 1.2 without certificates stays native: ECDHE curve, ALPN, resumption by session id and by ticket, a requested certificate not sent', () => {
    const sid = new Array(32).fill(7);
    const ch = handshake(1, clientHelloBody({ sessionId: sid, ciphers: [0xc02f, 0x009c], extensions: [sniExt('Resume.Example'), alpnExt(['h2', 'http/1.1']), ext(35, [])] }));
    const sh = handshake(2, serverHelloBody({ sessionId: sid, cipher: 0xc02f, extensions: [alpnExt(['h2'])] }));
    expect(same([[0, record(HS, ch)], [1, cat(record(HS, sh), record(CCS, [1]), record(HS, new Array(40).fill(1)))], [0, cat(record(CCS, [1]), record(HS, new Array(40).fill(2)))]])).toBe(true);
    const ticket = handshake(1, clientHelloBody({ ciphers: [0xc02f], extensions: [ext(35, [1, 2, 3])] }));
    expect(same([[0, record(HS, ticket)], [1, record(HS, handshake(2, serverHelloBody({ cipher: 0xc02f })))], [0, record(CCS, [1])], [1, record(CCS, [1])], [0, record(APP, [1])]])).toBe(true);
    const full = [
      ...handshake(2, serverHelloBody({ cipher: 0xc02f })),
      ...handshake(12, [3, ...be16(29), 32, ...new Array(32).fill(9)]),
      ...handshake(13, [1, 64, ...be16(0)]),
      ...handshake(14, []),
    ];
    expect(same([[0, record(HS, clientHello12())], [1, record(HS, full)], [0, cat(record(HS, handshake(16, [4, 1, 2, 3, 4])), record(CCS, [1]))], [1, record(CCS, [1])], [0, record(APP, [9])]])).toBe(true);
    // Zero sessions ids are no resumption; an unknown cipher, group and version get Zeek's "unknown-" names.
    const zeros = new Array(32).fill(0);
    const odd = handshake(2, serverHelloBody({ version: 0x7f1c, sessionId: zeros, cipher: 0xeeee, extensions: [ext(51, be16(0x7777))] }));
    expect(same([[0, record(HS, handshake(1, clientHelloBody({ sessionId: zeros, ciphers: [1] })))], [1, record(HS, odd)]])).toBe(true);
    expect(same([[0, record(HS, handshake(1, clientHelloBody({ ciphers: [1] })))], [1, record(HS, handshake(2, serverHelloBody({ version: 0x0999, cipher: 0x0005 })))]])).toBe(true);
  });

  it('HelloRetryRequest, PSK resumption, a ServerHello from the client, a ClientHello from the responder, heartbeats', () => {
    const hrr = sh13([ext(43, be16(0x0304)), ext(51, be16(23))], [...HRR_RANDOM]);
    const psk = ext(41, [0, 0]);
    same([[0, record(HS, ch13())], [1, record(HS, hrr)], [0, record(HS, ch13([ext(43, u16list([0x0304], 1)), psk]))], [1, cat(record(HS, sh13([ext(43, be16(0x0304)), psk])), record(APP, [1]))], [0, record(APP, [2])]]);
    same([[0, record(HS, handshake(2, serverHelloBody({ cipher: 0x1301 })))], [1, record(HS, ch13())], [0, record(HS, sh13())], [1, record(24, [1, 2, 3])]]);
    same([[1, record(HS, ch13())], [0, cat(record(HS, sh13()), record(CCS, [1]), record(APP, [5]))], [1, cat(record(CCS, [1]), record(APP, [6]))]]);
    same([[0, record(24, [1])], [0, record(HS, ch13())], [1, cat(record(24, []), record(HS, sh13()))]]);
  });

  it('hands over at everything unusual: alerts, SSLv2, bad records, early data, names, malformed hellos, gaps, long histories', () => {
    const cases: Flights[] = [
      [...flight13().slice(0, 2), [0, record(ALERT, [2, 40])]],
      [[0, record(HS, ch13())], [1, record(ALERT, [1, 0])], [1, record(ALERT, [2])]],
      [[0, bytes(0x80, 0x2e, 1, 3, 1, 0, 3, 0, 0, 0, 32, 0, 0, 0x2f, ...new Array(32).fill(1))]],
      [[0, record(HS, ch13())], [1, bytes(25, 3, 3, 0, 1, 0)]],
      [[0, record(HS, ch13())], [1, bytes(22, 2, 0, 0, 1, 0)]],
      [[0, record(HS, ch13())], [1, bytes(22, 3, 3, 0x50, 0x00)]],
      [[0, record(HS, clientHello12())], [1, record(HS, handshake(2, serverHelloBody({ cipher: 0xc02f })))], [0, record(APP, [1])]],
      [[0, record(HS, ch13([ext(0, [0, 10, 0, 0, 2, 0x61, 0x62, 0, 0, 2, 0x63, 0x64])]))]],
      [[0, record(HS, ch13([sniExt('x'.repeat(1100))]))]],
      [[0, record(HS, handshake(1, [3, 3, 1, 2]))]],
      [[0, record(HS, ch13())], [1, record(HS, handshake(2, [3, 3]))]],
      [[0, record(HS, [1, ...be24(70_000)])]],
      [[0, record(HS, handshake(1, clientHelloBody({ ciphers: Array.from({ length: 600 }, (_, i) => i + 1) })))]],
      [[0, record(HS, ch13())], [1, record(HS, Array.from({ length: 120 }, () => handshake(0, [])).flat())]],
    ];
    for (const [i, c] of cases.entries()) expect(same(c), `case ${i}`).toBe(false);
    // (Two server_name extensions of one name each are no weird: the later one counts, natively too.)
    expect(same([[0, record(HS, ch13([sniExt('a.example'), sniExt('b.example')]))]])).toBe(true);
    // (Nor is a server_name list that claims more than it holds: no name.)
    expect(same([[0, record(HS, ch13([ext(0, [0, 40])]))]])).toBe(true);
    // Gaps: inside a skipped body the framing holds (and the native analyzer goes on); anywhere else, handed over.
    const f = flight13();
    expect(same([f[0]!, { data: [1, record(HS, sh13())] }, { data: [1, bytes(23, 3, 3, 1, 0, 1, 2)] }, { gap: [1, 100] }, { data: [1, new Uint8Array(154)] }, { data: [1, record(CCS, [1])] }, f[2]!].map((s) => (Array.isArray(s) ? { data: s } : s)) as Step[])).toBe(true);
    expect(same([{ data: f[0]! }, { gap: [1, 10] }, { data: f[1]! }])).toBe(false);
    expect(same([{ data: f[0]! }, { gap: [0, 0] }, { gap: [1, -1] }, { data: f[1]! }, { data: f[2]! }])).toBe(true);
  });

  it('names from the wire: a UTF-8 SNI, a latin1 one, control characters, an ALPN protocol the log must escape', () => {
    for (const host of ['héllo.example', 'tab\there', '-', '(empty)', '']) {
      const name = [...Buffer.from(host, 'utf8')];
      const sni = ext(0, [...be16(name.length + 3), 0, ...be16(name.length), ...name]);
      expect(same(flight13(ch13([sni, ext(43, u16list([0x0304], 1))])))).toBe(true);
    }
    const latin1 = ext(0, [0, 6, 0, 0, 3, 0xe9, 0x74, 0xe9]);
    expect(same(flight13(ch13([latin1])))).toBe(true);
    const alpn = ext(16, [0, 5, 4, 0x68, 0x5c, 0x2c, 0xff]);
    expect(same([[0, record(HS, clientHello12())], [1, record(HS, handshake(2, serverHelloBody({ cipher: 0xc02f, extensions: [alpn] })))]])).toBe(true);
  });

  // CHOT_NATIVE_TLS_FUZZ=<rounds> runs a longer one.
  const rounds = Number(process.env.CHOT_NATIVE_TLS_FUZZ ?? 6_000);
  it(`fuzz: ${rounds.toLocaleString('en')} mutated and cut handshakes give the reference rows and weirds`, () => {
    const r = rng(0x7157);
    const seeds: Flights[] = [flight13(), tls13(), mutual12(serverDer, clientDer), [[0, record(HS, clientHello12())], [1, record(HS, handshake(2, serverHelloBody({ cipher: 0xc02f, extensions: [alpnExt(['h2'])] })))], [0, record(CCS, [1])], [1, record(CCS, [1])]]];
    let native = 0;
    for (let i = 0; i < rounds; i++) {
      const seed = seeds[Math.floor(r() * seeds.length)]!;
      const steps: Step[] = [];
      for (const [dir, b] of seed) {
        const m = r() < 0.3 ? mutate(b, r) : b;
        if (r() < 0.3 && m.length > 1) {
          const at = 1 + Math.floor(r() * (m.length - 1));
          steps.push({ data: [dir, m.subarray(0, at)] }, { data: [dir, m.subarray(at)] });
        } else steps.push({ data: [dir, m] });
        if (r() < 0.05) steps.push({ gap: [dir, Math.floor(r() * 400)] });
      }
      if (same(steps)) native++;
    }
    // Both paths are taken many times.
    expect(native).toBeGreaterThan(rounds / 10);
    expect(native).toBeLessThan(rounds * 0.9);
  }, 120_000);

  it('takes the reader\'s fingerprints only for a hello whose fixed part holds: a descriptor never makes it read past the bytes', () => {
    const a = addon!;
    for (const [kind, body] of [
      [HELLO_CLIENT, [3, 3, ...new Array(32).fill(1), 200, 1, 2]], // a session id of 200 bytes in a 40-byte hello
      [HELLO_CLIENT, [3, 3, ...new Array(32).fill(1), 0, 0x7f, 0xff, 0]], // cipher suites past the end
      [HELLO_SERVER, [3, 3, ...new Array(32).fill(1), 33, ...new Array(33).fill(0)]], // a session id over 32
    ] as Array<[number, number[]]>) {
      const rec = record(HS, handshake(kind, body));
      const desc = new Int32Array(STRIDE);
      desc[D_HELLO] = kind;
      desc[D_HELLO_START] = 9;
      desc[D_HELLO_END] = rec.length;
      const h = a.tlsNew();
      if (kind === HELLO_SERVER) expect(a.tlsData(h, 0, record(HS, ch13()), 0, record(HS, ch13()).length, T0)).toBe(1);
      expect(a.tlsData(h, kind === HELLO_SERVER ? 1 : 0, rec, 0, rec.length, T0, desc, 0)).toBe(4);
      a.tlsRecorded(h);
    }
  });

  it('refuses a closed handle and bad arguments with what is wrong', () => {
    const a = addon!;
    const h = a.tlsNew();
    const ch = record(HS, ch13());
    expect(a.tlsData(h, 0, ch, 0, ch.length, T0)).toBe(1);
    expect(a.tlsRow(h, true)).toMatch(/^1767225600\.500000\tTLSv13|^1767225600\.500000\t-\t/);
    expect(() => a.tlsData(h, 0, ch, 0, ch.length, T0)).toThrow('not an open TLS analyzer handle');
    expect(() => a.tlsRow(h, false)).toThrow('not an open TLS analyzer handle');
    expect(() => a.tlsRecorded(987_654)).toThrow('not an open TLS analyzer handle');
    const h2 = a.tlsNew();
    expect(() => a.tlsData(h2, 0, ch, 0, 5, T0, new Int32Array(10), 0)).toThrow('a descriptor of the packet');
    expect(() => a.tlsGap(h2, 0, 'x' as unknown as number)).toThrow('tlsGap(handle, dir: 0 or 1, bytes)');
    expect(() => a.tlsNames([2, 1], ['b', 'a'], [], [])).toThrow('numbers in increasing order');
    a.tlsRow(h2, true);
  });
});

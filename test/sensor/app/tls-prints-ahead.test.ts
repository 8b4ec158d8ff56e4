// The TLS fingerprints the native reader computes on its own thread (native/tls-hello.c)
// must be exactly what ja3.ts and ja4.ts compute from the same hello, and it must leave
// every hello whose parse the JavaScript finds malformed or unusual to the JavaScript.
// The hand-off (prints-ahead.ts) must give them only for the very bytes they were
// computed from.

import { describe, expect, it } from 'vitest';
import { parseClientHello, parseServerHello } from '../../../sensor/app/tls/hello.js';
import { ja3, ja3s } from '../../../sensor/app/tls/ja3.js';
import { ja4 } from '../../../sensor/app/tls/ja4.js';
import { armPrints, clientPrintsAhead, disarmPrints, printsAheadStats, serverPrintAhead } from '../../../sensor/app/tls/prints-ahead.js';
import { captureDecodeAddon, type CaptureDecodeAddon } from '../../../sensor/capture/native-reader.js';
import { D_HELLO, D_HELLO_END, D_HELLO_START, D_HELLO_TEXT, HELLO_CLIENT, HELLO_SERVER, STRIDE } from '../../../sensor/decode/predecoded.js';
import { alpnExt, be16, bytes, clientHelloBody, ext, mutate, rng, serverHelloBody, sniExt, u16list, Weirds } from './helpers.js';

const loaded = captureDecodeAddon();
const addon = (): CaptureDecodeAddon => {
  if (!('addon' in loaded)) throw new Error(`the capture decode addon is not built (npm run build): ${loaded.error}`);
  return loaded.addon;
};

const GREASE = [0x0a0a, 0x1a1a, 0x2a2a, 0x3a3a, 0x4a4a, 0x5a5a, 0x6a6a, 0x7a7a, 0x8a8a, 0x9a9a, 0xaaaa, 0xbaba, 0xcaca, 0xdada, 0xeaea, 0xfafa];
const groupsExt = (g: number[]): number[] => ext(10, u16list(g));
const pointsExt = (p: number[]): number[] => ext(11, [p.length, ...p]);
const sigExt = (s: number[]): number[] => ext(13, u16list(s));
const versionsExt = (v: number[]): number[] => ext(43, u16list(v, 1));

interface Verdict {
  /** The JavaScript's fingerprints, undefined when its parse failed. */
  js?: { ja3: string; ja4?: string };
  weirds: string[];
  native?: { ja3: string; ja4?: string };
}

function client(body: Uint8Array): Verdict {
  const w = new Weirds();
  const ch = parseClientHello(body, 0, body.length, w);
  return { js: ch && { ja3: ja3(ch), ja4: ja4(ch) }, weirds: w.names, native: addon().helloPrints(1, body) };
}

function server(body: Uint8Array): Verdict {
  const w = new Weirds();
  const sh = parseServerHello(body, 0, body.length, w);
  return { js: sh && { ja3: ja3s(sh) }, weirds: w.names, native: addon().helloPrints(2, body) };
}

/** The rule: the native answer, when there is one, is the JavaScript's; weirds other than the SNI's mean no native answer. */
function check(v: Verdict, what: string): void {
  if (v.native === undefined) return;
  expect(v.js, `${what}: native fingerprints where JavaScript found no hello`).toBeDefined();
  expect(v.native, what).toEqual(v.js);
  expect(v.weirds.filter((n) => n !== 'SSL_many_server_names' && n !== 'tls_sni_too_long'), what).toEqual([]);
}

/** A random well-formed ClientHello: GREASE, duplicates, ALPN of every shape, lists near their caps. */
function randomClientHello(r: () => number): number[] {
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  const n = (max: number): number => Math.floor(r() * (max + 1));
  const u16s = (count: number): number[] => Array.from({ length: count }, () => (r() < 0.15 ? pick(GREASE) : Math.floor(r() * 0x10000)));
  const alpnName = (): string => pick(['h2', 'http/1.1', 'x', '', '\xab', '0\xab', 'a\xcd', '\x00\x7f', 'spdy/3.1']);
  const builders: Array<() => number[]> = [
    () => sniExt(pick(['a.test', 'population.gov.vn', 'x'.repeat(n(300))])),
    () => groupsExt(u16s(n(12))),
    () => pointsExt(Array.from({ length: n(4) }, () => n(255))),
    () => sigExt(u16s(n(20))),
    () => alpnExt(Array.from({ length: n(3) }, alpnName)),
    () => versionsExt(u16s(n(6)).concat(r() < 0.7 ? [0x0304] : [])),
    () => ext(pick([5, 18, 23, 27, 35, 41, 45, 51, 65281, 17513, 0xfe0d, ...GREASE]), Array.from({ length: n(8) }, () => n(255))),
  ];
  const big = r() < 0.05;
  return clientHelloBody({
    version: pick([0x0301, 0x0302, 0x0303, 0x0300, 0x0002, 0xfefd, 0x7f12]),
    sessionId: Array.from({ length: pick([0, 32, n(32)]) }, () => n(255)),
    ciphers: u16s(big ? 500 + n(20) : n(40)),
    extensions: r() < 0.05 ? undefined : Array.from({ length: big ? 100 + n(60) : n(18) }, () => pick(builders)()),
  });
}

function randomServerHello(r: () => number): number[] {
  const n = (max: number): number => Math.floor(r() * (max + 1));
  return serverHelloBody({
    version: [0x0303, 0x0301, 0x0304][n(2)]!,
    sessionId: Array.from({ length: n(32) }, () => n(255)),
    cipher: Math.floor(r() * 0x10000),
    extensions: r() < 0.1 ? undefined : Array.from({ length: n(8) }, () => ext(r() < 0.2 ? GREASE[n(15)]! : n(70000) % 0x10000, Array.from({ length: n(6) }, () => n(255)))),
  });
}

describe('TLS fingerprints computed by the native reader', () => {
  it('match the published JA3 and JA4 vectors', () => {
    const foxio = clientHelloBody({
      ciphers: [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035],
      extensions: [
        ext(0x001b, [2, 0, 2]), sniExt('example.com'), ext(0x0033, [0, 0]), alpnExt(['h2', 'http/1.1']), ext(0x4469, []), ext(0x0017, []),
        ext(0x002d, [1, 1]), sigExt([0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601]), ext(0x0005, [1, 0, 0, 0, 0]),
        ext(0x0023, []), ext(0x0012, []), versionsExt([0x0304, 0x0303]), ext(0xff01, [0]), pointsExt([0]), groupsExt([29, 23, 24]), ext(0x0015, [0, 0, 0]),
      ],
    });
    expect(addon().helloPrints(1, bytes(foxio))?.ja4).toBe('t13d1516h2_8daaf6152771_e5627efa2ab1');
    const readme = clientHelloBody({
      version: 0x0301,
      ciphers: [47, 53, 5, 10, 49161, 49162, 49171, 49172, 50, 56, 19, 4],
      extensions: [sniExt('example.org'), groupsExt([23, 24, 25]), pointsExt([0])],
    });
    expect(addon().helloPrints(1, bytes(readme))?.ja3).toBe('ada70206e40642a3e4461f35503241d5');
    const bare = clientHelloBody({ version: 0x0301, ciphers: [4, 5, 10, 9, 100, 98, 3, 6, 19, 18, 99] });
    expect(addon().helloPrints(1, bytes(bare))?.ja3).toBe('de350869b8c85de67a350c8d186f11e6');
    const none = clientHelloBody({ version: 0x0301, ciphers: [] });
    expect(addon().helloPrints(1, bytes(none))?.ja4).toBe('t10i000000_000000000000_000000000000');
    for (const body of [foxio, readme, bare, none]) check(client(bytes(body)), 'vector');
  });

  it('equal ja3.ts and ja4.ts on 20,000 random hellos, and are given for every one JavaScript parses without a weird', () => {
    const r = rng(20261124);
    let given = 0;
    for (let i = 0; i < 20_000; i++) {
      const v = client(bytes(randomClientHello(r)));
      check(v, `hello ${i}`);
      const clean = v.js !== undefined && v.weirds.every((w) => w === 'SSL_many_server_names' || w === 'tls_sni_too_long');
      if (clean) expect(v.native, `hello ${i}: clean, yet left to JavaScript`).toBeDefined();
      if (v.native) given++;
    }
    // Some hellos carry more than 512 ciphers (a weird): those are JavaScript's.
    expect(given).toBeGreaterThan(18_000);
    expect(given).toBeLessThan(20_000);
  });

  it('hold to the rule on 100,000 mutated and cut ClientHellos and 40,000 ServerHellos', () => {
    const r = rng(7);
    const counts = { native: 0, left: 0 };
    for (let i = 0; i < 100_000; i++) {
      let body = bytes(randomClientHello(r));
      for (let k = i % 2 === 0 ? 1 : 1 + Math.floor(r() * 3); k > 0; k--) body = mutate(body, r);
      const v = client(body);
      check(v, `mutated hello ${i}`);
      counts[v.native ? 'native' : 'left']++;
    }
    // The mutations reach both sides of the rule many times.
    expect(counts.native).toBeGreaterThan(8_000);
    expect(counts.left).toBeGreaterThan(20_000);
    let serverGiven = 0;
    for (let i = 0; i < 40_000; i++) {
      let body = bytes(randomServerHello(r));
      if (i % 2 === 1) body = mutate(body, r);
      const v = server(body);
      check(v, `server hello ${i}`);
      if (i % 2 === 0) expect(v.native, `clean server hello ${i}`).toEqual(v.js);
      if (v.native) serverGiven++;
    }
    expect(serverGiven).toBeGreaterThan(20_000);
  }, 120_000);

  it('follow hello.ts on repeated extensions, list caps, and hellos cut at every length', () => {
    // A later extension of a kind replaces the earlier (groups, ALPN), point formats accumulate.
    const repeated = clientHelloBody({
      ciphers: [0x1301],
      extensions: [groupsExt([23]), alpnExt(['h2']), pointsExt([0, 1]), groupsExt([29, 24]), alpnExt([]), pointsExt([2]), sniExt('a.test'), sniExt('b.test')],
    });
    const v = client(bytes(repeated));
    expect(v.weirds).toEqual([]);
    expect(v.native).toEqual(v.js);
    // Two names in one SNI extension: a weird about the name only, the fingerprints are the same.
    const twoNames = ext(0, [...be16(14), 0, ...be16(4), ...bytes('a.vn'), 0, ...be16(4), ...bytes('b.vn')]);
    const named = client(bytes(clientHelloBody({ ciphers: [0x1301], extensions: [twoNames, alpnExt(['h2'])] })));
    expect(named.weirds).toEqual(['SSL_many_server_names']);
    expect(named.native).toEqual(named.js);
    // 512 ciphers are taken; 513 are a weird, and JavaScript's.
    const at = (count: number): Verdict => client(bytes(clientHelloBody({ ciphers: Array.from({ length: count }, (_, i) => 0x1000 + i) })));
    expect(at(512).native).toEqual(at(512).js);
    expect(at(513).weirds).toEqual(['tls_hello_list_too_long']);
    expect(at(513).native).toBeUndefined();
    // Point formats beyond what the reader keeps (1,024, over repeated extensions): JavaScript's, which has no such bound.
    const points = client(bytes(clientHelloBody({ ciphers: [0x1301], extensions: Array.from({ length: 5 }, () => pointsExt(Array.from({ length: 255 }, (_, i) => i))) })));
    expect(points.weirds).toEqual([]);
    expect(points.js).toBeDefined();
    expect(points.native).toBeUndefined();
    // An extension longer than its block: a weird, JavaScript's.
    const body = bytes(repeated);
    const bad = Uint8Array.from(body);
    bad[bad.length - 9] = 0xff; // the length of the last extension's name list... and so of the extension walk
    check(client(bad), 'bad length');
    for (let cut = 0; cut <= body.length; cut++) check(client(body.subarray(0, cut)), `cut at ${cut}`);
  });

  it('are handed to the session only for the bytes they were computed from', () => {
    const hello = bytes(22, be16(0x0301), be16(4 + 60), 1, 0, 0, 60, new Array<number>(60).fill(0));
    const desc = new Int32Array(STRIDE * 2);
    const at = STRIDE;
    desc[at + D_HELLO] = HELLO_CLIENT;
    desc[at + D_HELLO_START] = 9;
    desc[at + D_HELLO_END] = 69;
    Buffer.from(desc.buffer).write('a'.repeat(32) + 'b'.repeat(36), (at + D_HELLO_TEXT) * 4, 'latin1');
    const used = printsAheadStats.used;
    armPrints(hello, desc, at);
    expect(clientPrintsAhead(hello, 9, 69)).toEqual({ ja3: 'a'.repeat(32), ja4: 'b'.repeat(36) });
    expect(clientPrintsAhead(Uint8Array.from(hello), 9, 69), 'a copy of the bytes').toBeUndefined();
    expect(clientPrintsAhead(hello, 9, 68), 'other offsets').toBeUndefined();
    expect(serverPrintAhead(hello, 9, 69), 'a ClientHello is not a ServerHello').toBeUndefined();
    desc[at + D_HELLO] = HELLO_SERVER;
    armPrints(hello, desc, at);
    expect(serverPrintAhead(hello, 9, 69)).toBe('a'.repeat(32));
    expect(clientPrintsAhead(hello, 9, 69)).toBeUndefined();
    disarmPrints();
    expect(serverPrintAhead(hello, 9, 69), 'disarmed').toBeUndefined();
    expect(printsAheadStats.used - used).toBe(2);
  });

  it('refuses a call without a type and a byte array', () => {
    const a = addon() as unknown as { helloPrints: (...args: unknown[]) => unknown };
    expect(() => a.helloPrints(1)).toThrow(/helloPrints\(type, body\)/);
    expect(() => a.helloPrints(1, 'not bytes')).toThrow(/helloPrints\(type, body\)/);
    expect(a.helloPrints(3, new Uint8Array(40))).toBeUndefined();
  });
});

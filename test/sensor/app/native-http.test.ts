/**
 * The HTTP/1.x analyzer's common path in native code (native/http.c through
 * sensor/app/http/native-analyzer.ts) against HttpAnalyzer, the reference: for the same
 * deliveries, gaps and metadata calls, the same http.log bytes, the same weirds in the
 * same order, and the same service and done after every call, whether the native
 * analyzer reads the whole conversation or hands it over part way (and then the rows it
 * wrote before are not written again).
 */
import { describe, expect, it } from 'vitest';
import type { AppAnalyzer, AppMetadata, Direction } from '../../../sensor/app/analyzer.js';
import { HttpAnalyzer } from '../../../sensor/app/http/analyzer.js';
import { httpLog, HTTP_FIELDS } from '../../../sensor/app/http/log.js';
import { NativeHttpAnalyzer, nativeHttpStats } from '../../../sensor/app/http/native-analyzer.js';
import { appAnalyzersAddon } from '../../../sensor/app/native.js';
import { ZeekLogWriter, ZeekRowWriter } from '../../../sensor/output/zeek-log.js';
import { bytes, mutate, rng, splits, Weirds } from './helpers.js';
import { pipelined, responses } from './samples.js';

const loaded = appAnalyzersAddon();
const addon = 'addon' in loaded ? loaded.addon : undefined;
const CONN = { uid: 'ChttpTest1', origH: '10.0.0.1', origP: 40000, respH: '10.0.0.2', respP: 80 };
const T0 = 1_767_225_600_500_000_000n;

type Step = { data: [Direction, Uint8Array] } | { gap: [Direction, number] } | { meta: boolean };
type Conversation = Array<[Direction, Uint8Array | string] | Step>;

function steps(c: Conversation): Step[] {
  return c.map((s) => (Array.isArray(s) ? { data: [s[0], typeof s[1] === 'string' ? bytes(s[1]) : s[1]] } : s));
}

function outcome(a: AppAnalyzer, w: Weirds, st: Step[], t0 = T0): { steps: string[]; rows: string } {
  const text: Buffer[] = [];
  const log = new ZeekRowWriter(() => new ZeekLogWriter('http.log', 'http', HTTP_FIELDS, undefined, { sink: (b) => void text.push(Buffer.from(b)), close() {} }));
  const write = (m: AppMetadata | undefined): void => {
    if (m?.http) httpLog.write(log, CONN, m.http);
    for (const r of m?.rows ?? []) {
      expect(r.log).toBe('http');
      log.preformatted(CONN, r.text);
    }
  };
  const seen: string[] = [];
  let ts = t0;
  for (const s of [...st, { meta: true }]) {
    const before = w.names.length;
    if ('data' in s) a.deliver(s.data[0], s.data[1], 0, s.data[1].length, (ts += 1_000_123n));
    else if ('gap' in s) a.gap(s.gap[0], s.gap[1]);
    else write(a.metadata(s.meta));
    seen.push(`${w.names.slice(before).join(' ')} | ${a.service} ${a.done}`);
  }
  log.close();
  return { steps: seen, rows: Buffer.concat(text).toString('latin1') };
}

/** Runs both analyzers; returns whether the native one kept the connection. */
function same(c: Conversation, rowsAtLeast = 0, t0 = T0): boolean {
  const st = steps(c);
  const wj = new Weirds();
  const wn = new Weirds();
  const js = outcome(new HttpAnalyzer(wj), wj, st, t0);
  const n = new NativeHttpAnalyzer(addon!, wn);
  const native = outcome(n, wn, st, t0);
  expect(native.steps).toEqual(js.steps);
  expect(native.rows).toBe(js.rows);
  expect(js.rows.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length).toBeGreaterThanOrEqual(rowsAtLeast);
  return !n.handedOver;
}

const get = (uri = '/', headers = 'Host: www.example.vn\r\nUser-Agent: chot-test/1.0\r\n') => `GET ${uri} HTTP/1.1\r\n${headers}\r\n`;
const ok = (body = 'hello', extra = '') => `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`;

describe('the native HTTP analyzer', () => {
  it('is built with the addon, and keeps a plain conversation to itself, rows and all', () => {
    expect(loaded).toHaveProperty('addon');
    expect(same([[0, get()], [1, ok()]], 1)).toBe(true);
    expect(same([[0, get('/a?b=c')], [1, ok()], [0, get('/2')], [1, ok('')], { meta: false }, [0, get('/3')], [1, ok('xyz')]], 3)).toBe(true);
  });

  it('every framing: lengths, chunks with extensions and trailers, bodies to the close, HEAD, 204, 304, interim responses, HTTP/0.9, stray CRLFs', () => {
    const kept: Conversation[] = [
      [[0, 'POST /api HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\nOrigin: https://app.example\r\nReferer: http://r.example/x\r\n\r\n{"id":1234}'], [1, 'HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok']],
      [[0, 'PUT /u HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\n'], [1, 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\nA\r\n0123456789\r\n0\r\n\r\n']],
      [[0, get()], [1, 'HTTP/1.0 200 OK\r\nServer: x\r\n\r\nbody until the connection closes'], [1, ' and more']],
      [[0, get()], [1, 'HTTP/1.1 200 OK\r\n\r\nbody with no end'], { meta: false }, [1, 'still']],
      [[0, 'HEAD / HTTP/1.1\r\nHost: h\r\n\r\n'], [1, 'HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n'], [0, get('/after-head')], [1, ok()]],
      [[0, get() + get('/2')], [1, 'HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n'], [0, get('/3')]],
      [[0, 'POST /up HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n'], [1, 'HTTP/1.1 100 Continue\r\n\r\n'], [0, 'data'], [1, 'HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n']],
      [[0, 'GET /old\r\n\r\n'], [1, 'HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx']],
      [[0, '\r\n\r\n' + get() + '\r\n' + get('/b')], [1, ok() + '\r\n' + ok()]],
      [[0, 'GET  /two  spaces  HTTP/1.1\r\nHost:   padded\t \r\nUser-Agent:\r\n\r\n'], [1, 'HTTP/1.1   200   Fine   \r\nContent-Length: 5, 5\r\n\r\n12345']],
      [[0, 'GET /x HTTP/1.1\nHost: bare-lf\n\n'], [1, 'HTTP/1.1 200\nContent-Length: 0\n\n']],
      [[0, get('/ünïcödé?q=%00', 'Host: hôst.example\r\nUser-Agent: tab\there \\ and (empty)\r\n')], [1, 'HTTP/1.1 404 Không tìm thấy\r\nContent-Length: 0\r\n\r\n']],
      [[0, bytes('GET /', [0xe9, 0xff, 0x01], ' HTTP/1.1\r\nHost: ', [0xc3, 0x28], '\r\n\r\n')], [1, ok()]],
      [[0, get('/' + 'u'.repeat(2047))], [1, ok()]],
      [[0, get('/', `Host: ${'h'.repeat(256)}\r\nUser-Agent: ${'a'.repeat(1024)}\r\nReferer: ${'r'.repeat(2048)}\r\nOrigin: ${'o'.repeat(1024)}\r\n`)], [1, ok()]],
      [[0, get('/', 'Host: first\r\nHost: second\r\nUser-Agent: one\r\nuser-agent: two\r\nX-Other: 1\r\n')], [1, ok('', 'Set-Cookie: a=b\r\n')]],
      [[0, get('/1') + get('/2') + get('/3')], [1, ok('a') + ok('bb')]], // the third unanswered at the end
      [[0, 'POST /early HTTP/1.1\r\nContent-Length: 10\r\n\r\n12'], [1, 'HTTP/1.1 413 Too Large\r\nContent-Length: 0\r\n\r\n'], [0, '34567890'], [0, get('/next')], [1, ok()]],
      [[0, 'GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n'], [1, 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello'], [0, 'not http any more\r\n\r\n']],
      [[0, 'CONNECT db.example:443 HTTP/1.1\r\nHost: db.example:443\r\n\r\n'], [1, 'HTTP/1.1 200 Connection established\r\n\r\n'], [0, '\x16\x03\x01\x00\x05hello']],
      [[0, 'CONNECT db.example:443 HTTP/1.1\r\n\r\n'], [1, 'HTTP/1.1 407 Proxy Auth\r\nContent-Length: 0\r\n\r\n']],
      [[0, get()]], // a request alone
      [[0, 'OPTIONS * HTTP/1.1\r\n\r\nM-SEARCH * HTTP/1.1\r\n\r\nPROPFIND /d HTTP/1.1\r\nContent-Length: 0\r\n\r\n'], [1, ok('') + ok('') + ok('')]],
    ];
    for (const [i, c] of kept.entries()) expect(same(c, 1), `kept ${i}`).toBe(true);
  });

  it('the same however either direction is cut into deliveries, with metadata calls between', () => {
    for (const [dir, data] of [[0, pipelined], [1, responses]] as const) {
      for (const parts of splits(data)) {
        const mine: Step[] = parts.map((p) => ({ data: [dir, p] }));
        const other: Step = { data: [dir === 0 ? 1 : 0, dir === 0 ? responses : pipelined] };
        const c = dir === 0 ? [...mine, other] : [other, ...mine];
        same(c, 3); // (handed over at the Authorization header the samples carry)
        const plain = bytes(get('/a'), 'POST /b HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc', 'PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n');
        const answers = bytes(ok('x'), 'HTTP/1.1 100 Continue\r\n\r\n', 'HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n', ok(''));
        if (parts.length !== 2) continue;
        const at = parts[0]!.length;
        const cut = (b: Uint8Array): Step[] => [{ data: [dir, b.subarray(0, Math.min(at, b.length - 1))] }, { meta: false }, { data: [dir, b.subarray(Math.min(at, b.length - 1))] }];
        expect(same(dir === 0 ? [...cut(plain), [1, answers]] : [[0, plain], ...cut(answers)], 3)).toBe(true);
      }
    }
  });

  it('gaps inside counted bodies stay native; anywhere else they are handed over', () => {
    expect(same([[0, get()], [1, 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123'], { gap: [1, 90] }, [1, '456789'], [0, get('/2')], [1, ok()]], 2)).toBe(true);
    expect(same([[0, get()], [1, 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n20\r\nab'], { gap: [1, 30] }, [1, '\r\n0\r\n\r\n']], 1)).toBe(true);
    expect(same([[0, get()], [1, 'HTTP/1.1 200 OK\r\n\r\nto the close'], { gap: [1, 5000] }, [1, 'end']], 1)).toBe(true);
    expect(same([[0, get()], { gap: [0, 0] }, { gap: [1, -3] }, [1, ok()]], 1)).toBe(true);
    expect(same([[0, get()], [1, 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01'], { gap: [1, 9] }, [1, ok()]], 1)).toBe(false);
    expect(same([[0, get()], { gap: [0, 10] }, [0, get('/2')], [1, ok() + ok()]], 1)).toBe(false);
    expect(same([[0, get()], [1, 'HTTP/1.1 200 OK\r\nConte'], { gap: [1, 4] }, [1, ok()]], 1)).toBe(false);
    // Gaps of 4 GB and more, in bodies that long: counted exactly (by the JavaScript analyzer: the native one keeps 32-bit gaps).
    const huge = 'HTTP/1.1 200 OK\r\nContent-Length: 10000000005\r\n\r\n';
    expect(same([[0, get()], [1, huge], { gap: [1, 5e9] }, { gap: [1, 4294967295] }, [1, 'hello'], [1, 'HTTP/1.1 204 No\r\n\r\n']], 1)).toBe(false);
    expect(same([[0, get()], [1, 'HTTP/1.1 200 OK\r\n\r\n'], { gap: [1, 2 ** 40] }, [1, 'end']], 1)).toBe(false);
    expect(same([[0, get()], [1, 'HTTP/1.1 200 OK\r\n\r\n'], { gap: [1, 4294967295] }, [1, 'end']], 1)).toBe(true);
    // After a tunnel nothing is analyzed: a gap then changes nothing.
    expect(same([[0, 'GET / HTTP/1.1\r\n\r\n'], [1, 'HTTP/1.1 101 Switching\r\n\r\n'], { gap: [1, 10] }, { gap: [0, 10] }], 1)).toBe(true);
  });

  it('hands over at everything unusual, and the JavaScript analyzer reports it: weirds, secrets, proxies, resyncs, limits', () => {
    const handed: Conversation[] = [
      [[0, 'NOT HTTP AT ALL\r\n'], [1, 'whatever\r\n']],
      [[0, '\x16\x03\x01 binary'], [1, ok()]],
      [[0, get('/', 'Authorization: Basic dXNlcjE6c2VjcmV0\r\n')], [1, ok()]],
      [[0, get('/', 'Authorization: Bearer abc\r\n')], [1, ok()]],
      [[0, get('/', 'X-Forwarded-For: 10.0.0.9\r\nVia: 1.1 proxy\r\n')], [1, ok()]],
      [[0, get('/', 'Host: a\r\n folded\r\n')], [1, ok()]],
      [[0, get('/', Array.from({ length: 257 }, (_, i) => `X-H${i}: v\r\n`).join(''))], [1, ok()]],
      [[0, get('/', 'Bad Header Line\r\n')], [1, ok()]],
      [[0, get()], [1, 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!']],
      [[0, get()], [1, 'HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n']],
      [[0, get()], [1, 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n']],
      [[0, get()], [1, 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n']],
      [[0, get()], [1, 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n']],
      [[0, get('/' + 'u'.repeat(2049))], [1, ok()]],
      [[0, get('/', `Host: ${'h'.repeat(257)}\r\n`)], [1, ok()]],
      [[0, get('/', `Host: a\r\nHost: ${'h'.repeat(300)}\r\n`)], [1, ok()]],
      [[0, get('/', `X-Long: ${'v'.repeat(17_000)}\r\n`)], [1, ok()]],
      [[0, get()], [1, ok() + ok()]],
      [[1, ok()], [0, get()]],
      [[0, Array.from({ length: 70 }, (_, i) => get(`/${i}`)).join('')], [1, ok()]],
      [[0, get()], [1, 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx'], [1, 'garbage line\r\n'], [0, get('/2')], [1, ok()]],
    ];
    for (const [i, c] of handed.entries()) expect(same(c), `handed ${i}`).toBe(false);
  });

  it('a time past 64 bits (after 2262) hands the connection over, at its start or later', () => {
    expect(same([[0, get()], [1, ok()]], 1, 2n ** 63n - 1_500_000n)).toBe(false);
    expect(same([[0, get()], [1, ok()]], 1, 2n ** 64n)).toBe(false);
    expect(same([[0, get()], [1, ok()]], 1, -(2n ** 63n))).toBe(true);
    expect(() => addon!.httpData(addon!.httpNew(), 0, bytes(get()), 0, 5, 2n ** 63n)).toThrow('tsNs outside 64 bits');
  });

  it('rows written before a handover are not written again; after it, they are the JavaScript analyzer\'s', () => {
    const c: Conversation = [[0, get('/1')], [1, ok()], { meta: false }, [0, get('/2')], [1, ok()], { meta: false }, [0, get('/3')], [1, ok()], [0, get('/4', 'Authorization: Basic dTpw\r\n')], [1, ok()], { meta: false }, [0, get('/5')], [1, ok()]];
    expect(same(c, 5)).toBe(false);
    // A tunnel that a later metadata call hands over is not possible: after it, nothing is recorded that could.
    expect(same([[0, 'GET / HTTP/1.1\r\n\r\n'], [1, 'HTTP/1.1 101 Switching\r\n\r\n'], { meta: false }, [1, 'x']], 1)).toBe(true);
  });

  it('more finished transactions than kept between two metadata calls: the drop is counted, by the JavaScript analyzer, during the data or at the end', () => {
    // (in rounds of 50 requests and their responses: more than 64 waiting would be a weird of its own)
    const many = (n: number, trailing = 0): Conversation => {
      const c: Conversation = [];
      for (let i = 0; i < n; i += 50) {
        const k = Math.min(50, n - i);
        c.push([0, Array.from({ length: k }, (_, j) => get(`/${i + j}`, 'Host: h\r\n')).join('')], [1, ok('').repeat(k)]);
      }
      for (let i = 0; i < trailing; i++) c.push([0, get('/unanswered', 'Host: h\r\n')]);
      return c;
    };
    // 1,024 answered and two unanswered: the second is dropped when the final call finishes it.
    const before = { ...nativeHttpStats };
    expect(same(many(1024, 2), 1024)).toBe(false);
    expect(nativeHttpStats.handedOver - before.handedOver).toBe(1);
    // A thousand at a time, with metadata calls between: native throughout.
    expect(same([...many(1000), { meta: false }, ...many(1000)], 2000)).toBe(true);
    // 1,100 in one go: dropped while the data is read.
    expect(same(many(1100), 1024)).toBe(false);
  });

  it('a conversation longer than the native analyzer keeps for a handover is handed over when it gets there, rows unchanged', () => {
    const c: Conversation = [];
    for (let i = 0; i < 400; i++) c.push([0, get(`/${i}`, `Host: h\r\nUser-Agent: ${'a'.repeat(600)}\r\n`)], [1, ok('x'.repeat(50))], ...(i % 50 === 49 ? [{ meta: false } as Step] : []));
    expect(same(c, 400)).toBe(false);
  });

  it('a body in many segments is one entry of what is kept for a handover: long bodies and long keep-alive conversations stay native, and replay the same', () => {
    const segments = (text: string, body: number, seg = 1460): Step[] => {
      const head = bytes(text);
      const all = new Uint8Array(head.length + body).fill(0x41);
      all.set(head);
      const out: Step[] = [];
      for (let at = 0; at < all.length; at += seg) out.push({ data: [1, all.subarray(at, Math.min(all.length, at + seg))] });
      return out;
    };
    // 1,000 transactions of 20 KB bodies in 14 segments each: kept (the body entries alone would be 364 KB otherwise).
    const a = addon!;
    const h = a.httpNew();
    let ts = T0;
    for (let i = 0; i < 1000; i++) {
      const req = bytes(get(`/${i}`, 'Host: h\r\n'));
      expect(a.httpData(h, 0, req, 0, req.length, (ts += 1000n))).toBe(1);
      for (const st of segments('HTTP/1.1 200 OK\r\nContent-Length: 20000\r\n\r\n', 20_000)) {
        const b = (st as { data: [Direction, Uint8Array] }).data[1];
        expect(a.httpData(h, 1, b, 0, b.length, (ts += 1000n))).toBe(1);
      }
    }
    const rec = a.httpRecorded(h);
    expect(rec.length).toBeLessThan(256 * 1024);
    // Handed over after long bodies (5 MB, and to the close): the replay gives them in pieces, with the same rows.
    const auth: [Direction, string] = [0, get('/x', 'Authorization: Basic dTpw\r\n')];
    expect(same([[0, get('/big')], ...segments('HTTP/1.1 200 OK\r\nContent-Length: 5000000\r\n\r\n', 5_000_000), auth, [1, ok()]], 2)).toBe(false);
    expect(same([[0, get('/big')], ...segments('HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n', 100_000, 700), { gap: [1, 10] }, ...segments('', 3000), auth, [1, ok()]], 2)).toBe(false);
    expect(same([[0, get('/close')], ...segments('HTTP/1.0 200 OK\r\n\r\n', 300_000), { meta: false }, ...segments('', 5000), auth], 2)).toBe(false);
    // Bodies both ways, interleaved (an upload while a response streams): entries are joined only within one direction.
    const up = (n: number): Step => ({ data: [0, new Uint8Array(n).fill(0x42)] });
    expect(same([[0, 'POST /up HTTP/1.1\r\nContent-Length: 9000\r\n\r\n'], up(3000), [1, 'HTTP/1.1 200 OK\r\nContent-Length: 9000\r\n\r\n'], up(3000), [1, new Uint8Array(4000)], up(3000), [1, new Uint8Array(5000)], auth, [1, ok()]], 2)).toBe(false);
    for (let i = 0; i < 30; i++) expect(same([[0, get('/a')], ...segments('HTTP/1.1 200 OK\r\nContent-Length: 70000\r\n\r\n', 70_000, 1000 + i * 97), [0, get('/b')], [1, ok()]], 2)).toBe(true);
  });

  it('what all open analyzers keep for handovers is bounded: past the budget a connection is handed over, and closing gives the bytes back', () => {
    const a = addon!;
    const base = a.replayBudget();
    // Connections with 3 KB of requests each, still open.
    const holders: number[] = [];
    for (let i = 0; i < 5; i++) {
      const h = a.httpNew();
      const req = bytes(get(`/${i}`, `Host: h\r\nX-Pad: ${'u'.repeat(3000)}\r\n`));
      expect(a.httpData(h, 0, req, 0, req.length, T0)).toBe(1);
      holders.push(h);
    }
    const held = a.replayBudget().http - base.http;
    expect(held).toBeGreaterThan(15_000);
    try {
      a.replayBudget(base.http + held + 4000);
      // Room for one small conversation, not for one of 5 KB more: that one goes to JavaScript, with the same rows.
      expect(same([[0, get()], [1, ok()]], 1)).toBe(true);
      expect(same([[0, get('/big', `Host: h\r\nX-Pad: ${'u'.repeat(5000)}\r\n`)], [1, ok()]], 1)).toBe(false);
      expect(a.replayBudget().http).toBe(base.http + held);
    } finally {
      a.replayBudget(64 * 1024 * 1024);
      for (const h of holders) a.httpRows(h, true);
    }
    expect(a.replayBudget()).toEqual(base);
  });

  it('body segments the native analyzer only counts are counted by its wrapper and brought to the next call; when that call hands over first, the JavaScript analyzer gets them', () => {
    const seg = (n: number, fill = 0x41): Step => ({ data: [1, new Uint8Array(n).fill(fill)] });
    const before = nativeHttpStats.counted;
    const head = 'HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n' + 'b'.repeat(100);
    const conv: Conversation = [[0, get()], [1, head], ...Array.from({ length: 10 }, () => seg(490)), [0, get('/next')], [1, ok()]];
    expect(same(conv, 2)).toBe(true);
    expect(nativeHttpStats.counted - before).toBe(4900);
    // Counted up to a body's end and on past it in one delivery; chunks; to the close; gaps among them; a metadata call between.
    expect(same([[0, get() + get('/2')], [1, 'HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n'], seg(600), { gap: [1, 100] }, { meta: false }, { data: [1, bytes('x'.repeat(300), ok())] }], 2)).toBe(true);
    expect(same([[0, get()], [1, 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n'], seg(500), seg(524), [1, '\r\n0\r\n\r\n']], 1)).toBe(true);
    expect(same([[0, get()], [1, 'HTTP/1.0 200 OK\r\n\r\n'], seg(1000), { gap: [1, 5000] }, seg(1000), { meta: false }, seg(10)], 1)).toBe(true);
    // Counted in one direction while the other sends: brought to the other's call first.
    expect(same([[0, 'POST /u HTTP/1.1\r\nContent-Length: 3000\r\n\r\n'], { data: [0, new Uint8Array(1000)] }, [1, 'HTTP/1.1 100 Continue\r\n\r\n'], { data: [0, new Uint8Array(2000)] }, [1, ok()]], 1)).toBe(true);
    // No room left to record the counted bytes when they are brought: handed over, and the JavaScript analyzer is given them.
    const a = addon!;
    const used = a.replayBudget().http;
    try {
      a.replayBudget(used + 84 + 67 + 10);
      expect(same(conv, 2)).toBe(false);
    } finally {
      a.replayBudget(64 * 1024 * 1024);
    }
  });

  // CHOT_NATIVE_HTTP_FUZZ=<rounds> runs a longer one.
  const rounds = Number(process.env.CHOT_NATIVE_HTTP_FUZZ ?? 6_000);
  it(`fuzz: ${rounds.toLocaleString('en')} mutated and cut conversations give the reference rows and weirds`, () => {
    const r = rng(0x4777);
    const seeds: Array<Array<[Direction, Uint8Array]>> = [
      [[0, bytes(get('/a'), 'POST /b HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc')], [1, bytes(ok('x'), 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n')]],
      [[0, bytes(get('/q?x=1'))], [1, bytes('HTTP/1.0 200 OK\r\n\r\nclose-delimited body')]],
      [[0, bytes('HEAD / HTTP/1.1\r\n\r\nGET /ws HTTP/1.1\r\n\r\n')], [1, bytes('HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nHTTP/1.1 101 Switching\r\n\r\n\x00\x01')]],
      [[0, pipelined], [1, responses]],
      // a body over several deliveries (each skipped whole: one entry), both ways
      [[0, bytes('POST /u HTTP/1.1\r\nContent-Length: 40\r\n\r\n', 'x'.repeat(10))], [0, bytes('y'.repeat(20))], [1, bytes('HTTP/1.1 200 OK\r\nContent-Length: 30\r\n\r\n')], [0, bytes('z'.repeat(10))], [1, bytes('a'.repeat(10))], [1, bytes('b'.repeat(10))], [1, bytes('c'.repeat(10), ok())], [0, bytes(get('/n'))]],
    ];
    let native = 0;
    for (let i = 0; i < rounds; i++) {
      const seed = seeds[Math.floor(r() * seeds.length)]!;
      const st: Step[] = [];
      for (const [dir, b] of seed) {
        const m = r() < 0.4 ? mutate(b, r) : b;
        if (r() < 0.4 && m.length > 1) {
          const at = 1 + Math.floor(r() * (m.length - 1));
          st.push({ data: [dir, m.subarray(0, at)] });
          if (r() < 0.3) st.push({ meta: false });
          st.push({ data: [dir, m.subarray(at)] });
        } else st.push({ data: [dir, m] });
        if (r() < 0.05) st.push({ gap: [dir, Math.floor(r() * 40)] });
      }
      if (same(st)) native++;
    }
    expect(native).toBeGreaterThan(rounds / 10);
    expect(native).toBeLessThan(rounds * 0.9);
  }, 120_000);

  it('refuses a closed handle and bad arguments with what is wrong', () => {
    const a = addon!;
    const h = a.httpNew();
    const req = bytes(get());
    expect(a.httpData(h, 0, req, 0, req.length, T0)).toBe(1);
    expect(a.httpRows(h, true)).toMatch(/^1767225600\.500000\t1\tGET\twww\.example\.vn\t\/\t-\t1\.1\tchot-test\/1\.0\t-\t0\t0\t-\t-\t-\t-\t\(empty\)\t-\t-\t-(\t-){6}\n$/);
    expect(() => a.httpData(h, 0, req, 0, req.length, T0)).toThrow('not an open HTTP analyzer handle');
    expect(() => a.httpRows(h, false)).toThrow('not an open HTTP analyzer handle');
    expect(() => a.httpGap(h, 0, 5)).toThrow('not an open HTTP analyzer handle');
    expect(() => a.httpRecorded(987_654)).toThrow('not an open HTTP analyzer handle');
    const h2 = a.httpNew();
    expect(() => a.httpData(h2, 0, 'GET' as unknown as Uint8Array, 0, 3, T0)).toThrow('httpData(handle, dir: 0 or 1, bytes: Uint8Array, start, end, tsNs: bigint, counted?, countedDir?)');
    expect(() => a.httpGap(h2, 0, 'x' as unknown as number)).toThrow('httpGap(handle, dir: 0 or 1, bytes, counted?, countedDir?)');
    expect(() => a.httpRows(h2, 'yes' as unknown as boolean)).toThrow('httpRows(handle, final: boolean, counted?, countedDir?)');
    expect(() => a.httpData(h2, 2, req, 0, req.length, T0)).toThrow('dir: 0 or 1');
    expect(() => a.httpGap(h2, -1, 5)).toThrow('httpGap(handle, dir: 0 or 1, bytes, counted?, countedDir?)');
    expect(() => a.httpData(h2, 0, bytes(get()), 0, 5, T0, 1.5, 0)).toThrow('counted: a whole number of bytes to 2^31, countedDir: 0 or 1');
    expect(() => a.httpRows(h2, false, 10, 2)).toThrow('counted: a whole number of bytes to 2^31, countedDir: 0 or 1');
    // Ranges are clamped as GuardedAnalyzer clamps them: a negative end is an empty delivery.
    expect(a.httpData(h2, 0, req, 0, -1, T0)).toBe(0);
    expect(a.httpData(h2, 0, req, -5, 10_000, T0)).toBe(1);
    expect(a.httpRows(h2, true)).toContain('\tGET\t');
    expect(same([{ data: [0, bytes(get())] }, [1, ok()]], 1)).toBe(true);
  });
});

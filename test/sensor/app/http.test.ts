import { describe, expect, it } from 'vitest';
import type { Direction } from '../../../sensor/app/analyzer.js';
import { HttpAnalyzer } from '../../../sensor/app/http/analyzer.js';
import { chunkSize, contentLength, parseRequestLine, parseStatusLine } from '../../../sensor/app/http/parse.js';
import type { HttpTransaction } from '../../../sensor/app/http/types.js';
import { bytes, splits, Weirds } from './helpers.js';
import { pipelined, responses } from './samples.js';

function run(flights: Array<[Direction, Uint8Array]>, w = new Weirds()): { a: HttpAnalyzer; txs: HttpTransaction[]; w: Weirds } {
  const a = new HttpAnalyzer(w);
  let ts = 100n;
  for (const [dir, b] of flights) a.deliver(dir, b, 0, b.length, ts++);
  return { a, txs: a.metadata(true)?.http ?? [], w };
}

const expected = [
  {
    transDepth: 1, method: 'GET', host: 'www.example.vn', uri: '/index.html?q=1', requestVersion: '1.1', userAgent: 'curl/8.5.0',
    referrer: 'http://a.example/', statusCode: 200, statusMsg: 'OK', responseBodyLen: 5, requestBodyLen: 0, requestComplete: true, responseComplete: true,
  },
  {
    transDepth: 2, method: 'POST', host: 'www.example.vn:8080', uri: '/api/v1/lookup', origin: 'https://app.example', requestBodyLen: 11,
    infoCode: 100, infoMsg: 'Continue', statusCode: 201, statusMsg: 'Created', responseBodyLen: 19,
  },
  { transDepth: 3, method: 'PUT', uri: '/upload', requestBodyLen: 11, username: 'user1', proxied: ['X-FORWARDED-FOR -> 10.0.0.9'], statusCode: 404, responseBodyLen: 0 },
];

describe('HTTP/1.x', () => {
  it('pairs pipelined requests with their responses and skips every kind of body', () => {
    const { a, txs, w } = run([
      [0, pipelined],
      [1, responses],
    ]);
    expect(w.names).toEqual([]);
    expect(a.service).toBe('http');
    expect(txs).toMatchObject(expected);
    expect(txs[2]!.username).toBe('user1'); // the password is never kept
    expect(JSON.stringify(txs, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).not.toContain('secret');
  });

  it('reads the same transactions however either stream is cut', () => {
    const whole = run([
      [0, pipelined],
      [1, responses],
    ]).txs;
    for (const [dir, data] of [
      [0, pipelined],
      [1, responses],
    ] as const) {
      for (const parts of splits(data)) {
        const other = dir === 0 ? responses : pipelined;
        const flights: Array<[Direction, Uint8Array]> = [...parts.map((p): [Direction, Uint8Array] => [dir, p]), [dir === 0 ? 1 : 0, other]];
        if (dir === 1) flights.unshift(flights.pop()!); // requests first
        const { txs, w } = run(flights);
        expect(w.names).toEqual([]);
        expect(txs.map((t) => ({ ...t, tsNs: 0n }))).toEqual(whole.map((t) => ({ ...t, tsNs: 0n })));
      }
    }
  });

  it('logs requests that never got a response, and a HEAD response without a body', () => {
    const { txs } = run([
      [0, bytes('HEAD / HTTP/1.1\r\nHost: a\r\n\r\nGET /x HTTP/1.1\r\nHost: a\r\n\r\n')],
      [1, bytes('HTTP/1.1 200 OK\r\nContent-Length: 999\r\n\r\n')],
    ]);
    expect(txs.map((t) => [t.method, t.statusCode, t.responseBodyLen, t.responseComplete])).toEqual([
      ['HEAD', 200, 0, true],
      ['GET', undefined, 0, false],
    ]);
  });

  it('counts a body that runs to the close of the connection', () => {
    const { txs } = run([
      [0, bytes('GET / HTTP/1.0\r\n\r\n')],
      [1, bytes('HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n', new Array(1000).fill(0x41))],
    ]);
    expect(txs[0]).toMatchObject({ requestVersion: '1.0', responseVersion: '1.0', responseBodyLen: 1000, responseComplete: true });
  });

  it('stops at CONNECT tunnels and protocol upgrades', () => {
    const { a, txs } = run([
      [0, bytes('CONNECT db.example:443 HTTP/1.1\r\nHost: db.example:443\r\n\r\n')],
      [1, bytes('HTTP/1.1 200 Connection established\r\n\r\n')],
    ]);
    expect(a.done).toBe(true);
    expect(txs[0]).toMatchObject({ method: 'CONNECT', uri: 'db.example:443', statusCode: 200 });
    expect(run([[0, bytes('GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n')], [1, bytes('HTTP/1.1 101 Switching Protocols\r\n\r\n\x81\x05hello')]]).a.done).toBe(true);
  });

  it('bounds long lines and fields, counting the truncation', () => {
    const uri = '/' + 'a'.repeat(40_000);
    const w = new Weirds();
    const { txs } = run([[0, bytes(`GET ${uri} HTTP/1.1\r\nUser-Agent: ${'u'.repeat(5000)}\r\nHost: h\r\n\r\n`)]], w);
    expect(txs[0]!.uri).toHaveLength(2048);
    expect(txs[0]!.userAgent).toHaveLength(1024);
    expect(txs[0]!.host).toBe('h');
    expect(w.has('http_uri_too_long')).toBe(true);
    expect(w.has('http_user_agent_too_long')).toBe(true);
  });

  it('skips body bytes lost in a gap and resyncs after a gap in the headers', () => {
    const w = new Weirds();
    const a = new HttpAnalyzer(w);
    const post = bytes('POST /a HTTP/1.1\r\nContent-Length: 100\r\n\r\n', new Array(100).fill(0x42));
    a.deliver(0, post, 0, post.length - 60, 1n);
    a.gap(0, 50);
    a.deliver(0, post, post.length - 10, post.length, 2n);
    const next = bytes('GET /b HTTP/1.1\r\nHost: b\r\n\r\n');
    a.deliver(0, next, 0, 10, 3n);
    a.gap(0, 5);
    const third = bytes('garbage\r\nGET /c HTTP/1.1\r\n\r\n');
    a.deliver(0, third, 0, third.length, 4n);
    const txs = a.metadata(true)!.http!;
    // The gap cut "GET /b" short: that request is lost; the reader finds its feet at "GET /c".
    expect(txs.map((t) => [t.method, t.uri, t.requestBodyLen])).toEqual([
      ['POST', '/a', 100],
      ['GET', '/c', 0],
    ]);
    expect(w.names).toEqual(['http_content_gap', 'http_resync']);
  });

  it('does not claim a stream that is not HTTP', () => {
    const { a, txs } = run([[0, bytes('\x16\x03\x01\x00\x05hello\r\n')]]);
    expect(a.service).toBeUndefined();
    expect(a.done).toBe(true);
    expect(txs).toEqual([]);
  });

  it('never throws on messages cut at any byte', () => {
    for (let cut = 0; cut <= pipelined.length; cut++) {
      const w = new Weirds();
      const a = new HttpAnalyzer(w);
      a.deliver(0, pipelined, 0, cut, 1n);
      a.deliver(1, responses, 0, Math.min(cut, responses.length), 2n);
      a.metadata(true);
      expect(w.names.filter((n) => n.endsWith('_analyzer_error'))).toEqual([]);
    }
  });
});

describe('HTTP line parsers', () => {
  const line = (s: string): Uint8Array => bytes(s);
  it('reads request lines, HTTP/0.9 ones and URIs with spaces', () => {
    const p = (s: string) => parseRequestLine(line(s), 0, s.length);
    expect(p('GET /a b HTTP/1.1')).toMatchObject({ method: 'GET', uri: '/a b', version: '1.1' });
    expect(p('GET /old')).toMatchObject({ method: 'GET', uri: '/old', version: undefined });
    expect(p('FOO / HTTP/1.1')).toBeUndefined();
    expect(p('get / HTTP/1.1')).toBeUndefined();
  });
  it('reads status lines', () => {
    expect(parseStatusLine(line('HTTP/1.1 204'), 0, 12)).toEqual({ version: '1.1', code: 204, msg: '' });
    expect(parseStatusLine(line('HTTP/1.1 2000 x'), 0, 15)).toBeUndefined();
  });
  it('reads lengths strictly', () => {
    const cl = (s: string) => contentLength(line(s), 0, s.length);
    expect(cl('42')).toBe(42);
    expect(cl('42, 42')).toBe(42);
    expect(cl('42, 43')).toBe(-1);
    expect(cl('-1')).toBe(-1);
    expect(cl('1e3')).toBe(-1);
    const cs = (s: string) => chunkSize(line(s), 0, s.length);
    expect(cs('1aF;name=v')).toBe(0x1af);
    expect(cs('xyz')).toBe(-1);
  });
});

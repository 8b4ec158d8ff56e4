import { X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Direction } from '../../../sensor/app/analyzer.js';
import { TlsAnalyzer } from '../../../sensor/app/tls/analyzer.js';
import { HRR_RANDOM } from '../../../sensor/app/tls/consts.js';
import type { TlsInfo } from '../../../sensor/app/tls/types.js';
import { be16, bytes, cat, clientHelloBody, ext, handshake, record, serverHelloBody, sniExt, splits, u16list, Weirds } from './helpers.js';
import { ALERT, APP, CCS, certificateMsg, clientHello12, HS, mutual12 } from './samples.js';
import { makePki, pemToDer, type Pki } from './pki.js';


let pki: Pki;
let serverDer: Uint8Array;
let clientDer: Uint8Array;
beforeAll(() => {
  pki = makePki();
  serverDer = pemToDer(pki.serverCert);
  clientDer = pemToDer(pki.clientCert);
});

function run(flights: Array<[Direction, Uint8Array]>, w = new Weirds()): { a: TlsAnalyzer; info: TlsInfo | undefined; w: Weirds } {
  const a = new TlsAnalyzer(w);
  let ts = 1_000n;
  for (const [dir, b] of flights) a.deliver(dir, b, 0, b.length, ts++);
  return { a, info: a.metadata(true)?.tls, w };
}

describe('TLS 1.2', () => {
  it('reads a mutual-TLS handshake: versions, names, certificates, history', () => {
    const { a, info, w } = run(mutual12(serverDer, clientDer));
    expect(w.names).toEqual([]);
    expect(a.service).toBe('ssl');
    expect(a.done).toBe(true);
    const server = new X509Certificate(serverDer);
    const client = new X509Certificate(clientDer);
    expect(info).toMatchObject({
      tsNs: 1000n,
      version: 0x0303,
      clientVersion: 0x0303,
      cipher: 0xc02f,
      curve: 23,
      serverName: 'chot.test',
      alpnOffered: ['h2', 'http/1.1'],
      nextProtocol: 'h2',
      resumed: false,
      established: true,
      history: 'CsxkrnXGYIi',
      clientCertificate: 'present',
      certificateRequested: true,
      sniMatchesCert: true,
      serverCertFps: [server.fingerprint256.replace(/:/g, '').toLowerCase()],
      clientCertFps: [client.fingerprint256.replace(/:/g, '').toLowerCase()],
      clientCiphers: [0xc02f, 0xc030, 0x009c],
    });
    expect(info!.serverCert).toMatchObject({ subject: 'CN=chot.test,OU=Sensors,O=Chot Test,ST=Ha Noi,C=VN', issuer: 'CN=Chot Test Root,O=Chot Test CA,C=VN' });
    expect(info!.clientCert).toMatchObject({ subject: 'CN=client-01,O=Chot Test,C=VN', subjectCN: 'client-01' });
    expect(info!.ja3).toMatch(/^[0-9a-f]{32}$/);
    expect(info!.ja3s).toMatch(/^[0-9a-f]{32}$/);
    expect(info!.ja4!.slice(0, 11)).toBe('t12d0304h2_');
  });

  it('gives the same result however the streams are cut', () => {
    const whole = run(mutual12(serverDer, clientDer)).info;
    const flights = mutual12(serverDer, clientDer);
    // Every split of the ClientHello flight and of the server's certificate flight.
    for (const which of [0, 1]) {
      for (const parts of splits(flights[which]![1])) {
        const cut: Array<[Direction, Uint8Array]> = flights.flatMap(([d, b], i) => (i === which ? parts.map((p): [Direction, Uint8Array] => [d, p]) : [[d, b]]));
        const { info, w } = run(cut);
        expect(w.names).toEqual([]);
        expect({ ...info, tsNs: 0n }).toEqual({ ...whole, tsNs: 0n });
      }
    }
  });

  it('says "absent" when the client goes on without a certificate, and "empty" for an empty one', () => {
    const noRequest = mutual12(serverDer, clientDer);
    const withoutCert = cat(record(HS, handshake(16, [1, 0])), record(CCS, [1]), record(HS, [1, 2, 3]));
    noRequest[2] = [0, withoutCert];
    expect(run(noRequest).info).toMatchObject({ clientCertificate: 'absent', established: true });

    const empty = mutual12(serverDer, clientDer);
    empty[2] = [0, cat(record(HS, [...certificateMsg(), ...handshake(16, [1, 0])]), record(CCS, [1]), record(HS, [1, 2, 3]))];
    const { info } = run(empty);
    expect(info).toMatchObject({ clientCertificate: 'empty', clientCertFps: [] });
    expect(info!.history).toBe('CsxkrnXGIi');
  });

  it('recognises resumption by session id (abbreviated handshake)', () => {
    const sid = new Array(32).fill(7);
    const { info } = run([
      [0, record(HS, handshake(1, clientHelloBody({ sessionId: sid, ciphers: [0xc02f] })))],
      [1, cat(record(HS, handshake(2, serverHelloBody({ sessionId: sid, cipher: 0xc02f }))), record(CCS, [1]), record(HS, [9, 9, 9]))],
      [0, cat(record(CCS, [1]), record(HS, [8, 8, 8]))],
    ]);
    expect(info).toMatchObject({ resumed: true, established: true, history: 'CsiI', clientCertificate: 'unknown' });
  });

  it('keeps the session id it compares, not a view of the capture buffer the next packets overwrite', () => {
    const sid = new Array(32).fill(7);
    const a = new TlsAnalyzer(new Weirds());
    // The capture readers hand over a reused Node Buffer, whose slice() is a view, not a copy.
    const capture = Buffer.alloc(4096);
    const hello = record(HS, handshake(1, clientHelloBody({ sessionId: sid, ciphers: [0xc02f] })));
    capture.set(hello, 100);
    a.deliver(0, capture, 100, 100 + hello.length, 1n);
    capture.fill(0xee); // later packets in the same block
    const rest: Array<[Direction, Uint8Array]> = [
      [1, cat(record(HS, handshake(2, serverHelloBody({ sessionId: sid, cipher: 0xc02f }))), record(CCS, [1]), record(HS, [9, 9, 9]))],
      [0, cat(record(CCS, [1]), record(HS, [8, 8, 8]))],
    ];
    for (const [dir, b] of rest) a.deliver(dir, b, 0, b.length, 2n);
    expect(a.metadata(true)?.tls).toMatchObject({ resumed: true, established: true });
  });

  it('keeps the last plaintext alert and stops after a fatal one', () => {
    const { a, info } = run([
      [0, record(HS, clientHello12())],
      [1, record(ALERT, [2, 40])],
    ]);
    expect(info).toMatchObject({ lastAlert: 40, history: 'Cl', established: false });
    expect(a.done).toBe(true);
  });
});

describe('TLS 1.3', () => {
  const ch13 = (): number[] =>
    handshake(1, clientHelloBody({ ciphers: [0x1301, 0x1302], extensions: [sniExt('chot.test'), ext(43, u16list([0x0304, 0x0303], 1)), ext(51, [0, 6, 0, 29, 0, 2, 1, 2]), ext(41, [0, 0])] }));

  it('takes the version from supported_versions and cannot see client certificates', () => {
    const { info, w } = run([
      [0, record(HS, ch13(), 0x0301)],
      [1, cat(record(HS, handshake(2, serverHelloBody({ cipher: 0x1301, extensions: [ext(43, be16(0x0304)), ext(51, [0, 29, 0, 2, 1, 2])] }))), record(CCS, [1]), record(APP, new Array(300).fill(3)))],
      [0, cat(record(CCS, [1]), record(APP, new Array(50).fill(4)))],
    ]);
    expect(w.names).toEqual([]);
    expect(info).toMatchObject({
      version: 0x0304,
      clientVersion: 0x0304,
      cipher: 0x1301,
      curve: 29,
      established: true,
      resumed: false,
      history: 'CsiI',
      clientCertificate: 'unknown',
      serverCertFps: [],
    });
    expect(info!.certificateRequested).toBeUndefined();
  });

  it('notes a HelloRetryRequest and a PSK resumption', () => {
    const { info } = run([
      [0, record(HS, ch13())],
      [1, record(HS, handshake(2, serverHelloBody({ random: [...HRR_RANDOM], cipher: 0x1301, extensions: [ext(43, be16(0x0304)), ext(51, be16(23))] })))],
      [0, record(HS, ch13())],
      [1, cat(record(HS, handshake(2, serverHelloBody({ cipher: 0x1301, extensions: [ext(43, be16(0x0304)), ext(51, [0, 23, 0, 1, 4]), ext(41, [0, 0])] }))), record(APP, [1, 2]))],
      [0, record(APP, [1, 2])],
    ]);
    expect(info).toMatchObject({ history: 'CjCs', curve: 23, resumed: true, established: true });
  });
});

describe('TLS robustness', () => {
  it('refuses a record over the size limit without confirming', () => {
    const w = new Weirds();
    const a = new TlsAnalyzer(w);
    const b = bytes(HS, be16(0x0301), be16(0x5000), new Array(10).fill(0));
    a.deliver(0, b, 0, b.length, 1n);
    expect(w.names).toEqual(['tls_record_too_large']);
    expect(a.done).toBe(true);
    expect(a.service).toBeUndefined();
  });

  it('is not fooled by a stream that is not TLS', () => {
    const { a, info } = run([[0, bytes('GET / HTTP/1.1\r\n\r\n')]]);
    expect(a.service).toBeUndefined();
    expect(a.done).toBe(true);
    expect(info).toBeUndefined();
  });

  it('reads an SSLv2-format ClientHello', () => {
    const body = [1, ...be16(0x0301), ...be16(6), ...be16(0), ...be16(16), 0, 0, 0x2f, 0x07, 0x00, 0xc0, ...new Array(16).fill(1)];
    const { a, info } = run([[0, bytes(0x80 | (body.length >> 8), body.length & 0xff, body)]]);
    expect(a.service).toBe('ssl');
    expect(info).toMatchObject({ history: 'C', clientVersion: 0x0301, clientCiphers: [0x2f] });
  });

  it('survives a gap inside a skipped record and gives up on one in a handshake', () => {
    const w = new Weirds();
    const a = new TlsAnalyzer(w);
    const ch = record(HS, clientHello12());
    a.deliver(0, ch, 0, ch.length, 1n);
    const early = record(APP, new Array(500).fill(0)); // 0-RTT-like data before the ServerHello
    a.deliver(0, early, 0, 100, 2n);
    a.gap(0, 300);
    a.deliver(0, early, 400, early.length, 3n);
    expect(w.names).toEqual([]);
    const sh = record(HS, handshake(2, serverHelloBody({ cipher: 0xc02f })));
    a.deliver(1, sh, 0, 20, 4n);
    a.gap(1, 5);
    expect(w.names).toEqual(['tls_content_gap']);
    expect(a.metadata(true)?.tls).toMatchObject({ history: 'C', serverName: 'chot.test' });
  });

  it('never throws on a handshake cut at any byte', () => {
    const all = mutual12(serverDer, clientDer);
    for (const [i, [, data]] of all.entries()) {
      for (let cut = 0; cut <= data.length; cut += 1) {
        const w = new Weirds();
        const a = new TlsAnalyzer(w);
        for (const [j, [d, b]] of all.entries()) {
          if (j < i) a.deliver(d, b, 0, b.length, 1n);
          else if (j === i) a.deliver(d, b, 0, cut, 1n);
        }
        a.metadata(true);
        expect(w.names.filter((n) => n.endsWith('_analyzer_error'))).toEqual([]);
      }
    }
  });
});

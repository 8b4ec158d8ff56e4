// Service detection: content first, the port only to settle a first payload
// too short to judge.

import { describe, expect, it } from 'vitest';
import type { AppAnalyzer, Direction } from '../../../sensor/app/analyzer.js';
import { MAYBE, NO, YES, dnsMessage as dnsVerdict, httpStart, sshBanner, tlsHello } from '../../../sensor/app/detect.js';
import { createAppAnalyzer } from '../../../sensor/app/index.js';
import { bytes, record, rng, Weirds } from './helpers.js';
import { clientHello12, dnsQuery, dnsResponse, HS, tcpDns } from './samples.js';

const hello = record(HS, clientHello12(), 0x0301);

function pick(proto: 6 | 17, port: number, data: Uint8Array, dir: Direction = 0): AppAnalyzer | undefined {
  return createAppAnalyzer(proto, port, 50000, dir, data, 0, data.length, new Weirds());
}

/** The service an analyzer confirms once it has seen `data`. */
function serviceAfter(a: AppAnalyzer | undefined, data: Uint8Array, dir: Direction = 0): string | undefined {
  a?.deliver(dir, data, 0, data.length, 1n);
  return a?.service;
}

describe('service detection', () => {
  it('recognises each protocol by content on any port', () => {
    expect(serviceAfter(pick(6, 12345, hello), hello)).toBe('ssl');
    const get = bytes('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(serviceAfter(pick(6, 12345, get), get)).toBe('http');
    const banner = bytes('SSH-2.0-OpenSSH_9.6\r\n');
    expect(serviceAfter(pick(6, 2200, banner), banner)).toBe('ssh');
    expect(serviceAfter(pick(17, 12345, dnsQuery), dnsQuery)).toBe('dns');
    expect(serviceAfter(pick(6, 12345, tcpDns(dnsQuery)), tcpDns(dnsQuery))).toBe('dns');
  });

  it('recognises a responder speaking first', () => {
    const status = bytes('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    expect(serviceAfter(pick(6, 8080, status, 1), status, 1)).toBe('http');
    const motd = bytes('Authorised users only\r\nSSH-2.0-OpenSSH_9.6\r\n');
    expect(serviceAfter(pick(6, 22, motd, 1), motd, 1)).toBe('ssh');
    expect(serviceAfter(pick(17, 33333, dnsResponse, 1), dnsResponse, 1)).toBe('dns');
  });

  it('lets the port decide only for a first payload too short to judge', () => {
    const start = hello.subarray(0, 3);
    expect(pick(6, 443, start)).toBeDefined();
    expect(pick(6, 12345, start)).toBeUndefined();
    expect(pick(6, 80, bytes('GE'))).toBeDefined();
    expect(pick(6, 9999, bytes('GE'))).toBeUndefined();
    expect(pick(6, 53, bytes(0, 40))).toBeDefined(); // just a DNS-over-TCP length prefix
    expect(pick(6, 22, bytes('SSH'))).toBeDefined();
  });

  it('leaves the service empty for anything else, whatever the port', () => {
    for (const port of [22, 53, 80, 443, 8443, 9999]) {
      expect(pick(6, port, bytes('\x00\x01binary junk\xff'))).toBeUndefined();
      expect(pick(6, port, bytes('EHLO mail.example\r\n'))).toBeUndefined();
    }
    expect(pick(17, 53, bytes('hello'))).toBeUndefined();
    expect(pick(17, 9999, bytes('\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03'))).toBeUndefined(); // a cut-off query, off-port
    // A port-53 datagram with a plausible header but not a full message gets an analyzer, which then declines.
    const cut = dnsQuery.subarray(0, 20);
    const a = pick(17, 53, cut);
    expect(a).toBeDefined();
    expect(serviceAfter(a, cut)).toBeUndefined();
    expect(a!.done).toBe(true);
  });

  it('tolerates nonsense arguments', () => {
    const w = new Weirds();
    expect(createAppAnalyzer(6, 443, 1, 0, hello, 10, 5, w)).toBeUndefined();
    expect(createAppAnalyzer(6, 443, 1, 0, hello, -5, 1e9, w)).toBeDefined();
    expect(w.names).toEqual([]);
  });

  it('gives exact verdicts on the opening bytes', () => {
    expect(tlsHello(hello, 0, hello.length, 0)).toBe(YES);
    expect(tlsHello(hello, 0, hello.length, 1)).toBe(NO); // a ClientHello from the responder is not a ServerHello
    for (let n = 1; n < 11; n++) expect(tlsHello(hello, 0, n, 0)).toBe(MAYBE);
    expect(httpStart(bytes('PROPFIND /x HTTP/1.1'), 0, 20, 0)).toBe(YES);
    expect(httpStart(bytes('GETX /'), 0, 6, 0)).toBe(NO);
    expect(sshBanner(bytes('SSH-'), 0, 4)).toBe(YES);
    expect(dnsVerdict(dnsQuery, 0, dnsQuery.length, false)).toBe(YES);
    expect(dnsVerdict(dnsResponse, 0, dnsResponse.length, false)).toBe(YES);
  });

  it('rarely mistakes random payloads for a protocol, and is quick about it', () => {
    const r = rng(7);
    const payloads = Array.from({ length: 500 }, () => Uint8Array.from({ length: 1 + ((r() * 1400) | 0) }, () => (r() * 256) | 0));
    let claimed = 0;
    const n = 50_000;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      const p = payloads[i % payloads.length]!;
      if (createAppAnalyzer(i % 2 ? 6 : 17, 10000 + (i % 5000), 50000, 0, p, 0, p.length)) claimed++;
    }
    const ns = Number(process.hrtime.bigint() - t0) / n;
    expect(claimed).toBeLessThan(n / 1000);
    console.log(`detection on random payloads: ${claimed}/${n} claimed, ${ns.toFixed(0)} ns per payload`);
  });
});

// Real handshakes: a Node TLS server and client on 127.0.0.1, captured with
// tcpdump on lo, replayed into the analyzer. The certificates served are
// checked against node:crypto's X509Certificate; the ClientHello against a
// JA3 string computed here by a separate, straight-line walk of its bytes.

import { spawn } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Direction } from '../../../sensor/app/analyzer.js';
import { createAppAnalyzer } from '../../../sensor/app/index.js';
import type { TlsInfo } from '../../../sensor/app/tls/types.js';
import { Weirds } from './helpers.js';
import { tcpSegments, type Segment } from './pcap.js';
import { makePki, type Pki } from './pki.js';

let pki: Pki;
beforeAll(() => {
  pki = makePki();
});

/** Runs one TLS exchange against a fresh server while tcpdump records it; returns the segments. */
async function captureHandshake(version: tls.SecureVersion): Promise<{ segments: Segment[]; port: number }> {
  const server = tls.createServer(
    {
      key: pki.serverKey,
      cert: pki.serverCert,
      ca: pki.caCert,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: version,
      maxVersion: version,
      ALPNProtocols: ['h2', 'http/1.1'],
    },
    (socket) => socket.end('hello from chot.test\n'),
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const file = join(pki.dir, `tls-${version}-${port}.pcap`);
  const dump = spawn('tcpdump', ['-i', 'lo', '--immediate-mode', '-U', '-n', '-s', '0', '-w', file, `tcp port ${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    await new Promise<void>((resolve, reject) => {
      let err = '';
      dump.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        if (err.includes('listening on')) resolve();
      });
      dump.once('exit', (code) => reject(new Error(`tcpdump exited (${code}): ${err}`)));
    });
    const client = tls.connect({
      host: '127.0.0.1',
      port,
      servername: 'chot.test',
      ca: pki.caCert,
      key: pki.clientKey,
      cert: pki.clientCert,
      ALPNProtocols: ['h2', 'http/1.1'],
      minVersion: version,
      maxVersion: version,
    });
    let received = '';
    client.setEncoding('utf8').on('data', (d: string) => (received += d));
    await once(client, 'end');
    client.destroy();
    expect(received).toBe('hello from chot.test\n');
    // --immediate-mode: without it, libpcap hands packets over in blocks (TPACKET_V3) and an
    // interrupted tcpdump loses the last block. A short pause lets the last FIN reach it.
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    server.close();
    if (dump.exitCode === null) {
      dump.kill('SIGINT');
      await once(dump, 'exit');
    }
  }
  return { segments: tcpSegments(new Uint8Array(readFileSync(file))), port };
}

/** Replays the capture's payload into the analyzer the factory picks, in capture order, once per byte. */
function replay(segments: Segment[], port: number): { info: TlsInfo | undefined; service: string | undefined; w: Weirds; clientHello: Uint8Array } {
  const w = new Weirds();
  const next = new Map<number, number>(); // per source port: next expected sequence number
  let analyzer: ReturnType<typeof createAppAnalyzer>;
  let clientHello: Uint8Array | undefined;
  for (const s of segments) {
    const dir: Direction = s.dstPort === port ? 0 : 1;
    if (s.flags & 0x02) next.set(s.srcPort, (s.seq + 1) >>> 0);
    if (s.payload.length === 0) continue;
    if (next.get(s.srcPort) !== s.seq) continue; // a retransmission (none expected on lo)
    next.set(s.srcPort, (s.seq + s.payload.length) >>> 0);
    if (!analyzer) {
      analyzer = createAppAnalyzer(6, port, 40000, dir, s.payload, 0, s.payload.length, w);
      clientHello = s.payload;
    }
    analyzer?.deliver(dir, s.payload, 0, s.payload.length, s.tsNs);
  }
  return { info: analyzer?.metadata(true)?.tls, service: analyzer?.service, w, clientHello: clientHello! };
}

/** JA3 by a straight walk of a ClientHello record: independent of sensor/app/tls. */
function independentJa3(rec: Uint8Array): { ja3: string; sni: string; alpn: string[]; versions: number[] } {
  const d = Buffer.from(rec);
  const isGrease = (v: number): boolean => (v & 0x0f0f) === 0x0a0a && v >> 8 === (v & 0xff);
  let o = 5 + 4; // record header, handshake header
  const version = d.readUInt16BE(o);
  o += 2 + 32;
  o += 1 + d[o]!;
  const cs = d.readUInt16BE(o);
  const ciphers: number[] = [];
  for (let i = 0; i < cs; i += 2) ciphers.push(d.readUInt16BE(o + 2 + i));
  o += 2 + cs;
  o += 1 + d[o]!;
  const extEnd = o + 2 + d.readUInt16BE(o);
  o += 2;
  const exts: number[] = [];
  let groups: number[] = [];
  let points: number[] = [];
  let sni = '';
  const alpn: string[] = [];
  let versions: number[] = [];
  while (o < extEnd) {
    const t = d.readUInt16BE(o);
    const l = d.readUInt16BE(o + 2);
    const v = d.subarray(o + 4, o + 4 + l);
    exts.push(t);
    if (t === 10) groups = Array.from({ length: v.readUInt16BE(0) / 2 }, (_, i) => v.readUInt16BE(2 + 2 * i));
    if (t === 11) points = [...v.subarray(1, 1 + v[0]!)];
    if (t === 0) sni = v.subarray(5, 5 + v.readUInt16BE(3)).toString('latin1');
    if (t === 16) for (let p = 2; p < l; p += 1 + v[p]!) alpn.push(v.subarray(p + 1, p + 1 + v[p]!).toString('latin1'));
    if (t === 43) versions = Array.from({ length: v[0]! / 2 }, (_, i) => v.readUInt16BE(1 + 2 * i));
    o += 4 + l;
  }
  const j = (a: number[]): string => a.filter((x) => !isGrease(x)).join('-');
  const s = `${version},${j(ciphers)},${j(exts)},${j(groups)},${points.join('-')}`;
  return { ja3: createHash('md5').update(s).digest('hex'), sni, alpn, versions };
}

/** Node prints names in DER order, one attribute per line; ssl.log writes them the other way round. */
const rfc4514 = (nodeName: string): string => nodeName.split('\n').reverse().join(',');
const fp = (c: X509Certificate): string => c.fingerprint256.replace(/:/g, '').toLowerCase();

describe('real TLS handshakes captured on lo', () => {
  it('TLS 1.2 with a client certificate: names, ALPN, certificates, client authentication', async () => {
    const { segments, port } = await captureHandshake('TLSv1.2');
    const { info, service, w, clientHello } = replay(segments, port);
    expect(w.names).toEqual([]);
    expect(service).toBe('ssl');
    const hello = independentJa3(clientHello);
    const server = new X509Certificate(pki.serverCert);
    const client = new X509Certificate(pki.clientCert);
    const ca = new X509Certificate(pki.caCert);
    expect(hello.sni).toBe('chot.test');
    expect(info).toMatchObject({
      version: 0x0303,
      serverName: hello.sni,
      alpnOffered: hello.alpn,
      nextProtocol: 'h2',
      established: true,
      clientCertificate: 'present',
      certificateRequested: true,
      sniMatchesCert: true,
      ja3: hello.ja3,
      // OpenSSL sends the chain it can build from `ca`: the leaf, then the CA.
      serverCertFps: [fp(server), fp(ca)],
      clientCertFps: [fp(client), fp(ca)],
    });
    // A NewSessionTicket (t) precedes the server's ChangeCipherSpec.
    expect(info!.history).toBe('CsxkrnXGYIti');
    expect(info!.serverCert).toMatchObject({
      subject: rfc4514(server.subject),
      issuer: rfc4514(server.issuer),
      notBefore: Date.parse(server.validFrom),
      notAfter: Date.parse(server.validTo),
      serial: server.serialNumber.toUpperCase().replace(/^(00)+(?=.)/, ''),
      sanDns: ['chot.test', '*.chot.test'],
      sanIp: ['127.0.0.1'],
      keyType: 'ec',
      curve: 'prime256v1',
    });
    expect(info!.clientCert!.subject).toBe(rfc4514(client.subject));
  });

  it('TLS 1.3: negotiated version from supported_versions, client certificate unknown', async () => {
    const { segments, port } = await captureHandshake('TLSv1.3');
    const { info, w, clientHello } = replay(segments, port);
    expect(w.names).toEqual([]);
    const hello = independentJa3(clientHello);
    expect(hello.versions).toContain(0x0304);
    expect(info).toMatchObject({
      version: 0x0304,
      clientVersion: 0x0304,
      serverName: 'chot.test',
      alpnOffered: ['h2', 'http/1.1'],
      established: true,
      clientCertificate: 'unknown',
      serverCertFps: [],
      ja3: hello.ja3,
    });
    expect(info!.certificateRequested).toBeUndefined();
    expect(info!.nextProtocol).toBeUndefined(); // ALPN answer is in the encrypted EncryptedExtensions
    expect(info!.history.slice(0, 2)).toBe('Cs');
    expect(info!.ja4).toMatch(/^t13d\d{4}h2_[0-9a-f]{12}_[0-9a-f]{12}$/);
  });
});

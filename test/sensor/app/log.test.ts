// The application logs through the core's generic Zeek writer, read back as
// zeek-cut would, and the ECS fragments.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AppMetadata } from '../../../sensor/app/analyzer.js';
import { DnsAnalyzer } from '../../../sensor/app/dns/analyzer.js';
import { HttpAnalyzer } from '../../../sensor/app/http/analyzer.js';
import { APP_LOGS, appEcsEvents, appLogRows } from '../../../sensor/app/logs.js';
import { ZeekLogWriter } from '../../../sensor/output/zeek-log.js';
import { createAppLogs } from '../../../sensor/output/app-logs.js';
import type { ConnRecord } from '../../../sensor/record.js';
import type { TlsInfo } from '../../../sensor/app/tls/types.js';
import { bytes, dnsMessage, rr, Weirds } from './helpers.js';

const conn = { uid: 'CAbc123', origH: '10.0.0.1', origP: 53124, respH: '10.0.0.53', respP: 53 };

function dnsMeta(): AppMetadata {
  const a = new DnsAnalyzer('udp', new Weirds());
  const q = dnsMessage({ id: 77, flags: 0x0100, qname: 'API.Example.VN', qtype: 28 });
  const r = dnsMessage({
    id: 77,
    flags: 0x81a0, // QR RD RA AD
    qname: 'API.Example.VN',
    qtype: 28,
    answers: [rr({ name: [0xc0, 12], type: 28, ttl: 300, rdata: [0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 5] }), rr({ name: [0xc0, 12], type: 16, ttl: 60, rdata: [3, 0x61, 0x09, 0x62] })],
  });
  a.deliver(0, q, 0, q.length, 1_700_000_000_123_456_789n);
  a.deliver(1, r, 0, r.length, 1_700_000_000_148_456_789n);
  return a.metadata(true)!;
}

const tls: TlsInfo = {
  tsNs: 1_700_000_001_000_000_000n,
  version: 0x0303,
  cipher: 0xc02f,
  curve: 29,
  serverName: 'dulieu.example.vn',
  nextProtocol: 'h2',
  resumed: false,
  established: true,
  history: 'CsxknGIi',
  ja3: 'a'.repeat(32),
  ja3s: 'b'.repeat(32),
  ja4: 't12d0304h2_aaaaaaaaaaaa_bbbbbbbbbbbb',
  clientCiphers: [0xc02f, 0x1301],
  serverCertFps: ['c'.repeat(64), 'd'.repeat(64)],
  serverCert: {
    sha256: 'c'.repeat(64),
    version: 3,
    serial: '0A1B',
    subject: 'CN=dulieu.example.vn,O=Bộ Công an,C=VN',
    issuer: 'CN=Root,C=VN',
    subjectCN: 'dulieu.example.vn',
    issuerCN: 'Root',
    notBefore: Date.UTC(2025, 0, 1),
    notAfter: Date.UTC(2026, 0, 1),
    sigAlg: 'ecdsa-with-SHA256',
    keyAlg: 'id-ecPublicKey',
    keyType: 'ec',
    keyLength: 256,
    curve: 'prime256v1',
    sanDns: ['dulieu.example.vn'],
    sanUri: [],
    sanEmail: [],
    sanIp: ['10.1.1.1'],
  },
  clientCertFps: [],
  clientCertificate: 'absent',
  certificateRequested: false,
  sniMatchesCert: true,
};

/** Writes each log the metadata fills and reads it back as {fields, types, rows}. */
function writeAndRead(meta: AppMetadata): Record<string, { fields: string[]; types: string[]; rows: Array<Record<string, string>> }> {
  const dir = mkdtempSync(join(tmpdir(), 'chot-applog-'));
  const out: Record<string, { fields: string[]; types: string[]; rows: Array<Record<string, string>> }> = {};
  for (const { path, rows } of appLogRows(conn, meta)) {
    const log = APP_LOGS.find((l) => l.path === path)!;
    const file = join(dir, `${path}.log`);
    const w = new ZeekLogWriter(file, path, log.fields);
    for (const r of rows) w.row(r);
    w.close();
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    const fields = lines.find((l) => l.startsWith('#fields'))!.split('\t').slice(1);
    const types = lines.find((l) => l.startsWith('#types'))!.split('\t').slice(1);
    const data = lines.filter((l) => !l.startsWith('#')).map((l) => Object.fromEntries(l.split('\t').map((v, i) => [fields[i]!, v])));
    out[path] = { fields, types, rows: data };
  }
  return out;
}

describe('Zeek logs', () => {
  it('dns.log: Zeek columns, a lowercased query, answers with TTLs', () => {
    const { dns } = writeAndRead(dnsMeta());
    expect(dns!.fields).toEqual(['ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto', 'trans_id', 'rtt', 'query', 'qclass', 'qclass_name', 'qtype', 'qtype_name', 'rcode', 'rcode_name', 'AA', 'TC', 'RD', 'RA', 'Z', 'answers', 'TTLs', 'rejected']);
    expect(dns!.types.slice(0, 9)).toEqual(['time', 'string', 'addr', 'port', 'addr', 'port', 'enum', 'count', 'interval']);
    expect(dns!.rows).toEqual([
      {
        ts: '1700000000.123456', uid: 'CAbc123', 'id.orig_h': '10.0.0.1', 'id.orig_p': '53124', 'id.resp_h': '10.0.0.53', 'id.resp_p': '53',
        proto: 'udp', trans_id: '77', rtt: '0.025000', query: 'api.example.vn', qclass: '1', qclass_name: 'C_INTERNET', qtype: '28',
        qtype_name: 'AAAA', rcode: '0', rcode_name: 'NOERROR', AA: 'F', TC: 'F', RD: 'T', RA: 'T', Z: '2',
        answers: '2001:db8::5,TXT 3 a\\x09b', TTLs: '300.000000,60.000000', rejected: 'F',
      },
    ]);
  });

  it('ssl.log and x509.log', () => {
    const { ssl, x509 } = writeAndRead({ tls });
    expect(ssl!.fields.slice(6)).toEqual([
      'version', 'cipher', 'curve', 'server_name', 'resumed', 'last_alert', 'next_protocol', 'established', 'ssl_history', 'cert_chain_fps',
      'client_cert_chain_fps', 'subject', 'issuer', 'client_subject', 'client_issuer', 'sni_matches_cert', 'validation_status', 'ja3', 'ja3s', 'ja4',
      'client_cert', 'cert_requested',
    ]);
    expect(ssl!.rows[0]).toMatchObject({
      ts: '1700000001.000000', version: 'TLSv12', cipher: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', curve: 'x25519', server_name: 'dulieu.example.vn',
      resumed: 'F', last_alert: '-', next_protocol: 'h2', established: 'T', ssl_history: 'CsxknGIi', cert_chain_fps: `${'c'.repeat(64)},${'d'.repeat(64)}`,
      client_cert_chain_fps: '-', subject: 'CN=dulieu.example.vn,O=Bộ Công an,C=VN', client_subject: '-', sni_matches_cert: 'T', validation_status: '-',
      ja4: 't12d0304h2_aaaaaaaaaaaa_bbbbbbbbbbbb', client_cert: 'absent', cert_requested: 'F',
    });
    expect(x509!.rows[0]).toMatchObject({
      fingerprint: 'c'.repeat(64), 'certificate.serial': '0A1B', 'certificate.not_valid_before': '1735689600.000000', 'certificate.key_type': 'ecdsa',
      'san.dns': 'dulieu.example.vn', 'san.ip': '10.1.1.1', host_cert: 'T', client_cert: 'F',
    });
  });

  it('http.log', () => {
    const a = new HttpAnalyzer(new Weirds());
    const req = bytes('GET /tra-cuu?id=1 HTTP/1.1\r\nHost: dulieu.example.vn\r\nUser-Agent: Mozilla/5.0\r\n\r\n');
    const resp = bytes('HTTP/1.1 403 Forbidden\r\nContent-Length: 3\r\n\r\nno!');
    a.deliver(0, req, 0, req.length, 5_000_000_000n);
    a.deliver(1, resp, 0, resp.length, 5_100_000_000n);
    const { http } = writeAndRead(a.metadata(true)!);
    expect(http!.rows[0]).toMatchObject({
      ts: '5.000000', trans_depth: '1', method: 'GET', host: 'dulieu.example.vn', uri: '/tra-cuu?id=1', version: '1.1', user_agent: 'Mozilla/5.0',
      request_body_len: '0', response_body_len: '3', status_code: '403', status_msg: 'Forbidden', tags: '(empty)', password: '-',
    });
  });
});

describe('the field-by-field writers (the hot path of sensor read)', () => {
  const odd = {
    ...tls,
    serverName: '-',
    history: 'tab\there \\ and ünïcode',
    lastAlert: 40,
    serverCertFps: [],
    serverCert: { ...tls.serverCert!, subject: '(empty)', sanDns: ['a,b', ''], sanIp: [], ca: true, pathLen: 0, keyType: undefined, keyLength: undefined },
    clientCert: { ...tls.serverCert!, issuer: 'CN=x\x01' },
    clientCertFps: ['e'.repeat(64)],
    certificateRequested: undefined,
  } as TlsInfo;
  const ssh = { tsNs: 9_000_000_000_123n, version: 2, client: 'SSH-2.0-OpenSSH_9.6', server: 'SSH-2.0-dropbear', kexAlg: 'curve25519-sha256', hassh: 'f'.repeat(32) };

  it('write the bytes the generic writer gives for rows()', () => {
    const http = new HttpAnalyzer(new Weirds());
    const req = bytes('POST /x HTTP/1.0\r\nHost: h\r\nX-Forwarded-For: 1.2.3.4\r\nContent-Length: 2\r\n\r\nab');
    http.deliver(0, req, 0, req.length, 7n);
    for (const meta of [dnsMeta(), { tls }, { tls: odd }, http.metadata(true)!, { ssh } as AppMetadata, { dns: [] }]) {
      const generic = mkdtempSync(join(tmpdir(), 'chot-applog-g-'));
      for (const { path, rows } of appLogRows(conn, meta)) {
        const w = new ZeekLogWriter(join(generic, `${path}.log`), path, APP_LOGS.find((l) => l.path === path)!.fields);
        for (const r of rows) w.row(r);
        w.close();
      }
      const direct = mkdtempSync(join(tmpdir(), 'chot-applog-d-'));
      const logs = createAppLogs(direct);
      logs.record({ ...conn, app: meta } as unknown as ConnRecord);
      logs.close();
      const read = (dir: string, path: string) => readFileSync(join(dir, `${path}.log`), 'utf8').replace(/^#(open|close)\t.*$/gm, '');
      const paths = appLogRows(conn, meta).map((l) => l.path);
      for (const path of APP_LOGS.map((l) => l.path)) {
        if (paths.includes(path)) expect(read(direct, path)).toBe(read(generic, path));
        else expect(() => readFileSync(join(direct, `${path}.log`))).toThrow(); // no rows, no file
      }
    }
  });
});

describe('ECS fragments', () => {
  it('dns.*', () => {
    const [e] = appEcsEvents(dnsMeta());
    expect(e).toMatchObject({
      dataset: 'zeek.dns',
      fields: {
        dns: {
          id: '77',
          type: 'answer',
          op_code: 'QUERY',
          header_flags: ['RD', 'RA', 'AD'],
          response_code: 'NOERROR',
          question: { name: 'API.Example.VN', type: 'AAAA', class: 'IN' },
          answers: [
            { name: 'API.Example.VN', type: 'AAAA', class: 'IN', ttl: 300, data: '2001:db8::5' },
            { name: 'API.Example.VN', type: 'TXT', class: 'IN', ttl: 60, data: 'TXT 3 a\tb' },
          ],
          resolved_ip: ['2001:db8::5'],
        },
        zeek: { dns: { rtt: 0.025, rejected: false } },
      },
    });
  });

  it('tls.*', () => {
    const [e] = appEcsEvents({ tls });
    expect(e!.fields).toMatchObject({
      tls: {
        version: '1.2',
        version_protocol: 'tls',
        cipher: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
        client: { server_name: 'dulieu.example.vn', ja3: 'a'.repeat(32), ja4: tls.ja4, supported_ciphers: ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_AES_128_GCM_SHA256'] },
        server: {
          ja3s: 'b'.repeat(32),
          hash: { sha256: 'C'.repeat(64) },
          not_before: '2025-01-01T00:00:00.000000Z',
          x509: {
            subject: { distinguished_name: 'CN=dulieu.example.vn,O=Bộ Công an,C=VN', common_name: ['dulieu.example.vn'] },
            issuer: { distinguished_name: 'CN=Root,C=VN' },
            not_after: '2026-01-01T00:00:00.000000Z',
            alternative_names: ['dulieu.example.vn', '10.1.1.1'],
          },
        },
      },
      zeek: { ssl: { client_cert: 'absent', cert_requested: false, history: 'CsxknGIi' } },
    });
    expect((e!.fields.tls as Record<string, unknown>).client).not.toHaveProperty('x509');
  });

  it('http.*, url.*, user_agent.*', () => {
    const [e] = appEcsEvents({
      http: [{ tsNs: 1n, transDepth: 1, method: 'POST', host: '[2001:db8::1]:8443', uri: '/a/b?x=1&y=2', requestVersion: '1.1', userAgent: 'curl', requestBodyLen: 7, responseBodyLen: 9, statusCode: 200, requestComplete: true, responseComplete: true }],
    });
    expect(e!.fields).toEqual({
      http: { version: '1.1', request: { method: 'POST', body: { bytes: 7 } }, response: { status_code: 200, body: { bytes: 9 } } },
      url: { original: '/a/b?x=1&y=2', domain: '2001:db8::1', port: 8443, path: '/a/b', query: 'x=1&y=2' },
      user_agent: { original: 'curl' },
      zeek: { http: { trans_depth: 1 } },
    });
  });

  it('ssh.client / ssh.server', () => {
    const [e] = appEcsEvents({ ssh: { tsNs: 1n, version: 2, client: 'SSH-2.0-a', server: 'SSH-2.0-b', hassh: 'h', hostKeyAlg: 'ssh-ed25519' } });
    expect(e!.fields).toEqual({ ssh: { version: '2', client: { version_string: 'SSH-2.0-a', hassh: 'h' }, server: { version_string: 'SSH-2.0-b', host_key: { algorithm: 'ssh-ed25519' } } } });
  });
});

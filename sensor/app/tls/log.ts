// ssl.log (Zeek's columns with those of its common policy scripts and the
// ja3/ja4 packages, in that order, then Chốt's two client-authentication
// columns), x509.log for the certificates decoded, and the ECS tls.* fields.

import { compact, ID_FIELDS, idValues, isoTime, writeIds, zeekTime, type AppLog, type ConnIds, type RowWriter, type ZeekField, type ZeekValue } from '../log-common.js';
import { alertName, cipherName, curveName, ecsVersion, versionName } from './consts.js';
import type { TlsInfo, X509Info } from './types.js';

export const SSL_FIELDS: readonly ZeekField[] = [
  ...ID_FIELDS,
  { name: 'version', type: 'string' },
  { name: 'cipher', type: 'string' },
  { name: 'curve', type: 'string' },
  { name: 'server_name', type: 'string' },
  { name: 'resumed', type: 'bool' },
  { name: 'last_alert', type: 'string' },
  { name: 'next_protocol', type: 'string' },
  { name: 'established', type: 'bool' },
  { name: 'ssl_history', type: 'string' },
  { name: 'cert_chain_fps', type: 'vector[string]' },
  { name: 'client_cert_chain_fps', type: 'vector[string]' },
  { name: 'subject', type: 'string' },
  { name: 'issuer', type: 'string' },
  { name: 'client_subject', type: 'string' },
  { name: 'client_issuer', type: 'string' },
  { name: 'sni_matches_cert', type: 'bool' },
  { name: 'validation_status', type: 'string' },
  { name: 'ja3', type: 'string' },
  { name: 'ja3s', type: 'string' },
  { name: 'ja4', type: 'string' },
  // Chốt: whether the client authenticated with a certificate (present/empty/absent/unknown),
  // and whether the server asked for one (unset when TLS 1.3 hides it).
  { name: 'client_cert', type: 'string' },
  { name: 'cert_requested', type: 'bool' },
];

export function sslRow(conn: ConnIds, i: TlsInfo): ZeekValue[] {
  return [
    ...idValues(conn, i.tsNs),
    i.version === undefined ? undefined : versionName(i.version),
    i.cipher === undefined ? undefined : cipherName(i.cipher),
    i.curve === undefined ? undefined : curveName(i.curve),
    i.serverName,
    i.resumed,
    i.lastAlert === undefined ? undefined : alertName(i.lastAlert),
    i.nextProtocol,
    i.established,
    i.history,
    i.serverCertFps.length > 0 ? i.serverCertFps : undefined,
    i.clientCertFps.length > 0 ? i.clientCertFps : undefined,
    i.serverCert?.subject,
    i.serverCert?.issuer,
    i.clientCert?.subject,
    i.clientCert?.issuer,
    i.sniMatchesCert,
    undefined, // validation_status: needs a trust store; the population-data policy judges certificates
    i.ja3,
    i.ja3s,
    i.ja4,
    i.clientCertificate,
    i.certificateRequested,
  ];
}

/** sslRow, written field by field. */
export function writeSslRow(w: RowWriter, conn: ConnIds, i: TlsInfo): void {
  writeIds(w, conn, i.tsNs);
  w.str(i.version === undefined ? undefined : versionName(i.version));
  w.str(i.cipher === undefined ? undefined : cipherName(i.cipher));
  w.str(i.curve === undefined ? undefined : curveName(i.curve));
  w.str(i.serverName);
  w.bool(i.resumed);
  w.str(i.lastAlert === undefined ? undefined : alertName(i.lastAlert));
  w.str(i.nextProtocol);
  w.bool(i.established);
  w.str(i.history);
  w.list(i.serverCertFps.length > 0 ? i.serverCertFps : undefined);
  w.list(i.clientCertFps.length > 0 ? i.clientCertFps : undefined);
  w.str(i.serverCert?.subject);
  w.str(i.serverCert?.issuer);
  w.str(i.clientCert?.subject);
  w.str(i.clientCert?.issuer);
  w.bool(i.sniMatchesCert);
  w.str(undefined);
  w.str(i.ja3);
  w.str(i.ja3s);
  w.str(i.ja4);
  w.str(i.clientCertificate);
  w.bool(i.certificateRequested);
  w.end();
}

export const sslLog: AppLog<TlsInfo> = {
  path: 'ssl',
  fields: SSL_FIELDS,
  rows: (conn, info) => [sslRow(conn, info)],
  write: writeSslRow,
};

/** x509.log as Zeek ≥ 5 writes it (one row per certificate, keyed by fingerprint), for the leaf certificates decoded. */
export const X509_FIELDS: readonly ZeekField[] = [
  { name: 'ts', type: 'time' },
  { name: 'fingerprint', type: 'string' },
  { name: 'certificate.version', type: 'count' },
  { name: 'certificate.serial', type: 'string' },
  { name: 'certificate.subject', type: 'string' },
  { name: 'certificate.issuer', type: 'string' },
  { name: 'certificate.not_valid_before', type: 'time' },
  { name: 'certificate.not_valid_after', type: 'time' },
  { name: 'certificate.key_alg', type: 'string' },
  { name: 'certificate.sig_alg', type: 'string' },
  { name: 'certificate.key_type', type: 'string' },
  { name: 'certificate.key_length', type: 'count' },
  { name: 'certificate.curve', type: 'string' },
  { name: 'san.dns', type: 'vector[string]' },
  { name: 'san.uri', type: 'vector[string]' },
  { name: 'san.email', type: 'vector[string]' },
  { name: 'san.ip', type: 'vector[string]' },
  { name: 'basic_constraints.ca', type: 'bool' },
  { name: 'basic_constraints.path_len', type: 'count' },
  { name: 'host_cert', type: 'bool' },
  { name: 'client_cert', type: 'bool' },
];

const ms = (t: number): bigint => BigInt(Math.trunc(t)) * 1_000_000n;
const list = (v: string[]): string[] | undefined => (v.length > 0 ? v : undefined);

export function x509Row(tsNs: bigint, c: X509Info, client: boolean): ZeekValue[] {
  return [
    zeekTime(tsNs),
    c.sha256,
    c.version,
    c.serial,
    c.subject,
    c.issuer,
    zeekTime(ms(c.notBefore)),
    zeekTime(ms(c.notAfter)),
    c.keyAlg,
    c.sigAlg,
    c.keyType === 'ec' ? 'ecdsa' : c.keyType, // Zeek's name for EC keys
    c.keyLength,
    c.curve,
    list(c.sanDns),
    list(c.sanUri),
    list(c.sanEmail),
    list(c.sanIp),
    c.ca,
    c.pathLen,
    !client,
    client,
  ];
}

/** x509Row, written field by field. */
export function writeX509Row(w: RowWriter, tsNs: bigint, c: X509Info, client: boolean): void {
  w.time(tsNs);
  w.str(c.sha256);
  w.count(c.version);
  w.str(c.serial);
  w.str(c.subject);
  w.str(c.issuer);
  w.time(ms(c.notBefore));
  w.time(ms(c.notAfter));
  w.str(c.keyAlg);
  w.str(c.sigAlg);
  w.str(c.keyType === 'ec' ? 'ecdsa' : c.keyType);
  w.count(c.keyLength);
  w.str(c.curve);
  w.list(list(c.sanDns));
  w.list(list(c.sanUri));
  w.list(list(c.sanEmail));
  w.list(list(c.sanIp));
  w.bool(c.ca);
  w.count(c.pathLen);
  w.bool(!client);
  w.bool(client);
  w.end();
}

export const x509Log: AppLog<TlsInfo> = {
  path: 'x509',
  fields: X509_FIELDS,
  rows: (_conn, i) => {
    const rows: ZeekValue[][] = [];
    if (i.serverCert) rows.push(x509Row(i.tsNs, i.serverCert, false));
    if (i.clientCert) rows.push(x509Row(i.tsNs, i.clientCert, true));
    return rows;
  },
  write: (w, _conn, i) => {
    if (i.serverCert) writeX509Row(w, i.tsNs, i.serverCert, false);
    if (i.clientCert) writeX509Row(w, i.tsNs, i.clientCert, true);
  },
};

function x509Ecs(c: X509Info | undefined): Record<string, unknown> | undefined {
  if (!c) return undefined;
  return {
    version_number: String(c.version),
    serial_number: c.serial,
    subject: { distinguished_name: c.subject, common_name: c.subjectCN === undefined ? undefined : [c.subjectCN] },
    issuer: { distinguished_name: c.issuer, common_name: c.issuerCN === undefined ? undefined : [c.issuerCN] },
    not_before: isoTime(ms(c.notBefore)),
    not_after: isoTime(ms(c.notAfter)),
    signature_algorithm: c.sigAlg,
    public_key_algorithm: c.keyAlg,
    public_key_size: c.keyLength,
    public_key_curve: c.curve,
    alternative_names: [...c.sanDns, ...c.sanIp, ...c.sanEmail, ...c.sanUri],
  };
}

/** ECS tls.* (https://www.elastic.co/guide/en/ecs/current/ecs-tls.html), JA4 under tls.client.ja4, Zeek extras under zeek.ssl. */
export function tlsEcs(i: TlsInfo): Record<string, unknown> {
  const v = i.version === undefined ? undefined : ecsVersion(i.version);
  const sc = i.serverCert;
  const cc = i.clientCert;
  return compact({
    tls: {
      version: v?.version,
      version_protocol: v?.protocol,
      cipher: i.cipher === undefined ? undefined : cipherName(i.cipher),
      curve: i.curve === undefined ? undefined : curveName(i.curve),
      established: i.established,
      resumed: i.resumed,
      next_protocol: i.nextProtocol,
      client: {
        server_name: i.serverName,
        ja3: i.ja3,
        ja4: i.ja4,
        supported_ciphers: i.clientCiphers?.map(cipherName),
        hash: cc ? { sha256: cc.sha256.toUpperCase() } : undefined,
        subject: cc?.subject,
        issuer: cc?.issuer,
        not_before: cc ? isoTime(ms(cc.notBefore)) : undefined,
        not_after: cc ? isoTime(ms(cc.notAfter)) : undefined,
        x509: x509Ecs(cc),
      },
      server: {
        ja3s: i.ja3s,
        hash: sc ? { sha256: sc.sha256.toUpperCase() } : undefined,
        subject: sc?.subject,
        issuer: sc?.issuer,
        not_before: sc ? isoTime(ms(sc.notBefore)) : undefined,
        not_after: sc ? isoTime(ms(sc.notAfter)) : undefined,
        x509: x509Ecs(sc),
      },
    },
    zeek: {
      ssl: {
        history: i.history,
        last_alert: i.lastAlert === undefined ? undefined : alertName(i.lastAlert),
        sni_matches_cert: i.sniMatchesCert,
        cert_chain_fps: i.serverCertFps,
        client_cert_chain_fps: i.clientCertFps,
        client_cert: i.clientCertificate,
        cert_requested: i.certificateRequested,
        alpn_offered: i.alpnOffered,
      },
    },
  });
}

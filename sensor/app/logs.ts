// The application logs in one place, for the output side of the core:
//
//   for (const log of APP_LOGS) open a ZeekLogWriter(file, log.path, log.fields);
//   for each record with r.app: for (const { log, rows } of appLogRows(r, r.app)) rows.forEach((v) => writer[log.path].row(v));
//   for each record with r.app: appEcsEvents(r.app) -> one ECS fragment per dns.log/http.log row, ssl.log row, ssh.log row
//
// Each ECS fragment carries only protocol fields (dns.*, tls.*, http.*, url.*,
// user_agent.*, ssh.*, zeek.<proto>.*); the core adds @timestamp, source,
// destination, network and event (event.dataset is given here).

import type { AppMetadata } from './analyzer.js';
import { dnsEcs, dnsLog } from './dns/log.js';
import { httpEcs, httpLog } from './http/log.js';
import type { AppLog, ConnIds, ZeekValue } from './log-common.js';
import { sshEcs, sshLog } from './ssh/log.js';
import { sslLog, tlsEcs, x509Log } from './tls/log.js';

export { DNS_FIELDS, dnsEcs, dnsRow } from './dns/log.js';
export { HTTP_FIELDS, httpEcs, httpRow } from './http/log.js';
export { SSH_FIELDS, sshEcs, sshRow } from './ssh/log.js';
export { SSL_FIELDS, X509_FIELDS, sslRow, tlsEcs, x509Row } from './tls/log.js';
export type { AppLog, ConnIds } from './log-common.js';

/** Every application log, in the order a Zeek deployment lists them. */
export const APP_LOGS: ReadonlyArray<AppLog<never>> = [dnsLog, httpLog, sslLog, x509Log, sshLog] as ReadonlyArray<AppLog<never>>;

export interface LogRows {
  path: string;
  rows: ZeekValue[][];
}

/** The rows one record's metadata contributes to each log (logs with no rows left out). */
export function appLogRows(conn: ConnIds, meta: AppMetadata): LogRows[] {
  const out: LogRows[] = [];
  const add = <M>(log: AppLog<M>, m: M | undefined): void => {
    if (m === undefined) return;
    const rows = log.rows(conn, m);
    if (rows.length > 0) out.push({ path: log.path, rows });
  };
  add(dnsLog, meta.dns);
  add(httpLog, meta.http);
  add(sslLog, meta.tls);
  add(x509Log, meta.tls);
  add(sshLog, meta.ssh);
  return out;
}

export interface AppEcsEvent {
  /** Elastic's dataset name for the Zeek log the event mirrors. */
  dataset: 'zeek.dns' | 'zeek.http' | 'zeek.ssl' | 'zeek.ssh';
  /** The event's own time (a DNS query, an HTTP request, the first TLS message), ns since the epoch. */
  tsNs: bigint;
  fields: Record<string, unknown>;
}

/** One ECS fragment per log row: each DNS and HTTP transaction, the TLS and the SSH summary. */
export function appEcsEvents(meta: AppMetadata): AppEcsEvent[] {
  const out: AppEcsEvent[] = [];
  for (const t of meta.dns ?? []) out.push({ dataset: 'zeek.dns', tsNs: t.tsNs, fields: dnsEcs(t) });
  for (const t of meta.http ?? []) out.push({ dataset: 'zeek.http', tsNs: t.tsNs, fields: httpEcs(t) });
  if (meta.tls) out.push({ dataset: 'zeek.ssl', tsNs: meta.tls.tsNs, fields: tlsEcs(meta.tls) });
  if (meta.ssh) out.push({ dataset: 'zeek.ssh', tsNs: meta.ssh.tsNs, fields: sshEcs(meta.ssh) });
  return out;
}

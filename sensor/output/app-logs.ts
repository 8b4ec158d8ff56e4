/**
 * The application logs of a Zeek log directory (dns.log, http.log, ssl.log,
 * x509.log, ssh.log): the columns and rows come from sensor/app, which knows
 * those records; here they are written with the Zeek log writer. Each log file
 * is opened on its first row, as Zeek does (no empty logs).
 */
import { join } from 'node:path';
import { dnsLog } from '../app/dns/log.js';
import { httpLog } from '../app/http/log.js';
import type { AppLog, AppLogRecord } from '../app/log-common.js';
import { sshLog } from '../app/ssh/log.js';
import { sslLog, x509Log } from '../app/tls/log.js';
import type { AppLogSet, RowStreamOpener } from './zeek-dir.js';
import { ZeekLogWriter, ZeekRowWriter } from './zeek-log.js';

export function createAppLogs(dir: string, streams?: RowStreamOpener): AppLogSet {
  const rowsOf = (log: AppLog<never>): ZeekRowWriter =>
    new ZeekRowWriter(() => new ZeekLogWriter(join(dir, `${log.path}.log`), log.path, log.fields, undefined, streams?.(log.path)));
  const dns = rowsOf(dnsLog as AppLog<never>);
  const http = rowsOf(httpLog as AppLog<never>);
  const ssl = rowsOf(sslLog as AppLog<never>);
  const x509 = rowsOf(x509Log as AppLog<never>);
  const ssh = rowsOf(sshLog as AppLog<never>);
  const byPath = { dns, http, ssl };
  return {
    record(r: AppLogRecord): void {
      const m = r.app;
      if (m === undefined) return;
      // In the order of appLogRows (sensor/app/logs.ts).
      if (m.dns !== undefined) dnsLog.write(dns, r, m.dns);
      if (m.http !== undefined) httpLog.write(http, r, m.http);
      if (m.tls !== undefined) {
        sslLog.write(ssl, r, m.tls);
        x509Log.write(x509, r, m.tls);
      }
      if (m.ssh !== undefined) sshLog.write(ssh, r, m.ssh);
      if (m.rows !== undefined) {
        for (const rows of m.rows) {
          // (x509.log has no connection columns: Zeek keys it by fingerprint)
          if (rows.log === 'x509') x509.preformattedWhole(rows.text);
          else byPath[rows.log].preformatted(r, rows.text);
        }
      }
    },
    close(): void {
      for (const w of [dns, http, ssl, x509, ssh]) w.close();
    },
  };
}

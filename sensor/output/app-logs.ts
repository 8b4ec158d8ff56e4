/**
 * The application logs of a Zeek log directory (dns.log, http.log, ssl.log,
 * x509.log, ssh.log): the columns and rows come from sensor/app, which knows
 * those records; here they are written with the Zeek log writer. Each log file
 * is opened on its first row, as Zeek does (no empty logs).
 */
import { join } from 'node:path';
import { APP_LOGS, appLogRows } from '../app/logs.js';
import type { ConnRecord } from '../record.js';
import type { AppLogSet } from './zeek-dir.js';
import { ZeekLogWriter } from './zeek-log.js';

export function createAppLogs(dir: string): AppLogSet {
  const writers = new Map<string, ZeekLogWriter>();
  const fieldsOf = new Map(APP_LOGS.map((l) => [l.path, l.fields]));
  return {
    record(r: ConnRecord): void {
      if (r.app === undefined) return;
      for (const { path, rows } of appLogRows(r, r.app)) {
        let w = writers.get(path);
        if (w === undefined) {
          w = new ZeekLogWriter(join(dir, `${path}.log`), path, fieldsOf.get(path)!);
          writers.set(path, w);
        }
        for (const row of rows) w.row(row);
      }
    },
    close(): void {
      for (const w of writers.values()) w.close();
    },
  };
}

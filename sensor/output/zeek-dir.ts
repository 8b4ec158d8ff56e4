/**
 * A directory of Zeek logs, as `zeek -r` leaves them: conn.log and weird.log
 * here, and the application logs (dns.log, ssl.log, http.log...) through the
 * writers of sensor/app, which know those records.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AppLogRecord } from '../app/log-common.js';
import type { ConnWeird } from '../flow/table.js';
import type { RecordOutput } from '../pipeline.js';
import type { ConnRecord } from '../record.js';
import { ConnLogWriter } from './conn-log.js';
import { WeirdLogWriter } from './weird-log.js';
import type { RowStream } from './zeek-log.js';

/** The application logs: given each final connection record (with its app metadata), they write their rows. */
export interface AppLogSet {
  record(r: AppLogRecord): void;
  close(): void;
}

/**
 * Where a log's rows go when not to a file of its own: in a worker of
 * `sensor read --workers`, a stream to the thread that writes the directory.
 */
export type RowStreamOpener = (path: string) => RowStream;

export type AppLogFactory = (dir: string, streams?: RowStreamOpener) => AppLogSet;

export class ZeekDirOutput implements RecordOutput {
  private readonly conn: ConnLogWriter;
  private readonly weird: WeirdLogWriter;
  private readonly app: AppLogSet | undefined;

  constructor(
    readonly dir: string,
    appLogs?: AppLogFactory,
    streams?: RowStreamOpener,
  ) {
    if (streams === undefined) mkdirSync(dir, { recursive: true });
    this.conn = new ConnLogWriter(join(dir, 'conn.log'), streams?.('conn'));
    this.weird = new WeirdLogWriter(join(dir, 'weird.log'), undefined, streams?.('weird'));
    this.app = appLogs?.(dir, streams);
  }

  record(r: ConnRecord): void {
    this.conn.write(r);
    // Metadata drains: what an interim record carries is not repeated by the final one, so both go to the app logs.
    if (r.app !== undefined && this.app !== undefined) this.app.record(r);
  }

  /** The application logs' rows of a record whose conn.log row the native flow table wrote. */
  appRecord(r: AppLogRecord): void {
    this.app?.record(r);
  }

  /** conn.log rows the native flow core formatted (sensor/flow/native-table.ts). */
  connRows(rows: Uint8Array, count: number): void {
    this.conn.log.rawRows(rows, count);
  }

  connWeird(w: ConnWeird): void {
    this.weird.connWeird(w);
  }

  packetWeird(name: string, tsSec: number, tsNsec: number): void {
    this.weird.packetWeird(name, tsSec, tsNsec);
  }

  close(): void {
    this.conn.close();
    this.weird.close();
    this.app?.close();
  }
}


/**
 * weird.log: one row per anomaly worth a look. Connection weirds are logged
 * once per connection and name; packet-level ones (no connection) with
 * Zeek's sampling: the first 1000 of each name, then one in every 1000, so a
 * flood of garbage cannot flood the log. The counters stay exact regardless.
 */
import type { ConnWeird } from '../flow/table.js';
import { escapeZeek, formatTime, ZeekLogWriter, type RowStream, type ZeekField } from './zeek-log.js';

export const WEIRD_FIELDS: readonly ZeekField[] = [
  { name: 'ts', type: 'time' },
  { name: 'uid', type: 'string' },
  { name: 'id.orig_h', type: 'addr' },
  { name: 'id.orig_p', type: 'port' },
  { name: 'id.resp_h', type: 'addr' },
  { name: 'id.resp_p', type: 'port' },
  { name: 'name', type: 'string' },
  { name: 'addl', type: 'string' },
  { name: 'notice', type: 'bool' },
  { name: 'peer', type: 'string' },
  { name: 'source', type: 'string' },
];

const SAMPLE_THRESHOLD = 1000;
const SAMPLE_RATE = 1000;

export class WeirdLogWriter {
  readonly log: ZeekLogWriter;
  private readonly seen = new Map<string, number>();

  constructor(
    file: string,
    private readonly peer = 'chot',
    stream?: RowStream,
  ) {
    this.log = new ZeekLogWriter(file, 'weird', WEIRD_FIELDS, undefined, stream);
  }

  connWeird(w: ConnWeird): void {
    this.log.line(`${formatTime(w.tsSec, w.tsNsec)}\t${w.uid}\t${w.origH}\t${w.origP}\t${w.respH}\t${w.respP}\t${escapeZeek(w.name)}\t-\tF\t${this.peer}\t-`);
  }

  /** A packet-level weird at the given packet time. */
  packetWeird(name: string, tsSec: number, tsNsec: number): void {
    const n = (this.seen.get(name) ?? 0) + 1;
    this.seen.set(name, n);
    if (n > SAMPLE_THRESHOLD && n % SAMPLE_RATE !== 0) return;
    this.log.line(`${formatTime(tsSec, tsNsec)}\t-\t-\t-\t-\t-\t${escapeZeek(name)}\t-\tF\t${this.peer}\t-`);
  }

  close(): void {
    this.log.close();
  }
}

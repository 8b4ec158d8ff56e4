import type { RecordOutput } from '../pipeline.js';
import type { ConnRecord } from '../record.js';
import { NdjsonWriter } from './ndjson.js';
import type { RowStream } from './zeek-log.js';

/** Records as ECS NDJSON lines (weird rows are not records: they stay in the counters and metrics). */
export class NdjsonOutput implements RecordOutput {
  private readonly w: NdjsonWriter;
  /** file: a path, or '-' for standard output; or, given a stream, its rows go there. */
  constructor(file: string, stream?: RowStream) {
    this.w = new NdjsonWriter(file, stream);
  }
  record(r: ConnRecord): void {
    this.w.write(r);
  }
  get rows(): number {
    return this.w.rows;
  }
  close(): void {
    this.w.close();
  }
}

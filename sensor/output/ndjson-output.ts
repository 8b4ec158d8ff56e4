import type { RecordOutput } from '../pipeline.js';
import type { ConnRecord } from '../record.js';
import { NdjsonWriter } from './ndjson.js';

/** Records as ECS NDJSON lines (weird rows are not records: they stay in the counters and metrics). */
export class NdjsonOutput implements RecordOutput {
  private readonly w: NdjsonWriter;
  constructor(file: string) {
    this.w = new NdjsonWriter(file);
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

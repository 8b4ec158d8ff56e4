import type { ConnRecord } from '../record.js';
import { encodeRecord } from './record-codec.js';
import type { Spool } from './spool.js';

/**
 * Groups records into spooled batches: a batch closes when it reaches its record or byte
 * limit, or when its oldest record has waited `maxDelayMs` (alerts must reach the console
 * within a second, so records do not linger).
 */
export class RecordBatcher {
  private parts: string[] = [];
  private bytes = 2;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly spool: Spool,
    private readonly onBatch: () => void,
    private readonly limits: { maxRecords: number; maxBytes: number; maxDelayMs: number } = { maxRecords: 1000, maxBytes: 1024 * 1024, maxDelayMs: 200 },
  ) {}

  add(record: ConnRecord): void {
    const json = encodeRecord(record);
    if (this.parts.length > 0 && this.bytes + json.length + 1 > this.limits.maxBytes) this.flush();
    this.parts.push(json);
    this.bytes += json.length + 1;
    if (this.parts.length >= this.limits.maxRecords) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.limits.maxDelayMs);
      this.timer.unref();
    }
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.parts.length === 0) return;
    this.spool.append(Buffer.from(`[${this.parts.join(',')}]`, 'utf8'));
    this.parts = [];
    this.bytes = 2;
    this.onBatch();
  }
}

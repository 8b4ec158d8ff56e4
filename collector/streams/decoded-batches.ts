import type { ConnRecord } from '../../sensor/record.js';

/**
 * The records of batches this instance stored, already parsed, for its own consumer
 * groups (indexers, detectors) to take instead of decoding the stream entry again. A
 * batch is parsed once at ingest (to check it); without this each group would turn the
 * entry's bytes into text and parse them again, which with detection on made a record
 * cross JSON.parse three times per collector.
 *
 * An entry is kept until each group has taken it once, and the whole is bounded by the
 * size of the JSON it came from (oldest dropped first): a backlog (Elasticsearch away)
 * only means the later reads decode for themselves, as every read of an entry stored by
 * another instance does. The records are shared between the groups and must be treated
 * as read-only.
 */
export class DecodedBatches {
  private readonly entries = new Map<string, { records: readonly ConnRecord[]; bytes: number; left: number }>();
  private bytes = 0;
  hits = 0;
  misses = 0;

  constructor(
    /** Bound on the JSON size of the batches kept; 0 keeps none. */
    private readonly maxBytes: number,
    /** How many groups read each entry (each takes it once). */
    private readonly readers: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** Keeps a stored batch's records under its stream entry id (`stream id`). */
  put(key: string, records: readonly ConnRecord[], jsonBytes: number): void {
    if (this.maxBytes <= 0 || jsonBytes > this.maxBytes || this.readers <= 0) return;
    this.entries.set(key, { records, bytes: jsonBytes, left: this.readers });
    this.bytes += jsonBytes;
    for (const [k, e] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= e.bytes;
    }
  }

  /** The records of an entry for one group, or undefined (then the group decodes them itself). */
  take(key: string): readonly ConnRecord[] | undefined {
    const e = this.entries.get(key);
    if (e === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    if (--e.left <= 0) {
      this.entries.delete(key);
      this.bytes -= e.bytes;
    }
    return e.records;
  }
}

/** The key of a stream entry in DecodedBatches. */
export function entryKey(stream: string, id: string): string {
  return `${stream} ${id}`;
}

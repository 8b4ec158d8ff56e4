/**
 * A bulk request's NDJSON, written into bytes as each document is made, with where every
 * item begins. Documents held as strings until their request was answered stayed alive
 * across young-generation collections (Elasticsearch takes a while to answer 5,000 of
 * them) and were copied and promoted each time; as bytes outside the JavaScript heap they
 * cost the collector nothing, and one body's memory serves request after request.
 *
 * Item i is an action line (`{"create":{"_index":…,"_id":…}}`) and a document line, each
 * ending in a newline. Index and id are read back from the action line only when a retry
 * or a refusal asks for them.
 */
export class BulkBody {
  private buf: Buffer;
  private end = 0;
  private n = 0;
  private lineStarts: Int32Array;
  private docStarts: Int32Array;

  constructor(initialBytes = 1 << 20, initialItems = 1024) {
    this.buf = Buffer.allocUnsafe(initialBytes);
    this.lineStarts = new Int32Array(initialItems);
    this.docStarts = new Int32Array(initialItems);
  }

  get count(): number {
    return this.n;
  }

  get byteLength(): number {
    return this.end;
  }

  /** Appends a `create` of a document (its JSON text) under an index and id. */
  add(index: string, id: string, docJson: string): void {
    this.addLines(`{"create":{"_index":${JSON.stringify(index)},"_id":${JSON.stringify(id)}}}\n`, docJson);
  }

  /**
   * Appends an item from its action line (newline included: callers writing many items to
   * one index make these cheaply) and its document's JSON text (one line, no newline).
   */
  addLines(actionLine: string, docJson: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    this.reserve((actionLine.length + docJson.length) * 3 + 1);
    if (this.n === this.lineStarts.length) this.growItems();
    this.lineStarts[this.n] = this.end;
    this.end += this.buf.write(actionLine, this.end);
    this.docStarts[this.n] = this.end;
    this.end += this.buf.write(docJson, this.end);
    this.buf[this.end++] = 0x0a;
    this.n++;
  }

  /** Empties the body, keeping its memory for the next one. */
  clear(): void {
    this.n = 0;
    this.end = 0;
  }

  /** Where a request starting at item `from` ends: at most maxItems items and maxBytes bytes, and never empty. */
  requestEnd(from: number, maxItems: number, maxBytes: number): number {
    let to = from + 1;
    const last = Math.min(this.n, from + maxItems);
    while (to < last && this.itemEnd(to) - this.lineStarts[from]! <= maxBytes) to++;
    return Math.min(to, this.n);
  }

  /** The request bytes of items [from, to): a view, valid until the body is cleared or added to. */
  bytesOf(from: number, to: number): Buffer {
    return this.buf.subarray(from < this.n ? this.lineStarts[from]! : this.end, to < this.n ? this.lineStarts[to]! : this.end);
  }

  /** The index and id item i is written under. */
  target(i: number): { index: string; id: string } {
    const action = (JSON.parse(this.buf.toString('utf8', this.lineStarts[i]!, this.docStarts[i]! - 1)) as { create: { _index: string; _id: string } }).create;
    return { index: action._index, id: action._id };
  }

  /** Item i's document, as JSON text. */
  documentText(i: number): string {
    return this.buf.toString('utf8', this.docStarts[i]!, this.itemEnd(i) - 1);
  }

  /** A body of its own with copies of the given items, in the order given. */
  pick(items: readonly number[]): BulkBody {
    let bytes = 0;
    for (const i of items) bytes += this.itemEnd(i) - this.lineStarts[i]!;
    const out = new BulkBody(Math.max(bytes, 1), Math.max(items.length, 1));
    for (const i of items) {
      const at = out.end;
      out.lineStarts[out.n] = at;
      out.docStarts[out.n] = at + (this.docStarts[i]! - this.lineStarts[i]!);
      out.end += this.buf.copy(out.buf, at, this.lineStarts[i]!, this.itemEnd(i));
      out.n++;
    }
    return out;
  }

  private itemEnd(i: number): number {
    return i + 1 < this.n ? this.lineStarts[i + 1]! : this.end;
  }

  private reserve(bytes: number): void {
    if (this.buf.length - this.end >= bytes) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.end + bytes));
    this.buf.copy(grown, 0, 0, this.end);
    this.buf = grown;
  }

  private growItems(): void {
    const size = this.lineStarts.length * 2;
    const lines = new Int32Array(size);
    lines.set(this.lineStarts);
    const docs = new Int32Array(size);
    docs.set(this.docStarts);
    this.lineStarts = lines;
    this.docStarts = docs;
  }
}

// Finished transactions waiting for the next metadata() call, bounded in
// count and in (estimated) bytes, so one busy connection between two records
// cannot hold more than a fixed amount of memory whatever its traffic.

export class Backlog<T> {
  private items: T[] = [];
  private bytes = 0;

  constructor(
    private readonly maxItems: number,
    private readonly maxBytes: number,
  ) {}

  /** Keeps `item` (of about `size` bytes); false, keeping nothing, when the backlog is full. */
  push(item: T, size: number): boolean {
    if (this.items.length >= this.maxItems || this.bytes + size > this.maxBytes) return false;
    this.items.push(item);
    this.bytes += size;
    return true;
  }

  /** Everything kept since the last drain, or undefined when nothing was. */
  drain(): T[] | undefined {
    if (this.items.length === 0) return undefined;
    const out = this.items;
    this.items = [];
    this.bytes = 0;
    return out;
  }
}

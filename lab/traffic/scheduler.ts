import type { Schedulable } from './flows/flow.js';

/**
 * The timeline: a binary min-heap of everything that will act, keyed by (at, order).
 * The engine repeatedly takes the earliest, lets it act, and puts it back with its new
 * time, so frames come out in timestamp order however many flows are interleaved.
 */
export class Timeline {
  private readonly heap: Schedulable[] = [];
  private nextOrder = 0;

  get size(): number {
    return this.heap.length;
  }

  add(item: Schedulable): void {
    item.order = this.nextOrder++;
    this.heap.push(item);
    this.siftUp(this.heap.length - 1);
  }

  peek(): Schedulable | undefined {
    return this.heap[0];
  }

  /** After the earliest item acted: keep it (its `at` may have moved) or drop it. */
  settleTop(keep: boolean): void {
    const h = this.heap;
    if (keep) {
      this.siftDown(0);
      return;
    }
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      this.siftDown(0);
    }
  }

  private siftUp(i: number): void {
    const h = this.heap;
    const item = h[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(item, h[p]!)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = item;
  }

  private siftDown(i: number): void {
    const h = this.heap;
    const n = h.length;
    const item = h[i]!;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && before(h[c + 1]!, h[c]!)) c++;
      if (!before(h[c]!, item)) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = item;
  }
}

function before(a: Schedulable, b: Schedulable): boolean {
  return a.at < b.at || (a.at === b.at && a.order < b.order);
}

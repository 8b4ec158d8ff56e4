// A bounded map for results that are pure functions of their key: the
// fingerprints of a hello, the decoding of a certificate. The same clients
// and servers recur all day on a link, so most lookups hit; when the map is
// full it starts over, which bounds memory without bookkeeping per entry.

export class Memo<V, K extends string | number = string> {
  private map = new Map<K, V>();

  constructor(private readonly max: number) {}

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  set(key: K, value: V): void {
    if (this.map.size >= this.max) this.map = new Map();
    this.map.set(key, value);
  }
}

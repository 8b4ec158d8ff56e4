// A bounded map for results that are pure functions of their key: the
// fingerprints of a hello, the decoding of a certificate. The same clients
// and servers recur all day on a link, so most lookups hit; when the map is
// full it starts over, which bounds memory without bookkeeping per entry.

export class Memo<V> {
  private map = new Map<string, V>();

  constructor(private readonly max: number) {}

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  set(key: string, value: V): void {
    if (this.map.size >= this.max) this.map = new Map();
    this.map.set(key, value);
  }
}

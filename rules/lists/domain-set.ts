/**
 * A set of domains where an entry covers the name itself and every name under it
 * ("example.com" matches "example.com" and "a.b.example.com", never "badexample.com"),
 * as threat-intelligence domain feeds mean it. Names compare case-insensitively and
 * without a trailing root dot.
 */
export class DomainSet {
  /** Domains by a hash of their text read right to left (ASCII case folded), so a name's suffixes hash as it is walked. */
  private readonly table = new Map<number, string[]>();
  readonly size: number;

  constructor(entries: Iterable<string>) {
    const seen = new Set<string>();
    for (const e of entries) {
      const n = normalizeDomain(e);
      if (!n || seen.has(n)) continue;
      seen.add(n);
      let h = FNV_OFFSET;
      for (let i = n.length - 1; i >= 0; i--) h = Math.imul(h ^ n.charCodeAt(i), FNV_PRIME);
      const list = this.table.get(h);
      if (list) list.push(n);
      else this.table.set(h, [n]);
    }
    this.size = seen.size;
  }

  /**
   * Whether the name or a parent of it is in the set. Walks the name once from the
   * right, hashing as it goes, and looks up each label boundary: no copies, no
   * allocation (the engine calls this for every DNS query when a rule uses the list).
   * DNS names are ASCII (IDNs travel as punycode), so ASCII folding is case-insensitivity.
   */
  has(name: string): boolean {
    if (this.size === 0) return false;
    let end = name.length;
    if (end > 0 && name.charCodeAt(end - 1) === 46) end--;
    let h = FNV_OFFSET;
    for (let i = end - 1; i >= 0; i--) {
      const c = fold(name.charCodeAt(i));
      if (c === 46 && this.check(h, name, i + 1, end)) return true;
      h = Math.imul(h ^ c, FNV_PRIME);
    }
    return end > 0 && this.check(h, name, 0, end);
  }

  private check(h: number, name: string, start: number, end: number): boolean {
    const list = this.table.get(h);
    if (list === undefined) return false;
    for (const d of list) {
      if (d.length !== end - start) continue;
      let ok = true;
      for (let k = 0; k < d.length && ok; k++) ok = fold(name.charCodeAt(start + k)) === d.charCodeAt(k);
      if (ok) return true;
    }
    return false;
  }
}

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 16777619;

function fold(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/** Lower case, no trailing dot, no leading "*." or "." (both mean "this domain and below"). */
export function normalizeDomain(text: string): string {
  let n = text.trim().toLowerCase();
  if (n.startsWith('*.')) n = n.slice(2);
  else if (n.startsWith('.')) n = n.slice(1);
  if (n.endsWith('.')) n = n.slice(0, -1);
  return n;
}

export function hasUpper(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 65 && c <= 90) || c > 127) return true;
  }
  return false;
}

/** Exact values compared case-insensitively: JA3/JA4/HASSH fingerprints, certificate hashes. */
export class HashSet {
  private readonly values: Set<string>;

  constructor(entries: Iterable<string>) {
    this.values = new Set();
    for (const e of entries) this.values.add(e.trim().toLowerCase());
  }

  get size(): number {
    return this.values.size;
  }

  has(v: string): boolean {
    return this.values.has(v) || (hasUpper(v) && this.values.has(v.toLowerCase()));
  }
}

/** Exact, case-sensitive strings (user agents, service names...). */
export class StringSet {
  private readonly values: Set<string>;

  constructor(entries: Iterable<string>) {
    this.values = new Set(entries);
  }

  get size(): number {
    return this.values.size;
  }

  has(v: string): boolean {
    return this.values.has(v);
  }
}

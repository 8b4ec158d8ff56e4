/**
 * A set of IP addresses and CIDR blocks, for lists of hundreds of thousands of entries
 * and for a rule's own `cidr:` values. Entries are merged into sorted, disjoint ranges;
 * an IPv4 lookup goes through a 65,536-slot table on the top 16 bits to a short binary
 * search, so a 500k-entry list costs a handful of comparisons per record. IPv6 ranges
 * are binary-searched on four 32-bit words.
 */
import { NOT_V4, parseCidrRange, parseIp, quickV4, v4Key, V4, V6, type IpRange } from './ip.js';

const scratch = new Uint32Array(4);
/** Below this many IPv4 ranges the top-16-bit table is not worth its 256 KiB. */
const TABLE_MIN = 256;

export class IpSet {
  /** IPv4 ranges as sortable int32 keys (see quickV4). */
  private readonly lo4: Int32Array;
  private readonly hi4: Int32Array;
  private readonly table: Uint32Array | undefined;
  private readonly lo6: Uint32Array;
  private readonly hi6: Uint32Array;
  private readonly n6: number;

  private constructor(ranges: IpRange[], readonly entries: number) {
    const v4 = mergeV4(ranges.filter((r): r is Extract<IpRange, { v: 4 }> => r.v === 4));
    this.lo4 = Int32Array.from(v4.map((r) => v4Key(r[0])));
    this.hi4 = Int32Array.from(v4.map((r) => v4Key(r[1])));
    this.table = v4.length >= TABLE_MIN ? buildTable(this.hi4) : undefined;
    const v6 = mergeV6(ranges.filter((r): r is Extract<IpRange, { v: 6 }> => r.v === 6));
    this.n6 = v6.length;
    this.lo6 = new Uint32Array(v6.length * 4);
    this.hi6 = new Uint32Array(v6.length * 4);
    v6.forEach((r, i) => {
      this.lo6.set(r.lo, i * 4);
      this.hi6.set(r.hi, i * 4);
    });
  }

  static fromRanges(ranges: IpRange[]): IpSet {
    return new IpSet(ranges, ranges.length);
  }

  /** From texts ("10.0.0.0/8", "2001:db8::1"); throws on the first malformed one. */
  static fromTexts(texts: readonly string[]): IpSet {
    return new IpSet(texts.map(parseCidrRange), texts.length);
  }

  get ranges(): number {
    return this.lo4.length + this.n6;
  }

  get size(): number {
    return this.lo4.length + this.n6;
  }

  /** Whether the address text is in the set (false for text that is not an address). */
  has(text: string): boolean {
    // Most lookups are IPv4 text: try that first without a separate scan for ':'.
    const k = quickV4(text);
    if (k !== NOT_V4) return this.hasKey4(k);
    const v = parseIp(text, scratch);
    if (v === V4) return this.hasKey4(v4Key(scratch[0]!));
    if (v === V6) return this.hasV6(scratch);
    return false;
  }

  /** An unsigned 32-bit IPv4 address. */
  hasV4(a: number): boolean {
    return this.hasKey4(v4Key(a));
  }

  /** An IPv4 address as its sortable int32 key (quickV4's result). */
  hasKey4(a: number): boolean {
    const hi = this.hi4;
    const n = hi.length;
    if (n === 0) return false;
    let l = 0;
    let r = n;
    const t = this.table;
    if (t !== undefined) {
      const top = (a >>> 16) ^ 0x8000;
      l = t[top]!;
      r = Math.min(n, t[top + 1]! + 1);
    }
    // The first range whose end is at or after a; a is in the set if that range starts at or before it.
    while (l < r) {
      const m = (l + r) >>> 1;
      if (hi[m]! < a) l = m + 1;
      else r = m;
    }
    return l < n && this.lo4[l]! <= a;
  }

  hasV6(w: Uint32Array): boolean {
    let l = 0;
    let r = this.n6;
    const hi = this.hi6;
    while (l < r) {
      const m = (l + r) >>> 1;
      if (cmp6(hi, m * 4, w) < 0) l = m + 1;
      else r = m;
    }
    return l < this.n6 && cmp6(this.lo6, l * 4, w) <= 0;
  }
}

function cmp6(arr: Uint32Array, off: number, w: Uint32Array): number {
  for (let i = 0; i < 4; i++) {
    const a = arr[off + i]!;
    const b = w[i]!;
    if (a !== b) return a < b ? -1 : 1;
  }
  return 0;
}

function mergeV4(rs: Array<{ lo: number; hi: number }>): Array<[number, number]> {
  rs.sort((a, b) => a.lo - b.lo || a.hi - b.hi);
  const out: Array<[number, number]> = [];
  for (const r of rs) {
    const last = out[out.length - 1];
    if (last && r.lo <= last[1] + 1) {
      if (r.hi > last[1]) last[1] = r.hi;
    } else out.push([r.lo, r.hi]);
  }
  return out;
}

function cmpWords(a: number[], b: number[]): number {
  for (let i = 0; i < 4; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return 0;
}

function plusOne(w: number[]): number[] | undefined {
  const out = w.slice();
  for (let i = 3; i >= 0; i--) {
    if (out[i]! < 0xffffffff) {
      out[i]! += 1;
      return out;
    }
    out[i] = 0;
  }
  return undefined; // overflow: the range ends at the last address
}

function mergeV6(rs: Array<{ lo: number[]; hi: number[] }>): Array<{ lo: number[]; hi: number[] }> {
  rs.sort((a, b) => cmpWords(a.lo, b.lo) || cmpWords(a.hi, b.hi));
  const out: Array<{ lo: number[]; hi: number[] }> = [];
  for (const r of rs) {
    const last = out[out.length - 1];
    const next = last ? plusOne(last.hi) : undefined;
    if (last && (next === undefined || cmpWords(r.lo, next) <= 0)) {
      if (cmpWords(r.hi, last.hi) > 0) last.hi = r.hi;
    } else out.push({ lo: r.lo.slice(), hi: r.hi.slice() });
  }
  return out;
}

/** table[t] = index of the first range whose end reaches address t<<16 (t = 0..65536; keys are sortable int32). */
function buildTable(hi: Int32Array): Uint32Array {
  const t = new Uint32Array(65537);
  let i = 0;
  for (let top = 0; top <= 65536; top++) {
    const base = top * 65536 - 2 ** 31;
    while (i < hi.length && hi[i]! < base) i++;
    t[top] = i;
  }
  return t;
}

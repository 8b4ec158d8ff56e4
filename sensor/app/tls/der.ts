// Just enough DER (X.690) to read certificates: one TLV at a time, definite
// lengths only, single-byte tags (all X.509 uses). Every length is checked
// against the enclosing element's end; a bad element reads as undefined.

export interface Tlv {
  tag: number;
  /** Offset of the tag byte (for re-encoding a value as "#hex"). */
  at: number;
  /** Content [start, end). */
  start: number;
  end: number;
}

export const TAG = {
  BOOLEAN: 0x01, INTEGER: 0x02, BIT_STRING: 0x03, OCTET_STRING: 0x04, NULL: 0x05, OID: 0x06,
  UTF8: 0x0c, PRINTABLE: 0x13, T61: 0x14, IA5: 0x16, UTC_TIME: 0x17, GENERALIZED_TIME: 0x18,
  VISIBLE: 0x1a, UNIVERSAL: 0x1c, BMP: 0x1e, NUMERIC: 0x12, SEQUENCE: 0x30, SET: 0x31,
} as const;

/** Reads the TLV at `off`, which must end by `limit`. */
export function tlv(b: Uint8Array, off: number, limit: number): Tlv | undefined {
  if (off + 2 > limit) return undefined;
  const tag = b[off]!;
  if ((tag & 0x1f) === 0x1f) return undefined; // high-tag-number form: not in X.509
  let len = b[off + 1]!;
  let start = off + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > limit) return undefined; // indefinite or absurd
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[start + i]!;
    start += n;
  }
  if (start + len > limit) return undefined;
  return { tag, at: off, start, end: start + len };
}

/** The elements inside a constructed TLV, in order; undefined if any is malformed. */
export function children(b: Uint8Array, parent: Tlv, max = 256): Tlv[] | undefined {
  const out: Tlv[] = [];
  let off = parent.start;
  while (off < parent.end) {
    if (out.length >= max) return undefined;
    const t = tlv(b, off, parent.end);
    if (!t) return undefined;
    out.push(t);
    off = t.end;
  }
  return out;
}

/** Dotted form of an OBJECT IDENTIFIER's content. */
export function oid(b: Uint8Array, t: Tlv): string {
  if (t.end <= t.start || t.end - t.start > 64) return '';
  let s = '';
  let v = 0;
  let first = true;
  for (let i = t.start; i < t.end; i++) {
    v = v * 128 + (b[i]! & 0x7f);
    if (b[i]! & 0x80) continue;
    if (first) {
      const x = v < 40 ? 0 : v < 80 ? 1 : 2;
      s = `${x}.${v - 40 * x}`;
      first = false;
    } else {
      s += `.${v}`;
    }
    v = 0;
  }
  return s;
}

/** UTCTime / GeneralizedTime to ms since the epoch; NaN when malformed. */
export function time(b: Uint8Array, t: Tlv): number {
  let s = '';
  for (let i = t.start; i < t.end && s.length < 32; i++) s += String.fromCharCode(b[i]!);
  const m =
    t.tag === TAG.UTC_TIME
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?Z$/.exec(s)
      : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/.exec(s);
  if (!m) return NaN;
  let year = Number(m[1]);
  if (t.tag === TAG.UTC_TIME) year += year < 50 ? 2000 : 1900; // RFC 5280 §4.1.2.5.1
  return Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0));
}

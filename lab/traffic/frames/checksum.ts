/**
 * The Internet checksum (RFC 1071): the ones' complement of the ones' complement sum of
 * 16-bit big-endian words. Sums are kept unfolded in a double (exact far beyond any
 * frame's length) so that partial sums of fixed header fields can be computed once per
 * flow and added to the per-packet part.
 */

/** The unfolded sum of the big-endian 16-bit words of buf[off, off+len); an odd last byte is the high byte of a word. */
export function sumWords(buf: Uint8Array, off: number, len: number): number {
  let s = 0;
  const even = off + (len & ~1);
  let i = off;
  // Four words per iteration: the per-packet payload sum is the generator's hottest loop.
  for (; i + 8 <= even; i += 8) {
    s += ((buf[i]! << 8) | buf[i + 1]!) + ((buf[i + 2]! << 8) | buf[i + 3]!) + ((buf[i + 4]! << 8) | buf[i + 5]!) + ((buf[i + 6]! << 8) | buf[i + 7]!);
  }
  for (; i < even; i += 2) s += (buf[i]! << 8) | buf[i + 1]!;
  if (len & 1) s += buf[off + len - 1]! << 8;
  return s;
}

/** Folds an unfolded sum to 16 bits and complements it: the value to store in a checksum field. */
export function finishChecksum(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s % 0x10000) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
}

/** True when the region, with its checksum field in place, sums to all ones (the receiver's check). */
export function checksumIsValid(buf: Uint8Array, off: number, len: number, extraSum = 0): boolean {
  return finishChecksum(sumWords(buf, off, len) + extraSum) === 0;
}

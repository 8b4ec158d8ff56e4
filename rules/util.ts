/** Small helpers shared across the rules module. */
import { createHash } from 'node:crypto';

/** A short, stable digest (base64url) of the parts, separated so ("a","bc") ≠ ("ab","c"). */
export function digest(parts: ReadonlyArray<string | number>, chars = 22): string {
  const h = createHash('sha256');
  for (const p of parts) {
    h.update(String(p));
    h.update('\u0000');
  }
  return h.digest('base64url').slice(0, chars);
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Milliseconds from a nanosecond time that may have crossed JSON (bigint, numeric string or number). */
export function nsToMs(ns: unknown): number {
  if (typeof ns === 'bigint') return Number(ns / 1_000_000n) + Number(ns % 1_000_000n) / 1e6;
  if (typeof ns === 'number') return ns / 1e6;
  if (typeof ns === 'string' && /^\d+$/.test(ns)) return nsToMs(BigInt(ns));
  return NaN;
}

export function isoMs(ms: number): string {
  return new Date(Number.isFinite(ms) ? ms : 0).toISOString();
}

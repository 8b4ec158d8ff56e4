import { DEFAULT_MIX, type MixWeights } from './mix/benign.js';
import type { ResolvedOptions } from './truth.js';

export interface TrafficOptions {
  /** The seed: the same seed and options always give byte-identical output. 0 ≤ seed < 2^32. */
  seed: number;
  /** Approximate total packets (default 20 000). The scenarios have a fixed size (~60 000 packets, mostly the exfiltration); benign traffic fills the rest, and is at least half the target. */
  packets?: number;
  /** Include the attack and policy-violation scenarios (default true). */
  scenarios?: boolean;
  /** Mean number of benign flows in progress at once (default 250): sets how long the capture lasts. */
  concurrency?: number;
  /** Relative weights of benign flow kinds; kinds left out keep their default weight. */
  mix?: Partial<MixWeights>;
  /** Timestamp of the capture's start (default 2026-01-01T00:00:00Z). */
  startTime?: Date;
  /** Nanosecond timestamps (pcap magic a1b23c4d) instead of microseconds (a1b2c3d4). */
  nanosecond?: boolean;
  /** Application bytes the exfiltration scenario uploads (default 55 000 000). */
  exfilBytes?: number;
}

export const DEFAULT_START = new Date('2026-01-01T00:00:00Z');
export const DEFAULT_PACKETS = 20_000;
export const DEFAULT_CONCURRENCY = 250;
export const DEFAULT_EXFIL_BYTES = 55_000_000;
export const MAX_PACKETS = 1_000_000_000;

/** Fills in defaults and rejects nonsense with a message naming the option. */
export function resolveOptions(o: TrafficOptions): ResolvedOptions {
  const int = (name: string, v: number, lo: number, hi: number): number => {
    if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`${name} must be an integer from ${lo} to ${hi}, got ${v}`);
    return v;
  };
  const start = o.startTime ?? DEFAULT_START;
  if (!(start instanceof Date) || Number.isNaN(start.getTime())) throw new RangeError('startTime must be a valid Date');
  const mix: Record<string, number> = { ...DEFAULT_MIX };
  for (const [k, v] of Object.entries(o.mix ?? {})) {
    if (!(k in DEFAULT_MIX)) throw new RangeError(`mix: unknown flow kind "${k}" (known: ${Object.keys(DEFAULT_MIX).join(', ')})`);
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new RangeError(`mix.${k} must be a non-negative number`);
    mix[k] = v;
  }
  if (Object.values(mix).every((v) => v === 0)) throw new RangeError('mix: at least one kind needs a positive weight');
  return {
    seed: int('seed', o.seed, 0, 0xffffffff),
    packets: int('packets', o.packets ?? DEFAULT_PACKETS, 1, MAX_PACKETS),
    scenarios: o.scenarios ?? true,
    concurrency: int('concurrency', o.concurrency ?? DEFAULT_CONCURRENCY, 1, 1_000_000),
    startTime: start.toISOString(),
    nanosecond: o.nanosecond ?? false,
    exfilBytes: int('exfilBytes', o.exfilBytes ?? DEFAULT_EXFIL_BYTES, 1, 4_000_000_000),
    mix,
  };
}

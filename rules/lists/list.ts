/**
 * Named lists: the file format, parsing, and the holder rules read through, so a reload
 * swaps a list for every rule at once without recompiling them.
 *
 * A list file is `<name>.<type>` or `<name>.<type>.txt` with one entry per line; text
 * after '#' is a comment, blank lines are ignored. Types:
 *   ip      addresses and CIDR blocks, IPv4 and IPv6
 *   domain  domain names; an entry covers the name and everything under it
 *   hash    fingerprints (JA3, JA4, HASSH, certificate SHA-256): exact, case-insensitive
 *   string  exact, case-sensitive strings
 * A malformed line is skipped and reported (feeds are messy; one bad line must not
 * cost the other 499,999), with its line number.
 */
import { parseCidrRange, type IpRange } from './ip.js';
import { IpSet } from './ip-set.js';
import { DomainSet, HashSet, StringSet, normalizeDomain } from './domain-set.js';

export const LIST_TYPES = ['ip', 'domain', 'hash', 'string'] as const;
export type ListType = (typeof LIST_TYPES)[number];

export interface ListData {
  has(value: string): boolean;
  /** Entries (after merging, for IP lists: ranges); 0 lets the engine skip the lookup. */
  readonly size: number;
  /** IP lists: lookup of an IPv4 address already parsed to its sortable key (quickV4). */
  hasKey4?(key: number): boolean;
}

export interface LoadedList {
  name: string;
  type: ListType;
  file: string;
  entries: number;
  data: ListData;
  /** Lines that were skipped, with why (at most the first 20). */
  skipped: Array<{ line: number; reason: string }>;
  skippedCount: number;
}

/** What rules hold: `current` is replaced whole on reload (an atomic pointer swap). */
export class ListHolder {
  constructor(
    readonly name: string,
    readonly type: ListType,
    public current: LoadedList,
  ) {}
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** The list name and type a file name declares, or undefined when it is not a list file. */
export function listFileName(base: string): { name: string; type: ListType } | undefined {
  const m = /^(.+)\.(ip|domain|hash|string)(?:\.txt)?$/.exec(base);
  if (!m || !NAME.test(m[1]!)) return undefined;
  return { name: m[1]!, type: m[2] as ListType };
}

const DOMAIN = /^(\*\.|\.)?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\.?$/i;

export function parseList(name: string, type: ListType, file: string, text: string): LoadedList {
  const skipped: LoadedList['skipped'] = [];
  let skippedCount = 0;
  const skip = (line: number, reason: string): void => {
    skippedCount++;
    if (skipped.length < 20) skipped.push({ line, reason });
  };
  const values: string[] = [];
  const ranges: IpRange[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const hash = raw.indexOf('#');
    const v = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
    if (v === '') continue;
    if (type === 'ip') {
      try {
        ranges.push(parseCidrRange(v));
      } catch (err) {
        skip(i + 1, (err as Error).message);
      }
    } else if (type === 'domain') {
      if (!DOMAIN.test(v)) skip(i + 1, `not a domain name: "${v.slice(0, 80)}"`);
      else values.push(normalizeDomain(v));
    } else values.push(v);
  }
  const data: ListData =
    type === 'ip' ? IpSet.fromRanges(ranges) : type === 'domain' ? new DomainSet(values) : type === 'hash' ? new HashSet(values) : new StringSet(values);
  return { name, type, file, entries: type === 'ip' ? ranges.length : values.length, data, skipped, skippedCount };
}

// The ECS documents' formatting helpers, made cheaper, must give exactly the text of the
// straightforward versions they replaced (kept here as the reference): ISO times from
// Date's own text, compact() of an ECS object, JSON text with and without BigInts.

import { describe, expect, it } from 'vitest';
import { isoMicros } from '../../common/iso-time.js';
import { compact, isoTime } from '../../sensor/app/log-common.js';
import { ndjsonLine } from '../../sensor/output/ndjson.js';
import type { ConnRecord } from '../../sensor/record.js';
import { uniform } from '../support/rng.js';
import { only, runFrames } from './support/run.js';
import { TcpTalk } from './support/frames.js';

/** Date's text with its milliseconds replaced by microseconds: what isoMicros must give. */
function referenceIso(sec: number, nsec: number): string {
  const us = String(Math.floor(nsec / 1000)).padStart(6, '0');
  return new Date(sec * 1000).toISOString().replace(/\.\d{3}Z$/, `.${us}Z`);
}

function referenceIsoTime(tsNs: bigint): string {
  const ms = tsNs / 1_000_000n;
  const us = (tsNs / 1_000n) % 1_000_000n;
  return new Date(Number(ms)).toISOString().replace(/\.\d{3}Z$/, `.${String(us).padStart(6, '0')}Z`);
}

/** compact() as it was: deleting in place. */
function referenceCompact<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) {
    const v = o[k];
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) referenceCompact(v as Record<string, unknown>);
    const empty = v === undefined || (Array.isArray(v) && v.length === 0) || (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0);
    if (empty) delete o[k];
  }
  return o;
}

describe('ECS formatting', () => {
  it('isoMicros is Date\'s text with microseconds, for every year Date holds, and throws beyond them as Date does', () => {
    const r = uniform(20261124);
    const secs = [0, 1, 59, 60, 86_399, 86_400, 1_767_225_600, 253_402_300_799, 253_402_300_800, -1, -62_135_596_800, -62_135_596_801, 8.64e12, -8.64e12];
    for (let i = 0; i < 20_000; i++) secs.push(Math.floor((r() * 2 - 1) * 8.64e12));
    // Records in time order: many times within one second.
    for (let i = 0; i < 2_000; i++) secs.push(1_767_225_600 + Math.floor(i / 100));
    for (const sec of secs) {
      const nsec = Math.floor(r() * 1e9);
      expect(isoMicros(sec, nsec), `${sec} ${nsec}`).toBe(referenceIso(sec, nsec));
      expect(isoMicros(sec, 0)).toBe(referenceIso(sec, 0));
      expect(isoMicros(sec, 999_999_999)).toBe(referenceIso(sec, 999_999_999));
    }
    for (const sec of [8.64e12 + 1, -8.64e12 - 1, NaN, Infinity]) {
      expect(() => isoMicros(sec, 0)).toThrow(RangeError);
      expect(() => isoMicros(sec, 0), 'a failure is not remembered as a text').toThrow(RangeError);
    }
  });

  it('isoTime gives the reference text for times before and after 1970', () => {
    const r = uniform(7);
    const times: bigint[] = [0n, 1n, 999n, 1_000n, 999_999n, 1_000_000n, -1n, -999n, -1_000n, -1_000_001n, -86_400_000_000_000n];
    for (let i = 0; i < 20_000; i++) times.push(BigInt(Math.floor((r() * 2 - 1) * 4e18)));
    for (const t of times) expect(isoTime(t), String(t)).toBe(referenceIsoTime(t));
  });

  it('compact keeps what deleting in place kept, in the same order', () => {
    const r = uniform(3);
    const value = (depth: number): unknown => {
      const x = r();
      if (x < 0.2) return undefined;
      if (x < 0.3) return null;
      if (x < 0.45) return Math.floor(r() * 100);
      if (x < 0.55) return 's' + Math.floor(r() * 10);
      if (x < 0.65) return r() < 0.5 ? [] : [1, 'a'];
      if (x < 0.7) return r() < 0.5;
      return depth < 4 ? object(depth + 1) : {};
    };
    const object = (depth: number): Record<string, unknown> => {
      const o: Record<string, unknown> = {};
      const n = Math.floor(r() * 6);
      for (let i = 0; i < n; i++) o[r() < 0.1 ? String(Math.floor(r() * 5)) : `k${Math.floor(r() * 8)}`] = value(depth);
      return o;
    };
    for (let i = 0; i < 5_000; i++) {
      const o = object(0);
      const want = JSON.stringify(referenceCompact(structuredClone(o)));
      expect(JSON.stringify(compact(o))).toBe(want);
    }
  });

  it('ndjsonLine without BigInts is the replacer-free text; with one, the replacer\'s', () => {
    const r: ConnRecord = only(runFrames(new TcpTalk().c('S').s('SA').c('A').c('PA', 10).frames));
    const line = ndjsonLine(r);
    expect(JSON.parse(line)['@timestamp']).toBe('2023-11-14T22:13:20.010000Z');
    const withBig = { ...r, policy: { service: 'x', big: 12345678901234567890n } } as unknown as ConnRecord;
    const doc = JSON.parse(ndjsonLine(withBig)) as { chot: { population_data: { big: string } } };
    expect(doc.chot.population_data.big).toBe('12345678901234567890');
  });
});

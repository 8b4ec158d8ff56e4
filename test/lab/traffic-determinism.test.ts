import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { frames, writeCapture } from '../../lab/traffic/generate.js';
import type { TrafficOptions } from '../../lab/traffic/options.js';
import { readPcap } from './traffic-decode.js';

const dir = mkdtempSync(join(tmpdir(), 'chot-traffic-det-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A small exfiltration keeps these captures quick; the scenarios are otherwise complete.
const small: Omit<TrafficOptions, 'seed'> = { packets: 6000, exfilBytes: 2_000_000 };

async function digest(name: string, opts: TrafficOptions): Promise<{ pcap: string; truth: string }> {
  const path = join(dir, name);
  await writeCapture(path, opts);
  const sha = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');
  return { pcap: sha(path), truth: sha(`${path}.truth.json`) };
}

describe('determinism', () => {
  it('writes byte-identical files for the same seed and options, different ones for another seed', async () => {
    const a = await digest('a.pcap', { seed: 42, ...small });
    const b = await digest('b.pcap', { seed: 42, ...small });
    const c = await digest('c.pcap', { seed: 43, ...small });
    expect(b).toEqual(a);
    expect(c.pcap).not.toBe(a.pcap);
    expect(c.truth).not.toBe(a.truth);
  });

  it('writes the same frames in microsecond and nanosecond captures, and frames() yields them too', async () => {
    const opts: TrafficOptions = { seed: 7, packets: 3000, scenarios: false };
    await writeCapture(join(dir, 'us.pcap'), opts);
    const nsTruth = await writeCapture(join(dir, 'ns.pcap'), { ...opts, nanosecond: true });
    const us = readPcap(join(dir, 'us.pcap'));
    const ns = readPcap(join(dir, 'ns.pcap'));
    expect(ns.records.length).toBe(us.records.length);
    let finerTimestamps = 0;
    for (let i = 0; i < us.records.length; i++) {
      expect(ns.records[i]!.frame.equals(us.records[i]!.frame)).toBe(true);
      // The µs file holds the ns timestamp truncated to whole microseconds.
      expect(us.records[i]!.ts).toBe((ns.records[i]!.ts / 1000n) * 1000n);
      if (ns.records[i]!.ts % 1000n !== 0n) finerTimestamps++;
    }
    expect(finerTimestamps).toBeGreaterThan(0);

    const live = frames({ ...opts, nanosecond: true });
    let i = 0;
    let step = live.next();
    while (!step.done) {
      expect(step.value.ts).toBe(ns.records[i]!.ts);
      expect(step.value.frame.equals(ns.records[i]!.frame)).toBe(true);
      i++;
      step = live.next();
    }
    expect(i).toBe(ns.records.length);
    expect(step.value.flows.length).toBe(nsTruth.flows.length);
  });

  it('rejects options it cannot honour, naming the option', async () => {
    await expect(writeCapture(join(dir, 'x.pcap'), { seed: -1 })).rejects.toThrow(/seed/);
    await expect(writeCapture(join(dir, 'x.pcap'), { seed: 1, packets: 1.5 })).rejects.toThrow(/packets/);
    await expect(writeCapture(join(dir, 'x.pcap'), { seed: 1, mix: { gopher: 1 } as never })).rejects.toThrow(/gopher/);
  });
});

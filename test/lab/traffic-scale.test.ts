import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeCapture } from '../../lab/traffic/generate.js';

// How fast two million packets are written is measured in bench/traffic.bench.mjs;
// this checks that a large capture comes out whole and as sized.
describe('scale', () => {
  it('writes a large capture whole, with the size the truth states', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chot-traffic-scale-'));
    try {
      const path = join(dir, 'big.pcap');
      const truth = await writeCapture(path, { seed: 2, packets: 300_000 });
      expect(truth.capture.packets).toBeGreaterThanOrEqual(300_000);
      expect(truth.capture.packets).toBeLessThan(310_000);
      expect(statSync(path).size).toBe(truth.capture.file_bytes);
      expect(truth.counts.flows).toBeGreaterThan(5_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

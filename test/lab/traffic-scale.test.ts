import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeCapture } from '../../lab/traffic/generate.js';

describe('scale', () => {
  it('writes two million packets well within a minute', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chot-traffic-scale-'));
    try {
      const path = join(dir, 'big.pcap');
      const started = performance.now();
      const truth = await writeCapture(path, { seed: 2, packets: 2_000_000 });
      const seconds = (performance.now() - started) / 1000;
      expect(seconds).toBeLessThan(60);
      expect(truth.capture.packets).toBeGreaterThanOrEqual(2_000_000);
      expect(truth.capture.packets).toBeLessThan(2_050_000);
      expect(statSync(path).size).toBe(truth.capture.file_bytes);
      expect(truth.counts.flows).toBeGreaterThan(50_000);
      console.log(`2M packets: ${truth.capture.packets} packets, ${truth.counts.flows} flows, ${truth.capture.file_bytes} bytes in ${seconds.toFixed(1)} s`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

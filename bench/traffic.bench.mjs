// How fast the generator writes a two-million-packet capture, beside the time libpcap
// itself needs to read the same file back (tcpdump -r F -w /dev/null), in one run.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeCapture } from '../dist/lab/traffic/generate.js';
import { table } from './support.mjs';

const packets = Number(process.env.CHOT_BENCH_PACKETS ?? 2_000_000);
const dir = mkdtempSync(join(tmpdir(), 'chot-bench-traffic-'));
const file = join(dir, 'bench.pcap');
try {
  let t0 = performance.now();
  const truth = await writeCapture(file, { seed: 7, packets });
  const writeS = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const r = spawnSync('tcpdump', ['-r', file, '-w', '/dev/null'], { encoding: 'utf8' });
  const readS = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`tcpdump failed: ${r.stderr}`);
  const n = truth.capture.packets;
  console.log(`\n### Traffic generator (${n.toLocaleString('en')} packets, ${truth.counts.flows.toLocaleString('en')} flows, ${(truth.capture.file_bytes / 1e6).toFixed(0)} MB, one run)\n`);
  console.log(table([
    { what: 'chot lab traffic writes the capture + truth', seconds: writeS.toFixed(1), 'packets/s': Math.round(n / writeS).toLocaleString('en'), 'vs the 60 s limit': `${(writeS / 60 * 100).toFixed(0)}% of it` },
    { what: 'tcpdump -r F -w /dev/null reads it (libpcap)', seconds: readS.toFixed(1), 'packets/s': Math.round(n / readS).toLocaleString('en'), 'vs the 60 s limit': `${(readS / 60 * 100).toFixed(0)}% of it` },
  ]));
} finally {
  rmSync(dir, { recursive: true, force: true });
}

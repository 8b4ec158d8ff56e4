import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../common/errors.js';
import { truthPath, writeCapture } from './generate.js';
import { MAX_PACKETS } from './options.js';

interface TrafficCliOptions {
  out: string;
  seed: string;
  packets: string;
  scenarios: boolean;
  nanosecond?: boolean;
}

/** Adds `chot lab traffic` to the `lab` command. */
export function registerTrafficCommand(lab: Command): void {
  lab
    .command('traffic')
    .description('write deterministic WAN traffic (TCP, DNS, TLS, HTTP, ICMP, VLAN, MPLS, IPv6, attack scenarios) as a pcap with a ground-truth JSON sidecar')
    .requiredOption('--out <file>', 'pcap file to write; the ground truth goes to FILE.truth.json')
    .option('--seed <n>', 'seed: the same seed and options give byte-identical files', '1')
    .option('--packets <n>', 'approximate number of packets', '20000')
    .option('--no-scenarios', 'benign traffic only, without the attack and policy scenarios')
    .option('--nanosecond', 'nanosecond timestamps (pcap magic a1b23c4d) instead of microseconds')
    .action(async (o: TrafficCliOptions) => {
      const seed = integerOption('--seed', o.seed, 0, 0xffffffff);
      const packets = integerOption('--packets', o.packets, 1, MAX_PACKETS);
      const out = resolve(o.out);
      const started = performance.now();
      const truth = await writeCapture(out, { seed, packets, scenarios: o.scenarios, nanosecond: o.nanosecond ?? false });
      const seconds = (performance.now() - started) / 1000;
      process.stdout.write(
        `wrote ${out}: ${truth.capture.packets} packets, ${truth.counts.flows} flows, ${truth.capture.file_bytes} bytes in ${seconds.toFixed(2)} s\n` +
          `truth: ${truthPath(out)}\n`,
      );
    });
}

function integerOption(name: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`${name}: expected a whole number from ${min} to ${max}, got "${text}"`);
  const n = Number(text.trim());
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`${name}: expected a whole number from ${min} to ${max}, got "${text}"`);
  return n;
}

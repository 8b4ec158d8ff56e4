import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../common/errors.js';
import { injectFrames, type Pace } from '../net/inject.js';
import { frames, truthPath, writeCapture } from './generate.js';
import { MAX_PACKETS } from './options.js';
import type { Truth } from './truth.js';

interface TrafficCliOptions {
  out?: string;
  live?: string;
  pace: string;
  seed: string;
  packets: string;
  scenarios: boolean;
  nanosecond?: boolean;
}

/** Adds `chot lab traffic` to the `lab` command. */
export function registerTrafficCommand(lab: Command): void {
  lab
    .command('traffic')
    .description('deterministic WAN traffic (TCP, DNS, TLS, HTTP, ICMP, VLAN, MPLS, IPv6, attack scenarios): written as a pcap with a ground-truth JSON sidecar, or sent live into an interface (a lab capture interface)')
    .option('--out <file>', 'pcap file to write; the ground truth goes to FILE.truth.json')
    .option('--live <interface>', 'send the frames out of this interface instead (root only; e.g. the lab commune WAN, chot-c-wan); the ground truth is printed as a summary')
    .option('--pace <pace>', 'with --live: realtime, topspeed, or a speed multiplier such as 10', 'realtime')
    .option('--seed <n>', 'seed: the same seed and options give byte-identical files', '1')
    .option('--packets <n>', 'approximate number of packets', '20000')
    .option('--no-scenarios', 'benign traffic only, without the attack and policy scenarios')
    .option('--nanosecond', 'nanosecond timestamps (pcap magic a1b23c4d) instead of microseconds')
    .action(async (o: TrafficCliOptions) => {
      const seed = integerOption('--seed', o.seed, 0, 0xffffffff);
      const packets = integerOption('--packets', o.packets, 1, MAX_PACKETS);
      if ((o.out === undefined) === (o.live === undefined)) throw new UsageError('give exactly one of --out FILE (write a capture) and --live INTERFACE (send it)');
      const started = performance.now();
      if (o.live !== undefined) {
        const pace = paceOption(o.pace);
        // Live frames carry today's time, so what the sensor records reads as now.
        const gen = frames({ seed, packets, scenarios: o.scenarios, startTime: new Date() });
        let truth: Truth | undefined;
        const iterable = {
          *[Symbol.iterator]() {
            for (;;) {
              const n = gen.next();
              if (n.done) {
                truth = n.value;
                return;
              }
              yield n.value;
            }
          },
        };
        const stop = new AbortController();
        const onSignal = (): void => stop.abort();
        process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
        const r = await injectFrames(o.live, iterable, { pace, signal: stop.signal });
        process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
        const seconds = (performance.now() - started) / 1000;
        process.stdout.write(
          `sent ${r.sent} frames (${r.bytes} bytes) out of ${o.live} in ${seconds.toFixed(2)} s${r.aborted ? ', stopped early' : ''}` +
            (r.rejected > 0 ? `; ${r.rejected} refused (first: ${r.firstRejection})` : '') +
            (truth ? `\nflows: ${truth.counts.flows}; scenarios: ${truth.scenarios.map((x) => x.tag).join(', ') || 'none'}` : '') +
            '\n',
        );
        return;
      }
      const out = resolve(o.out!);
      const truth = await writeCapture(out, { seed, packets, scenarios: o.scenarios, nanosecond: o.nanosecond ?? false });
      const seconds = (performance.now() - started) / 1000;
      process.stdout.write(
        `wrote ${out}: ${truth.capture.packets} packets, ${truth.counts.flows} flows, ${truth.capture.file_bytes} bytes in ${seconds.toFixed(2)} s\n` +
          `truth: ${truthPath(out)}\n`,
      );
    });
}

function paceOption(text: string): Pace {
  if (text === 'realtime' || text === 'topspeed') return text;
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !(n > 0)) throw new UsageError(`--pace: expected realtime, topspeed or a speed multiplier above 0, got "${text}"`);
  return n;
}

function integerOption(name: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`${name}: expected a whole number from ${min} to ${max}, got "${text}"`);
  const n = Number(text.trim());
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`${name}: expected a whole number from ${min} to ${max}, got "${text}"`);
  return n;
}

/**
 * `chot sensor read FILE` (like `zeek -r`) and `chot sensor run --config FILE`
 * (live capture on the configured interfaces).
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { captureReader, createReadPipeline, loadApp, readSettings, resultOf, type ReadOptions, type ReadResult } from './read.js';

export async function readCapture(file: string, o: ReadOptions): Promise<ReadResult> {
  const settings = readSettings(o);
  const started = performance.now();
  let result: ReadResult;
  if (settings.workers > 1) {
    const { readParallel } = await import('./parallel/read-parallel.js');
    result = await readParallel(file, settings);
  } else {
    const pipeline = await createReadPipeline(settings);
    await captureReader(settings, file).run(pipeline);
    pipeline.finish();
    result = resultOf(pipeline);
  }
  const secs = (performance.now() - started) / 1000;
  if (!o.quiet) {
    const s = result.stats;
    const t = result.table.stats;
    const weirds = Object.entries(result.weirds)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    process.stderr.write(
      `${file}: ${s.packets} packets in ${secs.toFixed(2)} s (${(s.packets / secs / 1e6).toFixed(2)} M packets/s${result.workers > 1 ? `, ${result.workers} workers` : ''}), ` +
        `${t.records} connections, ${t.interims} interim records, ${s.undecoded} packets without a flow` +
        (weirds ? `\nweird: ${weirds}` : '') +
        '\n',
    );
  }
  return result;
}

export function registerSensorCommands(program: Command): Command {
  const sensor = program.command('sensor').description('capture flow metadata on WAN links: Zeek-grade connection records, app metadata, the population-data policy');

  sensor
    .command('read')
    .description('analyze a capture file (pcap or pcapng) like `zeek -r`: Zeek logs or ECS NDJSON records')
    .argument('<file>', 'capture file (pcap with µs or ns timestamps, or pcapng)')
    .option('--format <format>', 'zeek: conn.log, dns.log, ssl.log, http.log, weird.log; ndjson: one ECS record per connection', 'zeek')
    .option('--out <dir>', 'directory for the output (zeek: default the current directory; ndjson: default standard output)')
    .option('--no-app', 'skip the application analyzers (DNS, TLS, HTTP, SSH): flow records only')
    .option('--interim <seconds>', 'interim records of long connections every this many seconds (0: none)', '60')
    .option('--max-flows <n>', 'connections tracked at once; beyond it the stalest is ended early (counted as evicted)', '1000000')
    .option('--record-at <when>', "when a closed TCP connection's record is written: close-delay (as Zeek, 5 s after it closed) or close (when the close completes)", 'close-delay')
    .option('--reader <reader>', 'chot: our block reader, pcap frames decoded ahead on a thread of their own when the native addon is built (fastest); js: our block reader, all in JavaScript; libpcap: through the pcap module', 'chot')
    .option('--no-checksums', 'verify no checksums (like zeek -C): neither IPv4 headers nor TCP/UDP segments, which are verified by default')
    .option('--analyzers <impl>', 'native: for the Zeek logs, the application analyzers built in C where the addon is (DNS; TLS and HTTP on their common paths), which write their rows themselves; js: every analyzer in JavaScript (ndjson always)', 'native')
    .option('--flows <impl>', 'native: without the application analyzers (--no-app), the flow table in C where its addon is, which writes conn.log itself; js: the flow table in JavaScript', 'native')
    .option('--workers <n>', 'worker threads sharing the connections by a symmetric hash of the IP addresses (records as with one; row order differs)', '1')
    .option('-q, --quiet', 'no summary on standard error')
    .action(async (file: string, o: ReadOptions) => {
      await readCapture(resolve(file), o);
    });

  sensor
    .command('run')
    .description('capture live on the configured interfaces (or replay capture files listed there as { file, pace }); records go to the uplink and to the configured file; metrics on /metrics')
    .requiredOption('--config <file>', 'sensor configuration (YAML or JSON)')
    .action(async (o: { config: string }) => {
      // Loaded here, not at the top: the logger (pino) and the config schema (zod, yaml) take longer
      // to load than a small capture takes to read, and `sensor read` needs neither.
      const [{ loadSensorConfig }, { createLogger }] = await Promise.all([import('./config.js'), import('../common/log.js')]);
      const cfg = loadSensorConfig(resolve(o.config));
      const log = createLogger('sensor', { sensor: cfg.name });
      const app = await loadApp();
      // Loaded here: the live path brings prom-client and cap, which `read` does not need.
      const { runLive } = await import('./run.js');
      let uplink: import('./uplink/output.js').UplinkOutput | undefined;
      let readStats: () => import('./run.js').LiveStats = () => ({ uptimeS: 0, packets: 0, captureDropsKernel: 0, captureDropsInterface: 0, captureDropsUnknown: 0, activeFlows: 0 });
      if (cfg.uplink) {
        const { UplinkOutput } = await import('./uplink/output.js');
        uplink = new UplinkOutput(cfg.uplink, log, () => readStats());
      }
      await runLive(cfg, { log, analyzers: app.factory, appLogs: app.logs, outputs: uplink ? [uplink] : [], onStats: (read) => (readStats = read), registerMetrics: (registry) => uplink?.registerMetrics(registry) });
      // Whatever was not sent stays in the spool for the next start.
      await uplink?.closeAsync();
      // Everything is written and closed; cap 0.2.1 keeps an event-loop handle alive after
      // close(), so the process would otherwise never end on its own.
      process.exit(process.exitCode ?? 0);
    });

  return sensor;
}

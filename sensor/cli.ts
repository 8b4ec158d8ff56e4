/**
 * `chot sensor read FILE` (like `zeek -r`) and `chot sensor run --config FILE`
 * (live capture on the configured interfaces).
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../common/errors.js';
import { createLogger } from '../common/log.js';
import type { AnalyzerFactory } from './app/analyzer.js';
import { FileReader } from './capture/file-reader.js';
import { LibpcapFileReader } from './capture/libpcap-reader.js';
import { loadSensorConfig } from './config.js';
import { NdjsonOutput } from './output/ndjson-output.js';
import { ZeekDirOutput, type AppLogFactory } from './output/zeek-dir.js';
import { Pipeline, type RecordOutput } from './pipeline.js';

interface ReadOptions {
  format: string;
  out?: string;
  app: boolean;
  interim: string;
  maxFlows: string;
  reader: string;
  checksums: boolean;
  quiet?: boolean;
}

function intOption(name: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < min || n > max) throw new UsageError(`${name}: expected a whole number from ${min} to ${max}, got "${text}"`);
  return n;
}

/** The app analyzers and their Zeek logs (loaded only when wanted). */
async function loadApp(): Promise<{ factory: AnalyzerFactory | undefined; logs: AppLogFactory | undefined }> {
  const [mod, logs] = await Promise.all([import('./app/index.js'), import('./output/app-logs.js')]);
  return { factory: mod.createAppAnalyzer, logs: logs.createAppLogs };
}

export async function readCapture(file: string, o: ReadOptions): Promise<Pipeline> {
  if (o.format !== 'zeek' && o.format !== 'ndjson') throw new UsageError(`--format: expected zeek or ndjson, got "${o.format}"`);
  if (o.reader !== 'chot' && o.reader !== 'libpcap') throw new UsageError(`--reader: expected chot or libpcap, got "${o.reader}"`);
  const interimSec = intOption('--interim', o.interim, 0, 86400);
  const maxFlows = intOption('--max-flows', o.maxFlows, 1000, 50_000_000);
  const app = o.app ? await loadApp() : { factory: undefined, logs: undefined };
  const outputs: RecordOutput[] = [];
  if (o.format === 'zeek') outputs.push(new ZeekDirOutput(resolve(o.out ?? '.'), app.logs));
  else {
    let target = '-';
    if (o.out !== undefined) {
      mkdirSync(resolve(o.out), { recursive: true });
      target = join(resolve(o.out), 'conn.ndjson');
    }
    outputs.push(new NdjsonOutput(target));
  }
  const pipeline = new Pipeline({
    outputs,
    analyzers: app.factory,
    decoder: { verifyIpChecksum: o.checksums },
    flows: { interimSec, maxFlows },
  });
  const started = performance.now();
  const source = o.reader === 'libpcap' ? new LibpcapFileReader(file) : new FileReader(file);
  await source.run(pipeline);
  pipeline.finish();
  const secs = (performance.now() - started) / 1000;
  if (!o.quiet) {
    const s = pipeline.stats;
    const t = pipeline.table.stats;
    const weirds = Object.entries(pipeline.weirds.snapshot())
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    process.stderr.write(
      `${file}: ${s.packets} packets in ${secs.toFixed(2)} s (${(s.packets / secs / 1e6).toFixed(2)} M packets/s), ` +
        `${t.records} connections, ${t.interims} interim records, ${s.undecoded} packets without a flow` +
        (weirds ? `\nweird: ${weirds}` : '') +
        '\n',
    );
  }
  return pipeline;
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
    .option('--reader <reader>', 'chot: our block reader (fast); libpcap: through the pcap module', 'chot')
    .option('--no-checksums', 'do not verify IPv4 header checksums')
    .option('-q, --quiet', 'no summary on standard error')
    .action(async (file: string, o: ReadOptions) => {
      await readCapture(resolve(file), o);
    });

  sensor
    .command('run')
    .description('capture live on the configured interfaces; records go to the uplink and to the configured file; metrics on /metrics')
    .requiredOption('--config <file>', 'sensor configuration (YAML or JSON)')
    .action(async (o: { config: string }) => {
      const cfg = loadSensorConfig(resolve(o.config));
      const log = createLogger('sensor', { sensor: cfg.name });
      const app = await loadApp();
      // Loaded here: the live path brings prom-client and cap, which `read` does not need.
      const { runLive } = await import('./run.js');
      await runLive(cfg, { log, analyzers: app.factory, appLogs: app.logs });
    });

  return sensor;
}

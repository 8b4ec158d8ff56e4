/**
 * `chot sensor read`: the settings it takes and the pipeline it builds, shared
 * by the single-threaded read (cli.ts) and each worker of `--workers N`
 * (parallel/), so that both account packets with exactly the same pipeline.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '../common/errors.js';
import type { AnalyzerFactory } from './app/analyzer.js';
import { FileReader } from './capture/file-reader.js';
import { LibpcapFileReader } from './capture/libpcap-reader.js';
import { NativeFileReader } from './capture/native-reader.js';
import type { PacketSource } from './capture/source.js';
import type { FlowTableStats } from './flow/table.js';
import { NdjsonOutput } from './output/ndjson-output.js';
import { ZeekDirOutput, type AppLogFactory, type RowStreamOpener } from './output/zeek-dir.js';
import { Pipeline, type PipelineStats, type RecordOutput } from './pipeline.js';

export interface ReadOptions {
  format: string;
  out?: string;
  app: boolean;
  interim: string;
  maxFlows: string;
  recordAt?: string;
  reader: string;
  checksums: boolean;
  workers?: string;
  analyzers?: string;
  flows?: string;
  quiet?: boolean;
}

/** The options checked and parsed (what a worker is given). */
export interface ReadSettings {
  format: 'zeek' | 'ndjson';
  /** Output directory (absolute); undefined: the current directory (zeek) or standard output (ndjson). */
  out: string | undefined;
  app: boolean;
  interimSec: number;
  maxFlows: number;
  recordAt: 'close' | 'close-delay';
  reader: 'chot' | 'js' | 'libpcap';
  checksums: boolean;
  workers: number;
  /** native: the analyzers built in C where the addon is, for the Zeek logs; js: all in JavaScript (ndjson always). */
  analyzers: 'native' | 'js';
  /** native: the flow table in C where it serves (Zeek logs, one thread, no application analyzers); js: FlowTable. */
  flows: 'native' | 'js';
}

/** What a read reports: the pipeline's counters (summed over the workers). */
export interface ReadResult {
  stats: PipelineStats;
  table: { stats: FlowTableStats };
  weirds: Record<string, number>;
  workers: number;
  /** With workers: each one's CPU seconds (its own thread; where the OS tells). */
  workerCpuSec?: (number | undefined)[];
}

function intOption(name: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < min || n > max) throw new UsageError(`${name}: expected a whole number from ${min} to ${max}, got "${text}"`);
  return n;
}

function recordAtOption(text: string): 'close' | 'close-delay' {
  if (text !== 'close' && text !== 'close-delay') throw new UsageError(`--record-at: expected close or close-delay, got "${text}"`);
  return text;
}

export function readSettings(o: ReadOptions): ReadSettings {
  if (o.format !== 'zeek' && o.format !== 'ndjson') throw new UsageError(`--format: expected zeek or ndjson, got "${o.format}"`);
  const analyzers = o.analyzers ?? 'native';
  if (analyzers !== 'native' && analyzers !== 'js') throw new UsageError(`--analyzers: expected native or js, got "${analyzers}"`);
  const flows = o.flows ?? 'native';
  if (flows !== 'native' && flows !== 'js') throw new UsageError(`--flows: expected native or js, got "${flows}"`);
  if (o.reader !== 'chot' && o.reader !== 'js' && o.reader !== 'libpcap') throw new UsageError(`--reader: expected chot, js or libpcap, got "${o.reader}"`);
  return {
    format: o.format,
    out: o.out === undefined ? undefined : resolve(o.out),
    app: o.app,
    interimSec: intOption('--interim', o.interim, 0, 86400),
    maxFlows: intOption('--max-flows', o.maxFlows, 1000, 50_000_000),
    recordAt: recordAtOption(o.recordAt ?? 'close-delay'),
    reader: o.reader,
    checksums: o.checksums,
    workers: intOption('--workers', o.workers ?? '1', 1, 64),
    analyzers,
    flows,
  };
}

/**
 * The app analyzers and their Zeek logs (loaded only when wanted). With zeekOnly (a
 * Zeek log directory is the only output), analyzers built in C where the addon is.
 */
export async function loadApp(zeekOnly = false): Promise<{ factory: AnalyzerFactory | undefined; logs: AppLogFactory | undefined }> {
  const [mod, logs] = await Promise.all([import('./app/index.js'), import('./output/app-logs.js')]);
  return { factory: zeekOnly ? mod.zeekLogAnalyzers().factory : mod.createAppAnalyzer, logs: logs.createAppLogs };
}

/** Where NDJSON goes: conn.ndjson in the output directory, or standard output. */
export function ndjsonTarget(s: ReadSettings): string {
  if (s.out === undefined) return '-';
  mkdirSync(s.out, { recursive: true });
  return join(s.out, 'conn.ndjson');
}

/**
 * The pipeline of a read. With streams (a worker), rows go to the thread that
 * writes the files instead of to files of their own.
 */
export async function createReadPipeline(s: ReadSettings, streams?: RowStreamOpener): Promise<Pipeline> {
  const app = s.app ? await loadApp(s.format === 'zeek' && s.analyzers === 'native') : { factory: undefined, logs: undefined };
  const outputs: RecordOutput[] = [];
  if (s.format === 'zeek') outputs.push(new ZeekDirOutput(s.out ?? resolve('.'), app.logs, streams));
  else outputs.push(new NdjsonOutput(streams === undefined ? ndjsonTarget(s) : '-', streams?.('ndjson')));
  return new Pipeline({
    outputs,
    analyzers: app.factory,
    decoder: { verifyIpChecksum: s.checksums, verifyTransportChecksums: s.checksums },
    flows: { interimSec: s.interimSec, maxFlows: s.maxFlows, recordAt: s.recordAt },
    // (a worker's pipeline also sees the packets of the others go by: passBy is the JavaScript table's)
    nativeFlows: s.flows === 'native' && streams === undefined && s.format === 'zeek',
  });
}

export function captureReader(s: ReadSettings, file: string): PacketSource & { readonly name: string } {
  return s.reader === 'libpcap' ? new LibpcapFileReader(file) : s.reader === 'js' ? new FileReader(file) : new NativeFileReader(file);
}

export function resultOf(p: Pipeline): ReadResult {
  return { stats: p.stats, table: p.table, weirds: p.weirds.snapshot(), workers: 1 };
}

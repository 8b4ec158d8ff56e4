/**
 * `chot sensor read --workers N`: N worker threads, each with its own
 * pipeline, share the capture's connections by a symmetric hash of the
 * outermost IP addresses (share.ts). Each reads the whole file itself (from
 * the page cache, at several million packets a second) and accounts only its
 * share, so no packet is copied between threads; what the threads exchange is
 * log rows, in blocks of whole lines, which this thread writes to the usual
 * files (Zeek headers and #close written here, once).
 *
 * The records are those of a single pipeline (the same set: each connection
 * is wholly in one worker, and every worker's clock moves with every packet
 * of the file, so timers fire at the same instants). What differs: the order
 * of rows in a log (blocks from the workers interleave), the uids (each
 * worker draws its own, as two runs do), --max-flows (per worker), and which
 * rows weird.log samples for a packet-level weird past its first 1000 (each
 * worker samples its own; the counters stay exact).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { RuntimeError } from '../../common/errors.js';
import { APP_LOGS } from '../app/logs.js';
import { FlowTableStats } from '../flow/table.js';
import { FileSink } from '../output/buffered-file.js';
import { CONN_FIELDS } from '../output/conn-log.js';
import { WEIRD_FIELDS } from '../output/weird-log.js';
import { zeekFooter, zeekHeader, type ZeekField } from '../output/zeek-log.js';
import { PipelineStats } from '../pipeline.js';
import { ndjsonTarget, type ReadResult, type ReadSettings } from '../read.js';
import type { FromWorker } from './messages.js';

/**
 * A worker's heap: a young generation as large as the main thread's gets
 * (16 MB semi-spaces). A worker's default is half that, and collected twice
 * as often: the analyzers' per-connection state was copied that much more.
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 48 };

/**
 * No Node options for the workers: they run compiled JavaScript from a file
 * and need none, and inheriting the process's would break on some (a worker
 * refuses --input-type, as in `node --input-type=module -e ...`). V8 flags
 * apply to the whole process, workers included, either way.
 */
const WORKER_ARGV: string[] = [];

const FIELDS = new Map<string, readonly ZeekField[]>([
  ['conn', CONN_FIELDS],
  ['weird', WEIRD_FIELDS],
  ...APP_LOGS.map((l) => [l.path, l.fields] as [string, readonly ZeekField[]]),
]);

/** The files of the output: opened (header first) when their first rows arrive; conn.log and weird.log always. */
class Outputs {
  private readonly open = new Map<string, FileSink>();

  constructor(private readonly s: ReadSettings) {
    if (s.format === 'zeek') {
      mkdirSync(this.dir, { recursive: true });
      this.file('conn');
      this.file('weird');
    } else {
      this.file('ndjson');
    }
  }

  private get dir(): string {
    return this.s.out ?? resolve('.');
  }

  private file(path: string): FileSink {
    let f = this.open.get(path);
    if (f === undefined) {
      if (this.s.format === 'ndjson') f = new FileSink(ndjsonTarget(this.s));
      else {
        const fields = FIELDS.get(path);
        if (fields === undefined) throw new RuntimeError(`sensor read: a worker sent rows of an unknown log "${path}"`);
        f = new FileSink(join(this.dir, `${path}.log`));
        f.write(Buffer.from(zeekHeader(path, fields, new Date()), 'utf8'));
      }
      this.open.set(path, f);
    }
    return f;
  }

  rows(path: string, bytes: Uint8Array): void {
    this.file(path).write(bytes);
  }

  close(): void {
    for (const f of this.open.values()) {
      if (this.s.format === 'zeek') f.write(Buffer.from(`${zeekFooter(new Date())}\n`, 'utf8'));
      f.close();
    }
  }
}

function add<T extends object>(into: T, from: T): void {
  for (const k of Object.keys(from) as (keyof T)[]) {
    if (typeof from[k] === 'number') (into[k] as number) += from[k] as number;
  }
}

export async function readParallel(file: string, s: ReadSettings): Promise<ReadResult> {
  const script = fileURLToPath(new URL('./worker.js', import.meta.url));
  if (!existsSync(script)) throw new RuntimeError(`sensor read --workers: ${script} is missing (it runs the compiled sensor: npm run build)`);
  const out = new Outputs(s);
  const stats = new PipelineStats();
  const table = new FlowTableStats();
  const weirds: Record<string, number> = {};
  const workers: Worker[] = [];
  const workerCpu: (number | undefined)[] = [];
  try {
    await Promise.all(
      Array.from({ length: s.workers }, (_, index) => {
        const w = new Worker(script, { workerData: { file, settings: s, index }, resourceLimits: WORKER_LIMITS, execArgv: WORKER_ARGV });
        workers.push(w);
        return new Promise<void>((done, fail) => {
          let finished = false;
          w.on('message', (m: FromWorker) => {
            if (m.kind === 'rows') out.rows(m.path, m.bytes);
            else {
              finished = true;
              workerCpu[index] = m.cpuSec;
              add(stats, m.stats);
              add(table, m.table);
              for (const [k, v] of Object.entries(m.weirds)) weirds[k] = (weirds[k] ?? 0) + v;
            }
          });
          w.on('error', fail);
          w.on('exit', (code) => (finished && code === 0 ? done() : fail(new RuntimeError(`sensor read: worker ${index} exited (code ${code}) before finishing`))));
        });
      }),
    );
  } catch (err) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw err;
  } finally {
    out.close();
  }
  return { stats, table: { stats: table }, weirds, workers: s.workers, workerCpuSec: workerCpu };
}

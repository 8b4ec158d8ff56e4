/**
 * One worker of `chot sensor read --workers N` (a worker thread): it reads the
 * whole capture, accounts the packets of its share (share.ts) in a pipeline of
 * its own, and lets the others' packets only move its clock. Its log rows go
 * to the main thread in blocks of whole lines; its counters at the end.
 */
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { PredecodedSink } from '../capture/native-reader.js';
import type { AheadSettings } from '../decode/predecoded.js';
import type { Pipeline } from '../pipeline.js';
import { captureReader, createReadPipeline, type ReadSettings } from '../read.js';
import { shareOf, shareOfDecoded } from './share.js';
import type { FromWorker } from './messages.js';

interface WorkerInput {
  file: string;
  settings: ReadSettings;
  index: number;
}

/** CPU time of this thread (Linux: /proc/thread-self), for the benchmark's per-worker figures; undefined elsewhere. */
function threadCpuSeconds(): number | undefined {
  try {
    const f = readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in clock ticks of 10 ms
  } catch {
    return undefined;
  }
}

class ShareFilter implements PredecodedSink {
  constructor(
    private readonly pipe: Pipeline,
    private readonly index: number,
    private readonly workers: number,
  ) {}

  packet(buf: Uint8Array, off: number, caplen: number, wirelen: number, tsSec: number, tsNsec: number, linkType: number): void {
    if (shareOf(buf, off, caplen, linkType, this.workers) === this.index) this.pipe.packet(buf, off, caplen, wirelen, tsSec, tsNsec, linkType);
    else this.pipe.passBy(tsSec, tsNsec);
  }

  aheadSettings(): AheadSettings {
    return this.pipe.aheadSettings();
  }

  predecoded(buf: Uint8Array, desc: Int32Array, at: number, wirelen: number, tsSec: number, tsNsec: number): void {
    if (shareOfDecoded(desc, at, this.workers) === this.index) this.pipe.predecoded(buf, desc, at, wirelen, tsSec, tsNsec);
    else this.pipe.passBy(tsSec, tsNsec);
  }
}

const port = parentPort!;
const { file, settings, index } = workerData as WorkerInput;
const send = (m: FromWorker, transfer?: ArrayBuffer[]): void => port.postMessage(m, transfer);

const pipeline = await createReadPipeline(settings, (path) => ({
  sink: (bytes) => {
    // A copy the main thread takes over (the line buffer is reused).
    const copy = new Uint8Array(bytes); // (Buffer.slice would be a view of the reused block)
    send({ kind: 'rows', path, bytes: copy }, [copy.buffer as ArrayBuffer]);
  },
  close: () => {},
}));
await captureReader(settings, file).run(new ShareFilter(pipeline, index, settings.workers));
pipeline.finish();
send({
  kind: 'done',
  cpuSec: threadCpuSeconds(),
  stats: { ...pipeline.stats },
  table: { ...pipeline.table.stats },
  weirds: pipeline.weirds.snapshot(),
});

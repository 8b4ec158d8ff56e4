/** What a worker of `sensor read --workers` tells the main thread. */
import type { FlowTableStats } from '../flow/table.js';
import type { PipelineStats } from '../pipeline.js';

export type FromWorker =
  /** Whole lines of one log ("conn", "dns", ..., or "ndjson"). */
  | { kind: 'rows'; path: string; bytes: Uint8Array }
  /** The end: the worker's counters. */
  | { kind: 'done'; cpuSec: number | undefined; stats: PipelineStats; table: FlowTableStats; weirds: Record<string, number> };

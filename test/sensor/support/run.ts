import type { AnalyzerFactory } from '../../../sensor/app/analyzer.js';
import { Pipeline, type PipelineOptions } from '../../../sensor/pipeline.js';
import type { PopulationDataPolicyChecker } from '../../../sensor/policy/population-data.js';
import type { ConnRecord } from '../../../sensor/record.js';
import type { Frame } from './frames.js';

export interface RunResult {
  records: ConnRecord[];
  finals: ConnRecord[];
  pipeline: Pipeline;
}

/** Runs frames (Ethernet unless linkType says otherwise) through a fresh pipeline and collects every record. */
export function runFrames(frames: Frame[], o: { linkType?: number; analyzers?: AnalyzerFactory; flows?: PipelineOptions['flows']; decoder?: PipelineOptions['decoder']; policy?: PopulationDataPolicyChecker } = {}): RunResult {
  const records: ConnRecord[] = [];
  const pipeline = new Pipeline({ outputs: [{ record: (r) => records.push(r) }], analyzers: o.analyzers, policy: o.policy, flows: { uidSeed: 7, ...o.flows }, decoder: o.decoder });
  for (const f of frames) {
    const [sec, nsec] = Array.isArray(f.ts) ? f.ts : [Math.floor(f.ts), Math.round((f.ts - Math.floor(f.ts)) * 1e9)];
    pipeline.packet(f.data, 0, f.data.length, f.wire ?? f.data.length, sec, nsec, o.linkType ?? 1);
  }
  pipeline.finish();
  return { records, finals: records.filter((r) => !r.interim), pipeline };
}

/** The only final record (fails loudly if there is not exactly one). */
export function only(r: RunResult): ConnRecord {
  if (r.finals.length !== 1) throw new Error(`expected one connection, got ${r.finals.length}: ${JSON.stringify(r.finals.map((x) => [x.origH, x.origP, x.respH, x.respP, x.connState, x.history]))}`);
  return r.finals[0]!;
}

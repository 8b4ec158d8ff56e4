import { open } from 'node:fs/promises';
import { TrafficEngine } from './engine.js';
import type { TrafficOptions } from './options.js';
import { PCAP_GLOBAL_HEADER_LEN, PCAP_RECORD_HEADER_LEN, PcapFileWriter } from './pcap-writer.js';
import { type FrameSink, MAX_FRAME_LEN } from './sink.js';
import type { Truth } from './truth.js';

export type { TrafficOptions } from './options.js';
export type { Truth, TruthFlow, ScenarioSummary } from './truth.js';
export { TrafficEngine, type CaptureStats } from './engine.js';

/**
 * The sink-based API: an engine that writes frames, in timestamp order, into any
 * FrameSink (`engine.next(sink)` until it returns false), then `engine.truth(stats)`.
 */
export function generateTraffic(opts: TrafficOptions): TrafficEngine {
  return new TrafficEngine(opts);
}

/** A generated frame and when it is due: `ts` is epoch nanoseconds. */
export interface TimedFrame {
  ts: bigint;
  frame: Buffer;
}

/**
 * For live injection: the capture's frames in timestamp order, each in its own Buffer
 * with its due time, so an injector can pace them (send each when `ts - first ts` has
 * elapsed). The generator's return value, after the last frame, is the ground truth.
 * Same seed and options, same frames as `writeCapture` writes.
 */
export function* frames(opts: TrafficOptions): Generator<TimedFrame, Truth, undefined> {
  const engine = new TrafficEngine(opts);
  const sink = new CopyOutSink();
  while (engine.next(sink)) yield { ts: engine.clock.epochNs(sink.lastTs), frame: sink.lastFrame };
  return engine.truth({ packets: sink.packets, frameBytes: sink.frameBytes, fileBytes: PCAP_GLOBAL_HEADER_LEN + sink.packets * PCAP_RECORD_HEADER_LEN + sink.frameBytes });
}

class CopyOutSink implements FrameSink {
  readonly buf = Buffer.allocUnsafe(MAX_FRAME_LEN);
  lastTs = 0;
  lastFrame = Buffer.alloc(0);
  packets = 0;
  frameBytes = 0;

  begin(): number {
    return 0;
  }

  end(relNs: number, frameLen: number): void {
    this.lastTs = relNs;
    this.lastFrame = Buffer.from(this.buf.subarray(0, frameLen));
    this.packets++;
    this.frameBytes += frameLen;
  }
}

/**
 * Writes the capture to `path` (classic pcap, Ethernet) and its ground truth to
 * `path + '.truth.json'`, and returns the truth.
 */
export async function writeCapture(path: string, opts: TrafficOptions): Promise<Truth> {
  const engine = new TrafficEngine(opts);
  const writer = await PcapFileWriter.create(path, engine.clock);
  try {
    let more = true;
    while (more) {
      while (!writer.full && (more = engine.next(writer)));
      await writer.flush();
    }
    await writer.close();
  } catch (err) {
    await writer.abort();
    throw err;
  }
  const truth = engine.truth({ packets: writer.packets, frameBytes: writer.frameBytes, fileBytes: writer.fileBytes });
  await writeTruthFile(truthPath(path), truth);
  return truth;
}

export function truthPath(capturePath: string): string {
  return `${capturePath}.truth.json`;
}

/**
 * The truth as JSON: the header fields indented, then each scenario and each flow on
 * one line, so a large truth is written (and can be read) as a stream, and diffs line
 * by line, rather than held as one huge string.
 */
async function writeTruthFile(path: string, truth: Truth): Promise<void> {
  const file = await open(path, 'w');
  try {
    const { scenarios, flows, ...head } = truth;
    let text = `${JSON.stringify(head, null, 1).slice(0, -2)},\n`;
    text += ` "scenarios": [${scenarios.map((s) => `\n  ${JSON.stringify(s)}`).join(',')}${scenarios.length ? '\n ' : ''}],\n`;
    text += ' "flows": [\n';
    for (let i = 0; i < flows.length; i++) {
      text += `  ${JSON.stringify(flows[i])}${i + 1 < flows.length ? ',' : ''}\n`;
      if (text.length > 1 << 20) {
        await file.write(text);
        text = '';
      }
    }
    await file.write(`${text} ]\n}\n`);
  } finally {
    await file.close();
  }
}

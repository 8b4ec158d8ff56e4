import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { RuntimeError, UsageError } from '../../common/errors.js';
import { sleep } from '../../common/process.js';
import { closeHandle, MAX_FRAME, openHandle } from './pcap-handle.js';

/** One Ethernet frame to replay; `ts` is its time in nanoseconds (only the gaps between frames matter). */
export interface TimedFrame {
  ts: bigint;
  frame: Buffer;
}

/**
 * 'realtime' keeps the gaps between the frames' timestamps; 'topspeed' sends as fast as the
 * interface takes them; a number is a speed multiplier on realtime (2 = twice as fast).
 */
export type Pace = 'realtime' | 'topspeed' | number;

export interface InjectOptions {
  pace?: Pace;
  /** Stops the replay early; the result counts what was sent until then. */
  signal?: AbortSignal;
}

export interface InjectResult {
  sent: number;
  bytes: number;
  /** Frames the kernel or the size check refused (e.g. shorter than an Ethernet header). */
  rejected: number;
  firstRejection?: string;
  aborted: boolean;
  elapsedMs: number;
}

const ETHERNET_HEADER = 14;
// Gaps shorter than a timer tick are not slept: the frames go out back to back instead.
const MIN_SLEEP_NS = 1_000_000;
// Frames sent between two turns of the event loop, so a long replay never starves timers or I/O.
const YIELD_EVERY = 256;
// So many refusals in a row means the interface is gone or down, not that some frames are odd.
const MAX_CONSECUTIVE_REJECTIONS = 1_000;
// A send-only handle: it must capture nothing, and no frame is ever shorter than one byte.
const CAPTURE_NOTHING = 'less 1';

/**
 * Sends raw Ethernet frames out of a root-namespace interface (a lab capture interface), as a
 * TAP would: every capture on that interface sees them, and so does the node at its other end.
 * VLAN, QinQ and MPLS frames go out exactly as given.
 */
export async function injectFrames(
  iface: string,
  frames: Iterable<TimedFrame> | AsyncIterable<TimedFrame>,
  opts: InjectOptions = {},
): Promise<InjectResult> {
  const speed = speedOf(opts.pace ?? 'realtime');
  const { cap } = openHandle(iface, CAPTURE_NOTHING, 1 << 20, 64);
  const sendFrame = cap.send.bind(cap);
  const started = process.hrtime.bigint();
  const result: InjectResult = { sent: 0, bytes: 0, rejected: 0, aborted: false, elapsedMs: 0 };
  let firstTs: bigint | undefined;
  let sinceYield = 0;
  let rejectedInARow = 0;
  try {
    for await (const { ts, frame } of frames) {
      if (opts.signal?.aborted) {
        result.aborted = true;
        break;
      }
      if (speed !== Infinity) {
        firstTs ??= ts;
        const dueNs = Number(ts - firstTs) / speed;
        const aheadNs = dueNs - Number(process.hrtime.bigint() - started);
        if (aheadNs >= MIN_SLEEP_NS) {
          await sleep(Math.floor(aheadNs / 1e6));
          sinceYield = 0;
        }
      }
      if (++sinceYield >= YIELD_EVERY) {
        await yieldToEventLoop();
        sinceYield = 0;
      }
      const refusal = send(sendFrame, frame);
      if (refusal === undefined) {
        result.sent++;
        result.bytes += frame.length;
        rejectedInARow = 0;
        continue;
      }
      result.rejected++;
      result.firstRejection ??= refusal;
      if (++rejectedInARow >= MAX_CONSECUTIVE_REJECTIONS) {
        throw new RuntimeError(`injecting on ${iface}: ${rejectedInARow} frames refused in a row (is the interface gone or down?): ${refusal}`);
      }
    }
  } finally {
    closeHandle(cap);
    result.elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  }
  return result;
}

function speedOf(pace: Pace): number {
  if (pace === 'realtime') return 1;
  if (pace === 'topspeed') return Infinity;
  if (typeof pace === 'number' && Number.isFinite(pace) && pace > 0) return pace;
  throw new UsageError(`pace must be 'realtime', 'topspeed' or a speed multiplier above 0, not ${String(pace)}`);
}

/** Sends one frame; the reason it was refused, or undefined when it went out. */
function send(sendFrame: (b: Buffer) => void, frame: Buffer): string | undefined {
  if (!Buffer.isBuffer(frame)) return 'not a Buffer';
  if (frame.length < ETHERNET_HEADER) return `frame of ${frame.length} bytes is shorter than an Ethernet header`;
  if (frame.length > MAX_FRAME) return `frame of ${frame.length} bytes is longer than ${MAX_FRAME}`;
  try {
    sendFrame(frame);
    return undefined;
  } catch (err) {
    return `frame of ${frame.length} bytes: ${(err as Error).message}`;
  }
}

import { z } from 'zod';
import { connRecordSchema, passesConnRecordSchema } from './record-schema.js';

/**
 * The sensor ⇄ collector protocol, over one WebSocket (wss, client certificate,
 * permessage-deflate). JSON text messages:
 *
 *   collector → sensor  welcome   {lastSeq, limits}       after the handshake: what is already durable
 *   sensor → collector  batch     {seq, sensor, records}  seq increases per sensor; may be replayed
 *   collector → sensor  ack       {seq}                   the batch is durable in Redis (or was already)
 *   collector → sensor  reject    {seq, reason}           the batch is invalid and will never be taken
 *   sensor → collector  heartbeat {stats}                 every few seconds
 *   collector → sensor  error     {reason}                before closing a connection it refuses
 *
 * The sensor's identity is its certificate's; `sensor` in a batch is only checked
 * against it (a batch claiming another sensor is rejected).
 */
export const PROTOCOL_PATH = '/v1/ingest';

export const sensorStatsSchema = z.strictObject({
  version: z.string().max(64),
  uptimeS: z.number().min(0),
  packets: z.number().min(0),
  captureDropsKernel: z.number().min(0),
  captureDropsInterface: z.number().min(0),
  /**
   * Capture links whose kernel drops the sensor cannot count (the packet socket statistics
   * addon not built, libpcap's socket not identified, or its counters unreadable): the drop figures above leave them
   * out. Optional: sensors before it do not send it, and later ones only when it is not 0.
   */
  captureDropsUnknown: z.number().int().min(0).optional(),
  activeFlows: z.number().min(0),
  recordsOut: z.number().min(0),
  spoolBatches: z.number().min(0),
  spoolBytes: z.number().min(0),
  spoolDropped: z.number().min(0),
  /** The spool's failed background fsyncs since start (optional: sensors before it do not send it). */
  spoolSyncErrors: z.number().int().min(0).optional(),
  certNotAfter: z.string().max(40).optional(),
  lagS: z.number().min(0).optional(),
});
export type SensorStats = z.infer<typeof sensorStatsSchema>;

export const batchMessageSchema = z.strictObject({
  type: z.literal('batch'),
  seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  sensor: z.string().max(200),
  records: z.array(connRecordSchema).min(1),
});
export type BatchMessage = z.infer<typeof batchMessageSchema>;

export const heartbeatMessageSchema = z.strictObject({
  type: z.literal('heartbeat'),
  stats: sensorStatsSchema,
});
export type HeartbeatMessage = z.infer<typeof heartbeatMessageSchema>;

export interface WelcomeMessage {
  type: 'welcome';
  sensor: string;
  lastSeq: number;
  limits: { maxBatchBytes: number; maxRecordsPerBatch: number };
}
export interface AckMessage {
  type: 'ack';
  seq: number;
  duplicate?: boolean;
}
export interface RejectMessage {
  type: 'reject';
  seq: number;
  reason: string;
}
export interface ErrorMessage {
  type: 'error';
  reason: string;
}
export type CollectorMessage = WelcomeMessage | AckMessage | RejectMessage | ErrorMessage;

/** A short, readable reason from a failed schema check, naming the first bad field. */
export function describeSchemaError(err: z.ZodError): string {
  const first = err.issues[0];
  if (!first) return 'invalid message';
  const path = first.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
  const more = err.issues.length > 1 ? ` (and ${err.issues.length - 1} more problems)` : '';
  return `${path || 'message'}: ${first.message}${more}`;
}

/**
 * The batch check the collector runs on every message: the field-by-field fast check
 * first, and the schema itself only when that one is not sure (so a refused batch still
 * gets the schema's reason). Both accept exactly the same batches.
 */
export function parseBatchMessage(raw: unknown): { success: true; data: BatchMessage } | { success: false; error: z.ZodError } {
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    const m = raw as Record<string, unknown>;
    let keys = 0;
    for (const _ in m) keys++;
    const records = m.records;
    if (
      keys === 4 &&
      m.type === 'batch' &&
      Number.isSafeInteger(m.seq) &&
      (m.seq as number) >= 0 &&
      typeof m.sensor === 'string' &&
      m.sensor.length <= 200 &&
      Array.isArray(records) &&
      records.length >= 1 &&
      records.every(passesConnRecordSchema)
    ) {
      return { success: true, data: m as unknown as BatchMessage };
    }
  }
  return batchMessageSchema.safeParse(raw);
}

const FRAME_HEAD = Buffer.from('{"type":"batch","seq":');
const FRAME_SENSOR = Buffer.from(',"sensor":"');
const FRAME_RECORDS = Buffer.from('","records":');
const FRAME_TAIL = Buffer.from('}');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * A batch message as the sensor sends it: the spooled records' JSON bytes framed as they
 * are, never decoded and serialised again. The layout (type, seq, sensor, records, in
 * that order) is what lets the collector find the records without parsing the frame
 * (readBatchFrame); any other layout of the same object is still a valid batch.
 */
export function encodeBatchFrame(seq: number, sensorId: string, recordsJson: Buffer): Buffer {
  return Buffer.concat([FRAME_HEAD, Buffer.from(String(seq)), FRAME_SENSOR, Buffer.from(JSON.stringify(sensorId).slice(1, -1)), FRAME_RECORDS, recordsJson, FRAME_TAIL]);
}

export interface BatchFrame {
  seq: number;
  sensor: string;
  /** The records' JSON as received: what was checked is what gets stored. */
  recordsJson: Buffer;
  records: unknown[];
}

/**
 * The collector's fast reading of a batch in the sensor's layout: the records are parsed
 * on their own and their bytes kept, so storing them costs no serialisation. Anything
 * else (another layout, an escape in the sensor id, records that are not valid JSON or
 * fail the record check) gives undefined, and the message takes the general path, which
 * gives the reason for a refusal. The frame around the records is fixed text, so the
 * message is exactly {type, seq, sensor, records} when this accepts it.
 */
export function readBatchFrame(b: Buffer): BatchFrame | undefined {
  if (b.length < FRAME_HEAD.length + FRAME_SENSOR.length + FRAME_RECORDS.length + 4 || b[b.length - 1] !== FRAME_TAIL[0]) return undefined;
  if (!textAt(b, 0, FRAME_HEAD)) return undefined;
  let i = FRAME_HEAD.length;
  let seq = 0;
  const digitsFrom = i;
  while (i < b.length && b[i]! >= 0x30 && b[i]! <= 0x39 && i - digitsFrom < 16) seq = seq * 10 + (b[i++]! - 0x30);
  if (i === digitsFrom || (b[digitsFrom] === 0x30 && i - digitsFrom > 1) || !Number.isSafeInteger(seq)) return undefined;
  if (!textAt(b, i, FRAME_SENSOR)) return undefined;
  i += FRAME_SENSOR.length;
  const sensorFrom = i;
  while (i < b.length && b[i] !== QUOTE) {
    if (b[i] === BACKSLASH || b[i]! < 0x20 || i - sensorFrom > 200) return undefined;
    i++;
  }
  const sensor = b.toString('utf8', sensorFrom, i);
  if (!textAt(b, i, FRAME_RECORDS)) return undefined;
  const recordsJson = b.subarray(i + FRAME_RECORDS.length, b.length - 1);
  let records: unknown;
  try {
    records = JSON.parse(recordsJson.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(records) || records.length === 0 || !records.every(passesConnRecordSchema)) return undefined;
  return { seq, sensor, recordsJson, records };
}

/** Whether b holds the bytes of text at position i (false where b ends before them). */
function textAt(b: Buffer, i: number, text: Buffer): boolean {
  return i + text.length <= b.length && b.compare(text, 0, text.length, i, i + text.length) === 0;
}

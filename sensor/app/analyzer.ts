/*
 * CHANGES BY THE APP-ANALYZER SIDE (sensor/app/*), for the sensor core:
 * 1. The four placeholder metadata types are replaced by the real ones, as the
 *    note here asked (re-exported, so `import type { TlsInfo } from './analyzer.js'` still works).
 * 2. AnalyzerFactory takes an optional 8th argument `events?: AppEvents`: the
 *    contract had AppEvents but no way to hand it to an analyzer. Pass the
 *    flow's weird counter there; without it weirds are dropped.
 * 3. metadata() semantics as implemented: it DRAINS. Each DNS/HTTP transaction
 *    is returned exactly once, by the first call after it completed (or by the
 *    final call, which also flushes unanswered ones). The TLS and SSH summaries
 *    are returned once, by the first call after the handshake is over (or by
 *    the final call). So interim records never duplicate a log row; the core
 *    must keep/forward what it gets from each call.
 * 4. The core calls deliver() for the first payload too: the factory only looks
 *    at it (detection reads, never consumes).
 * (Not contract changes, for the output side: sensor/app/logs.ts has the
 *  dns/http/ssl/x509/ssh Zeek columns, row producers for the generic writer
 *  and per-row ECS fragments; sensor/app/events.ts lists every weird name
 *  (APP_WEIRDS) so they can be registered with weirdId() at load.)
 */
/**
 * The contract between the sensor core (flow table, TCP reassembly) and the
 * application analyzers in sensor/app/. The core owns connections and byte
 * order; an analyzer only ever sees in-order bytes of one direction, and its
 * output is attached to the connection record when that record is produced.
 *
 * Owned by the sensor core; the app analyzers are coded against it. Change it
 * only together (both sides compile against this file).
 */

import type { DnsTransaction } from './dns/types.js';
import type { TlsInfo } from './tls/types.js';
import type { HttpTransaction } from './http/types.js';
import type { SshInfo } from './ssh/types.js';

export type { DnsTransaction, TlsInfo, HttpTransaction, SshInfo };

export type Direction = 0 | 1; // 0 = from originator, 1 = from responder

export interface AppEvents {
  weird(name: string): void;
}

export interface AppAnalyzer {
  /** Zeek service name this analyzer confirms ('dns','ssl','http','ssh'); set once the protocol is recognized. */
  readonly service: string | undefined;
  /** In-order payload bytes of one direction (TCP: reassembled stream bytes in sequence order, never twice; UDP: exactly one datagram per call). The buffer is only valid during the call: copy what you keep. */
  deliver(dir: Direction, buf: Uint8Array, start: number, end: number, tsNs: bigint): void;
  /** A gap in the TCP stream of one direction (missed bytes): analyzers must resync or give up, never misparse. */
  gap(dir: Direction, bytes: number): void;
  /** True once it wants no more bytes (the flow stops copying/delivering to it). */
  readonly done: boolean;
  /** Called once when the connection record is produced (also for interim records, with final=false). Returns the metadata to attach. */
  metadata(final: boolean): AppMetadata | undefined;
}

export interface AppMetadata {
  dns?: DnsTransaction[];
  tls?: TlsInfo;
  http?: HttpTransaction[];
  ssh?: SshInfo;
  /**
   * Instead of the above, from an analyzer in native code (sensor/app/native.ts): its Zeek
   * log rows, already written. Only the Zeek log directory of `sensor read` asks for such
   * analyzers; nothing else reads these.
   */
  rows?: PreformattedRows[];
}

/**
 * Rows of one Zeek log, one character per byte of the log's UTF-8: each
 * "<ts>\t<the columns after id.resp_p>\n", to which the writer adds the connection's id
 * columns; x509.log's, which has none, whole.
 */
export interface PreformattedRows {
  log: 'dns' | 'http' | 'ssl' | 'x509';
  text: string;
}

/** Chooses analyzers for a new connection from the first payload seen (content first, port as a hint). Returns undefined when nothing applies. */
export type AnalyzerFactory = (
  proto: 6 | 17,
  respPort: number,
  origPort: number,
  dir: Direction,
  firstPayload: Uint8Array,
  start: number,
  end: number,
  events?: AppEvents,
) => AppAnalyzer | undefined;

/**
 * The application analyzers built in C (native/app-addon.c), for `sensor read`'s Zeek
 * logs: each parses, keeps its transactions and writes its log rows natively, and must
 * give exactly the rows and weirds of its JavaScript counterpart, which stays the
 * reference and the analyzer of every other output (test/sensor/app/native-dns.test.ts
 * holds them to it). Optional: without the addon, the JavaScript analyzers run.
 */
import { addonPaths, loadAddon, type Loaded } from '../capture/addon.js';
import { APP_WEIRDS } from './events.js';
import { nameTables } from './tls/consts.js';
import { decodeForNative, type NativeCert } from './tls/native-certs.js';

/** A native analyzer: a number into its pool, which only the addon looks inside. */
export type NativeHandle = number;

/** What a call returns: the flags, or the flags and then the weirds' numbers. */
export type Outcome = number | number[];

export interface AppAnalyzersAddon {
  dnsNew(tcp: boolean): NativeHandle;
  dnsData(h: NativeHandle, dir: number, bytes: Uint8Array, start: number, end: number, tsNs: bigint): Outcome;
  dnsGap(h: NativeHandle, dir: number): Outcome;
  /**
   * The finished transactions' rows (with final, every pending one's too), one character
   * per byte of the log's UTF-8; a final call closes the handle.
   */
  dnsRows(h: NativeHandle, final: boolean): string | undefined | [string | undefined, ...number[]];
  weirdNames: string[];
  tlsNames(cipherNumbers: number[], cipherNames: string[], curveNumbers: number[], curveNames: string[]): void;
  tlsCertDecoder(decode: (der: Uint8Array) => NativeCert | undefined): void;
  /** native/x509.c's decoding of a certificate, as decodeForNative's; null when it leaves the certificate to JavaScript. */
  x509Decode(der: Uint8Array): NativeCert | null;
  /** Leaf certificates the TLS analyzer had decoded natively, and by decodeForNative. */
  certStats(): { native: number; js: number };
  /** What the open TLS and HTTP analyzers keep for handovers, in bytes; with max, each pool's most from now on. */
  replayBudget(max?: number): { tls: number; http: number };
  tlsNew(): NativeHandle;
  /** With a descriptor of the packet in bytes (native/capture-decode.c's), the hello fingerprints it holds are taken from it. */
  tlsData(h: NativeHandle, dir: number, bytes: Uint8Array, start: number, end: number, tsNs: bigint, desc?: Int32Array, at?: number): number;
  tlsGap(h: NativeHandle, dir: number, bytes: number): number;
  /** The ssl.log row, once, when the JavaScript analyzer's metadata() would give the summary; a final call closes the handle. */
  tlsRow(h: NativeHandle, final: boolean): string | undefined;
  /** After HANDOVER: what the analyzer was given before the input that caused it; closes the handle. */
  tlsRecorded(h: NativeHandle): Uint8Array;
  httpNew(): NativeHandle;
  /**
   * After each HTTP call, out[0] and out[1]: the bytes of each direction that are body only from
   * there, which the caller may count itself and bring to its next call (counted, countedDir);
   * out[2]: 1 when the call took the counted bytes it brought, 0 when it handed over first.
   */
  httpShared(out: Float64Array): void;
  httpData(h: NativeHandle, dir: number, bytes: Uint8Array, start: number, end: number, tsNs: bigint, counted?: number, countedDir?: number): number;
  httpGap(h: NativeHandle, dir: number, bytes: number, counted?: number, countedDir?: number): number;
  /**
   * The http.log rows of the transactions finished since the last call (as dnsRows'); null
   * when the analyzer handed over there instead. A final call that does not closes the handle.
   */
  httpRows(h: NativeHandle, final: boolean, counted?: number, countedDir?: number): string | undefined | null;
  /** As tlsRecorded. */
  httpRecorded(h: NativeHandle): Uint8Array;
}

/** Flags in an Outcome. */
export const CONFIRMED = 1;
export const DONE = 2;
/** The native analyzer leaves the connection to the JavaScript one (TLS, HTTP). */
export const HANDOVER = 4;

/** The addon's httpShared array (one per thread, as the addon's instance is). */
export const HTTP_SHARED = new Float64Array(3);

let loaded: Loaded<AppAnalyzersAddon> | undefined;

/** The addon, or why there is none. */
export function appAnalyzersAddon(paths?: readonly string[]): Loaded<AppAnalyzersAddon> {
  if (paths) return check(loadAddon('application analyzers', paths));
  loaded ??= check(loadAddon<AppAnalyzersAddon>('application analyzers', addonPaths('app-analyzers')));
  return loaded;
}

function check(l: Loaded<AppAnalyzersAddon>): Loaded<AppAnalyzersAddon> {
  if (!('addon' in l)) return l;
  if (typeof l.addon.httpShared !== 'function') return { error: 'the application analyzers addon is older than this code: rebuild it (npm run build)' };
  const unknown = l.addon.weirdNames.filter((n) => !(APP_WEIRDS as readonly string[]).includes(n));
  if (unknown.length > 0) return { error: `the application analyzers addon reports weirds this code does not know (${unknown.join(', ')}): rebuild it (npm run build)` };
  const { ciphers, curves } = nameTables();
  l.addon.tlsNames(ciphers[0], ciphers[1], curves[0], curves[1]);
  l.addon.tlsCertDecoder(decodeForNative);
  l.addon.httpShared(HTTP_SHARED);
  return l;
}

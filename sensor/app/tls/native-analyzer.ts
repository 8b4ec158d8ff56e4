// The TLS analyzer in native code (native/tls.c) on its common path, behind the analyzer
// contract: handshakes that give TlsAnalyzer nothing unusual to report are read natively
// and their ssl.log row written natively. At the first thing the native analyzer does not
// follow (a weird, a certificate, an alert...) it hands the connection over: everything it
// was given is replayed, with its times, into a TlsAnalyzer that goes on from there. It
// reported nothing before, so nothing is reported twice (see native/tls.h).

import type { AppAnalyzer, AppMetadata, Direction } from '../analyzer.js';
import type { AppEvents } from '../events.js';
import { CONFIRMED, DONE, HANDOVER, type AppAnalyzersAddon, type NativeHandle } from '../native.js';
import { TlsAnalyzer } from './analyzer.js';
import { armed, armedAt, armedDesc, armedIn } from './prints-ahead.js';

/** Connections the native analyzer read to the end, and those it handed over (for tests and profiles). */
export const nativeTlsStats = { native: 0, handedOver: 0 };

export class NativeTlsAnalyzer implements AppAnalyzer {
  service: string | undefined = undefined;
  done = false;
  private h: NativeHandle;
  /** The JavaScript analyzer, once the connection is handed over. */
  private js: TlsAnalyzer | undefined;

  constructor(
    private readonly addon: AppAnalyzersAddon,
    private readonly events: AppEvents,
  ) {
    this.h = addon.tlsNew();
  }

  deliver(dir: Direction, buf: Uint8Array, start: number, end: number, tsNs: bigint): void {
    if (this.js) {
      this.js.deliver(dir, buf, start, end, tsNs);
      this.follow();
      return;
    }
    if (this.done) return;
    // The reader's fingerprints of a hello in this packet, if it has any (see prints-ahead.ts).
    const r = armed && armedIn(buf) ? this.addon.tlsData(this.h, dir, buf, start, end, tsNs, armedDesc(), armedAt()) : this.addon.tlsData(this.h, dir, buf, start, end, tsNs);
    if (r & HANDOVER) {
      this.handOver().deliver(dir, buf, start, end, tsNs);
      this.follow();
      return;
    }
    this.flags(r);
  }

  gap(dir: Direction, bytes: number): void {
    if (this.js) {
      this.js.gap(dir, bytes);
      this.follow();
      return;
    }
    if (this.done || !(bytes > 0)) return;
    const r = this.addon.tlsGap(this.h, dir, bytes);
    if (r & HANDOVER) {
      this.handOver().gap(dir, bytes);
      this.follow();
      return;
    }
    this.flags(r);
  }

  metadata(final: boolean): AppMetadata | undefined {
    if (this.js) return this.js.metadata(final);
    if (this.h === 0) return undefined;
    const row = this.addon.tlsRow(this.h, final);
    // A final call closes the handle (which may be another connection's by now).
    if (final) {
      this.h = 0;
      nativeTlsStats.native++;
    }
    if (row === undefined) return undefined;
    // The x509.log rows, when there are any, follow a form feed (no row holds one: the writer escapes it).
    const ff = row.indexOf('\f');
    return ff < 0 ? { rows: [{ log: 'ssl', text: row }] } : { rows: [{ log: 'ssl', text: row.slice(0, ff) }, { log: 'x509', text: row.slice(ff + 1) }] };
  }

  /** Whether the connection went to the JavaScript analyzer. */
  get handedOver(): boolean {
    return this.js !== undefined;
  }

  private flags(r: number): void {
    if (r & CONFIRMED) this.service = 'ssl';
    if (r & DONE) this.done = true;
  }

  private follow(): void {
    this.service = this.js!.service;
    this.done = this.js!.done;
  }

  /** A TlsAnalyzer given everything this one was given before the current input. */
  private handOver(): TlsAnalyzer {
    const rec = this.addon.tlsRecorded(this.h);
    this.h = 0;
    nativeTlsStats.handedOver++;
    const js = new TlsAnalyzer(this.events);
    const v = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
    for (let off = 0; off < rec.length; ) {
      const kind = rec[off]!;
      const dir = rec[off + 1] as Direction;
      const ts = v.getBigInt64(off + 2, true);
      const len = v.getUint32(off + 10, true);
      const runs = v.getUint32(off + 14, true);
      off += 18;
      if (kind !== 0) {
        js.gap(dir, len);
        continue;
      }
      // The delivery again: its skipped runs as zeros (the reader only counts them), its other bytes as they were.
      const data = new Uint8Array(len);
      let at = 0;
      let from = off + 8 * runs;
      for (let i = 0; i <= runs; i++) {
        const to = i < runs ? v.getUint32(off + 8 * i, true) : len;
        data.set(rec.subarray(from, from + (to - at)), at);
        from += to - at;
        if (i < runs) at = to + v.getUint32(off + 8 * i + 4, true);
      }
      off = from;
      js.deliver(dir, data, 0, len, ts);
    }
    this.js = js;
    return js;
  }
}

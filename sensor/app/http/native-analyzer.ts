// The HTTP/1.x analyzer in native code (native/http.c) on its common path, behind the
// analyzer contract: conversations that give HttpAnalyzer nothing unusual to report are
// framed and paired natively and their http.log rows written natively. At the first thing
// the native analyzer does not follow (a weird, an overlong line, an Authorization or proxy
// header, a gap outside a counted body...) it hands the connection over to an HttpAnalyzer
// (see ../native-handover.ts).

import type { AppMetadata, Direction } from '../analyzer.js';
import type { AppEvents } from '../events.js';
import { HTTP_SHARED, type AppAnalyzersAddon } from '../native.js';
import { deliverZeros, NativeWithHandover, type HandoverStats } from '../native-handover.js';
import { HttpAnalyzer } from './analyzer.js';

export const nativeHttpStats: HandoverStats & { counted: number } = { native: 0, handedOver: 0, counted: 0 };

export class NativeHttpAnalyzer extends NativeWithHandover<HttpAnalyzer> {
  /**
   * Body bytes of each direction the native analyzer said it would only count: counted here
   * instead of being delivered (a body's segments then cost no call each), and brought to the
   * next call. One direction's at a time, so that they reach it in the order they came.
   */
  private skip0 = 0;
  private skip1 = 0;
  private counted = 0;
  private countedDir = 0;

  constructor(
    private readonly addon: AppAnalyzersAddon,
    private readonly events: AppEvents,
  ) {
    super(addon.httpNew(), 'http', nativeHttpStats);
  }

  override deliver(dir: Direction, buf: Uint8Array, start: number, end: number, tsNs: bigint): void {
    const skip = dir === 0 ? this.skip0 : this.skip1;
    if (skip > 0 && this.js === undefined && !this.done && this.h !== 0 && start >= 0 && start < end && end <= buf.length && (this.counted === 0 || this.countedDir === dir)) {
      const n = Math.min(skip, end - start);
      this.count(dir, n);
      start += n;
      if (start >= end) return;
    }
    super.deliver(dir, buf, start, end, tsNs);
  }

  override gap(dir: Direction, bytes: number): void {
    // (a gap inside a counted body is body to the analyzer, as delivered bytes are)
    const skip = dir === 0 ? this.skip0 : this.skip1;
    if (bytes > 0 && bytes <= skip && Number.isInteger(bytes) && this.js === undefined && !this.done && this.h !== 0 && (this.counted === 0 || this.countedDir === dir)) {
      this.count(dir, bytes);
      return;
    }
    super.gap(dir, bytes);
  }

  private count(dir: Direction, n: number): void {
    this.counted += n;
    this.countedDir = dir;
    if (dir === 0) this.skip0 -= n;
    else this.skip1 -= n;
    nativeHttpStats.counted += n;
  }

  /** After a call that brought the counted bytes: what it says may be counted next, and whether it took them. */
  private afterCall(): void {
    if (HTTP_SHARED[2] === 1) this.counted = 0;
    this.skip0 = HTTP_SHARED[0]!;
    this.skip1 = HTTP_SHARED[1]!;
  }

  protected nativeData(dir: Direction, buf: Uint8Array, start: number, end: number, tsNs: bigint): number {
    const r = this.addon.httpData(this.h, dir, buf, start, end, tsNs, this.counted, this.countedDir);
    this.afterCall();
    return r;
  }

  protected nativeGap(dir: Direction, bytes: number): number {
    const r = this.addon.httpGap(this.h, dir, bytes, this.counted, this.countedDir);
    this.afterCall();
    return r;
  }

  protected recorded(): Uint8Array {
    return this.addon.httpRecorded(this.h);
  }

  protected newJs(): HttpAnalyzer {
    return new HttpAnalyzer(this.events);
  }

  /** The JavaScript analyzer, given what was recorded, then the counted bytes the native one did not take. */
  protected override handOver(): HttpAnalyzer {
    const js = super.handOver();
    deliverZeros(js, this.countedDir as Direction, this.counted, 0n);
    this.counted = 0;
    this.skip0 = this.skip1 = 0;
    return js;
  }

  metadata(final: boolean): AppMetadata | undefined {
    if (this.js) return this.js.metadata(final);
    if (this.h === 0) return undefined;
    const rows = this.addon.httpRows(this.h, final, this.counted, this.countedDir);
    this.afterCall();
    if (rows === null) {
      // Handed over here (finishing dropped rows, or no room to record): the JavaScript analyzer answers.
      const js = this.handOver();
      const m = js.metadata(final);
      this.follow();
      return m;
    }
    if (final) this.closedNatively();
    return rows === undefined ? undefined : { rows: [{ log: 'http', text: rows }] };
  }
}

// The DNS analyzer in native code (native/dns.c), behind the analyzer contract: the
// same messages, pairing, limits and weirds as DnsAnalyzer, with dns.log's rows
// written natively instead of transaction objects (see sensor/app/native.ts).

import type { AppAnalyzer, AppMetadata, Direction } from '../analyzer.js';
import type { AppEvents } from '../events.js';
import { CONFIRMED, DONE, type AppAnalyzersAddon, type NativeHandle, type Outcome } from '../native.js';
import { DnsAnalyzer } from './analyzer.js';

/** Times the native analyzer holds (native/app-addon.c's DNS_MAX_NS): 2^52 seconds either side of 1970. */
const MAX_NS = 2n ** 52n * 1_000_000_000n;
const MIN_NS = -MAX_NS;

export class NativeDnsAnalyzer implements AppAnalyzer {
  service: string | undefined = undefined;
  done = false;
  private closed = false;
  private delivered = false;
  private readonly h: NativeHandle;
  /** The JavaScript analyzer, for a connection whose first time the native one cannot hold. */
  private js: DnsAnalyzer | undefined;

  constructor(
    private readonly addon: AppAnalyzersAddon,
    private readonly proto: 'udp' | 'tcp',
    private readonly events: AppEvents,
  ) {
    this.h = addon.dnsNew(proto === 'tcp');
  }

  deliver(dir: Direction, buf: Uint8Array, start: number, end: number, tsNs: bigint): void {
    if (this.js) {
      this.js.deliver(dir, buf, start, end, tsNs);
      this.service = this.js.service;
      this.done = this.js.done;
      return;
    }
    if (this.done || this.closed) return;
    if (tsNs > MAX_NS || tsNs < MIN_NS) return this.pastNativeTime(dir, buf, start, end, tsNs);
    this.delivered = true;
    // (the addon clamps the range as GuardedAnalyzer does)
    this.after(this.addon.dnsData(this.h, dir, buf, start, end, tsNs));
  }

  gap(dir: Direction, bytes: number): void {
    if (this.js) {
      this.js.gap(dir, bytes);
      this.done = this.js.done;
      return;
    }
    if (this.done || this.closed || !(bytes > 0)) return;
    this.after(this.addon.dnsGap(this.h, dir));
  }

  metadata(final: boolean): AppMetadata | undefined {
    if (this.js) return this.js.metadata(final);
    if (this.closed) return undefined;
    // The handle is closed by a final call (and may be another connection's by now), even one that throws: never used again.
    if (final) this.closed = true;
    let r = this.addon.dnsRows(this.h, final);
    if (Array.isArray(r)) {
      this.weirds(r);
      r = r[0];
    }
    return r === undefined ? undefined : { rows: [{ log: 'dns', text: r }] };
  }

  /**
   * A time more than 142 million years from 1970 (crafted: no capture's is). At the connection's
   * start the JavaScript analyzer takes it whole; later, its DNS analysis stops there.
   */
  private pastNativeTime(dir: Direction, buf: Uint8Array, start: number, end: number, tsNs: bigint): void {
    if (this.delivered) {
      this.done = true;
      return;
    }
    this.addon.dnsRows(this.h, true);
    this.closed = true;
    this.js = new DnsAnalyzer(this.proto, this.events);
    this.deliver(dir, buf, start, end, tsNs);
  }

  private after(r: Outcome): void {
    if (typeof r !== 'number') {
      this.weirds(r);
      r = r[0]!;
    }
    if (r & CONFIRMED) this.service = 'dns';
    if (r & DONE) this.done = true;
  }

  private weirds(r: readonly unknown[]): void {
    const names = this.addon.weirdNames;
    for (let i = 1; i < r.length; i++) this.events.weird(names[r[i] as number]!);
  }
}

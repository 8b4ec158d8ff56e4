// The DNS analyzer in native code (native/dns.c), behind the analyzer contract: the
// same messages, pairing, limits and weirds as DnsAnalyzer, with dns.log's rows
// written natively instead of transaction objects (see sensor/app/native.ts).

import type { AppAnalyzer, AppMetadata, Direction } from '../analyzer.js';
import type { AppEvents } from '../events.js';
import { CONFIRMED, DONE, type AppAnalyzersAddon, type NativeHandle, type Outcome } from '../native.js';

export class NativeDnsAnalyzer implements AppAnalyzer {
  service: string | undefined = undefined;
  done = false;
  private closed = false;
  private readonly h: NativeHandle;

  constructor(
    private readonly addon: AppAnalyzersAddon,
    private readonly weirdNames: readonly string[],
    proto: 'udp' | 'tcp',
    private readonly events: AppEvents,
  ) {
    this.h = addon.dnsNew(proto === 'tcp');
  }

  deliver(dir: Direction, buf: Uint8Array, start: number, end: number, tsNs: bigint): void {
    if (this.done || this.closed) return;
    // (the addon clamps the range as GuardedAnalyzer does)
    this.after(this.addon.dnsData(this.h, dir, buf, start, end, tsNs));
  }

  gap(dir: Direction, bytes: number): void {
    if (this.done || this.closed || !(bytes > 0)) return;
    this.after(this.addon.dnsGap(this.h, dir));
  }

  metadata(final: boolean): AppMetadata | undefined {
    if (this.closed) return undefined;
    let r = this.addon.dnsRows(this.h, final);
    // The handle is closed (and may be another connection's by now): never used again.
    if (final) this.closed = true;
    if (Array.isArray(r)) {
      this.weirds(r);
      r = r[0];
    }
    return r === undefined ? undefined : { rows: [{ log: 'dns', text: r }] };
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
    for (let i = 1; i < r.length; i++) this.events.weird(this.weirdNames[r[i] as number]!);
  }
}

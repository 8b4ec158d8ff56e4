// The HTTP/1.x analyzer in native code (native/http.c) on its common path, behind the
// analyzer contract: conversations that give HttpAnalyzer nothing unusual to report are
// framed and paired natively and their http.log rows written natively. At the first thing
// the native analyzer does not follow (a weird, an overlong line, an Authorization or proxy
// header, a gap outside a counted body...) it hands the connection over to an HttpAnalyzer
// (see ../native-handover.ts).

import type { AppMetadata, Direction } from '../analyzer.js';
import type { AppEvents } from '../events.js';
import type { AppAnalyzersAddon } from '../native.js';
import { NativeWithHandover, type HandoverStats } from '../native-handover.js';
import { HttpAnalyzer } from './analyzer.js';

export const nativeHttpStats: HandoverStats = { native: 0, handedOver: 0 };

export class NativeHttpAnalyzer extends NativeWithHandover<HttpAnalyzer> {
  constructor(
    private readonly addon: AppAnalyzersAddon,
    private readonly events: AppEvents,
  ) {
    super(addon.httpNew(), 'http', nativeHttpStats);
  }

  protected nativeData(dir: Direction, buf: Uint8Array, start: number, end: number, tsNs: bigint): number {
    return this.addon.httpData(this.h, dir, buf, start, end, tsNs);
  }

  protected nativeGap(dir: Direction, bytes: number): number {
    return this.addon.httpGap(this.h, dir, bytes);
  }

  protected recorded(): Uint8Array {
    return this.addon.httpRecorded(this.h);
  }

  protected newJs(): HttpAnalyzer {
    return new HttpAnalyzer(this.events);
  }

  metadata(final: boolean): AppMetadata | undefined {
    if (this.js) return this.js.metadata(final);
    if (this.h === 0) return undefined;
    const rows = this.addon.httpRows(this.h, final);
    if (rows === null) {
      // Finishing overflowed what the native analyzer keeps: the JavaScript one counts the drop.
      const js = this.handOver();
      const m = js.metadata(final);
      this.follow();
      return m;
    }
    if (final) this.closedNatively();
    return rows === undefined ? undefined : { rows: [{ log: 'http', text: rows }] };
  }
}

// The TLS analyzer in native code (native/tls.c) on its common path, behind the analyzer
// contract: handshakes that give TlsAnalyzer nothing unusual to report are read natively
// and their ssl.log row written natively. At the first thing the native analyzer does not
// follow (a weird, an alert, a certificate it cannot decode...) it hands the connection
// over to a TlsAnalyzer (see ../native-handover.ts).

import type { AppMetadata, Direction } from '../analyzer.js';
import type { AppEvents } from '../events.js';
import type { AppAnalyzersAddon } from '../native.js';
import { NativeWithHandover, type HandoverStats } from '../native-handover.js';
import { TlsAnalyzer } from './analyzer.js';
import { armed, armedAt, armedDesc, armedIn } from './prints-ahead.js';

export const nativeTlsStats: HandoverStats = { native: 0, handedOver: 0 };

export class NativeTlsAnalyzer extends NativeWithHandover<TlsAnalyzer> {
  constructor(
    private readonly addon: AppAnalyzersAddon,
    private readonly events: AppEvents,
  ) {
    super(addon.tlsNew(), 'ssl', nativeTlsStats);
  }

  protected nativeData(dir: Direction, buf: Uint8Array, start: number, end: number, tsNs: bigint): number {
    // The reader's fingerprints of a hello in this packet, if it has any (see prints-ahead.ts).
    return armed && armedIn(buf) ? this.addon.tlsData(this.h, dir, buf, start, end, tsNs, armedDesc(), armedAt()) : this.addon.tlsData(this.h, dir, buf, start, end, tsNs);
  }

  protected nativeGap(dir: Direction, bytes: number): number {
    return this.addon.tlsGap(this.h, dir, bytes);
  }

  protected recorded(): Uint8Array {
    return this.addon.tlsRecorded(this.h);
  }

  protected newJs(): TlsAnalyzer {
    return new TlsAnalyzer(this.events);
  }

  metadata(final: boolean): AppMetadata | undefined {
    if (this.js) return this.js.metadata(final);
    if (this.h === 0) return undefined;
    const row = this.addon.tlsRow(this.h, final);
    if (final) this.closedNatively();
    if (row === undefined) return undefined;
    // The x509.log rows, when there are any, follow a form feed (no row holds one: the writer escapes it).
    const ff = row.indexOf('\f');
    return ff < 0 ? { rows: [{ log: 'ssl', text: row }] } : { rows: [{ log: 'ssl', text: row.slice(0, ff) }, { log: 'x509', text: row.slice(ff + 1) }] };
  }
}

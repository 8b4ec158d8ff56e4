// TLS over TCP: the record layer of each direction feeds handshake framing,
// which feeds the session. The analyzer stops asking for bytes once the
// handshake is over (established, or failed with a fatal alert): what follows
// is ciphertext, as Zeek's disable_analyzer_after_detection assumes.

import type { AppMetadata, Direction } from '../analyzer.js';
import type { AppEvents } from '../events.js';
import { GuardedAnalyzer } from '../guarded.js';
import { HandshakeReader } from './handshake.js';
import { Body, RecordReader, type RecordHandler } from './record.js';
import { TlsSession } from './session.js';

export class TlsAnalyzer extends GuardedAnalyzer {
  private session: TlsSession | undefined;
  private readonly records: [RecordReader, RecordReader];
  /** Made on the first handshake record of each direction (many connections never send one from both). */
  private readonly handshakes: [HandshakeReader | undefined, HandshakeReader | undefined] = [undefined, undefined];
  private reported = false;
  private tsNs = 0n;

  constructor(events: AppEvents) {
    super(events, 'tls_analyzer_error');
    this.records = [new RecordReader(this.recordHandler(0), true), new RecordReader(this.recordHandler(1), true)];
  }

  private handshakeReader(d: Direction): HandshakeReader {
    return (this.handshakes[d] ??= new HandshakeReader({
      message: (type, b, s, e) => this.sess().handshake(d, type, b, s, e),
      tooLarge: (type) => this.sess().handshakeTooLarge(d, type),
    }));
  }

  private sess(): TlsSession {
    this.session ??= new TlsSession(this.tsNs, this.events);
    return this.session;
  }

  private recordHandler(d: Direction): RecordHandler {
    return {
      record: (type) => this.sess().record(d, type),
      handshake: (b, s, e) => this.handshakeReader(d).feed(b, s, e),
      alert: (level, desc) => this.sess().alert(d, level, desc),
      v2record: (b, s, e) => {
        if (!this.sess().v2record(d, b, s, e)) this.violation('tls_v2_hello_malformed');
      },
      violation: (weird) => this.violation(weird),
    };
  }

  protected onData(dir: Direction, b: Uint8Array, start: number, end: number, tsNs: bigint): void {
    if (!this.session) this.tsNs = tsNs;
    this.records[dir].feed(b, start, end);
    this.afterInput();
  }

  protected onGap(dir: Direction, bytes: number): void {
    if (!this.records[dir].gap(bytes)) {
      this.events.weird('tls_content_gap');
      this.afterInput();
    }
  }

  private violation(weird: string): void {
    this.events.weird(weird);
    // Before the first hello parses this is simply not TLS; after, one side went astray.
    if (!this.session?.recognised) this.done = true;
  }

  private afterInput(): void {
    const s = this.session;
    if (s?.recognised && this.service === undefined) this.confirm('ssl');
    if (s?.complete || (this.records[0].stopped && this.records[1].stopped)) this.done = true;
  }

  protected onMetadata(final: boolean): AppMetadata | undefined {
    const s = this.session;
    if (this.reported || !s?.recognised) return undefined;
    if (!final && !s.complete && !this.done) return undefined;
    this.reported = true;
    return { tls: s.info };
  }
}

// TLS over TCP: the record layer of each direction feeds handshake framing,
// which feeds the session. The analyzer stops asking for bytes once the
// handshake is over (established, or failed with a fatal alert): what follows
// is ciphertext, as Zeek's disable_analyzer_after_detection assumes.

import type { AppMetadata, Direction } from '../analyzer.js';
import type { AppEvents } from '../events.js';
import { GuardedAnalyzer } from '../guarded.js';
import { HandshakeReader, type HandshakeHandler } from './handshake.js';
import { Body, RecordReader, type RecordHandler } from './record.js';
import { TlsSession } from './session.js';

/**
 * One direction's callbacks for the record and handshake readers. One object
 * per direction rather than a closure per callback: an analyzer is made for
 * every TLS connection, and ten closures each were most of what it allocated.
 */
class Side implements RecordHandler, HandshakeHandler {
  hs: HandshakeReader | undefined = undefined;

  constructor(
    private readonly a: TlsAnalyzer,
    private readonly d: Direction,
  ) {}

  record(type: number): Body {
    return this.a.sess().record(this.d, type);
  }

  handshake(b: Uint8Array, s: number, e: number): void {
    // Made on the first handshake record of the direction (many connections never send one from both).
    (this.hs ??= new HandshakeReader(this)).feed(b, s, e);
  }

  alert(level: number, desc: number): void {
    this.a.sess().alert(this.d, level, desc);
  }

  v2record(b: Uint8Array, s: number, e: number): void {
    if (!this.a.sess().v2record(this.d, b, s, e)) this.a.violation('tls_v2_hello_malformed');
  }

  violation(weird: string): void {
    this.a.violation(weird);
  }

  message(type: number, b: Uint8Array, s: number, e: number): void {
    this.a.sess().handshake(this.d, type, b, s, e);
  }

  tooLarge(type: number): void {
    this.a.sess().handshakeTooLarge(this.d, type);
  }
}

export class TlsAnalyzer extends GuardedAnalyzer {
  private session: TlsSession | undefined;
  private readonly records: [RecordReader, RecordReader];
  private reported = false;
  private tsNs = 0n;

  constructor(events: AppEvents) {
    super(events, 'tls_analyzer_error');
    this.records = [new RecordReader(new Side(this, 0), true), new RecordReader(new Side(this, 1), true)];
  }

  sess(): TlsSession {
    this.session ??= new TlsSession(this.tsNs, this.events);
    return this.session;
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

  violation(weird: string): void {
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

// The boundary every analyzer shares with the core.
//
// Wire bytes are hostile and the parsers are written never to throw, but a
// sensor must not lose a flow table to one parser bug: any exception that
// escapes is caught here, counted as a weird, and the analyzer stops
// (done = true) with what it had. Argument ranges from the core are clamped
// rather than trusted, too.

import type { AppAnalyzer, AppMetadata, Direction } from './analyzer.js';
import type { AppEvents } from './events.js';

export abstract class GuardedAnalyzer implements AppAnalyzer {
  service: string | undefined = undefined;
  done = false;

  protected constructor(
    protected readonly events: AppEvents,
    /** The weird counted when this analyzer throws, e.g. "tls_analyzer_error". */
    private readonly errorWeird: string,
  ) {}

  deliver(dir: Direction, buf: Uint8Array, start: number, end: number, tsNs: bigint): void {
    if (this.done) return;
    if (start < 0) start = 0;
    if (end > buf.length) end = buf.length;
    if (start >= end) return;
    try {
      this.onData(dir, buf, start, end, tsNs);
    } catch {
      this.crash();
    }
  }

  gap(dir: Direction, bytes: number): void {
    if (this.done || !(bytes > 0)) return;
    try {
      this.onGap(dir, bytes);
    } catch {
      this.crash();
    }
  }

  metadata(final: boolean): AppMetadata | undefined {
    try {
      return this.onMetadata(final);
    } catch {
      this.crash();
      return undefined;
    }
  }

  /** Marks the protocol recognised (Zeek's protocol confirmation). */
  protected confirm(service: string): void {
    this.service = service;
  }

  /** Gives up on the stream: no more bytes wanted. */
  protected stop(weird?: string): void {
    if (weird) this.events.weird(weird);
    this.done = true;
  }

  private crash(): void {
    this.events.weird(this.errorWeird);
    this.done = true;
  }

  protected abstract onData(dir: Direction, buf: Uint8Array, start: number, end: number, tsNs: bigint): void;
  protected abstract onGap(dir: Direction, bytes: number): void;
  protected abstract onMetadata(final: boolean): AppMetadata | undefined;
}

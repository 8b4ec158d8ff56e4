/**
 * The absolute time the application analyzers take (ns since the epoch, a BigInt),
 * from the flow table's time base (s) and a packet's time after it (ns). Made once per
 * packet, and only when a packet is delivered: every delivery of that packet reuses it.
 */
export class AnalyzerClock {
  private ts = 0n;
  /** NaN: a double field from the start, and equal to no time. */
  private tsFor = NaN;
  private base = 0n;
  private baseSec = NaN;

  at(baseSec: number, nowNs: number): bigint {
    if (this.tsFor !== nowNs || this.baseSec !== baseSec) {
      if (this.baseSec !== baseSec) {
        this.baseSec = baseSec;
        this.base = BigInt(baseSec) * 1_000_000_000n;
      }
      this.tsFor = nowNs;
      this.ts = this.base + BigInt(nowNs);
    }
    return this.ts;
  }
}

/**
 * The packet source: a capture file or a live interface. Packets are pushed
 * to a sink one by one, synchronously, in capture order; the buffer passed is
 * only valid during the call (sources reuse it), so the sink copies what it keeps.
 */

export interface PacketSink {
  /**
   * One captured frame: buf[off, off+caplen) holds its first caplen bytes of
   * wirelen on the wire; the timestamp is split into seconds and nanoseconds
   * so that nanosecond captures lose nothing; linkType is the pcap LINKTYPE_*.
   */
  packet(buf: Uint8Array, off: number, caplen: number, wirelen: number, tsSec: number, tsNsec: number, linkType: number): void;
}

/** Capture counters, as libpcap reports them where the source has them. */
export interface CaptureStats {
  /** Frames handed to the sensor. */
  received: number;
  /** Frames the kernel dropped because the capture buffer was full (undefined when the source cannot tell). */
  droppedKernel: number | undefined;
  /** Frames the interface/driver dropped (undefined when unknown). */
  droppedInterface: number | undefined;
  /** Frames cut to the snaplen. */
  truncated: number;
}

export interface PacketSource {
  readonly name: string;
  /** Delivers packets until the source ends (a file) or stop() is called (live). */
  run(sink: PacketSink): Promise<void>;
  stop(): void;
  stats(): CaptureStats;
}

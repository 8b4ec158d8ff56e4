/**
 * Where generated frames go. A flow asks the sink for room (`begin`), writes the frame's
 * bytes straight into `buf` at the offset it got, and hands it back with its timestamp
 * (`end`). The pcap writer's sink is a big chunk buffer flushed to disk; the live
 * iterator's sink copies each frame out. No frame object is made on the way.
 */
export interface FrameSink {
  readonly buf: Buffer;
  /** Offset in `buf` where the next frame's first byte goes; at least MAX_FRAME_LEN bytes are free there. */
  begin(): number;
  /** Completes the frame started by the last `begin`; `relNs` is nanoseconds since the capture's start. */
  end(relNs: number, frameLen: number): void;
}

/** No generated frame is longer: 1500-byte IP packets plus at most 22 bytes of tags and labels. */
export const MAX_FRAME_LEN = 1600;

/** TCP header layout (RFC 9293) and the option encodings real stacks put in SYNs. */

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

export const TCP_HEADER_LEN = 20;
/** NOP, NOP, Timestamps: the 12 bytes Linux puts on every segment once timestamps are agreed. */
export const TCP_TIMESTAMP_OPTION_LEN = 12;

/** Writes the fixed 20-byte header at `at` with a zero checksum; `headerLen` includes options. */
export function writeTcpHeader(
  buf: Uint8Array,
  at: number,
  srcPort: number,
  dstPort: number,
  seq: number,
  ack: number,
  flags: number,
  window: number,
  headerLen: number,
): void {
  buf[at] = srcPort >>> 8;
  buf[at + 1] = srcPort & 0xff;
  buf[at + 2] = dstPort >>> 8;
  buf[at + 3] = dstPort & 0xff;
  writeU32(buf, at + 4, seq);
  writeU32(buf, at + 8, ack);
  buf[at + 12] = (headerLen >>> 2) << 4;
  buf[at + 13] = flags;
  buf[at + 14] = window >>> 8;
  buf[at + 15] = window & 0xff;
  buf[at + 16] = 0;
  buf[at + 17] = 0;
  buf[at + 18] = 0;
  buf[at + 19] = 0;
}

export function writeTimestampOption(buf: Uint8Array, at: number, tsval: number, tsecr: number): void {
  buf[at] = 1;
  buf[at + 1] = 1;
  buf[at + 2] = 8;
  buf[at + 3] = 10;
  writeU32(buf, at + 4, tsval);
  writeU32(buf, at + 8, tsecr);
}

/** The SYN / SYN-ACK options of a stack: with timestamps they need the TSval at send time. */
export interface SynOptionStyle {
  mss: number;
  windowScale: number;
  sackPermitted: boolean;
  timestamps: boolean;
}

/** Length of the SYN options (a multiple of 4) for a style, in the layout Linux or Windows use. */
export function synOptionsLength(style: SynOptionStyle): number {
  return style.timestamps ? 20 : 12;
}

/**
 * Writes SYN options. Linux: MSS, SACK-permitted, Timestamps, NOP, Window scale (20 bytes).
 * Windows: MSS, NOP, Window scale, NOP, NOP, SACK-permitted (12 bytes).
 */
export function writeSynOptions(buf: Uint8Array, at: number, style: SynOptionStyle, tsval: number, tsecr: number): void {
  buf[at] = 2;
  buf[at + 1] = 4;
  buf[at + 2] = style.mss >>> 8;
  buf[at + 3] = style.mss & 0xff;
  if (style.timestamps) {
    buf[at + 4] = style.sackPermitted ? 4 : 1;
    buf[at + 5] = style.sackPermitted ? 2 : 1;
    buf[at + 6] = 8;
    buf[at + 7] = 10;
    writeU32(buf, at + 8, tsval);
    writeU32(buf, at + 12, tsecr);
    buf[at + 16] = 1;
    buf[at + 17] = 3;
    buf[at + 18] = 3;
    buf[at + 19] = style.windowScale;
  } else {
    buf[at + 4] = 1;
    buf[at + 5] = 3;
    buf[at + 6] = 3;
    buf[at + 7] = style.windowScale;
    buf[at + 8] = 1;
    buf[at + 9] = 1;
    buf[at + 10] = style.sackPermitted ? 4 : 1;
    buf[at + 11] = style.sackPermitted ? 2 : 1;
  }
}

function writeU32(buf: Uint8Array, at: number, v: number): void {
  buf[at] = (v >>> 24) & 0xff;
  buf[at + 1] = (v >>> 16) & 0xff;
  buf[at + 2] = (v >>> 8) & 0xff;
  buf[at + 3] = v & 0xff;
}

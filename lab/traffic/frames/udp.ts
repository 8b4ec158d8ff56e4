export const UDP_HEADER_LEN = 8;

/** Writes a UDP header with a zero checksum; `length` covers header and payload. */
export function writeUdpHeader(buf: Uint8Array, at: number, srcPort: number, dstPort: number, length: number): void {
  buf[at] = srcPort >>> 8;
  buf[at + 1] = srcPort & 0xff;
  buf[at + 2] = dstPort >>> 8;
  buf[at + 3] = dstPort & 0xff;
  buf[at + 4] = length >>> 8;
  buf[at + 5] = length & 0xff;
  buf[at + 6] = 0;
  buf[at + 7] = 0;
}

/** A computed UDP checksum of zero is sent as all ones: zero means "no checksum" (RFC 768). */
export function udpChecksumOnWire(c: number): number {
  return c === 0 ? 0xffff : c;
}

/** ICMP and ICMPv6 echo messages: type, code, checksum, identifier, sequence, data. */

export const ICMP_ECHO_REPLY = 0;
export const ICMP_ECHO_REQUEST = 8;
export const ICMPV6_ECHO_REQUEST = 128;
export const ICMPV6_ECHO_REPLY = 129;
export const ICMP_ECHO_HEADER_LEN = 8;

export function writeIcmpEchoHeader(buf: Uint8Array, at: number, type: number, id: number, seq: number): void {
  buf[at] = type;
  buf[at + 1] = 0;
  buf[at + 2] = 0;
  buf[at + 3] = 0;
  buf[at + 4] = id >>> 8;
  buf[at + 5] = id & 0xff;
  buf[at + 6] = (seq >>> 8) & 0xff;
  buf[at + 7] = seq & 0xff;
}

import type { Packet } from './packet.js';
import { W, type WeirdCounters } from './weird.js';

/**
 * ICMP and ICMPv6: type and code, and the message body after the 8-byte
 * common header (Zeek counts that body as the connection's bytes).
 */
export function decodeIcmp(p: Packet, b: Uint8Array, off: number, end: number, wc: WeirdCounters): number {
  if (end - off < 8 || p.l4Len < 8) {
    wc.inc(W.truncated_icmp_header);
    return -1;
  }
  p.icmpType = b[off]!;
  p.icmpCode = b[off + 1]!;
  const pay = off + 8;
  p.payOff = pay;
  p.payLen = p.l4Len - 8;
  const cap = end - pay;
  p.payCap = cap <= 0 ? 0 : cap < p.payLen ? cap : p.payLen;
  return pay;
}

/**
 * The "ports" Zeek gives an ICMP connection: the type, and the type of the
 * expected answer so that a request and its reply meet in one connection.
 * Messages without an answer are one-way: their second port is the code.
 * Returns the counterpart port, with bit 16 set when the message is one-way.
 */
export function icmp4Counterpart(type: number, code: number): number {
  switch (type) {
    case 8: return 0; // echo request -> reply
    case 0: return 8;
    case 13: return 14; // timestamp
    case 14: return 13;
    case 15: return 16; // information
    case 16: return 15;
    case 17: return 18; // address mask
    case 18: return 17;
    case 10: return 9; // router solicitation -> advertisement
    case 9: return 10;
    default: return 0x10000 | code;
  }
}

export function icmp6Counterpart(type: number, code: number): number {
  switch (type) {
    case 128: return 129; // echo
    case 129: return 128;
    case 133: return 134; // router solicitation/advertisement
    case 134: return 133;
    case 135: return 136; // neighbor solicitation/advertisement
    case 136: return 135;
    case 130: return 131; // multicast listener query/report
    case 131: return 130;
    case 139: return 140; // node information query/response
    case 140: return 139;
    default: return 0x10000 | code;
  }
}

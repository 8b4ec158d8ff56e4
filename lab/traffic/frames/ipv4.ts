import { sumWords } from './checksum.js';

export const IPV4_HEADER_LEN = 20;
export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

export interface Ipv4HeaderSpec {
  src: Uint8Array;
  dst: Uint8Array;
  protocol: number;
  ttl: number;
  dontFragment: boolean;
  dscp?: number;
}

/**
 * A 20-byte IPv4 header (no options) with total length, identification and checksum left
 * zero: those change per packet and are patched by `patchIpv4` with `baseSum`, the sum of
 * every other header word, so a packet costs three additions instead of a header pass.
 */
export function ipv4Header(spec: Ipv4HeaderSpec): { bytes: Buffer; baseSum: number } {
  const b = Buffer.alloc(IPV4_HEADER_LEN);
  b[0] = 0x45;
  b[1] = ((spec.dscp ?? 0) & 0x3f) << 2;
  b.writeUInt16BE(spec.dontFragment ? 0x4000 : 0, 6);
  b[8] = spec.ttl;
  b[9] = spec.protocol;
  b.set(spec.src, 12);
  b.set(spec.dst, 16);
  return { bytes: b, baseSum: sumWords(b, 0, IPV4_HEADER_LEN) };
}

/** Writes total length, identification and the header checksum of the header at `at`. */
export function patchIpv4(buf: Uint8Array, at: number, baseSum: number, totalLength: number, id: number): void {
  buf[at + 2] = totalLength >>> 8;
  buf[at + 3] = totalLength & 0xff;
  buf[at + 4] = (id >>> 8) & 0xff;
  buf[at + 5] = id & 0xff;
  let s = baseSum + totalLength + (id & 0xffff);
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  const c = ~s & 0xffff;
  buf[at + 10] = c >>> 8;
  buf[at + 11] = c & 0xff;
}

export const IPV6_HEADER_LEN = 40;
export const IPPROTO_ICMPV6 = 58;

export interface Ipv6HeaderSpec {
  src: Uint8Array;
  dst: Uint8Array;
  nextHeader: number;
  hopLimit: number;
  flowLabel: number;
  trafficClass?: number;
}

/** A 40-byte IPv6 header with the payload length left zero (patched per packet). */
export function ipv6Header(spec: Ipv6HeaderSpec): Buffer {
  const b = Buffer.alloc(IPV6_HEADER_LEN);
  const tc = spec.trafficClass ?? 0;
  // version(4) traffic class(8) flow label(20), built arithmetically to stay unsigned.
  b.writeUInt32BE(6 * 2 ** 28 + tc * 2 ** 20 + (spec.flowLabel & 0xfffff), 0);
  b[6] = spec.nextHeader;
  b[7] = spec.hopLimit;
  b.set(spec.src, 8);
  b.set(spec.dst, 24);
  return b;
}

export function patchIpv6(buf: Uint8Array, at: number, payloadLength: number): void {
  buf[at + 4] = payloadLength >>> 8;
  buf[at + 5] = payloadLength & 0xff;
}

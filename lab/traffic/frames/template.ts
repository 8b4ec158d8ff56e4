import { sumWords } from './checksum.js';
import { ETHERNET_MIN_FRAME } from './ethernet.js';
import { IPV4_HEADER_LEN, ipv4Header, patchIpv4 } from './ipv4.js';
import { IPV6_HEADER_LEN, ipv6Header, patchIpv6 } from './ipv6.js';
import { type LinkSpec, linkHeader } from './link.js';

export interface TemplateSpec {
  link: LinkSpec;
  ipVersion: 4 | 6;
  src: Uint8Array;
  dst: Uint8Array;
  protocol: number;
  ttl: number;
  /** IPv4: first identification value (then +1 per packet, as most stacks do per flow). */
  firstIpId: number;
  /** IPv6 flow label (RFC 6437: constant for a flow's direction). */
  flowLabel: number;
  /** Whether the transport checksum covers an IP pseudo-header (all but ICMPv4). */
  pseudoHeader: boolean;
}

/**
 * Everything of one flow direction's frames up to the transport header, built once per
 * flow: per packet it is copied into the output buffer and three fields are patched.
 * This is what keeps the generator's hot path free of per-packet allocation.
 */
export class FrameTemplate {
  readonly bytes: Buffer;
  readonly ipOffset: number;
  /** Where the transport header starts, relative to the frame. */
  readonly l4Offset: number;
  readonly ipVersion: 4 | 6;
  readonly ipHeaderLen: number;
  /** Pseudo-header sum without the transport length (added per packet); 0 for ICMPv4. */
  readonly pseudoSum: number;
  private readonly ipv4BaseSum: number;
  private ipId: number;

  constructor(spec: TemplateSpec) {
    const link = linkHeader(spec.link, spec.ipVersion);
    this.ipVersion = spec.ipVersion;
    this.ipOffset = link.length;
    let ip: Buffer;
    if (spec.ipVersion === 4) {
      const h = ipv4Header({ src: spec.src, dst: spec.dst, protocol: spec.protocol, ttl: spec.ttl, dontFragment: true });
      ip = h.bytes;
      this.ipv4BaseSum = h.baseSum;
      this.ipHeaderLen = IPV4_HEADER_LEN;
    } else {
      ip = ipv6Header({ src: spec.src, dst: spec.dst, nextHeader: spec.protocol, hopLimit: spec.ttl, flowLabel: spec.flowLabel });
      this.ipv4BaseSum = 0;
      this.ipHeaderLen = IPV6_HEADER_LEN;
    }
    this.bytes = Buffer.concat([link, ip]);
    this.l4Offset = this.bytes.length;
    this.ipId = spec.firstIpId & 0xffff;
    this.pseudoSum = spec.pseudoHeader ? sumWords(spec.src, 0, spec.src.length) + sumWords(spec.dst, 0, spec.dst.length) + spec.protocol : 0;
  }

  /** Copies the link and IP headers to buf[at...]; returns the transport header's offset. */
  begin(buf: Buffer, at: number): number {
    this.bytes.copy(buf, at);
    return at + this.l4Offset;
  }

  /**
   * Completes the IP header for a transport segment of `l4Len` bytes, zero-pads short
   * frames to the Ethernet minimum, and returns the frame length and IP length.
   */
  end(buf: Buffer, at: number, l4Len: number): number {
    const ipAt = at + this.ipOffset;
    if (this.ipVersion === 4) {
      patchIpv4(buf, ipAt, this.ipv4BaseSum, IPV4_HEADER_LEN + l4Len, this.ipId);
      this.ipId = (this.ipId + 1) & 0xffff;
    } else {
      patchIpv6(buf, ipAt, l4Len);
    }
    const len = this.l4Offset + l4Len;
    if (len >= ETHERNET_MIN_FRAME) return len;
    buf.fill(0, at + len, at + ETHERNET_MIN_FRAME);
    return ETHERNET_MIN_FRAME;
  }

  /** The IP-layer length (header plus payload) of a packet carrying `l4Len` transport bytes, as Zeek counts ip bytes. */
  ipLength(l4Len: number): number {
    return this.ipHeaderLen + l4Len;
  }
}

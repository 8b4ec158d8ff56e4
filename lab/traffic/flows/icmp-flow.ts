import { finishChecksum, sumWords } from '../frames/checksum.js';
import { ICMP_ECHO_HEADER_LEN, ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST, ICMPV6_ECHO_REPLY, ICMPV6_ECHO_REQUEST, writeIcmpEchoHeader } from '../frames/icmp.js';
import type { FrameTemplate } from '../frames/template.js';
import type { FrameSink } from '../sink.js';
import type { ConnState } from '../truth.js';
import { Flow, type FlowMeta } from './flow.js';
import type { PacketPlan } from './plan.js';

export interface IcmpEchoFlowSpec {
  meta: FlowMeta;
  start: number;
  /** Requests from the originator, replies from the responder; each carries `data` (plan lengths must equal its length). */
  plan: PacketPlan;
  templates: readonly [FrameTemplate, FrameTemplate];
  id: number;
  firstSeq: number;
  data: Buffer;
}

/** A ping: echo requests and their replies, one Zeek connection (state OTH, no history). */
export class IcmpEchoFlow extends Flow {
  private readonly templates: readonly [FrameTemplate, FrameTemplate];
  private readonly id: number;
  private readonly data: Buffer;
  private readonly types: readonly [number, number];
  private seq: number;

  constructor(spec: IcmpEchoFlowSpec) {
    super(spec.meta, spec.plan, spec.start);
    this.templates = spec.templates;
    this.id = spec.id;
    this.data = spec.data;
    this.seq = spec.firstSeq;
    this.types = spec.meta.ipVersion === 4 ? [ICMP_ECHO_REQUEST, ICMP_ECHO_REPLY] : [ICMPV6_ECHO_REQUEST, ICMPV6_ECHO_REPLY];
  }

  protected writePacket(i: number, dir: number, sink: FrameSink, t: number): number {
    const tpl = this.templates[dir]!;
    const buf = sink.buf;
    const at = sink.begin();
    const l4 = tpl.begin(buf, at);
    // A reply carries the sequence number of the request before it.
    if (dir === 0 && i > 0) this.seq = (this.seq + 1) & 0xffff;
    writeIcmpEchoHeader(buf, l4, this.types[dir]!, this.id, this.seq);
    this.data.copy(buf, l4 + ICMP_ECHO_HEADER_LEN);
    const l4Len = ICMP_ECHO_HEADER_LEN + this.data.length;
    const frameLen = tpl.end(buf, at, l4Len);
    // ICMPv4 has no pseudo-header (pseudoSum is 0); ICMPv6 does, with the message length.
    const pseudo = tpl.pseudoSum === 0 ? 0 : tpl.pseudoSum + l4Len;
    const c = finishChecksum(sumWords(buf, l4, l4Len) + pseudo);
    buf[l4 + 2] = c >>> 8;
    buf[l4 + 3] = c & 0xff;
    sink.end(t, frameLen);
    return tpl.ipLength(l4Len);
  }

  get history(): string {
    return '';
  }

  get connState(): ConnState {
    return 'OTH';
  }
}

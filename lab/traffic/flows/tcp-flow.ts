import { finishChecksum, sumWords } from '../frames/checksum.js';
import { type SynOptionStyle, TCP_ACK, TCP_FIN, TCP_HEADER_LEN, TCP_RST, TCP_SYN, TCP_TIMESTAMP_OPTION_LEN, synOptionsLength, writeSynOptions, writeTcpHeader, writeTimestampOption } from '../frames/tcp.js';
import type { FrameTemplate } from '../frames/template.js';
import type { FrameSink } from '../sink.js';
import type { ConnState } from '../truth.js';
import type { ByteStream } from './byte-stream.js';
import { Flow, type FlowMeta } from './flow.js';
import type { PacketPlan } from './plan.js';
import { ZeekTcpState } from './zeek-tcp-state.js';

/** How one side's TCP stack behaves on the wire. */
export interface TcpStack {
  syn: SynOptionStyle;
  /** Window advertised in its SYN (unscaled). */
  synWindow: number;
  /** Window advertised once established (the scaled value as written in the header). */
  window: number;
}

export interface TcpFlowSpec {
  meta: FlowMeta;
  start: number;
  plan: PacketPlan;
  streams: readonly [ByteStream, ByteStream];
  templates: readonly [FrameTemplate, FrameTemplate];
  stacks: readonly [TcpStack, TcpStack];
  /** Initial sequence numbers; a side that never sends a SYN uses 0, as a RST answering a SYN does. */
  isn: readonly [number, number];
  /** Each side's timestamp clock at the flow's start (TSval ticks in milliseconds). */
  tsBase: readonly [number, number];
}

/**
 * A TCP connection: sequence and acknowledgement numbers follow from the plan (each
 * side's number advances by its payload and by one for SYN and FIN; an ACK acknowledges
 * everything the peer has sent so far), so any plan yields a coherent byte stream.
 */
export class TcpFlow extends Flow {
  private readonly streams: readonly [ByteStream, ByteStream];
  private readonly templates: readonly [FrameTemplate, FrameTemplate];
  private readonly stacks: readonly [TcpStack, TcpStack];
  private readonly isn: readonly [number, number];
  private readonly tsBase: readonly [number, number];
  private readonly ports: readonly [number, number];
  private readonly sent = [0, 0];
  private readonly lastTsval = [0, 0];
  private readonly timestamps: boolean;
  /** SYN options per side: the SYN-ACK only echoes options the SYN offered (timestamps here). */
  private readonly synStyles: readonly [SynOptionStyle, SynOptionStyle];
  private readonly zeek = new ZeekTcpState();

  constructor(spec: TcpFlowSpec) {
    super(spec.meta, spec.plan, spec.start);
    this.streams = spec.streams;
    this.templates = spec.templates;
    this.stacks = spec.stacks;
    this.isn = spec.isn;
    this.tsBase = spec.tsBase;
    this.ports = [spec.meta.origP, spec.meta.respP];
    // Timestamps are used after the handshake only when both SYNs offered them (RFC 7323).
    this.timestamps = spec.stacks[0].syn.timestamps && spec.stacks[1].syn.timestamps;
    this.synStyles = [spec.stacks[0].syn, { ...spec.stacks[1].syn, timestamps: this.timestamps }];
  }

  protected writePacket(i: number, dir: number, sink: FrameSink, t: number): number {
    const peer = dir ^ 1;
    const flags = this.plan.flags[i]!;
    const len = this.plan.len[i]!;
    const tpl = this.templates[dir]!;
    const stack = this.stacks[dir]!;
    const buf = sink.buf;
    const at = sink.begin();
    const l4 = tpl.begin(buf, at);

    // A millisecond clock from the unquantized plan time, so µs and ns captures carry the same bytes.
    const tsval = (this.tsBase[dir]! + Math.floor(this.plan.at[i]! / 1e6)) >>> 0;
    let headerLen = TCP_HEADER_LEN;
    let window = stack.window;
    if (flags & TCP_SYN) {
      const style = this.synStyles[dir]!;
      headerLen += synOptionsLength(style);
      window = stack.synWindow;
      writeSynOptions(buf, l4 + TCP_HEADER_LEN, style, tsval, flags & TCP_ACK ? this.lastTsval[peer]! : 0);
    } else if (this.timestamps && !(flags & TCP_RST)) {
      headerLen += TCP_TIMESTAMP_OPTION_LEN;
      writeTimestampOption(buf, l4 + TCP_HEADER_LEN, tsval, this.lastTsval[peer]!);
    }
    if (flags & TCP_RST) window = 0;
    this.lastTsval[dir] = tsval;

    const seq = (this.isn[dir]! + this.sent[dir]!) >>> 0;
    const ack = flags & TCP_ACK ? (this.isn[peer]! + this.sent[peer]!) >>> 0 : 0;
    writeTcpHeader(buf, l4, this.ports[dir]!, this.ports[peer]!, seq, ack, flags, window, headerLen);
    if (len > 0) this.streams[dir]!.take(buf, l4 + headerLen, len);

    const l4Len = headerLen + len;
    const frameLen = tpl.end(buf, at, l4Len);
    const c = finishChecksum(sumWords(buf, l4, l4Len) + tpl.pseudoSum + l4Len);
    buf[l4 + 16] = c >>> 8;
    buf[l4 + 17] = c & 0xff;
    sink.end(t, frameLen);

    this.sent[dir]! += len + (flags & TCP_SYN ? 1 : 0) + (flags & TCP_FIN ? 1 : 0);
    this.zeek.observe(dir as 0 | 1, flags, len);
    return tpl.ipLength(l4Len);
  }

  get history(): string {
    return this.zeek.history;
  }

  get connState(): ConnState {
    return this.zeek.connState;
  }
}

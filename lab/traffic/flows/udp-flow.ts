import { finishChecksum, sumWords } from '../frames/checksum.js';
import type { FrameTemplate } from '../frames/template.js';
import { UDP_HEADER_LEN, udpChecksumOnWire, writeUdpHeader } from '../frames/udp.js';
import type { FrameSink } from '../sink.js';
import type { ConnState } from '../truth.js';
import type { ByteStream } from './byte-stream.js';
import { Flow, type FlowMeta } from './flow.js';
import type { PacketPlan } from './plan.js';

export interface UdpFlowSpec {
  meta: FlowMeta;
  start: number;
  plan: PacketPlan;
  /** Each side's datagrams back to back; plan lengths cut them apart. */
  streams: readonly [ByteStream, ByteStream];
  templates: readonly [FrameTemplate, FrameTemplate];
}

/** A UDP conversation (Zeek: history "D"/"d" at each side's first datagram; SF when both spoke). */
export class UdpFlow extends Flow {
  private readonly streams: readonly [ByteStream, ByteStream];
  private readonly templates: readonly [FrameTemplate, FrameTemplate];
  private readonly ports: readonly [number, number];
  private hist = '';

  constructor(spec: UdpFlowSpec) {
    super(spec.meta, spec.plan, spec.start);
    this.streams = spec.streams;
    this.templates = spec.templates;
    this.ports = [spec.meta.origP, spec.meta.respP];
  }

  protected writePacket(i: number, dir: number, sink: FrameSink, t: number): number {
    const len = this.plan.len[i]!;
    const tpl = this.templates[dir]!;
    const buf = sink.buf;
    const at = sink.begin();
    const l4 = tpl.begin(buf, at);
    const l4Len = UDP_HEADER_LEN + len;
    writeUdpHeader(buf, l4, this.ports[dir]!, this.ports[dir ^ 1]!, l4Len);
    this.streams[dir]!.take(buf, l4 + UDP_HEADER_LEN, len);
    const frameLen = tpl.end(buf, at, l4Len);
    const c = udpChecksumOnWire(finishChecksum(sumWords(buf, l4, l4Len) + tpl.pseudoSum + l4Len));
    buf[l4 + 6] = c >>> 8;
    buf[l4 + 7] = c & 0xff;
    sink.end(t, frameLen);
    const letter = dir === 0 ? 'D' : 'd';
    if (!this.hist.includes(letter)) this.hist += letter;
    return tpl.ipLength(l4Len);
  }

  get history(): string {
    return this.hist;
  }

  get connState(): ConnState {
    const orig = this.pkts[0]! > 0;
    const resp = this.pkts[1]! > 0;
    if (orig) return resp ? 'SF' : 'S0';
    return resp ? 'SHR' : 'OTH';
  }
}

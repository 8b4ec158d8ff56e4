/**
 * Capture files through libpcap (the `pcap` module's offline session). Kept as
 * the reference reader: the benchmark compares it with our own reader
 * (file-reader.ts), which is the default because it is several times faster
 * from Node (libpcap is entered once per packet and copies each one).
 */
import { createRequire } from 'node:module';
import { RuntimeError } from '../../common/errors.js';
import type { CaptureStats, PacketSink, PacketSource } from './source.js';

interface PcapPacket {
  buf: Buffer;
  header: Buffer;
  link_type: string;
}

interface PcapSession {
  link_type: string;
  on(ev: 'packet', cb: (p: PcapPacket) => void): void;
  on(ev: 'complete', cb: () => void): void;
  close(): void;
}

const LINK: Record<string, number> = { LINKTYPE_ETHERNET: 1, LINKTYPE_NULL: 0, LINKTYPE_RAW: 101, LINKTYPE_LINUX_SLL: 113, LINKTYPE_IPV4: 228, LINKTYPE_IPV6: 229 };

export class LibpcapFileReader implements PacketSource {
  readonly name: string;
  private count = 0;
  private truncated = 0;
  private session: PcapSession | undefined;

  constructor(readonly path: string) {
    this.name = path;
  }

  run(sink: PacketSink): Promise<void> {
    const require = createRequire(import.meta.url);
    const pcap = require('pcap') as { createOfflineSession(path: string, opts: object): PcapSession };
    let session: PcapSession;
    try {
      session = pcap.createOfflineSession(this.path, {});
    } catch (err) {
      return Promise.reject(new RuntimeError(`${this.path}: ${(err as Error).message}`));
    }
    this.session = session;
    const linkType = LINK[session.link_type] ?? -1;
    return new Promise((resolve) => {
      session.on('packet', (p: PcapPacket) => {
        const h = p.header;
        const sec = h.readUInt32LE(0);
        const usec = h.readUInt32LE(4);
        const cap = h.readUInt32LE(8);
        const len = h.readUInt32LE(12);
        this.count++;
        if (len > cap) this.truncated++;
        sink.packet(p.buf, 0, cap, len, sec, usec * 1000, linkType);
      });
      session.on('complete', () => {
        session.close();
        resolve();
      });
    });
  }

  stop(): void {
    this.session?.close();
  }

  stats(): CaptureStats {
    return { received: this.count, droppedKernel: 0, droppedInterface: 0, truncated: this.truncated };
  }
}

import { type FileHandle, open } from 'node:fs/promises';
import type { CaptureClock } from './clock.js';
import { type FrameSink, MAX_FRAME_LEN } from './sink.js';

/**
 * Classic libpcap files (not pcapng): a 24-byte global header, then per packet a 16-byte
 * record header and the frame. Written little-endian; readers tell the byte order and
 * the timestamp unit from the magic number.
 */
export const PCAP_MAGIC_MICROSECONDS = 0xa1b2c3d4;
export const PCAP_MAGIC_NANOSECONDS = 0xa1b23c4d;
export const LINKTYPE_ETHERNET = 1;
export const PCAP_SNAPLEN = 262144;
export const PCAP_GLOBAL_HEADER_LEN = 24;
export const PCAP_RECORD_HEADER_LEN = 16;

export function pcapGlobalHeader(nanosecond: boolean): Buffer {
  const b = Buffer.alloc(PCAP_GLOBAL_HEADER_LEN);
  b.writeUInt32LE(nanosecond ? PCAP_MAGIC_NANOSECONDS : PCAP_MAGIC_MICROSECONDS, 0);
  b.writeUInt16LE(2, 4);
  b.writeUInt16LE(4, 6);
  b.writeInt32LE(0, 8); // thiszone: timestamps are UTC
  b.writeUInt32LE(0, 12); // sigfigs
  b.writeUInt32LE(PCAP_SNAPLEN, 16);
  b.writeUInt32LE(LINKTYPE_ETHERNET, 20);
  return b;
}

/** Bytes gathered before a write: large writes keep the system-call count negligible. */
const CHUNK_BYTES = 4 << 20;

/**
 * A FrameSink that lays frames out as pcap records in a 4 MiB buffer and writes full
 * buffers to the file. Two buffers alternate, so the next chunk is generated while the
 * previous one is being written.
 */
export class PcapFileWriter implements FrameSink {
  buf: Buffer;
  private spare: Buffer;
  private pos = 0;
  private pending: Promise<void> = Promise.resolve();
  packets = 0;
  frameBytes = 0;

  private constructor(
    private readonly file: FileHandle,
    private readonly clock: CaptureClock,
  ) {
    this.buf = Buffer.allocUnsafe(CHUNK_BYTES + PCAP_RECORD_HEADER_LEN + MAX_FRAME_LEN);
    this.spare = Buffer.allocUnsafe(this.buf.length);
  }

  static async create(path: string, clock: CaptureClock): Promise<PcapFileWriter> {
    const file = await open(path, 'w');
    const w = new PcapFileWriter(file, clock);
    pcapGlobalHeader(clock.resolutionNs === 1).copy(w.buf, 0);
    w.pos = PCAP_GLOBAL_HEADER_LEN;
    return w;
  }

  /** True when the buffer should be flushed before the next frame. */
  get full(): boolean {
    return this.pos >= CHUNK_BYTES;
  }

  get fileBytes(): number {
    return PCAP_GLOBAL_HEADER_LEN + this.packets * PCAP_RECORD_HEADER_LEN + this.frameBytes;
  }

  begin(): number {
    return this.pos + PCAP_RECORD_HEADER_LEN;
  }

  end(relNs: number, frameLen: number): void {
    const b = this.buf;
    const at = this.pos;
    b.writeUInt32LE(this.clock.seconds(relNs), at);
    b.writeUInt32LE(this.clock.fraction(relNs), at + 4);
    b.writeUInt32LE(frameLen, at + 8);
    b.writeUInt32LE(frameLen, at + 12);
    this.pos = at + PCAP_RECORD_HEADER_LEN + frameLen;
    this.packets++;
    this.frameBytes += frameLen;
  }

  /** Starts writing what has been gathered and switches to the other buffer. */
  async flush(): Promise<void> {
    await this.pending;
    const data = this.buf.subarray(0, this.pos);
    this.pending = writeAll(this.file, data);
    [this.buf, this.spare] = [this.spare, this.buf];
    this.pos = 0;
  }

  async close(): Promise<void> {
    try {
      await this.flush();
      await this.pending;
    } finally {
      await this.file.close();
    }
  }

  /** Closes the file after a failure, without reporting a second error. */
  async abort(): Promise<void> {
    await this.pending.catch(() => undefined);
    await this.file.close().catch(() => undefined);
  }
}

async function writeAll(file: FileHandle, data: Buffer): Promise<void> {
  let off = 0;
  while (off < data.length) {
    const { bytesWritten } = await file.write(data, off, data.length - off);
    off += bytesWritten;
  }
}

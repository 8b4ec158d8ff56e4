/**
 * Our own reader of pcap and pcapng files. libpcap's pcap_next costs a native
 * call and a copy per packet from Node; here the file is read sequentially in
 * large blocks and each record is parsed in place and handed to the sink as an
 * offset into the block, which is what lets `chot sensor read` run near the
 * speed of the disk. Both timestamp precisions of pcap (µs and ns magic) and
 * any if_tsresol of pcapng are kept exactly (seconds + nanoseconds).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { RuntimeError } from '../../common/errors.js';
import type { CaptureStats, PacketSink, PacketSource } from './source.js';

const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;
const PCAP_MAGIC_US_SWAPPED = 0xd4c3b2a1;
const PCAP_MAGIC_NS_SWAPPED = 0x4d3cb2a1;
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BOM = 0x1a2b3c4d;
const PCAPNG_IDB = 1;
const PCAPNG_OPB = 2;
const PCAPNG_SPB = 3;
const PCAPNG_EPB = 6;
/** Larger records are corruption: no link type has frames this big. */
const MAX_RECORD = 256 * 1024;
/** 1 MiB: large enough that reads are few, small enough that a block is still in cache when parsed (measured faster than 8 MiB). */
const DEFAULT_BLOCK = 1024 * 1024;

interface Iface {
  linkType: number;
  snaplen: number;
  /** Timestamp units per second, and whether that is a power of ten (exact conversion) or of two. */
  unitsPerSec: number;
  /** Nanoseconds per unit when unitsPerSec divides 1e9, else 0 (use the general path). */
  nsPerUnit: number;
}

export type CaptureFormat = 'pcap' | 'pcapng';

export class CaptureFileError extends RuntimeError {}

export interface CaptureLayout {
  pcapng: boolean;
  littleEndian: boolean;
  nanoseconds: boolean;
  linkType: number;
  recordsAt: number;
}

export class FileReader implements PacketSource {
  readonly name: string;
  format: CaptureFormat | undefined;
  /** The link type of the (first) interface. */
  linkType = -1;
  /** Records that were cut short or malformed (the rest of the file after one cannot be trusted). */
  badRecords = 0;
  private buf: Buffer;
  private fd = -1;
  private pos = 0;
  private len = 0;
  private eof = false;
  private count = 0;
  private truncated = 0;
  private stopped = false;
  /** Set by stop(), or by pause() from inside a packet: the read loop returns after the current packet. */
  private halt = false;
  private bytesRead = 0;
  /** What open() found: the format's byte order and precision, and (pcapng) the section's interfaces. */
  private le = true;
  private nano = false;
  private ifaces: Iface[] = [];

  constructor(
    readonly path: string,
    blockSize = DEFAULT_BLOCK,
  ) {
    this.name = path;
    this.buf = Buffer.allocUnsafe(blockSize);
  }

  stats(): CaptureStats {
    return { received: this.count, droppedKernel: 0, droppedInterface: 0, truncated: this.truncated };
  }

  stop(): void {
    this.stopped = true;
    this.halt = true;
  }

  /**
   * Called by the sink while it is handed a packet: reading returns after that
   * packet, and continue() carries on from the next one (a paced replay waits
   * between packets this way without holding the event loop).
   */
  pause(): void {
    this.halt = true;
  }

  get bytes(): number {
    return this.bytesRead;
  }

  async run(sink: PacketSink): Promise<void> {
    this.readAll(sink);
  }

  /** Reads the whole file synchronously (the fastest way for a file: nothing else to wait for). */
  readAll(sink: PacketSink): void {
    this.open();
    try {
      this.continue(sink);
    } finally {
      this.close();
    }
  }

  /** Opens the file and reads its header, so that a missing or foreign file is reported before any packet. */
  open(): void {
    try {
      this.fd = openSync(this.path, 'r');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new CaptureFileError(`${this.path}: ${code === 'ENOENT' ? 'file not found' : code === 'EACCES' ? 'permission denied' : String(err)}`);
    }
    try {
      if (!this.fill(4)) throw new CaptureFileError(`${this.path}: empty file, not a capture`);
      const magicLe = this.buf.readUInt32LE(0);
      const magicBe = this.buf.readUInt32BE(0);
      if (magicBe === PCAPNG_SHB) {
        this.format = 'pcapng';
      } else if (magicLe === PCAP_MAGIC_US || magicLe === PCAP_MAGIC_NS || magicLe === PCAP_MAGIC_US_SWAPPED || magicLe === PCAP_MAGIC_NS_SWAPPED) {
        this.format = 'pcap';
        this.le = magicLe === PCAP_MAGIC_US || magicLe === PCAP_MAGIC_NS;
        this.nano = magicLe === PCAP_MAGIC_NS || magicLe === PCAP_MAGIC_NS_SWAPPED;
        this.readPcapHeader();
      } else {
        throw new CaptureFileError(`${this.path}: not a pcap or pcapng capture (magic 0x${magicBe.toString(16).padStart(8, '0')})`);
      }
    } catch (err) {
      this.close();
      throw err;
    }
  }

  /** The open file (for a reader that takes over from open(), so that both read the same file); -1 when closed. */
  get descriptor(): number {
    return this.fd;
  }

  /**
   * What open() found, for a reader that takes the records from there (the native one):
   * a pcap file's byte order, precision and link type, and where its records start; a
   * pcapng file is read from its start (its sections say the rest).
   */
  layout(): CaptureLayout {
    return this.format === 'pcap' ? { pcapng: false, littleEndian: this.le, nanoseconds: this.nano, linkType: this.linkType, recordsAt: 24 } : { pcapng: true, littleEndian: true, nanoseconds: true, linkType: -1, recordsAt: 0 };
  }

  /** Reads on from where reading stopped; true once the file is done (its end, or stop()), false after pause(). */
  continue(sink: PacketSink): boolean {
    if (this.fd < 0) return true;
    this.halt = this.stopped;
    if (this.format === 'pcapng') this.readPcapng(sink);
    else this.readPcap(sink);
    return !this.halt || this.stopped;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  /** Makes at least n bytes available at this.pos; false at end of file. */
  private fill(n: number): boolean {
    if (this.len - this.pos >= n) return true;
    if (this.eof) return false;
    if (this.pos > 0) {
      this.buf.copyWithin(0, this.pos, this.len);
      this.len -= this.pos;
      this.pos = 0;
    }
    if (n > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(n, this.buf.length * 2));
      this.buf.copy(bigger, 0, 0, this.len);
      this.buf = bigger;
    }
    while (this.len < n) {
      const r = readSync(this.fd, this.buf, this.len, this.buf.length - this.len, null);
      if (r === 0) {
        this.eof = true;
        return false;
      }
      this.len += r;
      this.bytesRead += r;
    }
    return true;
  }

  private readPcapHeader(): void {
    if (!this.fill(24)) throw new CaptureFileError(`${this.path}: truncated pcap file header`);
    const b = this.buf;
    const linkField = this.le ? b.readUInt32LE(20) : b.readUInt32BE(20);
    // The upper bits may carry the FCS length (pcap-linktype); the type is the low 16.
    this.linkType = linkField & 0xffff;
    this.pos = 24;
  }

  private readPcap(sink: PacketSink): void {
    const le = this.le;
    const linkType = this.linkType;
    const mult = this.nano ? 1 : 1000;
    for (;;) {
      if (this.halt) return;
      if (this.len - this.pos < 16 && !this.fill(16)) {
        if (this.len > this.pos) this.badRecords++;
        return;
      }
      let buf = this.buf;
      let p = this.pos;
      let sec: number, frac: number, incl: number, orig: number;
      if (le) {
        sec = (buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16) | (buf[p + 3]! << 24)) >>> 0;
        frac = (buf[p + 4]! | (buf[p + 5]! << 8) | (buf[p + 6]! << 16) | (buf[p + 7]! << 24)) >>> 0;
        incl = (buf[p + 8]! | (buf[p + 9]! << 8) | (buf[p + 10]! << 16) | (buf[p + 11]! << 24)) >>> 0;
        orig = (buf[p + 12]! | (buf[p + 13]! << 8) | (buf[p + 14]! << 16) | (buf[p + 15]! << 24)) >>> 0;
      } else {
        sec = buf.readUInt32BE(p);
        frac = buf.readUInt32BE(p + 4);
        incl = buf.readUInt32BE(p + 8);
        orig = buf.readUInt32BE(p + 12);
      }
      if (incl > MAX_RECORD) {
        // A corrupt length: nothing after it can be located reliably.
        this.badRecords++;
        return;
      }
      if (this.len - p < 16 + incl) {
        if (!this.fill(16 + incl)) {
          this.badRecords++;
          return;
        }
        buf = this.buf;
        p = this.pos;
      }
      this.count++;
      if (orig > incl) this.truncated++;
      sink.packet(buf, p + 16, incl, orig, sec, frac * mult, linkType);
      this.pos = p + 16 + incl;
    }
  }

  private readPcapng(sink: PacketSink): void {
    let le = this.le;
    let ifaces = this.ifaces;
    for (;;) {
      if (this.halt) {
        this.le = le;
        this.ifaces = ifaces;
        return;
      }
      if (!this.fill(12)) {
        if (this.len > this.pos) this.badRecords++;
        return;
      }
      let b = this.buf;
      let p = this.pos;
      const typeBe = b.readUInt32BE(p);
      if (typeBe === PCAPNG_SHB) {
        // A new section: its byte-order magic decides the endianness of everything until the next one.
        const bom = b.readUInt32LE(p + 8);
        le = bom === PCAPNG_BOM;
        if (!le && b.readUInt32BE(p + 8) !== PCAPNG_BOM) throw new CaptureFileError(`${this.path}: bad pcapng byte-order magic`);
        ifaces = [];
      }
      const type = le ? b.readUInt32LE(p) : typeBe;
      const total = le ? b.readUInt32LE(p + 4) : b.readUInt32BE(p + 4);
      if (total < 12 || total % 4 !== 0 || total > MAX_RECORD + 64 * 1024) {
        this.badRecords++;
        return;
      }
      if (!this.fill(total)) {
        this.badRecords++;
        return;
      }
      b = this.buf;
      p = this.pos;
      if (type === PCAPNG_EPB || type === PCAPNG_OPB) {
        // EPB: iface(4) ts_hi(4) ts_lo(4) caplen(4) origlen(4) data. OPB: iface(2) drops(2) then the same.
        const ifId = type === PCAPNG_EPB ? u32(b, le, p + 8) : le ? b.readUInt16LE(p + 8) : b.readUInt16BE(p + 8);
        const iface = ifaces[ifId];
        const hi = u32(b, le, p + 12);
        const lo = u32(b, le, p + 16);
        const cap = u32(b, le, p + 20);
        const orig = u32(b, le, p + 24);
        if (iface === undefined || cap > total - 32) {
          this.badRecords++;
        } else {
          this.count++;
          if (orig > cap) this.truncated++;
          splitTimestamp(hi, lo, iface, TS);
          sink.packet(b, p + 28, cap, orig, TS.sec, TS.nsec, iface.linkType);
        }
      } else if (type === PCAPNG_SPB) {
        const iface = ifaces[0];
        const orig = u32(b, le, p + 8);
        if (iface === undefined) this.badRecords++;
        else {
          // No timestamp in a simple packet block; captured length is what fits the block and the snaplen.
          let cap = Math.min(orig, total - 16);
          if (iface.snaplen > 0 && cap > iface.snaplen) cap = iface.snaplen;
          this.count++;
          if (orig > cap) this.truncated++;
          sink.packet(b, p + 12, cap, orig, 0, 0, iface.linkType);
        }
      } else if (type === PCAPNG_IDB) {
        const linkType = le ? b.readUInt16LE(p + 8) : b.readUInt16BE(p + 8);
        // (A block too short for its snaplen has none: its bytes there are the next block's.)
        const snaplen = total >= 16 ? u32(b, le, p + 12) : 0;
        const iface: Iface = { linkType, snaplen, unitsPerSec: 1e6, nsPerUnit: 1000 };
        // Options: code(2) length(2) value padded to 4; if_tsresol is code 9.
        let o = p + 16;
        const optEnd = p + total - 4;
        while (o + 4 <= optEnd) {
          const code = le ? b.readUInt16LE(o) : b.readUInt16BE(o);
          const olen = le ? b.readUInt16LE(o + 2) : b.readUInt16BE(o + 2);
          if (code === 0) break;
          if (code === 9 && olen >= 1) Object.assign(iface, resolution(b[o + 4]!));
          o += 4 + ((olen + 3) & ~3);
        }
        if (this.linkType < 0) this.linkType = linkType;
        ifaces.push(iface);
      }
      this.pos = p + total;
    }
  }
}

const TS = { sec: 0, nsec: 0 };

/** An interface's timestamp units from its if_tsresol option (a power of ten, or of two with the top bit set). */
export function resolution(tsresol: number): { unitsPerSec: number; nsPerUnit: number } {
  const exp = tsresol & 0x7f;
  if (tsresol & 0x80) return { unitsPerSec: 2 ** exp, nsPerUnit: 0 };
  return { unitsPerSec: 10 ** exp, nsPerUnit: exp <= 9 ? 10 ** (9 - exp) : 0 };
}

/** A pcapng timestamp (two 32-bit halves, in an interface's units) as seconds and nanoseconds, exactly. */
export function pcapngTime(hi: number, lo: number, units: { unitsPerSec: number; nsPerUnit: number }): { sec: number; nsec: number } {
  splitTimestamp(hi, lo, units, TS);
  return TS;
}

function u32(b: Buffer, le: boolean, o: number): number {
  return le ? b.readUInt32LE(o) : b.readUInt32BE(o);
}

/** Residues of 2^32 and 2^48 modulo a unit count, for exact 64-bit division with doubles. */
function splitTimestamp(hi: number, lo: number, iface: { unitsPerSec: number; nsPerUnit: number }, out: { sec: number; nsec: number }): void {
  const u = iface.unitsPerSec;
  const v = hi * 4294967296 + lo; // exact below 2^53, within a few units above
  let rem: number;
  if (v < 9007199254740992) {
    rem = v % u;
  } else if (u <= 1e9) {
    // v = hh*2^48 + hl*2^32 + lo: every product below stays under 2^53.
    const hh = Math.floor(hi / 65536);
    const hl = hi % 65536;
    rem = ((hh * (281474976710656 % u)) % u + (hl * (4294967296 % u)) % u + (lo % u)) % u;
  } else {
    const big = (BigInt(hi) << 32n) | BigInt(lo);
    const bu = BigInt(u);
    out.sec = Number(big / bu);
    out.nsec = Math.floor((Number(big % bu) * 1e9) / u);
    return;
  }
  out.sec = Math.round((v - rem) / u);
  out.nsec = iface.nsPerUnit !== 0 ? rem * iface.nsPerUnit : Math.floor((rem * 1e9) / u);
}

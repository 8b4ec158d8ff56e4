// SSH: the identification lines of both sides, then (SSH 2) the binary
// packets in the clear up to each side's NEWKEYS: both KEXINITs (algorithm
// negotiation, HASSH) and the server's key exchange reply (host key). After
// NEWKEYS a direction is encrypted and the analyzer stops reading it.

import { createHash } from 'node:crypto';
import type { AppMetadata, Direction } from '../analyzer.js';
import { Carry } from '../carry.js';
import { u32, view, wireString } from '../bytes.js';
import type { AppEvents } from '../events.js';
import { GuardedAnalyzer } from '../guarded.js';
import { LineReader } from '../lines.js';
import { md5 } from '../tls/ja3.js';
import { bannerVersion, bidirectional, MAX_BANNER, negotiate, parseKexInit, type KexInit } from './parse.js';
import type { SshInfo } from './types.js';

const MSG_KEXINIT = 20;
const MSG_NEWKEYS = 21;
const MSG_KEX_REPLY = 31; // KEXDH_REPLY, KEX_ECDH_REPLY (and, for group exchange, KEX_DH_GEX_GROUP)
const MSG_GEX_REPLY = 33;
/** Lines a server may send before its identification (RFC 4253 §4.2); a bound, not a standard. */
const MAX_PRE_BANNER_LINES = 32;
const MAX_PACKET = 256 * 1024;
const MAX_KEPT_PACKET = 64 * 1024;

const enum Phase {
  Banner,
  Packets,
  Stopped,
}

class Side {
  phase = Phase.Banner;
  lines = new LineReader(MAX_BANNER);
  preBanner = 0;
  carry = new Carry(4 + MAX_KEPT_PACKET);
  skip = 0;
  kex?: KexInit;
}

export class SshAnalyzer extends GuardedAnalyzer {
  private readonly sides: [Side, Side] = [new Side(), new Side()];
  private info: SshInfo | undefined;
  private reported = false;
  private ts = 0n;

  constructor(events: AppEvents) {
    super(events, 'ssh_analyzer_error');
  }

  protected onData(dir: Direction, b: Uint8Array, start: number, end: number, tsNs: bigint): void {
    this.ts = tsNs;
    const side = this.sides[dir];
    let off = start;
    while (off < end && side.phase !== Phase.Stopped && !this.done) {
      if (side.phase === Phase.Banner) off = side.lines.next(b, off, end, (lb, ls, le) => this.line(dir, lb, ls, le));
      else off = this.packets(dir, b, off, end);
    }
    if (this.sides[0].phase === Phase.Stopped && this.sides[1].phase === Phase.Stopped) this.done = true;
  }

  protected onGap(dir: Direction, bytes: number): void {
    const side = this.sides[dir];
    if (side.phase === Phase.Packets && side.carry.length === 0 && bytes <= side.skip) {
      side.skip -= bytes;
      return;
    }
    if (side.phase !== Phase.Stopped) this.events.weird('ssh_content_gap');
    this.stopSide(dir);
  }

  protected onMetadata(final: boolean): AppMetadata | undefined {
    if (this.reported || !this.info) return undefined;
    if (!final && !this.done) return undefined;
    this.reported = true;
    return { ssh: this.info };
  }

  private line(dir: Direction, b: Uint8Array, start: number, end: number): void {
    const side = this.sides[dir];
    const version = bannerVersion(b, start, end);
    if (version === 0) {
      // Only a server may talk before identifying itself; a client line that is not one means this is not SSH.
      if (dir === 0 || ++side.preBanner > MAX_PRE_BANNER_LINES) {
        this.events.weird('ssh_bad_banner');
        if (this.service === undefined) this.done = true;
        this.stopSide(dir);
      }
      return;
    }
    this.confirm('ssh');
    const info = (this.info ??= { tsNs: this.ts });
    const text = wireString(b, start, end, MAX_BANNER);
    if (dir === 0) info.client = text;
    else info.server = text;
    if (info.version === undefined || version < info.version) info.version = version;
    // SSH 1 packets are not parsed: the banners are all it reveals.
    side.phase = version === 2 ? Phase.Packets : Phase.Stopped;
  }

  /** Binary packets (RFC 4253 §6) in the clear: keeps the few it reads, skips the rest by length. */
  private packets(dir: Direction, b: Uint8Array, off: number, end: number): number {
    const side = this.sides[dir];
    if (side.skip > 0) {
      const n = Math.min(side.skip, end - off);
      side.skip -= n;
      return off + n;
    }
    const c = side.carry;
    if (c.length > 0) {
      // Complete the carried header, then the packet, with just the bytes it lacks.
      const before = c.length;
      const need = before < 6 ? 6 - before : 4 + u32(c.bytes, 0) - before;
      const n = Math.min(need, end - off);
      c.append(b, off, off + n);
      if (before < 6 && c.length === 6 && !this.keep(dir, c.bytes, 0)) {
        side.skip = side.phase === Phase.Stopped ? 0 : 4 + u32(c.bytes, 0) - 6;
        c.clear();
      } else if (c.length >= 6 && c.length === 4 + u32(c.bytes, 0)) {
        this.packet(dir, c.bytes, 0, c.length);
        c.clear();
      }
      return off + n;
    }
    if (end - off < 6) {
      c.append(b, off, end);
      return end;
    }
    const total = 4 + u32(b, off);
    if (!this.keep(dir, b, off)) {
      if (side.phase === Phase.Stopped) return end;
      const n = Math.min(total, end - off);
      side.skip = total - n;
      return off + n;
    }
    if (total > end - off) {
      c.append(b, off, end);
      return end;
    }
    this.packet(dir, b, off, off + total);
    return off + total;
  }

  /** Reads the packet header at b[off..off+6): whether to keep the packet. A bad length stops the side. */
  private keep(dir: Direction, b: Uint8Array, off: number): boolean {
    const len = u32(b, off);
    if (len < 5 || len > MAX_PACKET) {
      this.events.weird('ssh_bad_packet_length');
      this.stopSide(dir);
      return false;
    }
    const type = b[off + 5]!;
    const wanted = type === MSG_KEXINIT || type === MSG_NEWKEYS || (dir === 1 && (type === MSG_KEX_REPLY || type === MSG_GEX_REPLY));
    if (wanted && len > MAX_KEPT_PACKET) {
      this.events.weird('ssh_packet_too_large');
      return false;
    }
    return wanted;
  }

  private packet(dir: Direction, b: Uint8Array, start: number, end: number): void {
    const side = this.sides[dir];
    const pad = b[start + 4]!;
    const payloadEnd = end - pad;
    if (payloadEnd <= start + 5) {
      this.events.weird('ssh_bad_padding');
      return;
    }
    const type = b[start + 5]!;
    if (type === MSG_NEWKEYS) {
      side.phase = Phase.Stopped; // everything after is encrypted
      return;
    }
    if (type === MSG_KEXINIT) {
      const k = parseKexInit(b, start + 5, payloadEnd);
      if (!k) return this.events.weird('ssh_bad_kexinit');
      side.kex ??= k;
      this.negotiated();
      return;
    }
    // The server's key exchange reply starts with its host key blob.
    const kex = this.info?.kexAlg;
    const gex = kex?.startsWith('diffie-hellman-group-exchange') ?? false;
    if ((type === MSG_GEX_REPLY) === gex && this.info && payloadEnd - (start + 6) >= 4) {
      const len = u32(b, start + 6);
      if (len <= payloadEnd - (start + 10)) {
        const hex = createHash('md5').update(view(b, start + 10, start + 10 + len)).digest('hex');
        this.info.hostKey = hex.replace(/(..)(?!$)/g, '$1:');
      }
    }
  }

  private negotiated(): void {
    const c = this.sides[0].kex;
    const s = this.sides[1].kex;
    const info = (this.info ??= { tsNs: this.ts });
    if (c) {
      info.hasshAlgorithms = [c.raw[0], c.raw[2], c.raw[4], c.raw[6]].join(';');
      info.hassh = md5(info.hasshAlgorithms);
    }
    if (s) {
      info.hasshServerAlgorithms = [s.raw[0], s.raw[3], s.raw[5], s.raw[7]].join(';');
      info.hasshServer = md5(info.hasshServerAlgorithms);
    }
    if (!c || !s) return;
    info.kexAlg = negotiate(c.kex, s.kex);
    info.hostKeyAlg = negotiate(c.hostKey, s.hostKey);
    info.cipherAlg = bidirectional(negotiate(c.encC2S, s.encC2S), negotiate(c.encS2C, s.encS2C));
    info.macAlg = bidirectional(negotiate(c.macC2S, s.macC2S), negotiate(c.macS2C, s.macS2C));
    info.compressionAlg = bidirectional(negotiate(c.compC2S, s.compC2S), negotiate(c.compS2C, s.compS2C));
  }

  private stopSide(dir: Direction): void {
    const side = this.sides[dir];
    side.phase = Phase.Stopped;
    side.carry.clear();
    if (this.sides[0].phase === Phase.Stopped && this.sides[1].phase === Phase.Stopped) this.done = true;
  }
}

/**
 * The kernel's own counters for a live capture: packets the packet socket received and
 * packets it dropped because its ring was full (pcap_stats' ps_recv and ps_drop). cap
 * offers no pcap_stats, so the sensor finds the socket libpcap opened for cap (the packet
 * socket that appeared on the device's interface while cap opened it, from
 * /proc/net/packet, then its descriptor from /proc/self/fd) and reads PACKET_STATISTICS
 * from it through a small addon of our own (native/packet-stats.c).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { addonPaths, loadAddon } from './addon.js';

type SocketStatistics = (fd: number) => { packets: number; drops: number };

const ADDON_PATHS = addonPaths('packet-stats');

let loaded: { read: SocketStatistics } | { error: string } | undefined;

/** The addon's reader, or why there is none (not built: no compiler or headers at build time). */
export function socketStatisticsReader(paths: readonly string[] = ADDON_PATHS): { read: SocketStatistics } | { error: string } {
  if (paths === ADDON_PATHS && loaded) return loaded;
  const r = loadAddon<{ socketStatistics: SocketStatistics }>('packet statistics', paths);
  const result = 'addon' in r ? { read: r.addon.socketStatistics } : r;
  if (paths === ADDON_PATHS) loaded = result;
  return result;
}

/** Inodes of the packet sockets bound to interface ifindex (0: bound to every interface). */
export function packetSocketInodes(ifindex: number, table = '/proc/net/packet'): Set<number> {
  const out = new Set<number>();
  let text: string;
  try {
    text = readFileSync(table, 'utf8');
  } catch {
    return out;
  }
  const lines = text.split('\n');
  const head = (lines[0] ?? '').trim().split(/\s+/);
  const ifaceAt = head.indexOf('Iface');
  const inodeAt = head.indexOf('Inode');
  if (ifaceAt < 0 || inodeAt < 0) return out;
  for (const line of lines.slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length <= Math.max(ifaceAt, inodeAt)) continue;
    if (Number(cols[ifaceAt]) === ifindex) out.add(Number(cols[inodeAt]));
  }
  return out;
}

/** The interface's index, or undefined for a device the kernel does not list (e.g. "any"). */
export function interfaceIndex(device: string): number | undefined {
  try {
    const n = Number(readFileSync(`/sys/class/net/${device}/ifindex`, 'utf8').trim());
    return Number.isInteger(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

/** This process's descriptor for the socket with that inode. */
export function descriptorOfSocket(inode: number, fdDir = '/proc/self/fd'): number | undefined {
  const want = `socket:[${inode}]`;
  let names: string[];
  try {
    names = readdirSync(fdDir);
  } catch {
    return undefined; // no /proc here: the count stays unknown, the capture goes on
  }
  for (const name of names) {
    try {
      if (readlinkSync(`${fdDir}/${name}`) === want) return Number(name);
    } catch {
      // closed between the listing and the look
    }
  }
  return undefined;
}

/**
 * The kernel's counts for one capture socket, accumulated: every read zeroes the kernel's
 * counters, so each read adds to the totals here (and nothing else may read them).
 */
export class KernelCaptureCounters {
  private packets = 0;
  private drops = 0;

  constructor(
    readonly fd: number,
    private readonly read: SocketStatistics,
  ) {}

  /** Totals since the capture opened. A read that fails (socket gone at close) keeps the last totals. */
  totals(): { packets: number; drops: number } {
    this.readNow();
    return { packets: this.packets, drops: this.drops };
  }

  /**
   * The totals while the capture runs, or undefined when the counters cannot be read now
   * (the socket gone under a running capture): what was lost since is not known, and is
   * then reported as unknown rather than as the last totals.
   */
  current(): { packets: number; drops: number } | undefined {
    return this.readNow() ? { packets: this.packets, drops: this.drops } : undefined;
  }

  private readNow(): boolean {
    try {
      const s = this.read(this.fd);
      this.packets += s.packets;
      this.drops += s.drops;
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * Runs open (which makes libpcap's socket on the device) and finds that socket: the one
 * packet socket on the device's interface that was not there before. Undefined with the
 * reason when it cannot be told (no addon, no such socket, or several appeared).
 */
export function withKernelCounters<T>(device: string, open: () => T): { value: T; counters?: KernelCaptureCounters; unavailable?: string } {
  const reader = socketStatisticsReader();
  const ifindex = device === 'any' ? 0 : interfaceIndex(device);
  const before = ifindex === undefined ? new Set<number>() : packetSocketInodes(ifindex);
  const value = open();
  if ('error' in reader) return { value, unavailable: reader.error };
  if (ifindex === undefined) return { value, unavailable: `no interface index for ${device}` };
  const fresh = [...packetSocketInodes(ifindex)].filter((i) => !before.has(i));
  if (fresh.length !== 1) return { value, unavailable: `${fresh.length} new packet sockets on ${device}, expected 1` };
  const fd = descriptorOfSocket(fresh[0]!);
  if (fd === undefined) return { value, unavailable: `the packet socket on ${device} is not this process's` };
  return { value, counters: new KernelCaptureCounters(fd, reader.read) };
}

/**
 * The flow table: a bounded set of connections found by a numeric hash with
 * collision chains, a pool of reusable connection objects, the timer lists,
 * interim records for long connections, and the making of records. It takes
 * decoded packets (sensor/decode) and gives ConnRecords (sensor/record).
 */
import type { AnalyzerFactory, AppEvents, AppMetadata, Direction, TlsInfo } from '../app/analyzer.js';
import { icmp4Counterpart, icmp6Counterpart } from '../decode/icmp.js';
import type { Packet } from '../decode/packet.js';
import { TH_ACK, TH_SYN } from '../decode/tcp.js';
import { weirdId, weirdName, type WeirdCounters } from '../decode/weird.js';
import type { PopulationDataPolicyChecker } from '../policy/population-data.js';
import type { ConnRecord, Transport } from '../record.js';
import { AnalyzerClock } from './analyzer-clock.js';
import { communityId } from './community-id.js';
import { APP_ACTIVE, APP_NONE, APP_UNDECIDED, Arena, Conn, type Endpoint, TCP_INACTIVE, TCP_SYN_ACK_SENT, TCP_SYN_SENT } from './conn.js';
import { connState } from './conn-state.js';
import { checkHistory, checksumError } from './history.js';
import { endpointHash, flowHash, formatAddr, isLikelyServerPort } from './key.js';
import { closeComplete, isReuse, processTcp, type TcpHost } from './tcp-state.js';
import { LIST_ATTEMPT, LIST_CLOSED, LIST_ICMP, LIST_OTHER, LIST_TCP, LIST_UDP, TimeoutLists, ZEEK_TIMEOUTS, type TimeoutConfig } from './timeouts.js';

/** UDP "data packet" history bits (once per direction, like Zeek's UDP analyzer). */
const HIST_UDP_DATA = 0x100;

export interface FlowTableOptions {
  /** Most connections tracked at once; beyond it the least recently due is ended early (evicted). */
  maxFlows?: number;
  timeouts?: Partial<TimeoutConfig>;
  /** Seconds between interim records of a long connection; 0 for none. */
  interimSec?: number;
  /** Compute community_id (on by default). */
  communityId?: boolean;
  communityIdSeed?: number;
  /** Application analyzers; none when undefined. */
  analyzers?: AnalyzerFactory;
  policy?: PopulationDataPolicyChecker;
  /** Seed for uids (random by default; fixed in tests for stable output). */
  uidSeed?: number;
  /**
   * When a closed TCP connection's record is written. 'close-delay' (Zeek): when it is
   * removed, the close delay (5 s) after it closed, so late packets are in it. 'close':
   * as soon as the close is complete (a RST, or both FINs acknowledged), which is what
   * a live sensor wants (detection waits on the record); the connection then stays for
   * the close delay only to absorb stragglers, which are counted (stats.afterRecord),
   * not recorded.
   */
  recordAt?: 'close' | 'close-delay';
}

/** One row of weird.log that belongs to a connection. */
export interface ConnWeird {
  tsSec: number;
  tsNsec: number;
  uid: string;
  origH: string;
  origP: number;
  respH: string;
  respP: number;
  name: string;
}

export interface FlowOutput {
  record(r: ConnRecord): void;
  connWeird?(w: ConnWeird): void;
}

export class FlowTableStats {
  created = 0;
  /** Connections ended by a timer (inactivity, attempt, close delay). */
  expired = 0;
  /** Connections ended early because the table was full. */
  evicted = 0;
  /** Connections ended because a SYN reused their addresses and ports. */
  reused = 0;
  records = 0;
  interims = 0;
  /** Packets of connections whose record was already written at their close (recordAt 'close'). */
  afterRecord = 0;
}

interface InterimEntry {
  due: number;
  c: Conn;
  gen: number;
}

const TRANSPORT: Record<number, Transport> = { 6: 'tcp', 17: 'udp', 1: 'icmp', 58: 'icmp' };

export class FlowTable implements TcpHost {
  readonly stats = new FlowTableStats();
  readonly lingerNs: number;
  /** Seconds of the time base: packet times are kept as ns relative to it. */
  baseSec = 0;
  private active = 0;
  private readonly max: number;
  /**
   * Hash buckets, grown with the number of live connections (not sized for
   * maxFlows up front): a table of a few thousand connections then has a
   * bucket array that stays in the CPU cache, where one sized for a million
   * costs a cache miss on every packet.
   */
  private buckets: (Conn | null)[];
  private mask: number;
  private readonly pool: Conn[] = [];
  private readonly arena = new Arena();
  private readonly lists: TimeoutLists;
  private nextCheck = Infinity;
  private readonly interimNs: number;
  private readonly recordAtClose: boolean;
  private sHead: Conn | null = null;
  private sTail: Conn | null = null;
  private readonly heap: InterimEntry[] = [];
  private readonly withCommunityId: boolean;
  private readonly seed: number;
  private readonly factory: AnalyzerFactory | undefined;
  private readonly policy: PopulationDataPolicyChecker | undefined;
  private uidState: number;
  private uidCounter = 0;
  private createdFlipped = false;
  /** The packet being processed: its time (ns, relative); -0 makes it a double field from the start (see Pipeline.lastNow). */
  nowNs = -0;
  private readonly appEvents: AppEvents & { current: Conn | null };
  private readonly clock = new AnalyzerClock();
  /** TLS summaries per connection kept for the policy verdict (metadata drains, the verdict needs them later). */
  private readonly tlsSeen = new WeakMap<Conn, { gen: number; tls: TlsInfo }>();

  constructor(
    private readonly wc: WeirdCounters,
    private readonly out: FlowOutput,
    opts: FlowTableOptions = {},
  ) {
    this.max = Math.max(16, opts.maxFlows ?? 1_000_000);
    this.buckets = new Array<Conn | null>(MIN_BUCKETS).fill(null);
    this.mask = MIN_BUCKETS - 1;
    const t = { ...ZEEK_TIMEOUTS, ...opts.timeouts };
    this.lists = new TimeoutLists(t);
    this.lingerNs = 5e9; // Zeek's tcp_connection_linger
    this.interimNs = (opts.interimSec ?? 60) * 1e9;
    this.recordAtClose = opts.recordAt === 'close';
    this.withCommunityId = opts.communityId ?? true;
    this.seed = opts.communityIdSeed ?? 0;
    this.factory = opts.analyzers;
    this.policy = opts.policy && !opts.policy.empty ? opts.policy : undefined;
    this.uidState = (opts.uidSeed ?? Math.floor(Math.random() * 0x7fffffff)) | 1;
    const self = this;
    this.appEvents = {
      current: null,
      weird(name: string): void {
        const c = this.current;
        if (c !== null && c.live) self.weird(c, weirdId(name));
        else self.wc.inc(weirdId(name));
      },
    };
  }

  get size(): number {
    return this.active;
  }

  // ------------------------------------------------------------------ packets

  /**
   * Accounts one decoded IP packet (p) at its time p.now (ns relative to baseSec) to
   * its connection, creating it if needed. parent: the tunnel connection it
   * came out of. Returns the connection (a tunnel's inner packets need it).
   */
  process(p: Packet, parent: Conn | null): Conn {
    // The time is read from p at each use rather than kept in a local: a local
    // double that several calls take as an argument gets boxed once at the top,
    // i.e. a heap number per packet even when none of those calls is made.
    if (p.now >= this.nextCheck) this.advance(p.now);
    this.nowNs = p.now;
    const proto = p.proto;
    let sport = p.sport;
    let dport = p.dport;
    let oneWay = false;
    if (proto === 1 || proto === 58) {
      const cp = proto === 1 ? icmp4Counterpart(p.icmpType, p.icmpCode) : icmp6Counterpart(p.icmpType, p.icmpCode);
      sport = p.icmpType;
      dport = cp & 0xffff;
      oneWay = cp > 0xffff;
    } else if (proto !== 6 && proto !== 17) {
      sport = 0;
      dport = 0;
    }
    const hs = endpointHash(p.s0, p.s1, p.s2, p.s3, sport);
    const hd = endpointHash(p.d0, p.d1, p.d2, p.d3, dport);
    const h = flowHash(hs, hd, proto, oneWay);

    let c: Conn | null = this.buckets[h & this.mask]!;
    let isOrig = true;
    while (c !== null) {
      if (c.hash === h && c.proto === proto) {
        if (c.op === sport && c.rp === dport && c.sameAddrs(p)) {
          isOrig = true;
          break;
        }
        if (!c.oneWay && c.op === dport && c.rp === sport && c.reverseAddrs(p)) {
          isOrig = false;
          break;
        }
      }
      c = c.next;
    }
    if (c !== null && proto === 6 && p.tcpFlags & TH_SYN && isReuse(c, p, this)) {
      this.stats.reused++;
      this.finish(c, false);
      c = null;
    }
    if (c === null) {
      c = this.create(p, h, sport, dport, oneWay, p.now, parent);
      isOrig = !this.createdFlipped;
    }

    const ep = isOrig ? c.o : c.r;
    if (p.l4Bad) {
      // Found or made from the header, then judged by its checksum, as Zeek does (decode/checksum.ts):
      // a bad packet leaves a weird and a 'C'/'c', and counts for nothing else, not even as activity.
      this.weird(c, proto === 6 ? W_BAD_TCP_CHECKSUM : proto === 17 ? W_BAD_UDP_CHECKSUM : W_BAD_ICMP_CHECKSUM);
      if (proto === 6 || proto === 17) checksumError(c, ep);
      return c;
    }
    ep.pkts++;
    ep.ipBytes += p.ipLen;
    if (p.mplsCount !== 0) this.noteMpls(c, p);

    if (proto === 6) {
      processTcp(c, isOrig, p, this);
      if (this.recordAtClose && c.list === LIST_CLOSED && !c.recorded && closeComplete(c)) this.recordNow(c);
    } else {
      c.lastFrom(p);
      ep.bytes += p.payLen;
      if (proto === 17) {
        checkHistory(c, ep, HIST_UDP_DATA, 'D');
        if (p.payCap > 0 && this.factory !== undefined && c.appState !== APP_NONE) this.deliver(c, ep, p.buf, p.payOff, p.payOff + p.payCap);
      }
    }
    if (c.list >= 0) this.lists.touch(c, this);
    if (c.interimLapsed) this.resumeInterims(c, p.now);
    return c;
  }

  private create(p: Packet, h: number, sport: number, dport: number, oneWay: boolean, now: number, parent: Conn | null): Conn {
    if (this.active >= this.max) {
      const victim = this.lists.oldest();
      if (victim !== null) {
        victim.evicted = true;
        this.stats.evicted++;
        this.finish(victim, false);
      }
    }
    // The parents' uids before taking a pooled object: the parent may be the connection just evicted, whose object that is.
    const parentUids = parent === null ? null : parent.parentUids === null ? [this.uidOf(parent)] : [this.uidOf(parent), ...parent.parentUids];
    const c = this.pool.pop() ?? new Conn(this.arena);
    c.reset();
    c.live = true;
    c.hash = h;
    c.proto = p.proto;
    c.ipVersion = p.ipVersion;
    c.oneWay = oneWay;
    c.oa0 = p.s0;
    c.oa1 = p.s1;
    c.oa2 = p.s2;
    c.oa3 = p.s3;
    c.ra0 = p.d0;
    c.ra1 = p.d1;
    c.ra2 = p.d2;
    c.ra3 = p.d3;
    c.op = sport;
    c.rp = dport;
    c.start = now;
    c.last = now;
    c.vlan = p.vlan0;
    c.innerVlan = p.vlan1;
    c.parentUids = parentUids;
    if (this.factory === undefined || (p.proto !== 6 && p.proto !== 17)) c.appState = APP_NONE;
    // Zeek's guess at who the server is when the first packet is not a clean SYN: the likely server port.
    let flip = false;
    if (p.proto === 6) {
      const f = p.tcpFlags;
      if ((!(f & TH_SYN) || f & TH_ACK) && isLikelyServerPort(6, sport)) flip = isLikelyServerPort(6, dport) ? !(f & TH_SYN) && sport < dport : true;
    } else if (p.proto === 17) {
      flip = isLikelyServerPort(17, sport) && !isLikelyServerPort(17, dport);
    }
    if (flip) c.flip();
    this.createdFlipped = flip;
    if (this.active >= this.buckets.length) this.growBuckets();
    const b = this.buckets;
    const i = h & this.mask;
    c.next = b[i]!;
    b[i] = c;
    this.active++;
    this.stats.created++;
    this.lists.put(c, p.proto === 6 ? LIST_TCP : p.proto === 17 ? LIST_UDP : p.proto === 1 || p.proto === 58 ? LIST_ICMP : LIST_OTHER, now);
    if (c.deadline < this.nextCheck) this.nextCheck = c.deadline;
    if (this.interimNs > 0) {
      c.interimDue = now + this.interimNs;
      c.inStartList = true;
      c.sprev = this.sTail;
      c.snext = null;
      if (this.sTail !== null) this.sTail.snext = c;
      else this.sHead = c;
      this.sTail = c;
      if (c.interimDue < this.nextCheck) this.nextCheck = c.interimDue;
    }
    return c;
  }

  /** Twice the buckets (at one connection per bucket on average), every chain rehashed. */
  private growBuckets(): void {
    const old = this.buckets;
    const size = old.length * 2;
    const b = new Array<Conn | null>(size).fill(null);
    const mask = size - 1;
    for (let i = 0; i < old.length; i++) {
      let c: Conn | null = old[i]!;
      while (c !== null) {
        const next: Conn | null = c.next;
        const j = c.hash & mask;
        c.next = b[j]!;
        b[j] = c;
        c = next;
      }
    }
    this.buckets = b;
    this.mask = mask;
  }

  private noteMpls(c: Conn, p: Packet): void {
    let seen = c.mpls;
    const n = p.mplsCount < p.mpls.length ? p.mplsCount : p.mpls.length;
    for (let i = 0; i < n; i++) {
      const label = p.mpls[i]!;
      if (seen === null) seen = c.mpls = [];
      else if (seen.includes(label)) continue;
      if (seen.length < 16) seen.push(label);
    }
  }

  // ------------------------------------------------------------------ TcpHost

  weird(c: Conn, id: number): void {
    this.wc.count(id);
    const logged = c.weirdsLogged;
    if (logged === -1) c.weirdsLogged = id;
    else if (typeof logged === 'number') {
      if (logged === id) return;
      c.weirdsLogged = [logged, id];
    } else if (logged.includes(id)) return;
    else logged.push(id);
    if (this.out.connWeird !== undefined) {
      const sec = Math.floor(this.nowNs / 1e9);
      this.out.connWeird({
        tsSec: this.baseSec + sec,
        tsNsec: this.nowNs - sec * 1e9,
        uid: this.uidOf(c),
        origH: formatAddr(c.oa0, c.oa1, c.oa2, c.oa3, c.ipVersion === 4),
        origP: c.op,
        respH: formatAddr(c.ra0, c.ra1, c.ra2, c.ra3, c.ipVersion === 4),
        respP: c.rp,
        name: weirdName(id),
      });
    }
  }

  closed(c: Conn): void {
    // Zeek's delete timer: the close delay counts from the last activity, not refreshed afterwards.
    this.lists.put(c, LIST_CLOSED, c.last);
    if (c.deadline < this.nextCheck) this.nextCheck = c.deadline;
  }

  attempt(c: Conn): void {
    this.lists.put(c, LIST_ATTEMPT, this.nowNs);
    if (c.deadline < this.nextCheck) this.nextCheck = c.deadline;
  }

  wants(c: Conn): boolean {
    return c.appState !== APP_NONE;
  }

  deliver(c: Conn, ep: Endpoint, buf: Uint8Array, start: number, end: number): void {
    if (end <= start) return;
    const dir: Direction = ep === c.o ? 0 : 1;
    let a = c.app;
    if (c.appState === APP_UNDECIDED) {
      a = this.factory!(c.proto as 6 | 17, c.rp, c.op, dir, buf, start, end, this.appEvents) ?? null;
      if (a === null) {
        c.appState = APP_NONE;
        return;
      }
      c.app = a;
      c.appState = APP_ACTIVE;
    }
    this.appEvents.current = c;
    try {
      a!.deliver(dir, buf, start, end, this.clock.at(this.baseSec, this.nowNs));
    } catch {
      // An analyzer bug must never stop the sensor: count it and stop analyzing this connection.
      this.weird(c, W_APP_EXCEPTION);
      c.appState = APP_NONE;
    }
    this.appEvents.current = null;
    if (a!.done) c.appState = APP_NONE;
  }

  gap(c: Conn, ep: Endpoint, len: number): void {
    const a = c.app;
    if (a === null) {
      // No analyzer chose this stream yet: with a hole at its start, content detection cannot work.
      if (c.appState === APP_UNDECIDED) c.appState = APP_NONE;
      return;
    }
    this.appEvents.current = c;
    try {
      a.gap(ep === c.o ? 0 : 1, len);
    } catch {
      this.weird(c, W_APP_EXCEPTION);
      c.appState = APP_NONE;
    }
    this.appEvents.current = null;
    if (a.done) c.appState = APP_NONE;
  }

  // ------------------------------------------------------------------ time

  /** When the next timer is due (ns): tick() before it does nothing. */
  get nextDue(): number {
    return this.nextCheck;
  }

  /** Lets time pass (a packet that made no flow, or a quiet live link): runs the timers if any is due. */
  tick(now: number): void {
    if (now >= this.nextCheck) this.advance(now);
  }

  /** Runs the timers due at now (ns): expiries and interim records. */
  advance(now: number): void {
    const lists = this.lists;
    for (;;) {
      const c = lists.due(now);
      if (c === null) break;
      if (c.list === LIST_ATTEMPT && !((c.o.state === TCP_SYN_SENT || c.o.state === TCP_SYN_ACK_SENT) && c.r.state === TCP_INACTIVE)) {
        // The attempt was answered: from now on only inactivity ends it.
        lists.put(c, LIST_TCP, c.last);
        continue;
      }
      this.stats.expired++;
      this.finish(c, false);
    }
    if (this.interimNs > 0) this.interims(now);
    let next = Infinity;
    for (let l = 0; l < lists.head.length; l++) {
      const h = lists.head[l];
      if (h && h.deadline < next) next = h.deadline;
    }
    if (this.sHead !== null && this.sHead.interimDue < next) next = this.sHead.interimDue;
    if (this.heap.length > 0 && this.heap[0]!.due < next) next = this.heap[0]!.due;
    this.nextCheck = next;
  }

  private interims(now: number): void {
    while (this.sHead !== null && this.sHead.interimDue <= now) {
      const c = this.sHead;
      this.unlinkStart(c);
      this.checkpoint(c, c.interimDue);
    }
    const heap = this.heap;
    while (heap.length > 0 && heap[0]!.due <= now) {
      const e = heapPop(heap)!;
      if (e.c.gen !== e.gen || !e.c.live) continue;
      this.checkpoint(e.c, e.due);
    }
  }

  /**
   * An interim checkpoint of c at time due: a record if it is moving, and the
   * next checkpoint; or, for a connection quiet for the last half interval (usually a
   * short exchange waiting out its timeout), no more checkpoints until its next
   * packet brings it back (see resumeInterims).
   */
  private checkpoint(c: Conn, due: number): void {
    const idle = c.last < due - this.interimNs / 2;
    this.emitInterim(c, due);
    if (idle) {
      c.interimDue = -1;
      c.interimLapsed = true;
      return;
    }
    c.interimDue = due + this.interimNs;
    heapPush(this.heap, { due: c.interimDue, c, gen: c.gen });
  }

  /** A packet on a connection whose checkpoints lapsed while it was idle: schedule the next one. */
  private resumeInterims(c: Conn, now: number): void {
    c.interimLapsed = false;
    const k = Math.floor((now - c.start) / this.interimNs) + 1;
    c.interimDue = c.start + k * this.interimNs;
    heapPush(this.heap, { due: c.interimDue, c, gen: c.gen });
    if (c.interimDue < this.nextCheck) this.nextCheck = c.interimDue;
  }

  /**
   * An interim record for a connection that is still moving: one with packets
   * since its last record and in the last half interval. A short exchange
   * waiting out its inactivity timeout has nothing new to say.
   */
  private emitInterim(c: Conn, due: number): void {
    if (c.recorded) return;
    const pkts = c.o.pkts + c.r.pkts;
    if (pkts === c.reportedPkts || c.last < due - this.interimNs / 2) return;
    c.reportedPkts = pkts;
    c.interims++;
    this.stats.interims++;
    this.out.record(this.makeRecord(c, true));
  }

  private unlinkStart(c: Conn): void {
    if (!c.inStartList) return;
    const pr = c.sprev;
    const n = c.snext;
    if (pr !== null) pr.snext = n;
    else this.sHead = n;
    if (n !== null) n.sprev = pr;
    else this.sTail = pr;
    c.sprev = null;
    c.snext = null;
    c.inStartList = false;
  }

  /** Ends every connection (end of input, shutdown): a record for each, in order of their start. */
  flush(): void {
    const all: Conn[] = [];
    for (let l = 0; l < this.lists.head.length; l++) for (let c: Conn | null = this.lists.head[l]!; c !== null; c = c.lnext) all.push(c);
    all.sort((a, b) => a.start - b.start);
    for (const c of all) this.finish(c, false);
  }

  // ------------------------------------------------------------------ records

  /** The final record of a connection whose close is complete; it stays in the table until its close delay ends. */
  private recordNow(c: Conn): void {
    this.out.record(this.makeRecord(c, false));
    this.stats.records++;
    c.recorded = true;
    c.reportedPkts = c.o.pkts + c.r.pkts;
    this.unlinkStart(c);
  }

  /** Ends connection c: its final record (unless written at its close), then back to the pool. */
  private finish(c: Conn, _reuse: boolean): void {
    if (c.recorded) this.stats.afterRecord += c.o.pkts + c.r.pkts - c.reportedPkts;
    else {
      this.out.record(this.makeRecord(c, false));
      this.stats.records++;
    }
    // Out of the hash chain.
    const i = c.hash & this.mask;
    let prev: Conn | null = null;
    let x: Conn | null = this.buckets[i]!;
    while (x !== null && x !== c) {
      prev = x;
      x = x.next;
    }
    if (x === c) {
      if (prev === null) this.buckets[i] = c.next;
      else prev.next = c.next;
    }
    this.lists.unlink(c);
    this.unlinkStart(c);
    c.live = false;
    c.app = null;
    if (this.policy !== undefined) this.tlsSeen.delete(c);
    this.active--;
    this.pool.push(c);
  }

  uidOf(c: Conn): string {
    if (c.uid === null) c.uid = this.newUid();
    return c.uid;
  }

  private newUid(): string {
    // xorshift over a per-run seed and a counter: unique within a run, unpredictable across runs.
    let x = (this.uidState ^ Math.imul(++this.uidCounter, 0x9e3779b1)) | 0;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.uidState = x;
    let y = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) ^ this.uidCounter;
    const a = x >>> 0;
    y = y >>> 0;
    UID[0] = 0x43; // 'C'
    base62(a, 1, 6);
    base62(y, 7, 6);
    base62(this.uidCounter % 238328, 13, 3);
    // Sixteen arguments spelled out: apply() over the array would copy it into an argument list first, per connection.
    const u = UID;
    return String.fromCharCode(u[0]!, u[1]!, u[2]!, u[3]!, u[4]!, u[5]!, u[6]!, u[7]!, u[8]!, u[9]!, u[10]!, u[11]!, u[12]!, u[13]!, u[14]!, u[15]!);
  }

  private makeRecord(c: Conn, interim: boolean): ConnRecord {
    const v4 = c.ipVersion === 4;
    const sec = Math.floor(c.start / 1e9);
    const tsNsec = c.start - sec * 1e9;
    const tsSec = this.baseSec + sec;
    const durationNs = c.last - c.start;
    const isTcp = c.proto === 6;
    let app: AppMetadata | undefined;
    if (c.app !== null) {
      this.appEvents.current = c;
      try {
        app = c.app.metadata(!interim);
      } catch {
        this.weird(c, W_APP_EXCEPTION);
      }
      this.appEvents.current = null;
      if (app?.tls !== undefined && this.policy !== undefined) this.tlsSeen.set(c, { gen: c.gen, tls: app.tls });
    }
    // The final call is the analyzer's end (a native one is closed by it): what arrives after the record is not analyzed,
    // nor does it start an analyzer that no record would ever ask (with recordAt 'close', stragglers).
    if (!interim) c.appState = APP_NONE;
    const origBytes = isTcp ? c.o.tcpSize(c.r) : c.o.bytes;
    const respBytes = isTcp ? c.r.tcpSize(c.o) : c.r.bytes;
    const rec: ConnRecord = {
      ts: tsSec + Math.floor(tsNsec / 1000) / 1e6,
      tsSec,
      tsNsec,
      uid: this.uidOf(c),
      origH: formatAddr(c.oa0, c.oa1, c.oa2, c.oa3, v4),
      origP: c.op,
      respH: formatAddr(c.ra0, c.ra1, c.ra2, c.ra3, v4),
      respP: c.rp,
      proto: TRANSPORT[c.proto] ?? 'unknown_transport',
      ipProto: c.proto,
      service: c.app?.service,
      duration: durationNs / 1e9,
      durationNs,
      origBytes,
      respBytes,
      connState: connState(c),
      missedBytes: c.missed,
      history: c.history,
      origPkts: c.o.pkts,
      origIpBytes: c.o.ipBytes,
      respPkts: c.r.pkts,
      respIpBytes: c.r.ipBytes,
      tunnelParents: c.parentUids === null ? NONE : c.parentUids.slice(),
      vlan: c.vlan >= 0 ? c.vlan : undefined,
      innerVlan: c.innerVlan >= 0 ? c.innerVlan : undefined,
      mplsLabels: c.mpls === null ? NO_LABELS : c.mpls.slice(),
      communityId: this.withCommunityId ? communityId(c, this.seed) : undefined,
      interim,
      evicted: c.evicted,
      weirds: weirdNames(c),
      app,
      policy: undefined,
    };
    if (this.policy !== undefined) {
      const service = this.policy.match(c.ra0, c.ra1, c.ra2, c.ra3, c.rp);
      if (service !== undefined) {
        const seen = this.tlsSeen.get(c);
        const tls = seen !== undefined && seen.gen === c.gen ? seen.tls : null;
        const sawPayload = origBytes > 0 || respBytes > 0;
        rec.policy = this.policy.verdict(service, this.policy.isEnforcer(c.oa0, c.oa1, c.oa2, c.oa3), tls, sawPayload);
      }
    }
    return rec;
  }
}

function weirdNames(c: Conn): readonly string[] {
  const logged = c.weirdsLogged;
  if (logged === -1) return NONE;
  return typeof logged === 'number' ? [weirdName(logged)] : logged.map(weirdName);
}

const W_APP_EXCEPTION = weirdId('app_analyzer_exception');
const W_BAD_TCP_CHECKSUM = weirdId('bad_TCP_checksum');
const W_BAD_UDP_CHECKSUM = weirdId('bad_UDP_checksum');
const W_BAD_ICMP_CHECKSUM = weirdId('bad_ICMP_checksum');
const MIN_BUCKETS = 4096;
/** Shared empty lists for the (usual) records without tunnels, labels or weirds: no allocation per record. */
const NONE: readonly string[] = Object.freeze([]);
const NO_LABELS: readonly number[] = Object.freeze([]);

const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** The characters of a uid, filled in place and made a string at once. */
const UID = new Uint16Array(16);
/** width base-62 digits of n into UID from at, least significant first. */
function base62(n: number, at: number, width: number): void {
  for (let i = 0; i < width; i++) {
    UID[at + i] = B62.charCodeAt(n % 62);
    n = Math.floor(n / 62);
  }
}

function heapPush(h: InterimEntry[], e: InterimEntry): void {
  h.push(e);
  let i = h.length - 1;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (h[p]!.due <= e.due) break;
    h[i] = h[p]!;
    i = p;
  }
  h[i] = e;
}

function heapPop(h: InterimEntry[]): InterimEntry | undefined {
  const top = h[0];
  const last = h.pop();
  if (h.length === 0 || last === undefined) return top;
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= h.length) break;
    const r = l + 1;
    const m = r < h.length && h[r]!.due < h[l]!.due ? r : l;
    if (h[m]!.due >= last.due) break;
    h[i] = h[m]!;
    i = m;
  }
  h[i] = last;
  return top;
}

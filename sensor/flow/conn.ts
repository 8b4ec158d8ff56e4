/**
 * A connection and its two endpoints, shaped after Zeek's Connection and
 * TCP_Endpoint. Objects are pooled by the flow table and reused, so their
 * fields are all initialized in the constructor (one hidden class, no
 * per-connection allocation in steady state). Times are nanoseconds relative
 * to the pipeline's time base (exact in a double for 104 days).
 */
import type { AppAnalyzer } from '../app/analyzer.js';
import type { Packet } from '../decode/packet.js';

/** TCP endpoint states (Zeek's TCP_ENDPOINT_*); UDP/ICMP use INACTIVE/ACTIVE via packet counts. */
export const TCP_INACTIVE = 0;
export const TCP_SYN_SENT = 1;
export const TCP_SYN_ACK_SENT = 2;
export const TCP_PARTIAL = 3;
export const TCP_ESTABLISHED = 4;
export const TCP_CLOSED = 5;
export const TCP_RESET = 6;

/** App analysis: not decided yet, running, or nothing (more) to do. */
export const APP_UNDECIDED = 0;
export const APP_ACTIVE = 1;
export const APP_NONE = 2;

/**
 * Numbers that are usually beyond V8's small-integer range (times in ns,
 * sequence numbers, IPv4 addresses) live in a Float64Array arena rather than
 * in object fields, where each would be a separate boxed number: a million
 * connections then cost tens of megabytes less, and updating them allocates nothing.
 */
export const SLOT_DOUBLES = 18;
const SLOTS_PER_CHUNK = 8192;

export class Arena {
  private chunk = new Float64Array(SLOT_DOUBLES * SLOTS_PER_CHUNK);
  private used = 0;

  /** A fresh slot: the chunk holding it and its first index. */
  alloc(): { f: Float64Array; base: number } {
    if (this.used === SLOTS_PER_CHUNK) {
      this.chunk = new Float64Array(SLOT_DOUBLES * SLOTS_PER_CHUNK);
      this.used = 0;
    }
    return { f: this.chunk, base: this.used++ * SLOT_DOUBLES };
  }
}

// Slot layout (indexes from the slot's base).
const F_START = 0;
const F_LAST = 1;
const F_DEADLINE = 2;
const F_INTERIM = 3;
const F_OA = 4; // 4 words
const F_RA = 8; // 4 words
const F_EP0 = 12; // 3 per endpoint: start, last, ack sequence
const F_EP1 = 15;

export interface OutOfOrder {
  /** Sorted [start, end) pairs of relative sequence numbers. */
  ranges: number[];
  /** Copies of their bytes while an app analyzer wants the stream (null when not kept). */
  data: (Uint8Array | null)[];
  /** Bytes held in data. */
  bytes: number;
}

export class Endpoint {
  isOrig = true;
  /** Packets and IP bytes (Zeek's ConnSize: every packet, IP total length). */
  pkts = 0;
  ipBytes = 0;
  /** Payload bytes for UDP/ICMP/other (TCP computes its size from sequence numbers). */
  bytes = 0;

  state = TCP_INACTIVE;
  prevState = TCP_INACTIVE;
  /** Sequence-number bookkeeping: unsigned 32-bit values (in the arena) plus wrap counts. */
  seqWraps = 0;
  ackWraps = 0;
  finCnt = 0;
  rstCnt = 0;
  /** Relative sequence number just past the FIN. */
  finSeq = 0;
  didClose = false;
  histLastSyn = 0;
  histLastFin = 0;
  histLastRst = 0;
  /** Counts behind the logarithmic history letters (a letter at the 1st, 10th, 100th...). */
  rxmtCnt = 0;
  win0Cnt = 0;
  gapCnt = 0;
  /** Packets with a bad TCP/UDP checksum (behind the 'C' letters). */
  chkCnt = 0;

  /** Reassembly: relative sequence up to which the stream is accounted for (delivered or declared missing). */
  reasm = 1;
  /** Segments seen above a hole; null while the stream is in order (almost always). */
  ooo: OutOfOrder | null = null;

  constructor(
    private readonly f: Float64Array,
    private readonly b: number,
  ) {}

  get startSeq(): number {
    return this.f[this.b]!;
  }
  set startSeq(v: number) {
    this.f[this.b] = v;
  }
  get lastSeq(): number {
    return this.f[this.b + 1]!;
  }
  set lastSeq(v: number) {
    this.f[this.b + 1] = v;
  }
  get ackSeq(): number {
    return this.f[this.b + 2]!;
  }
  set ackSeq(v: number) {
    this.f[this.b + 2] = v;
  }

  reset(isOrig: boolean): void {
    this.isOrig = isOrig;
    this.pkts = 0;
    this.ipBytes = 0;
    this.bytes = 0;
    this.state = TCP_INACTIVE;
    this.prevState = TCP_INACTIVE;
    this.startSeq = 0;
    this.lastSeq = 0;
    this.ackSeq = 0;
    this.seqWraps = 0;
    this.ackWraps = 0;
    this.finCnt = 0;
    this.rstCnt = 0;
    this.finSeq = 0;
    this.didClose = false;
    this.histLastSyn = 0;
    this.histLastFin = 0;
    this.histLastRst = 0;
    this.rxmtCnt = 0;
    this.win0Cnt = 0;
    this.gapCnt = 0;
    this.chkCnt = 0;
    this.reasm = 1;
    this.ooo = null;
  }

  setState(s: number): void {
    if (s !== this.state) {
      this.prevState = this.state;
      this.state = s;
    }
  }

  /** Zeek's TCP_Endpoint::Size(): payload bytes from sequence numbers (SYN and FIN octets excluded). */
  tcpSize(peer: Endpoint): number {
    if (this.prevState === TCP_SYN_SENT && this.state === TCP_RESET && peer.state === TCP_INACTIVE && !this.noDataAcked()) {
      // A half-open connection discovered and aborted: its sequence numbers say nothing about data.
      return 0;
    }
    const last = this.seqWraps * 4294967296 + this.lastSeq;
    const ack = this.ackWraps * 4294967296 + this.ackSeq;
    let size = (last > ack ? last : ack) - this.startSeq;
    if (size <= 0) return 0;
    size--; // the SYN octet
    if (this.finCnt > 0 && size !== 0) size--; // the FIN octet
    return size;
  }

  noDataAcked(): boolean {
    const ack = this.ackWraps * 4294967296 + this.ackSeq;
    return ack === this.startSeq || ack === this.startSeq + 1;
  }
}

export class Conn {
  // --- identity (orig = "o", resp = "r"); addresses as four 32-bit words, IPv4 mapped ---
  hash = 0;
  /** Next connection in the same hash bucket. */
  next: Conn | null = null;
  proto = 0;
  ipVersion = 4;
  /** ICMP messages without a reply type are keyed by direction. */
  oneWay = false;
  op = 0;
  rp = 0;
  o: Endpoint;
  r: Endpoint;
  history = '';
  /** Which once-per-direction history letters were recorded (responder bits shifted by 16). */
  histSeen = 0;
  /** TCP: the connection did not start with a SYN from the originator. */
  isPartial = false;
  /** Bit 1: a packet from the originator was seen; bit 2: from the responder. */
  firstSeen = 0;
  missed = 0;
  /** VLAN ids of the first packet (Zeek's vlan / inner_vlan), -1 when none. */
  vlan = -1;
  innerVlan = -1;
  /** Distinct MPLS labels seen in either direction, in order of appearance. */
  mpls: number[] | null = null;
  /** Uids of the encapsulating connections for tunneled traffic, innermost tunnel first. */
  parentUids: string[] | null = null;
  uid: string | null = null;

  // --- timeouts ---
  /** Which timeout list the connection is on (-1: none); its deadline is in the arena. */
  list = -1;
  lprev: Conn | null = null;
  lnext: Conn | null = null;
  /** Start-ordered list, for interim records. */
  sprev: Conn | null = null;
  snext: Conn | null = null;
  inStartList = false;
  /** How many interim records were emitted (when the next is due is in the arena). */
  interims = 0;
  /**
   * Checkpoints stopped while the connection was idle (interimDue is -1 then).
   * Kept as a flag too because every packet asks: reading interimDue through its
   * getter, where the getter is not inlined, returns a boxed number per packet.
   */
  interimLapsed = false;
  /** Packets counted when the last interim record was made. */
  reportedPkts = 0;
  /** Evicted to make room (the record says so). */
  evicted = false;
  /** Its final record was written when its close completed; it stays only to absorb stragglers. */
  recorded = false;

  // --- application layer ---
  app: AppAnalyzer | null = null;
  appState = APP_UNDECIDED;
  /**
   * Weird ids already logged for this connection (weird.log has one row per connection and
   * name), in order: -1 for none, the id itself for one, an array from the second on. A
   * flood of anomalous packets (bad checksums) gives a million connections one weird each,
   * which then cost no allocation (an array each was 180 MB per million).
   */
  weirdsLogged: number | number[] = -1;
  /** Distinguishes incarnations of a pooled object (timers and children hold (conn, gen) pairs). */
  gen = 0;
  /** Whether the connection is currently in the table. */
  live = false;

  private readonly f: Float64Array;
  private readonly b: number;

  constructor(arena: Arena) {
    const slot = arena.alloc();
    this.f = slot.f;
    this.b = slot.base;
    this.o = new Endpoint(this.f, this.b + F_EP0);
    this.r = new Endpoint(this.f, this.b + F_EP1);
  }

  /** First and last packet times (ns, relative to the time base), the timer deadline and the next interim time. */
  get start(): number {
    return this.f[this.b + F_START]!;
  }
  set start(v: number) {
    this.f[this.b + F_START] = v;
  }
  get last(): number {
    return this.f[this.b + F_LAST]!;
  }
  set last(v: number) {
    this.f[this.b + F_LAST] = v;
  }
  get deadline(): number {
    return this.f[this.b + F_DEADLINE]!;
  }
  set deadline(v: number) {
    this.f[this.b + F_DEADLINE] = v;
  }
  get interimDue(): number {
    return this.f[this.b + F_INTERIM]!;
  }
  set interimDue(v: number) {
    this.f[this.b + F_INTERIM] = v;
  }
  /** Originator and responder addresses: four 32-bit words each (IPv4 mapped). */
  get oa0(): number {
    return this.f[this.b + F_OA]!;
  }
  set oa0(v: number) {
    this.f[this.b + F_OA] = v;
  }
  get oa1(): number {
    return this.f[this.b + F_OA + 1]!;
  }
  set oa1(v: number) {
    this.f[this.b + F_OA + 1] = v;
  }
  get oa2(): number {
    return this.f[this.b + F_OA + 2]!;
  }
  set oa2(v: number) {
    this.f[this.b + F_OA + 2] = v;
  }
  get oa3(): number {
    return this.f[this.b + F_OA + 3]!;
  }
  set oa3(v: number) {
    this.f[this.b + F_OA + 3] = v;
  }
  get ra0(): number {
    return this.f[this.b + F_RA]!;
  }
  set ra0(v: number) {
    this.f[this.b + F_RA] = v;
  }
  get ra1(): number {
    return this.f[this.b + F_RA + 1]!;
  }
  set ra1(v: number) {
    this.f[this.b + F_RA + 1] = v;
  }
  get ra2(): number {
    return this.f[this.b + F_RA + 2]!;
  }
  set ra2(v: number) {
    this.f[this.b + F_RA + 2] = v;
  }
  get ra3(): number {
    return this.f[this.b + F_RA + 3]!;
  }
  set ra3(v: number) {
    this.f[this.b + F_RA + 3] = v;
  }

  // The per-packet reads and writes of arena numbers go through these methods,
  // which take the packet rather than a number and return a boolean: the
  // getters and setters above return or take doubles, and where one of them is
  // not inlined (the flow table's per-packet function is large, so V8's
  // inlining budget runs out there) every call boxes a heap number.

  /** Whether p's source and destination (addresses; ports checked by the caller) are this originator and responder. */
  sameAddrs(p: Packet): boolean {
    const f = this.f;
    const b = this.b;
    return f[b + F_OA + 3] === p.s3 && f[b + F_RA + 3] === p.d3 && f[b + F_OA + 2] === p.s2 && f[b + F_RA + 2] === p.d2 && f[b + F_OA + 1] === p.s1 && f[b + F_RA + 1] === p.d1 && f[b + F_OA] === p.s0 && f[b + F_RA] === p.d0;
  }

  /** Whether p goes the other way: from this responder to this originator. */
  reverseAddrs(p: Packet): boolean {
    const f = this.f;
    const b = this.b;
    return f[b + F_OA + 3] === p.d3 && f[b + F_RA + 3] === p.s3 && f[b + F_OA + 2] === p.d2 && f[b + F_RA + 2] === p.s2 && f[b + F_OA + 1] === p.d1 && f[b + F_RA + 1] === p.s1 && f[b + F_OA] === p.d0 && f[b + F_RA] === p.s0;
  }

  /** last = p's time. */
  lastFrom(p: Packet): void {
    this.f[this.b + F_LAST] = p.now;
  }

  reset(): void {
    this.hash = 0;
    this.next = null;
    this.proto = 0;
    this.ipVersion = 4;
    this.oneWay = false;
    this.o.reset(true);
    this.r.reset(false);
    this.start = 0;
    this.last = 0;
    this.history = '';
    this.histSeen = 0;
    this.isPartial = false;
    this.firstSeen = 0;
    this.missed = 0;
    this.vlan = -1;
    this.innerVlan = -1;
    this.mpls = null;
    this.parentUids = null;
    this.uid = null;
    this.list = -1;
    this.deadline = 0;
    this.interimDue = 0;
    this.lprev = null;
    this.lnext = null;
    this.sprev = null;
    this.snext = null;
    this.inStartList = false;
    this.interims = 0;
    this.interimLapsed = false;
    this.reportedPkts = 0;
    this.evicted = false;
    this.recorded = false;
    this.app = null;
    this.appState = APP_UNDECIDED;
    this.weirdsLogged = -1;
    this.gen++;
    this.live = false;
  }

  /** Swaps originator and responder (Zeek's FlipRoles): addresses, ports, endpoints; history gets '^'. */
  flip(): void {
    let t = this.oa0;
    this.oa0 = this.ra0;
    this.ra0 = t;
    t = this.oa1;
    this.oa1 = this.ra1;
    this.ra1 = t;
    t = this.oa2;
    this.oa2 = this.ra2;
    this.ra2 = t;
    t = this.oa3;
    this.oa3 = this.ra3;
    this.ra3 = t;
    t = this.op;
    this.op = this.rp;
    this.rp = t;
    const e = this.o;
    this.o = this.r;
    this.r = e;
    this.o.isOrig = true;
    this.r.isOrig = false;
    this.firstSeen = ((this.firstSeen & 1) << 1) | ((this.firstSeen & 2) >> 1);
    this.isPartial = false;
    this.history += '^';
  }
}

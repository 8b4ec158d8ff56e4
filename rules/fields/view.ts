/**
 * The one object every compiled predicate reads: a record seen as one kind. The engine
 * keeps a single View per matcher and re-points it at each record (and each DNS or HTTP
 * transaction), so evaluating a record allocates nothing. Derived values (lower-cased
 * names, entropy, ...) are computed on first use and cached until the view moves on
 * (`stamp` changes).
 */
import type { DnsTransaction, HttpTransaction, SshInfo, TlsInfo } from '../../sensor/app/analyzer.js';
import type { ConnRecord } from '../../sensor/record.js';
import type { EnforcerRecord, HealthRecord, RecordKind } from '../records.js';

let slots = 0;
/** One counter for every view, so a stamp never repeats across views. */
let stamps = 0;

/** Reserves a cache slot for a derived field (at module load, before any View exists). */
export function allocSlot(): number {
  return slots++;
}

export class View {
  kind: RecordKind = 'connection';
  conn: ConnRecord | undefined = undefined;
  dns: DnsTransaction | undefined = undefined;
  tls: TlsInfo | undefined = undefined;
  http: HttpTransaction | undefined = undefined;
  ssh: SshInfo | undefined = undefined;
  enforcer: EnforcerRecord | undefined = undefined;
  health: HealthRecord | undefined = undefined;
  /** Which DNS or HTTP transaction of the record this is (0 for the other kinds). */
  sub = 0;
  node = '';
  sensorId = '';
  seq = 0;
  position = 0;
  /** Changes whenever the view moves to another record or transaction (unique across views). */
  stamp = ++stamps;
  /** The last two addresses parsed (by string identity): a record's address tested by a list and a CIDR index is parsed once. */
  ipA: string | undefined = undefined;
  ipAv = 0;
  ipB: string | undefined = undefined;
  ipBv = 0;
  readonly cacheStamp: Float64Array;
  readonly cacheVal: unknown[];

  constructor() {
    this.cacheStamp = new Float64Array(Math.max(slots, 1)).fill(-1);
    this.cacheVal = new Array<unknown>(Math.max(slots, 1)).fill(undefined);
  }

  reset(kind: RecordKind): void {
    this.kind = kind;
    this.dns = undefined;
    this.tls = undefined;
    this.http = undefined;
    this.ssh = undefined;
    this.sub = 0;
    this.stamp = ++stamps;
  }
}

/** A getter whose value is computed once per view position. */
export function cached<T>(compute: (v: View) => T): (v: View) => T {
  const slot = allocSlot();
  return (v: View): T => {
    if (v.cacheStamp[slot] === v.stamp) return v.cacheVal[slot] as T;
    const x = compute(v);
    v.cacheStamp[slot] = v.stamp;
    v.cacheVal[slot] = x;
    return x;
  };
}

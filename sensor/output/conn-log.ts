/**
 * conn.log: Zeek's columns in Zeek's order (with the vlan and community_id
 * columns of Zeek's own policy scripts), then the columns Chốt adds: MPLS
 * labels, whether the row is an interim one, and the population-data policy.
 * As Zeek does, duration and the two byte counts are unset for a connection
 * that lasted no time (a single packet).
 */
import type { ConnRecord } from '../record.js';
import type { LineBuffer } from './line-buffer.js';
import { escapeZeek, formatInterval, formatTime, ZeekLogWriter, type RowStream, type ZeekField } from './zeek-log.js';

export const CONN_FIELDS: readonly ZeekField[] = [
  { name: 'ts', type: 'time' },
  { name: 'uid', type: 'string' },
  { name: 'id.orig_h', type: 'addr' },
  { name: 'id.orig_p', type: 'port' },
  { name: 'id.resp_h', type: 'addr' },
  { name: 'id.resp_p', type: 'port' },
  { name: 'proto', type: 'enum' },
  { name: 'service', type: 'string' },
  { name: 'duration', type: 'interval' },
  { name: 'orig_bytes', type: 'count' },
  { name: 'resp_bytes', type: 'count' },
  { name: 'conn_state', type: 'string' },
  { name: 'local_orig', type: 'bool' },
  { name: 'local_resp', type: 'bool' },
  { name: 'missed_bytes', type: 'count' },
  { name: 'history', type: 'string' },
  { name: 'orig_pkts', type: 'count' },
  { name: 'orig_ip_bytes', type: 'count' },
  { name: 'resp_pkts', type: 'count' },
  { name: 'resp_ip_bytes', type: 'count' },
  { name: 'tunnel_parents', type: 'set[string]' },
  { name: 'ip_proto', type: 'count' },
  { name: 'vlan', type: 'int' },
  { name: 'inner_vlan', type: 'int' },
  { name: 'community_id', type: 'string' },
  { name: 'mpls', type: 'vector[count]' },
  { name: 'interim', type: 'bool' },
  { name: 'pd_service', type: 'string' },
  { name: 'pd_transport', type: 'string' },
  { name: 'pd_tls_version', type: 'string' },
  { name: 'pd_client_cert', type: 'bool' },
  { name: 'pd_via_enforcer', type: 'bool' },
  { name: 'pd_bypass', type: 'bool' },
];

function opt(v: number | undefined): string {
  return v === undefined ? '-' : String(v);
}

function bool(v: boolean | undefined): string {
  return v === undefined ? '-' : v ? 'T' : 'F';
}

/** One conn.log row (hot enough to be formatted directly rather than through the generic writer). */
export function connLogLine(r: ConnRecord): string {
  const lasted = r.durationNs > 0;
  const pd = r.policy;
  return (
    formatTime(r.tsSec, r.tsNsec) + '\t' +
    r.uid + '\t' +
    r.origH + '\t' + r.origP + '\t' +
    r.respH + '\t' + r.respP + '\t' +
    r.proto + '\t' +
    (r.service === undefined ? '-' : escapeZeek(r.service)) + '\t' +
    (lasted ? formatInterval(r.durationNs) : '-') + '\t' +
    (lasted ? String(r.origBytes) : '-') + '\t' +
    (lasted ? String(r.respBytes) : '-') + '\t' +
    r.connState + '\t' +
    '-\t-\t' +
    r.missedBytes + '\t' +
    (r.history === '' ? '-' : r.history) + '\t' +
    r.origPkts + '\t' + r.origIpBytes + '\t' +
    r.respPkts + '\t' + r.respIpBytes + '\t' +
    (r.tunnelParents.length === 0 ? '-' : r.tunnelParents.join(',')) + '\t' +
    r.ipProto + '\t' +
    opt(r.vlan) + '\t' +
    opt(r.innerVlan) + '\t' +
    (r.communityId ?? '-') + '\t' +
    (r.mplsLabels.length === 0 ? '-' : r.mplsLabels.join(',')) + '\t' +
    (r.interim ? 'T' : 'F') + '\t' +
    (pd === undefined ? '-\t-\t-\t-\t-\t-' : `${escapeZeek(pd.service)}\t${pd.transport}\t${pd.tlsVersion ?? '-'}\t${bool(pd.clientCertificate)}\t${bool(pd.viaEnforcer)}\t${bool(pd.bypass)}`)
  );
}

/** conn.log rows, written field by field (the same bytes as connLogLine, without building the line). */
export class ConnLogWriter {
  readonly log: ZeekLogWriter;
  constructor(file: string, stream?: RowStream) {
    this.log = new ZeekLogWriter(file, 'conn', CONN_FIELDS, undefined, stream);
  }

  write(r: ConnRecord): void {
    const o = this.log.out;
    const lasted = r.durationNs > 0;
    o.time(r.tsSec, r.tsNsec);
    o.tab();
    o.text(r.uid);
    o.tab();
    o.text(r.origH);
    o.tab();
    o.num(r.origP);
    o.tab();
    o.text(r.respH);
    o.tab();
    o.num(r.respP);
    o.tab();
    o.text(r.proto);
    o.tab();
    if (r.service === undefined) o.byte(DASH);
    else o.zeek(r.service);
    o.tab();
    if (lasted) {
      const sec = Math.floor(r.durationNs / 1e9);
      o.time(sec, r.durationNs - sec * 1e9);
      o.tab();
      o.num(r.origBytes);
      o.tab();
      o.num(r.respBytes);
    } else {
      o.text('-\t-\t-');
    }
    o.tab();
    o.text(r.connState);
    o.text('\t-\t-\t');
    o.num(r.missedBytes);
    o.tab();
    if (r.history === '') o.byte(DASH);
    else o.text(r.history);
    o.tab();
    o.num(r.origPkts);
    o.tab();
    o.num(r.origIpBytes);
    o.tab();
    o.num(r.respPkts);
    o.tab();
    o.num(r.respIpBytes);
    o.tab();
    list(o, r.tunnelParents);
    o.tab();
    o.num(r.ipProto);
    o.tab();
    if (r.vlan === undefined) o.byte(DASH);
    else o.num(r.vlan);
    o.tab();
    if (r.innerVlan === undefined) o.byte(DASH);
    else o.num(r.innerVlan);
    o.tab();
    if (r.communityId === undefined) o.byte(DASH);
    else o.text(r.communityId);
    o.tab();
    list(o, r.mplsLabels);
    o.tab();
    o.byte(r.interim ? 0x54 : 0x46);
    o.tab();
    const pd = r.policy;
    if (pd === undefined) o.text('-\t-\t-\t-\t-\t-');
    else o.text(`${escapeZeek(pd.service)}\t${pd.transport}\t${pd.tlsVersion ?? '-'}\t${bool(pd.clientCertificate)}\t${bool(pd.viaEnforcer)}\t${bool(pd.bypass)}`);
    this.log.endRow();
  }

  close(): void {
    this.log.close();
  }
}

const DASH = 0x2d;

/** A list joined by ',' as connLogLine joins it (no escaping: uids and numbers), or '-' when empty. */
function list(o: LineBuffer, v: readonly (string | number)[]): void {
  if (v.length === 0) {
    o.byte(DASH);
    return;
  }
  for (let i = 0; i < v.length; i++) {
    if (i > 0) o.byte(0x2c);
    const x = v[i]!;
    if (typeof x === 'number') o.num(x);
    else o.text(x);
  }
}

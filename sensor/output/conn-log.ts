/**
 * conn.log: Zeek's columns in Zeek's order (with the vlan and community_id
 * columns of Zeek's own policy scripts), then the columns Chốt adds: MPLS
 * labels, whether the row is an interim one, and the population-data policy.
 * As Zeek does, duration and the two byte counts are unset for a connection
 * that lasted no time (a single packet).
 */
import type { ConnRecord } from '../record.js';
import { escapeZeek, formatInterval, formatTime, ZeekLogWriter, type ZeekField } from './zeek-log.js';

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

export class ConnLogWriter {
  readonly log: ZeekLogWriter;
  constructor(file: string) {
    this.log = new ZeekLogWriter(file, 'conn', CONN_FIELDS);
  }
  write(r: ConnRecord): void {
    this.log.line(connLogLine(r));
  }
  close(): void {
    this.log.close();
  }
}

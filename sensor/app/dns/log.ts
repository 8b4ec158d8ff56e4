// dns.log (Zeek's base/protocols/dns columns, in Zeek's order) and the ECS
// fields of one DNS transaction.

import { compact, ID_FIELDS, idValues, writeIds, zeekInterval, type AppLog, type ConnIds, type RowWriter, type ZeekField, type ZeekValue } from '../log-common.js';
import { ecsClassName, ecsTypeName, opcodeName, qclassName, qtypeName, rcodeName, TYPE } from './consts.js';
import type { DnsTransaction } from './types.js';

export const DNS_FIELDS: readonly ZeekField[] = [
  ...ID_FIELDS,
  { name: 'proto', type: 'enum' },
  { name: 'trans_id', type: 'count' },
  { name: 'rtt', type: 'interval' },
  { name: 'query', type: 'string' },
  { name: 'qclass', type: 'count' },
  { name: 'qclass_name', type: 'string' },
  { name: 'qtype', type: 'count' },
  { name: 'qtype_name', type: 'string' },
  { name: 'rcode', type: 'count' },
  { name: 'rcode_name', type: 'string' },
  { name: 'AA', type: 'bool' },
  { name: 'TC', type: 'bool' },
  { name: 'RD', type: 'bool' },
  { name: 'RA', type: 'bool' },
  { name: 'Z', type: 'count' },
  { name: 'answers', type: 'vector[string]' },
  { name: 'TTLs', type: 'vector[interval]' },
  { name: 'rejected', type: 'bool' },
];

/** ASCII lowercase only: Zeek downcases queries this way; escapes (\DDD) are unaffected. */
const lower = (s: string): string => (hasUpper(s) ? s.replace(/[A-Z]+/g, (m) => m.toLowerCase()) : s);

function hasUpper(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) return true;
  }
  return false;
}

export function dnsRow(conn: ConnIds, t: DnsTransaction): ZeekValue[] {
  const answered = t.sawReply && t.answers.length > 0;
  return [
    ...idValues(conn, t.tsNs),
    t.proto,
    t.transId,
    t.rttNs === undefined ? undefined : zeekInterval(t.rttNs),
    t.query === undefined ? undefined : lower(t.query),
    t.qclass,
    t.qclass === undefined ? undefined : qclassName(t.qclass),
    t.qtype,
    t.qtype === undefined ? undefined : qtypeName(t.qtype),
    t.rcode,
    t.rcode === undefined ? undefined : rcodeName(t.rcode),
    t.AA,
    t.TC,
    t.RD,
    t.RA,
    t.Z,
    answered ? t.answers.map((a) => a.data) : undefined,
    answered ? t.answers.map((a) => `${a.ttl}.000000`) : undefined,
    t.rejected,
  ];
}

/** dnsRow, written field by field. */
export function writeDnsRow(w: RowWriter, conn: ConnIds, t: DnsTransaction): void {
  const answered = t.sawReply && t.answers.length > 0;
  writeIds(w, conn, t.tsNs);
  w.str(t.proto);
  w.count(t.transId);
  w.interval(t.rttNs);
  w.str(t.query === undefined ? undefined : lower(t.query));
  w.count(t.qclass);
  w.str(t.qclass === undefined ? undefined : qclassName(t.qclass));
  w.count(t.qtype);
  w.str(t.qtype === undefined ? undefined : qtypeName(t.qtype));
  w.count(t.rcode);
  w.str(t.rcode === undefined ? undefined : rcodeName(t.rcode));
  w.bool(t.AA);
  w.bool(t.TC);
  w.bool(t.RD);
  w.bool(t.RA);
  w.count(t.Z);
  if (answered) {
    w.list(t.answers.map((a) => a.data));
    w.list(t.answers.map((a) => `${a.ttl}.000000`));
  } else {
    w.list(undefined);
    w.list(undefined);
  }
  w.bool(t.rejected);
  w.end();
}

export const dnsLog: AppLog<DnsTransaction[]> = {
  path: 'dns',
  fields: DNS_FIELDS,
  rows: (conn, txs) => txs.map((t) => dnsRow(conn, t)),
  write: (w, conn, txs) => {
    for (const t of txs) writeDnsRow(w, conn, t);
  },
};

/** ECS dns.* for one transaction (https://www.elastic.co/guide/en/ecs/current/ecs-dns.html). */
export function dnsEcs(t: DnsTransaction): Record<string, unknown> {
  const flags: string[] = [];
  if (t.AA) flags.push('AA');
  if (t.TC) flags.push('TC');
  if (t.RD) flags.push('RD');
  if (t.RA) flags.push('RA');
  if (t.Z & 0x2) flags.push('AD');
  if (t.Z & 0x1) flags.push('CD');
  const resolved = t.answers.filter((a) => a.type === TYPE.A || a.type === TYPE.AAAA).map((a) => a.data);
  return compact({
    dns: {
      id: String(t.transId),
      type: t.sawReply ? 'answer' : 'query',
      op_code: opcodeName(t.opcode),
      header_flags: flags,
      response_code: t.rcode === undefined ? undefined : rcodeName(t.rcode),
      question:
        t.query === undefined
          ? undefined
          : { name: t.query, type: t.qtype === undefined ? undefined : ecsTypeName(t.qtype), class: t.qclass === undefined ? undefined : ecsClassName(t.qclass) },
      answers: t.answers.map((a) => ({ name: a.name, type: ecsTypeName(a.type), class: ecsClassName(a.class), ttl: a.ttl, data: a.data })),
      resolved_ip: resolved,
    },
    zeek: {
      dns: {
        rtt: t.rttNs === undefined ? undefined : Number(t.rttNs) / 1e9,
        rejected: t.rejected,
        transport: t.proto,
      },
    },
  });
}

/**
 * Connection fields: the ConnRecord under the names of its indexed document
 * (sensor/output/ndjson.ts), for the connection kind and every application view of it.
 */
import { CONN_KINDS, type RecordKind } from '../records.js';
import { FIELDS, bool, num, str, strs, nums } from './table.js';
import type { TestTarget } from './target.js';
import type { View } from './view.js';

const K: RecordKind[] = [...CONN_KINDS];
const c = (v: View) => v.conn!;

FIELDS.add('source.ip', 'ip', { card: 'high', doc: 'originator address' }, K, 'origH', (v) => c(v).origH, (t, x) => (t.conn.origH = str(x)));
FIELDS.add('source.port', 'number', { card: 'medium', doc: 'originator port (ICMP: the type)' }, K, 'origP', (v) => c(v).origP, (t, x) => (t.conn.origP = num(x)));
FIELDS.add('destination.ip', 'ip', { card: 'high', doc: 'responder address' }, K, 'respH', (v) => c(v).respH, (t, x) => (t.conn.respH = str(x)));
FIELDS.add('destination.port', 'number', { card: 'medium', doc: 'responder port (ICMP: the counterpart type)' }, K, 'respP', (v) => c(v).respP, (t, x) => (t.conn.respP = num(x)));
FIELDS.add('source.bytes', 'number', { unit: 'bytes', doc: 'IP bytes from the originator' }, K, 'origIpBytes', (v) => c(v).origIpBytes, (t, x) => (t.conn.origIpBytes = num(x)));
FIELDS.add('destination.bytes', 'number', { unit: 'bytes', doc: 'IP bytes from the responder' }, K, 'respIpBytes', (v) => c(v).respIpBytes, (t, x) => (t.conn.respIpBytes = num(x)));
FIELDS.add('source.packets', 'number', { doc: 'packets from the originator' }, K, 'origPkts', (v) => c(v).origPkts, (t, x) => (t.conn.origPkts = num(x)));
FIELDS.add('destination.packets', 'number', { doc: 'packets from the responder' }, K, 'respPkts', (v) => c(v).respPkts, (t, x) => (t.conn.respPkts = num(x)));
FIELDS.add('network.bytes', 'number', { unit: 'bytes', doc: 'IP bytes both ways' }, K, 'origIpBytes + respIpBytes', (v) => c(v).origIpBytes + c(v).respIpBytes);
FIELDS.add('network.packets', 'number', { doc: 'packets both ways' }, K, 'origPkts + respPkts', (v) => c(v).origPkts + c(v).respPkts);
FIELDS.add('network.transport', 'string', { card: 'low', doc: 'tcp, udp, icmp, or the IP protocol number' }, K, 'proto', (v) => {
  const r = c(v);
  return r.proto === 'unknown_transport' ? String(r.ipProto) : r.proto;
}, (t, x) => {
  const p = str(x);
  t.conn.proto = p === 'tcp' || p === 'udp' || p === 'icmp' ? p : 'unknown_transport';
  t.conn.ipProto = p === 'tcp' ? 6 : p === 'udp' ? 17 : p === 'icmp' ? 1 : Number(p) || 0;
});
FIELDS.add('network.iana_number', 'number', { card: 'low', doc: 'IP protocol number' }, K, 'ipProto', (v) => c(v).ipProto, (t, x) => (t.conn.ipProto = num(x)));
FIELDS.add('network.protocol', 'string', { card: 'low', doc: "application protocol confirmed from the payload (Zeek's service: dns, ssl, http, ssh)" }, K, 'service', (v) => c(v).service, (t, x) => (t.conn.service = str(x)));
FIELDS.add('network.type', 'string', { card: 'low', doc: 'ipv4 or ipv6' }, K, 'origH', (v) => (c(v).origH.includes(':') ? 'ipv6' : 'ipv4'));
FIELDS.add('network.community_id', 'string', { card: 'high', doc: 'Community ID flow hash' }, K, 'communityId', (v) => c(v).communityId, (t, x) => (t.conn.communityId = str(x)));
FIELDS.add('network.vlan.id', 'number', { doc: 'outer 802.1Q VLAN id' }, K, 'vlan', (v) => c(v).vlan, (t, x) => (t.conn.vlan = num(x)));
FIELDS.add('network.inner.vlan.id', 'number', { doc: 'inner 802.1Q VLAN id (QinQ)' }, K, 'innerVlan', (v) => c(v).innerVlan, (t, x) => (t.conn.innerVlan = num(x)));
FIELDS.add('event.duration', 'number', { unit: 'ns', doc: 'last packet minus first, ns ("30s" literals allowed)' }, K, 'durationNs', (v) => c(v).durationNs, (t, x) => {
  t.conn.durationNs = num(x);
  t.conn.duration = num(x) / 1e9;
});
FIELDS.add('zeek.session_id', 'string', { card: 'high', doc: 'Zeek connection uid' }, K, 'uid', (v) => c(v).uid, (t, x) => (t.conn.uid = str(x)));
FIELDS.add('zeek.connection.state', 'string', { card: 'low', doc: 'Zeek conn_state (S0, SF, REJ, RSTO, ...)' }, K, 'connState', (v) => c(v).connState, (t, x) => (t.conn.connState = str(x) as never));
FIELDS.add('zeek.connection.history', 'string', { doc: 'Zeek history letters' }, K, 'history', (v) => c(v).history, (t, x) => (t.conn.history = str(x)));
FIELDS.add('zeek.connection.missed_bytes', 'number', { unit: 'bytes', doc: 'bytes in content gaps' }, K, 'missedBytes', (v) => c(v).missedBytes, (t, x) => (t.conn.missedBytes = num(x)));
FIELDS.add('zeek.connection.orig_bytes', 'number', { unit: 'bytes', doc: 'payload bytes from the originator (running total on interim records)' }, K, 'origBytes', (v) => c(v).origBytes, (t, x) => (t.conn.origBytes = num(x)));
FIELDS.add('zeek.connection.resp_bytes', 'number', { unit: 'bytes', doc: 'payload bytes from the responder (running total on interim records)' }, K, 'respBytes', (v) => c(v).respBytes, (t, x) => (t.conn.respBytes = num(x)));
FIELDS.add('zeek.connection.tunnel_parents', 'string', { array: true, card: 'high', doc: 'uids of encapsulating connections' }, K, 'tunnelParents', (v) => c(v).tunnelParents, (t, x) => (t.conn.tunnelParents = strs(x)));
FIELDS.add('chot.interim', 'bool', { card: 'low', doc: 'a periodic record of a connection still in progress' }, K, 'interim', (v) => c(v).interim, (t, x) => (t.conn.interim = bool(x)));
FIELDS.add('chot.evicted', 'bool', { card: 'low', doc: 'ended early because the flow table was full' }, K, 'evicted', (v) => c(v).evicted, (t, x) => (t.conn.evicted = bool(x)));
FIELDS.add('chot.weirds', 'string', { array: true, doc: 'connection-level anomalies by name' }, K, 'weirds', (v) => c(v).weirds, (t, x) => (t.conn.weirds = strs(x)));
FIELDS.add('chot.mpls.labels', 'number', { array: true, doc: 'MPLS labels seen' }, K, 'mplsLabels', (v) => c(v).mplsLabels, (t, x) => (t.conn.mplsLabels = nums(x)));

// The population-data policy verdict, under the names the indexer writes (chot.population_data.*).
const policy = (t: TestTarget) =>
  (t.conn.policy ??= { service: 'popdata', transport: 'tls', viaEnforcer: true, bypass: false, clientCertificate: true, tlsVersion: 'TLSv12' });
FIELDS.add('chot.population_data.service', 'string', { card: 'low', doc: 'the population-data service reached' }, K, 'policy.service', (v) => c(v).policy?.service, (t, x) => (policy(t).service = str(x)));
FIELDS.add('chot.population_data.transport', 'string', { card: 'low', doc: 'tls, plaintext or unknown' }, K, 'policy.transport', (v) => c(v).policy?.transport, (t, x) => (policy(t).transport = str(x) as never));
FIELDS.add('chot.population_data.tlsVersion', 'string', { card: 'low', doc: 'TLS version to the service (TLSv12, TLSv13)' }, K, 'policy.tlsVersion', (v) => c(v).policy?.tlsVersion, (t, x) => (policy(t).tlsVersion = str(x)));
FIELDS.add('chot.population_data.clientCertificate', 'bool', { card: 'low', doc: 'whether the client showed a certificate (absent when not visible: TLS 1.3)' }, K, 'policy.clientCertificate', (v) => c(v).policy?.clientCertificate, (t, x) => (policy(t).clientCertificate = bool(x)));
FIELDS.add('chot.population_data.viaEnforcer', 'bool', { card: 'low', doc: 'whether the client is a configured enforcer' }, K, 'policy.viaEnforcer', (v) => c(v).policy?.viaEnforcer, (t, x) => (policy(t).viaEnforcer = bool(x)));
FIELDS.add('chot.population_data.bypass', 'bool', { card: 'low', doc: 'the path bypasses mutual TLS (not via an enforcer, not TLS, or no client certificate)' }, K, 'policy.bypass', (v) => c(v).policy?.bypass, (t, x) => (policy(t).bypass = bool(x)));

/** Enforcer fields: one client connection through the mutual-TLS gateway. */
import { FIELDS, num, str } from './table.js';
import type { View } from './view.js';

const K = ['enforcer'] as const;
const e = (v: View) => v.enforcer!;

FIELDS.add('source.ip', 'ip', { card: 'high', doc: 'client address' }, K, 'clientIp', (v) => e(v).clientIp, (t, x) => (t.enforcer.clientIp = str(x)));
FIELDS.add('source.port', 'number', { card: 'medium', doc: 'client port' }, K, 'clientPort', (v) => e(v).clientPort, (t, x) => (t.enforcer.clientPort = num(x)));
FIELDS.add('destination.ip', 'ip', { card: 'high', doc: 'upstream service address' }, K, 'upstreamIp', (v) => e(v).upstreamIp, (t, x) => (t.enforcer.upstreamIp = str(x)));
FIELDS.add('destination.port', 'number', { card: 'medium', doc: 'upstream service port' }, K, 'upstreamPort', (v) => e(v).upstreamPort, (t, x) => (t.enforcer.upstreamPort = num(x)));
FIELDS.add('source.bytes', 'number', { unit: 'bytes', doc: 'bytes from the client' }, K, 'bytesIn', (v) => e(v).bytesIn, (t, x) => (t.enforcer.bytesIn = num(x)));
FIELDS.add('destination.bytes', 'number', { unit: 'bytes', doc: 'bytes to the client' }, K, 'bytesOut', (v) => e(v).bytesOut, (t, x) => (t.enforcer.bytesOut = num(x)));
FIELDS.add('event.duration', 'number', { unit: 'ns', doc: 'connection duration, ns' }, K, 'durationMs', (v) => (e(v).durationMs === undefined ? undefined : e(v).durationMs! * 1e6), (t, x) => (t.enforcer.durationMs = num(x) / 1e6));
FIELDS.add('event.outcome', 'string', { card: 'low', doc: 'success (allowed) or failure (refused)' }, K, 'decision', (v) => (e(v).decision === 'allowed' ? 'success' : 'failure'), (t, x) => (t.enforcer.decision = str(x) === 'success' ? 'allowed' : 'refused'));
FIELDS.add('event.reason', 'string', { card: 'low', doc: 'why a connection was refused' }, K, 'reason', (v) => e(v).reason, (t, x) => (t.enforcer.reason = str(x)));
FIELDS.add('chot.enforcer.decision', 'string', { card: 'low', doc: 'allowed or refused' }, K, 'decision', (v) => e(v).decision, (t, x) => (t.enforcer.decision = str(x) === 'refused' ? 'refused' : 'allowed'));
FIELDS.add('chot.enforcer.service', 'string', { card: 'low', doc: 'population-data service asked for' }, K, 'service', (v) => e(v).service, (t, x) => (t.enforcer.service = str(x)));
FIELDS.add('zeek.session_id', 'string', { card: 'high', doc: 'enforcer connection id' }, K, 'uid', (v) => e(v).uid, (t, x) => (t.enforcer.uid = str(x)));
FIELDS.add('tls.version', 'string', { card: 'low', doc: 'TLS version with the client (TLSv12, TLSv13)' }, K, 'tlsVersion', (v) => e(v).tlsVersion, (t, x) => (t.enforcer.tlsVersion = str(x)));
FIELDS.add('tls.client.subject', 'string', { card: 'high', doc: 'client certificate subject DN' }, K, 'clientCert.subject', (v) => e(v).clientCert?.subject, (t, x) => ((t.enforcer.clientCert ??= {}).subject = str(x)));
FIELDS.add('tls.client.issuer', 'string', { card: 'medium', doc: 'client certificate issuer DN' }, K, 'clientCert.issuer', (v) => e(v).clientCert?.issuer, (t, x) => ((t.enforcer.clientCert ??= {}).issuer = str(x)));
FIELDS.add('tls.client.x509.serial_number', 'string', { card: 'high', doc: 'client certificate serial (hex)' }, K, 'clientCert.serial', (v) => e(v).clientCert?.serial, (t, x) => ((t.enforcer.clientCert ??= {}).serial = str(x)));
FIELDS.add('tls.client.hash.sha256', 'string', { card: 'high', doc: 'client certificate SHA-256' }, K, 'clientCert.sha256', (v) => e(v).clientCert?.sha256, (t, x) => ((t.enforcer.clientCert ??= {}).sha256 = str(x)));

/** TLS fields: the TLS summary of a connection (the unit of an ssl.log row), ECS names. */
import { alertName, cipherName, curveName, ecsVersion } from '../../sensor/app/tls/consts.js';
import { FIELDS, bool, str, strs } from './table.js';
import { tlsOf } from './target.js';
import { cached, type View } from './view.js';

const K = ['tls'] as const;
const i = (v: View) => v.tls!;

const VERSION_CODES: Record<string, number> = { '1.0': 0x0301, '1.1': 0x0302, '1.2': 0x0303, '1.3': 0x0304 };

FIELDS.add('tls.version', 'string', { card: 'low', doc: 'negotiated version number: 1.2, 1.3, 3.0 (SSL)' }, K, 'tls.version', cached((v) => (i(v).version === undefined ? undefined : ecsVersion(i(v).version!)?.version)), (t, x) => (tlsOf(t).version = VERSION_CODES[str(x)] ?? 0x0303));
FIELDS.add('tls.version_protocol', 'string', { card: 'low', doc: 'tls or ssl' }, K, 'tls.version', cached((v) => (i(v).version === undefined ? undefined : ecsVersion(i(v).version!)?.protocol)));
FIELDS.add('tls.cipher', 'string', { card: 'medium', doc: 'cipher suite chosen, IANA name' }, K, 'tls.cipher', cached((v) => (i(v).cipher === undefined ? undefined : cipherName(i(v).cipher!))));
FIELDS.add('tls.curve', 'string', { card: 'low', doc: 'key exchange group' }, K, 'tls.curve', cached((v) => (i(v).curve === undefined ? undefined : curveName(i(v).curve!))));
FIELDS.add('tls.established', 'bool', { card: 'low', doc: 'the handshake completed' }, K, 'tls.established', (v) => i(v).established, (t, x) => (tlsOf(t).established = bool(x)));
FIELDS.add('tls.resumed', 'bool', { card: 'low', doc: 'a resumed session' }, K, 'tls.resumed', (v) => i(v).resumed, (t, x) => (tlsOf(t).resumed = bool(x)));
FIELDS.add('tls.next_protocol', 'string', { card: 'low', doc: 'ALPN protocol chosen (visible up to TLS 1.2)' }, K, 'tls.nextProtocol', (v) => i(v).nextProtocol, (t, x) => (tlsOf(t).nextProtocol = str(x)));
FIELDS.add('tls.client.server_name', 'string', { card: 'high', doc: 'SNI' }, K, 'tls.serverName', (v) => i(v).serverName, (t, x) => (tlsOf(t).serverName = str(x)));
FIELDS.add('tls.client.ja3', 'string', { card: 'high', doc: 'JA3 of the ClientHello' }, K, 'tls.ja3', (v) => i(v).ja3, (t, x) => (tlsOf(t).ja3 = str(x)));
FIELDS.add('tls.client.ja4', 'string', { card: 'high', doc: 'JA4 of the ClientHello' }, K, 'tls.ja4', (v) => i(v).ja4, (t, x) => (tlsOf(t).ja4 = str(x)));
FIELDS.add('tls.server.ja3s', 'string', { card: 'high', doc: 'JA3S of the ServerHello' }, K, 'tls.ja3s', (v) => i(v).ja3s, (t, x) => (tlsOf(t).ja3s = str(x)));
FIELDS.add('tls.client.supported_ciphers', 'string', { costly: true, array: true, doc: "client's cipher suites (names, no GREASE)" }, K, 'tls.clientCiphers', cached((v) => i(v).clientCiphers?.map(cipherName)));
FIELDS.add('tls.client.subject', 'string', { card: 'high', doc: 'client certificate subject DN' }, K, 'tls.clientCert.subject', (v) => i(v).clientCert?.subject);
FIELDS.add('tls.client.issuer', 'string', { card: 'medium', doc: 'client certificate issuer DN' }, K, 'tls.clientCert.issuer', (v) => i(v).clientCert?.issuer);
FIELDS.add('tls.client.hash.sha256', 'string', { card: 'high', doc: 'client certificate SHA-256 (hex)' }, K, 'tls.clientCert.sha256', (v) => i(v).clientCert?.sha256);
FIELDS.add('tls.server.subject', 'string', { card: 'high', doc: 'server certificate subject DN (visible up to TLS 1.2)' }, K, 'tls.serverCert.subject', (v) => i(v).serverCert?.subject);
FIELDS.add('tls.server.issuer', 'string', { card: 'medium', doc: 'server certificate issuer DN' }, K, 'tls.serverCert.issuer', (v) => i(v).serverCert?.issuer);
FIELDS.add('tls.server.hash.sha256', 'string', { card: 'high', doc: 'server certificate SHA-256 (hex)' }, K, 'tls.serverCert.sha256', (v) => i(v).serverCert?.sha256);
FIELDS.add('tls.server.x509.subject.common_name', 'string', { card: 'high', doc: 'server certificate CN' }, K, 'tls.serverCert.subjectCN', (v) => i(v).serverCert?.subjectCN);
FIELDS.add('tls.server.x509.alternative_names', 'string', { array: true, card: 'high', doc: 'server certificate DNS SANs' }, K, 'tls.serverCert.sanDns', (v) => i(v).serverCert?.sanDns);
FIELDS.add('tls.server.x509.not_after', 'number', { unit: 'ms', doc: 'server certificate notAfter, ms since the epoch' }, K, 'tls.serverCert.notAfter', (v) => i(v).serverCert?.notAfter);
FIELDS.add('zeek.ssl.history', 'string', { doc: 'handshake letters' }, K, 'tls.history', (v) => i(v).history, (t, x) => (tlsOf(t).history = str(x)));
FIELDS.add('zeek.ssl.last_alert', 'string', { card: 'low', doc: 'last alert seen in the clear, by name' }, K, 'tls.lastAlert', cached((v) => (i(v).lastAlert === undefined ? undefined : alertName(i(v).lastAlert!))));
FIELDS.add('zeek.ssl.sni_matches_cert', 'bool', { card: 'low', doc: "SNI matches the server certificate's names" }, K, 'tls.sniMatchesCert', (v) => i(v).sniMatchesCert, (t, x) => (tlsOf(t).sniMatchesCert = bool(x)));
FIELDS.add('zeek.ssl.client_cert', 'string', { card: 'low', doc: 'present, empty, absent or unknown (TLS 1.3 hides it)' }, K, 'tls.clientCertificate', (v) => i(v).clientCertificate, (t, x) => (tlsOf(t).clientCertificate = str(x) as never));
FIELDS.add('zeek.ssl.cert_requested', 'bool', { card: 'low', doc: 'the server sent a CertificateRequest' }, K, 'tls.certificateRequested', (v) => i(v).certificateRequested, (t, x) => (tlsOf(t).certificateRequested = bool(x)));
FIELDS.add('zeek.ssl.alpn_offered', 'string', { array: true, card: 'low', doc: 'ALPN protocols the client offered' }, K, 'tls.alpnOffered', (v) => i(v).alpnOffered, (t, x) => (tlsOf(t).alpnOffered = strs(x)));

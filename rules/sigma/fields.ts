/**
 * Which Sigma log sources Chốt produces, and the field mapping from Sigma's names
 * (generic taxonomy, firewall, proxy/webserver, Zeek conn/dns/http/ssl/x509/ssh logs)
 * to Chốt's namespace. A Chốt field name used directly in a Sigma rule maps to itself.
 * rules/README.md documents this table; a test checks every target exists.
 */
import type { RecordKind } from '../records.js';

export interface FieldMapping {
  to: string;
  /** A value conversion (Zeek's units and spellings to Chốt's). */
  value?: (v: unknown) => unknown;
}

const seconds = (v: unknown) => (typeof v === 'number' ? v * 1e9 : typeof v === 'string' && /^\d+(\.\d+)?$/.test(v) ? Number(v) * 1e9 : v);
const tlsVersion = (v: unknown) => {
  const m = typeof v === 'string' ? /^TLSv1(\d)$/i.exec(v) : null;
  return m ? `1.${m[1]}` : typeof v === 'string' && /^SSLv3$/i.test(v) ? '3.0' : v;
};

const CONN: Record<string, FieldMapping | string> = {
  // Sigma generic taxonomy (network_connection)
  SourceIp: 'source.ip', SourcePort: 'source.port', DestinationIp: 'destination.ip', DestinationPort: 'destination.port', Protocol: 'network.transport',
  // firewall
  src_ip: 'source.ip', src_port: 'source.port', dst_ip: 'destination.ip', dst_port: 'destination.port', protocol: 'network.transport',
  // Zeek conn.log
  'id.orig_h': 'source.ip', 'id.orig_p': 'source.port', 'id.resp_h': 'destination.ip', 'id.resp_p': 'destination.port',
  proto: 'network.transport', service: 'network.protocol', duration: { to: 'event.duration', value: seconds },
  orig_bytes: 'zeek.connection.orig_bytes', resp_bytes: 'zeek.connection.resp_bytes', conn_state: 'zeek.connection.state',
  missed_bytes: 'zeek.connection.missed_bytes', history: 'zeek.connection.history', orig_pkts: 'source.packets',
  orig_ip_bytes: 'source.bytes', resp_pkts: 'destination.packets', resp_ip_bytes: 'destination.bytes',
  tunnel_parents: 'zeek.connection.tunnel_parents', uid: 'zeek.session_id', community_id: 'network.community_id',
  vlan: 'network.vlan.id', inner_vlan: 'network.inner.vlan.id',
};

const DNS: Record<string, FieldMapping | string> = {
  query: 'dns.question.name', QueryName: 'dns.question.name', qtype_name: 'dns.question.type', record_type: 'dns.question.type', QueryType: 'dns.question.type',
  qclass_name: 'dns.question.class', rcode_name: 'dns.response_code', answers: 'dns.answers.data', answer: 'dns.answers.data', QueryResults: 'dns.answers.data',
  TTLs: 'dns.answers.ttl', rejected: 'zeek.dns.rejected', trans_id: 'dns.id', rtt: 'zeek.dns.rtt',
};

const HTTP: Record<string, FieldMapping | string> = {
  // Zeek http.log
  method: 'http.request.method', host: 'url.domain', uri: 'url.original', referrer: 'http.request.referrer', user_agent: 'user_agent.original',
  status_code: 'http.response.status_code', status_msg: 'zeek.http.status_msg', request_body_len: 'http.request.body.bytes',
  response_body_len: 'http.response.body.bytes', username: 'zeek.http.username', trans_depth: 'zeek.http.trans_depth', version: 'http.version',
  origin: 'zeek.http.origin', proxied: 'zeek.http.proxied',
  // proxy and webserver (W3C extended log names)
  'c-uri': 'url.original', 'c-uri-query': 'url.query', 'c-uri-stem': 'url.path', 'c-useragent': 'user_agent.original', 'cs-method': 'http.request.method',
  'cs-host': 'url.domain', 'cs-referrer': 'http.request.referrer', 'cs-referer': 'http.request.referrer', 'sc-status': 'http.response.status_code',
  'cs-version': 'http.version', 'r-dns': 'url.domain', 'c-ip': 'source.ip', 'cs-bytes': 'http.request.body.bytes', 'sc-bytes': 'http.response.body.bytes',
  'cs-uri-query': 'url.query', 'cs-uri-stem': 'url.path', 'cs-user-agent': 'user_agent.original', 'cs-uri': 'url.original',
};

const TLS: Record<string, FieldMapping | string> = {
  server_name: 'tls.client.server_name', ja3: 'tls.client.ja3', ja3s: 'tls.server.ja3s', ja4: 'tls.client.ja4', version: { to: 'tls.version', value: tlsVersion },
  cipher: 'tls.cipher', curve: 'tls.curve', established: 'tls.established', resumed: 'tls.resumed', next_protocol: 'tls.next_protocol',
  subject: 'tls.server.subject', issuer: 'tls.server.issuer', client_subject: 'tls.client.subject', client_issuer: 'tls.client.issuer',
  last_alert: 'zeek.ssl.last_alert', sni_matches_cert: 'zeek.ssl.sni_matches_cert',
  // Zeek x509.log (the server's certificate)
  'certificate.subject': 'tls.server.subject', 'certificate.issuer': 'tls.server.issuer', 'san.dns': 'tls.server.x509.alternative_names',
  fingerprint: 'tls.server.hash.sha256',
};

const SSH: Record<string, FieldMapping | string> = {
  client: 'ssh.client.version_string', server: 'ssh.server.version_string', hassh: 'ssh.client.hassh', hasshServer: 'ssh.server.hassh',
  kex_alg: 'ssh.kex_algorithm', cipher_alg: 'ssh.cipher', mac_alg: 'ssh.mac', host_key_alg: 'ssh.server.host_key.algorithm', host_key: 'ssh.server.host_key.md5',
};

/** Per kind: that kind's names plus the connection names (every app kind is a connection). */
export const SIGMA_FIELDS: Partial<Record<RecordKind, Record<string, FieldMapping | string>>> = {
  connection: CONN,
  dns: { ...CONN, ...DNS },
  http: { ...CONN, ...HTTP },
  tls: { ...CONN, ...TLS },
  ssh: { ...CONN, ...SSH },
};

export interface LogSource {
  category?: string;
  product?: string;
  service?: string;
}

/** The Chốt kind a Sigma log source maps to, or why none does. */
export function kindOf(ls: LogSource | undefined): { kind: RecordKind } | { reason: string } {
  const c = ls?.category?.toLowerCase();
  const p = ls?.product?.toLowerCase();
  const s = ls?.service?.toLowerCase();
  const label = [c && `category ${c}`, p && `product ${p}`, s && `service ${s}`].filter(Boolean).join(', ') || 'none';
  if (p === 'zeek') {
    const byService: Record<string, RecordKind> = { conn: 'connection', dns: 'dns', http: 'http', ssl: 'tls', x509: 'tls', ssh: 'ssh' };
    const k = s ? byService[s] : undefined;
    if (k) return { kind: k };
    return { reason: `log source (${label}) is not one Chốt produces: Zeek services conn, dns, http, ssl, x509, ssh are` };
  }
  if (c === 'network_connection' || c === 'firewall') return { kind: 'connection' };
  if (c === 'dns' || c === 'dns_query') return { kind: 'dns' };
  if (c === 'proxy' || c === 'webserver') return { kind: 'http' };
  return { reason: `log source (${label}) is not one Chốt produces (network_connection, firewall, dns, dns_query, proxy, webserver, or product zeek with conn/dns/http/ssl/x509/ssh)` };
}

export function mapField(kind: RecordKind, name: string, exists: (chotName: string) => boolean): FieldMapping | undefined {
  const table = SIGMA_FIELDS[kind] ?? {};
  const direct = table[name] ?? Object.entries(table).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
  if (direct) return typeof direct === 'string' ? { to: direct } : direct;
  if (exists(name)) return { to: name };
  return undefined;
}

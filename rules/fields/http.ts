/** HTTP fields: one HTTP transaction of a connection (the unit of an http.log row). */
import { FIELDS, num, str, strs } from './table.js';
import { httpOf } from './target.js';
import { cached, type View } from './view.js';

const K = ['http'] as const;
const h = (v: View) => v.http!;

/** Host header without its port; IPv6 literals keep their brackets off. */
function domainOf(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end > 0 ? host.slice(1, end) : host;
  }
  const colon = host.lastIndexOf(':');
  return colon >= 0 && host.indexOf(':') === colon ? host.slice(0, colon) : host;
}

function portOf(host: string): number | undefined {
  const m = /:(\d{1,5})$/.exec(host);
  return m && !host.endsWith(']') ? Number(m[1]) : undefined;
}

const uri = (v: View) => h(v).uri;
const absolute = (u: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(u);

FIELDS.add('http.request.method', 'string', { card: 'low', doc: 'request method' }, K, 'http[].method', (v) => h(v).method, (t, x) => (httpOf(t).method = str(x)));
FIELDS.add('http.version', 'string', { card: 'low', doc: 'request HTTP version (1.1, 1.0)' }, K, 'http[].requestVersion', (v) => h(v).requestVersion, (t, x) => (httpOf(t).requestVersion = str(x)));
FIELDS.add('http.request.referrer', 'string', { doc: 'Referer header' }, K, 'http[].referrer', (v) => h(v).referrer, (t, x) => (httpOf(t).referrer = str(x)));
FIELDS.add('http.request.body.bytes', 'number', { unit: 'bytes', doc: 'request body length' }, K, 'http[].requestBodyLen', (v) => h(v).requestBodyLen, (t, x) => (httpOf(t).requestBodyLen = num(x)));
FIELDS.add('http.response.status_code', 'number', { card: 'low', doc: 'final status code' }, K, 'http[].statusCode', (v) => h(v).statusCode, (t, x) => (httpOf(t).statusCode = num(x)));
FIELDS.add('http.response.body.bytes', 'number', { unit: 'bytes', doc: 'response body length' }, K, 'http[].responseBodyLen', (v) => h(v).responseBodyLen, (t, x) => (httpOf(t).responseBodyLen = num(x)));
FIELDS.add('url.original', 'string', { card: 'high', doc: 'request URI as sent' }, K, 'http[].uri', uri, (t, x) => (httpOf(t).uri = str(x)));
FIELDS.add('url.domain', 'string', { costly: true, card: 'high', doc: 'Host header without the port' }, K, 'http[].host', cached((v) => (h(v).host === undefined ? undefined : domainOf(h(v).host!))), (t, x) => (httpOf(t).host = str(x)));
FIELDS.add('url.port', 'number', { costly: true, doc: 'port in the Host header' }, K, 'http[].host', cached((v) => (h(v).host === undefined ? undefined : portOf(h(v).host!))));
FIELDS.add('url.path', 'string', { costly: true, card: 'high', doc: 'URI path (no query)' }, K, 'http[].uri', cached((v) => {
  const u = uri(v);
  if (u === undefined || absolute(u) || u.startsWith('*')) return undefined;
  const qm = u.indexOf('?');
  return qm < 0 ? u : u.slice(0, qm);
}));
FIELDS.add('url.query', 'string', { costly: true, card: 'high', doc: 'URI query (after ?)' }, K, 'http[].uri', cached((v) => {
  const u = uri(v);
  if (u === undefined || absolute(u)) return undefined;
  const qm = u.indexOf('?');
  return qm < 0 ? undefined : u.slice(qm + 1);
}));
FIELDS.add('user_agent.original', 'string', { card: 'high', doc: 'User-Agent header' }, K, 'http[].userAgent', (v) => h(v).userAgent, (t, x) => (httpOf(t).userAgent = str(x)));
FIELDS.add('zeek.http.trans_depth', 'number', { doc: 'position of the request on its connection' }, K, 'http[].transDepth', (v) => h(v).transDepth);
FIELDS.add('zeek.http.status_msg', 'string', { doc: 'status reason phrase' }, K, 'http[].statusMsg', (v) => h(v).statusMsg);
FIELDS.add('zeek.http.username', 'string', { card: 'high', doc: 'user of Basic authorization' }, K, 'http[].username', (v) => h(v).username, (t, x) => (httpOf(t).username = str(x)));
FIELDS.add('zeek.http.proxied', 'string', { array: true, doc: 'proxy headers ("NAME -> value")' }, K, 'http[].proxied', (v) => h(v).proxied, (t, x) => (httpOf(t).proxied = strs(x)));
FIELDS.add('zeek.http.origin', 'string', { doc: 'Origin header' }, K, 'http[].origin', (v) => h(v).origin, (t, x) => (httpOf(t).origin = str(x)));

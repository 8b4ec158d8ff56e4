/** DNS fields: one DNS transaction of a connection record (the unit of a dns.log row). */
import { ecsClassName, ecsTypeName, opcodeName, rcodeName, TYPE } from '../../sensor/app/dns/consts.js';
import { labelCount, maxLabelLength, registeredDomain, subdomain, subdomainEntropy, topLevelDomain } from './dns-name.js';
import { FIELDS, bool, num, str, strs } from './table.js';
import { dnsOf } from './target.js';
import { cached, type View } from './view.js';

const K = ['dns'] as const;
const d = (v: View) => v.dns!;
const q = (v: View) => v.dns!.query;

const TYPE_BY_NAME = new Map<string, number>();
for (let t = 0; t < 65536; t++) {
  const n = ecsTypeName(t);
  if (!n.startsWith('TYPE')) TYPE_BY_NAME.set(n, t);
}
const RCODE_BY_NAME = new Map<string, number>();
for (let r = 0; r < 4096; r++) {
  const n = rcodeName(r);
  if (!n.startsWith('?')) RCODE_BY_NAME.set(n, r);
}
const typeNumber = (x: unknown): number => TYPE_BY_NAME.get(str(x)) ?? (Number(/^TYPE(\d+)$/.exec(str(x))?.[1] ?? TYPE.A));

FIELDS.add('dns.id', 'string', { card: 'high', doc: 'transaction id' }, K, 'dns[].transId', (v) => String(d(v).transId), (t, x) => (dnsOf(t).transId = num(x)));
FIELDS.add('dns.question.name', 'string', { card: 'high', doc: 'the queried name, as received (case kept)' }, K, 'dns[].query', q, (t, x) => (dnsOf(t).query = str(x)));
FIELDS.add('dns.question.type', 'string', { card: 'low', doc: 'query type name (A, AAAA, TXT, NULL, ...)' }, K, 'dns[].qtype', cached((v) => (d(v).qtype === undefined ? undefined : ecsTypeName(d(v).qtype!))), (t, x) => (dnsOf(t).qtype = typeNumber(x)));
FIELDS.add('dns.question.class', 'string', { card: 'low', doc: 'query class (IN, CH, ...)' }, K, 'dns[].qclass', (v) => (d(v).qclass === undefined ? undefined : ecsClassName(d(v).qclass!)));
FIELDS.add('dns.response_code', 'string', { card: 'low', doc: 'NOERROR, NXDOMAIN, SERVFAIL, ... (absent without a reply)' }, K, 'dns[].rcode', (v) => (d(v).rcode === undefined ? undefined : rcodeName(d(v).rcode!)), (t, x) => (dnsOf(t).rcode = RCODE_BY_NAME.get(str(x)) ?? 0));
FIELDS.add('dns.op_code', 'string', { card: 'low', doc: 'QUERY, NOTIFY, UPDATE, ...' }, K, 'dns[].opcode', (v) => opcodeName(d(v).opcode));
FIELDS.add('dns.type', 'string', { card: 'low', doc: "'answer' when a reply was seen, else 'query'" }, K, 'dns[].sawReply', (v) => (d(v).sawReply ? 'answer' : 'query'), (t, x) => (dnsOf(t).sawReply = str(x) === 'answer'));
FIELDS.add('dns.answers.name', 'string', { costly: true, array: true, doc: 'owner names of the answers' }, K, 'dns[].answers[].name', cached((v) => d(v).answers.map((a) => a.name)));
FIELDS.add('dns.answers.type', 'string', { costly: true, array: true, card: 'low', doc: 'answer type names' }, K, 'dns[].answers[].type', cached((v) => d(v).answers.map((a) => ecsTypeName(a.type))));
FIELDS.add('dns.answers.data', 'string', { costly: true, array: true, doc: 'answer data as dns.log shows it' }, K, 'dns[].answers[].data', cached((v) => d(v).answers.map((a) => a.data)), (t, x) => {
  dnsOf(t).answers = strs(x).map((data) => ({ name: dnsOf(t).query ?? '', type: /^[\d.]+$/.test(data) ? TYPE.A : data.includes(':') ? TYPE.AAAA : TYPE.TXT, class: 1, ttl: 300, data }));
});
FIELDS.add('dns.answers.ttl', 'number', { costly: true, array: true, unit: 's', doc: 'answer TTLs, seconds' }, K, 'dns[].answers[].ttl', cached((v) => d(v).answers.map((a) => a.ttl)));
FIELDS.add('dns.resolved_ip', 'ip', { costly: true, array: true, card: 'high', doc: 'A and AAAA answers' }, K, 'dns[].answers[] (A, AAAA)', cached((v) => d(v).answers.filter((a) => a.type === TYPE.A || a.type === TYPE.AAAA).map((a) => a.data)));
FIELDS.add('zeek.dns.rtt', 'number', { unit: 's', doc: 'reply time minus query time, seconds' }, K, 'dns[].rttNs', (v) => (d(v).rttNs === undefined ? undefined : Number(d(v).rttNs) / 1e9));
FIELDS.add('zeek.dns.rejected', 'bool', { card: 'low', doc: 'the reply had no records at all' }, K, 'dns[].rejected', (v) => d(v).rejected, (t, x) => (dnsOf(t).rejected = bool(x)));
FIELDS.add('dns.question.registered_domain', 'string', { costly: true, card: 'high', doc: 'the last two labels (three under a known second-level registry label); lower case; approximate: no Public Suffix List' }, K, 'derived from query', cached((v) => (q(v) === undefined ? undefined : registeredDomain(q(v)!))));
FIELDS.add('dns.question.subdomain', 'string', { costly: true, card: 'high', doc: 'the name below the registered domain, lower case' }, K, 'derived from query', cached((v) => (q(v) === undefined ? undefined : subdomain(q(v)!))));
FIELDS.add('dns.question.top_level_domain', 'string', { costly: true, card: 'medium', doc: 'the last label, lower case' }, K, 'derived from query', cached((v) => (q(v) === undefined ? undefined : topLevelDomain(q(v)!))));
FIELDS.add('chot.dns.question.length', 'number', { doc: 'length of the queried name in characters' }, K, 'derived from query', (v) => q(v)?.length);
FIELDS.add('chot.dns.question.labels', 'number', { costly: true, doc: 'number of labels of the queried name' }, K, 'derived from query', cached((v) => (q(v) === undefined ? undefined : labelCount(q(v)!))));
FIELDS.add('chot.dns.question.max_label_length', 'number', { costly: true, doc: 'length of the longest label' }, K, 'derived from query', cached((v) => (q(v) === undefined ? undefined : maxLabelLength(q(v)!))));
FIELDS.add('chot.dns.question.entropy', 'number', { costly: true, doc: 'Shannon entropy (bits per character) of the subdomain part; 0 without one' }, K, 'derived from query', cached((v) => (q(v) === undefined ? undefined : subdomainEntropy(q(v)!))));

import { describe, expect, it } from 'vitest';
import { checkFile } from '../../rules/engine/loader.js';
import { StatelessMatcher } from '../../rules/engine/matcher.js';
import { RuleSet } from '../../rules/engine/ruleset.js';
import { ListRegistry } from '../../rules/lists/registry.js';
import type { RecordKind } from '../../rules/records.js';
import { CTX, target } from './helpers.js';

const lists = new ListRegistry(undefined);
lists.define('bad_ips', 'ip', ['203.0.113.0/24', '2001:db8:bad::/48', '198.51.100.7']);
lists.define('bad_domains', 'domain', ['evil.example', '*.tracker.example']);
lists.define('bad_ja3', 'hash', ['72A589DA586844D7F0818CE684948EEA']);
const catalog = { get: (n: string) => lists.get(n), typeOf: (n: string) => lists.get(n)?.type };

/** Whether a rule with this match holds on a record with these fields. */
function holds(match: string, fields: Record<string, unknown>, kind: RecordKind = 'connection'): boolean {
  const text = `id: t\ntitle: t\nseverity: low\nkind: ${kind}\nmatch:\n${match
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n')}\n`;
  const checked = checkFile('t.yaml', text, catalog);
  const errs = checked.diagnostics.filter((d) => d.severity === 'error');
  if (errs.length > 0) throw new Error(errs.map((e) => `${e.line}:${e.col} ${e.message}`).join('; '));
  const set = new RuleSet([{ ast: checked.rules[0]!, ruleset: 't' }], catalog);
  const t = target(kind, fields);
  const m = new StatelessMatcher();
  const hits = kind === 'enforcer' ? m.matchEnforcer(set, [t.enforcer], CTX) : kind === 'health' ? m.matchHealth(set, [t.health]) : m.matchConn(set, [t.conn], CTX);
  return hits.length > 0;
}

describe('operators and modifiers', () => {
  it('equals, not-equals and one-of', () => {
    expect(holds('destination.port: 22', { 'destination.port': 22 })).toBe(true);
    expect(holds('destination.port: 22', { 'destination.port': 23 })).toBe(false);
    expect(holds('destination.port: [22, 3389]', { 'destination.port': 3389 })).toBe(true);
    expect(holds('destination.port: { in: [22, 3389] }', { 'destination.port': 80 })).toBe(false);
    expect(holds('destination.port: { ne: 22 }', { 'destination.port': 80 })).toBe(true);
    expect(holds('network.transport: tcp', { 'network.transport': 'udp' })).toBe(false);
    expect(holds('chot.interim: false', {})).toBe(true);
  });

  it('equality of IP addresses compares canonical forms', () => {
    expect(holds('source.ip: "2001:DB8:0:0::1"', { 'source.ip': '2001:db8::1' })).toBe(true);
    expect(holds('source.ip: 198.18.10.10', {})).toBe(true);
  });

  it('prefix, suffix and contains, case-sensitive unless nocase', () => {
    const f = { 'dns.question.name': 'Mail.Example.COM' };
    expect(holds('dns.question.name: { prefix: Mail. }', f, 'dns')).toBe(true);
    expect(holds('dns.question.name: { prefix: mail. }', f, 'dns')).toBe(false);
    expect(holds('dns.question.name: { prefix: mail., nocase: true }', f, 'dns')).toBe(true);
    expect(holds('dns.question.name: { suffix: .example.com }', f, 'dns')).toBe(false);
    expect(holds('dns.question.name: { suffix: .example.com, nocase: true }', f, 'dns')).toBe(true);
    expect(holds('dns.question.name: { contains: Example }', f, 'dns')).toBe(true);
    expect(holds('dns.question.name: { contains: [zzz, EXAMPLE], nocase: true }', f, 'dns')).toBe(true);
    expect(holds('dns.question.name: { eq: mail.example.com, nocase: true }', f, 'dns')).toBe(true);
    expect(holds('dns.question.name: { in: [a.b, MAIL.EXAMPLE.COM], nocase: true }', f, 'dns')).toBe(true);
    expect(holds('dns.question.name: { contains: "ü" , nocase: true }', { 'dns.question.name': 'xÜx' }, 'dns')).toBe(true);
  });

  it('regular expressions, with nocase as the i flag', () => {
    const f = { 'user_agent.original': 'python-requests/2.31.0' };
    expect(holds('user_agent.original: { regex: "^python-requests/\\\\d+" }', f, 'http')).toBe(true);
    expect(holds('user_agent.original: { regex: "^PYTHON" }', f, 'http')).toBe(false);
    expect(holds('user_agent.original: { regex: "^PYTHON", nocase: true }', f, 'http')).toBe(true);
  });

  it('numeric ranges, with sizes and durations in the field unit', () => {
    expect(holds('source.bytes: { gte: 1000, lt: 2000 }', { 'source.bytes': 1500 })).toBe(true);
    expect(holds('source.bytes: { gte: 1000, lt: 2000 }', { 'source.bytes': 2000 })).toBe(false);
    expect(holds('source.bytes: { gt: 1kb }', { 'source.bytes': 1001 })).toBe(true);
    expect(holds('source.bytes: { gt: 1kb }', { 'source.bytes': 1000 })).toBe(false);
    expect(holds('event.duration: { gte: 30s }', { 'event.duration': 31e9 })).toBe(true);
    expect(holds('event.duration: { lte: 30s }', { 'event.duration': 31e9 })).toBe(false);
    expect(holds('zeek.dns.rtt: { gt: 100ms }', {}, 'dns')).toBe(false);
  });

  it('CIDR membership, IPv4 and IPv6', () => {
    expect(holds('destination.ip: { cidr: [10.0.0.0/8, 198.18.0.0/15] }', { 'destination.ip': '198.19.200.7' })).toBe(true);
    expect(holds('destination.ip: { cidr: 10.0.0.0/8 }', { 'destination.ip': '11.0.0.1' })).toBe(false);
    expect(holds('destination.ip: { cidr: "fd00:c407::/48" }', { 'destination.ip': 'fd00:c407:0:10::dd' })).toBe(true);
    expect(holds('destination.ip: { cidr: "fd00:c407::/48" }', { 'destination.ip': 'fd00:c408::1' })).toBe(false);
    expect(holds('destination.ip: { cidr: 192.0.2.0/24 }', { 'destination.ip': '::ffff:192.0.2.9' })).toBe(true);
  });

  it('named lists: IP/CIDR, domain (suffix), fingerprint (any case)', () => {
    expect(holds('destination.ip: { in_list: bad_ips }', { 'destination.ip': '203.0.113.200' })).toBe(true);
    expect(holds('destination.ip: { in_list: bad_ips }', { 'destination.ip': '2001:db8:bad:1::1' })).toBe(true);
    expect(holds('destination.ip: { in_list: bad_ips }', { 'destination.ip': '198.51.100.8' })).toBe(false);
    expect(holds('dns.question.name: { in_list: bad_domains }', { 'dns.question.name': 'A.EVIL.example.' }, 'dns')).toBe(true);
    expect(holds('dns.question.name: { in_list: bad_domains }', { 'dns.question.name': 'x.tracker.example' }, 'dns')).toBe(true);
    expect(holds('dns.question.name: { in_list: bad_domains }', { 'dns.question.name': 'notevil.example' }, 'dns')).toBe(false);
    expect(holds('tls.client.ja3: { in_list: bad_ja3 }', { 'tls.client.ja3': '72a589da586844d7f0818ce684948eea' }, 'tls')).toBe(true);
  });

  it('exists, and missing fields satisfy nothing but exists: false and ne', () => {
    expect(holds('tls.client.ja3: { exists: true }', {}, 'tls')).toBe(false);
    expect(holds('tls.client.ja3: null', {}, 'tls')).toBe(true);
    expect(holds('tls.client.ja3: { ne: abc }', {}, 'tls')).toBe(true);
    expect(holds('tls.client.ja3: { prefix: a }', {}, 'tls')).toBe(false);
    expect(holds('chot.population_data.bypass: true', {})).toBe(false);
  });

  it('list fields hold when any element does', () => {
    const f = { 'dns.answers.data': ['198.18.0.1', '203.0.113.9'] };
    expect(holds('dns.resolved_ip: { in_list: bad_ips }', f, 'dns')).toBe(true);
    expect(holds('dns.answers.data: "203.0.113.9"', f, 'dns')).toBe(true);
    expect(holds('dns.answers.data: { ne: "203.0.113.9" }', f, 'dns')).toBe(false);
    expect(holds('chot.weirds: { exists: true }', {})).toBe(false);
  });

  it('all, any and not', () => {
    const f = { 'destination.port': 22, 'network.transport': 'tcp' };
    expect(holds('all:\n  - destination.port: 22\n  - network.transport: tcp', f)).toBe(true);
    expect(holds('any:\n  - destination.port: 23\n  - network.transport: tcp', f)).toBe(true);
    expect(holds('any:\n  - destination.port: 23\n  - network.transport: udp', f)).toBe(false);
    expect(holds('not:\n  destination.port: 22', f)).toBe(false);
    expect(holds('destination.port: 22\nnot: { source.ip: { cidr: 10.0.0.0/8 } }', f)).toBe(true);
  });

  it('derived DNS fields: length, labels, registered domain, entropy', () => {
    const name = { 'dns.question.name': 'mzxw6ytboi2dmnzyhe4tcmrtgq2tmnzzgaytemzu.t.cdn-telemetry.example' };
    expect(holds('dns.question.registered_domain: cdn-telemetry.example', name, 'dns')).toBe(true);
    expect(holds('dns.question.subdomain: { prefix: mzxw6 }', name, 'dns')).toBe(true);
    expect(holds('chot.dns.question.labels: 4', name, 'dns')).toBe(true);
    expect(holds('chot.dns.question.max_label_length: 40', name, 'dns')).toBe(true);
    expect(holds('chot.dns.question.entropy: { gte: 3.5 }', name, 'dns')).toBe(true);
    expect(holds('chot.dns.question.entropy: { gte: 3.5 }', { 'dns.question.name': 'www.example.com' }, 'dns')).toBe(false);
    expect(holds('dns.question.registered_domain: ubnd.gov.vn', { 'dns.question.name': 'portal.ubnd.gov.vn' }, 'dns')).toBe(true);
  });

  it('enforcer and health fields', () => {
    expect(holds('event.outcome: failure', { 'event.outcome': 'failure' }, 'enforcer')).toBe(true);
    expect(holds('chot.sensor.silent_seconds: { gte: 300 }', { 'chot.sensor.silent_seconds': 600 }, 'health')).toBe(true);
    expect(holds('chot.sensor.certificate.expires_in_days: { lt: 14 }', { 'chot.sensor.certificate.expires_in_days': 3 }, 'health')).toBe(true);
  });
});

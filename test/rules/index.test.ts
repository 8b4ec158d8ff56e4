import { describe, expect, it } from 'vitest';
import { checkFile } from '../../rules/engine/loader.js';
import { StatelessMatcher } from '../../rules/engine/matcher.js';
import { RuleSet } from '../../rules/engine/ruleset.js';
import { ListRegistry } from '../../rules/lists/registry.js';
import { CTX, conn } from './helpers.js';

const lists = new ListRegistry(undefined);
lists.define('bad_ips', 'ip', ['203.0.113.0/24']);
const catalog = { get: (n: string) => lists.get(n), typeOf: (n: string) => lists.get(n)?.type };

function setOf(yaml: string): RuleSet {
  const c = checkFile('i.yaml', yaml, catalog);
  const errs = c.diagnostics.filter((d) => d.severity === 'error');
  if (errs.length) throw new Error(errs.map((e) => e.message).join('; '));
  return new RuleSet(c.rules.map((ast) => ({ ast, ruleset: 'i' })), catalog);
}

const rule = (id: string, match: string, kind = 'connection') => `- id: ${id}\n  title: ${id}\n  severity: low\n  kind: ${kind}\n  match:\n${match.replace(/^/gm, '    ')}\n`;

describe('the rule index: cost follows the rules that could match', () => {
  it('never evaluates a rule whose indexed value the record does not have', () => {
    const rules: string[] = [];
    for (let p = 1; p <= 1000; p++) rules.push(rule(`port.${p}`, `destination.port: ${20000 + p}\nnetwork.transport: tcp`));
    const set = setOf(rules.join(''));
    const m = new StatelessMatcher();
    const records = Array.from({ length: 500 }, (_, i) => conn({ 'destination.port': i % 2 === 0 ? 443 : 20007 }));
    const hits = m.matchConn(set, records, CTX);
    expect(hits.length).toBe(250);
    const evaluated = set.rules.filter((r) => r.matchers[0]!.evaluations > 0);
    expect(evaluated.map((r) => r.id)).toEqual(['port.7']);
    expect(set.rules.find((r) => r.id === 'port.7')!.matchers[0]!.evaluations).toBe(250);
    expect(set.index.get('connection')!.describe().residual).toBe(0);
  });

  it('files an OR rule under each branch and evaluates it once per record', () => {
    const set = setOf(rule('either', 'any:\n  - destination.port: 22\n  - source.port: 22'));
    const m = new StatelessMatcher();
    const hits = m.matchConn(set, [conn({ 'destination.port': 22, 'source.port': 22 }), conn({ 'destination.port': 80, 'source.port': 22 }), conn({ 'destination.port': 80 })], CTX);
    expect(hits.length).toBe(2);
    expect(set.rules[0]!.matchers[0]!.evaluations).toBe(2);
  });

  it('indexes lists, CIDRs, suffixes, bounds and presence; only NOT-only rules are residual', () => {
    const set = setOf(
      rule('list', 'destination.ip: { in_list: bad_ips }') +
        rule('cidr', 'destination.ip: { cidr: [10.0.0.0/8, "fd00::/8"] }') +
        rule('suffix', 'dns.question.name: { suffix: .evil.example, nocase: true }', 'dns') +
        rule('big', 'source.bytes: { gte: 1000000 }') +
        rule('small', 'source.bytes: { lt: 10 }') +
        rule('has', 'tls.client.ja3: { exists: true }', 'tls') +
        rule('neg', 'not: { destination.port: 22 }'),
    );
    const d = set.index.get('connection')!.describe();
    expect(d).toMatchObject({ lists: 1, cidr: 1, min: 1, max: 1, residual: 1 });
    expect(set.index.get('dns')!.describe().suffix).toBe(1);
    expect(set.index.get('tls')!.describe().exists).toBe(1);
    const m = new StatelessMatcher();
    const records = [
      conn({ 'destination.ip': '203.0.113.5', 'destination.port': 22 }),
      conn({ 'destination.ip': '10.1.2.3', 'destination.port': 22 }),
      conn({ 'destination.ip': 'fd00::1', 'destination.port': 22 }),
      conn({ 'source.bytes': 2_000_000, 'destination.port': 22 }),
      conn({ 'source.bytes': 5, 'destination.port': 22 }),
      conn({ 'dns.question.name': 'X.EVIL.example' }, undefined, 'dns'),
      conn({ 'tls.client.ja3': 'abc' }, undefined, 'tls'),
    ];
    const ids = m.matchConn(set, records, CTX).toArray().map((h) => h.m.rule.id);
    expect(ids.sort()).toEqual(['big', 'cidr', 'cidr', 'has', 'list', 'neg', 'neg', 'small', 'suffix']);
    const evals = Object.fromEntries(set.rules.map((r) => [r.id, r.matchers[0]!.evaluations]));
    expect(evals).toEqual({ list: 1, cidr: 2, suffix: 1, big: 1, small: 1, has: 1, neg: 7 });
  });

  it('keeps the per-record work flat as non-matching rules grow (its time is bench/rules.bench.mjs\'s, not a unit test\'s)', () => {
    const evaluations = (n: number): number => {
      const rules: string[] = [];
      for (let p = 0; p < n; p++) rules.push(rule(`r${p}`, `destination.port: ${30000 + p}`));
      const set = setOf(rules.join('') || rule('none', 'destination.port: 1'));
      const m = new StatelessMatcher();
      const records = Array.from({ length: 2000 }, (_, i) => conn({ 'destination.port': 443, 'source.port': 40000 + i }));
      expect(m.matchConn(set, records, CTX).length).toBe(0);
      return set.rules.reduce((a, r) => a + r.matchers.reduce((b, x) => b + x.evaluations, 0), 0);
    };
    // Not one of the rules is evaluated, however many there are: the index answers for all of them at once.
    expect(evaluations(10)).toBe(0);
    expect(evaluations(5000)).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { checkFile } from '../../rules/engine/loader.js';
import { formatDiagnostic } from '../../rules/language/diagnostics.js';
import { parseDurationMs, parseSize } from '../../rules/language/duration.js';

const lists = { typeOf: (n: string) => (n === 'bad_ips' ? ('ip' as const) : n === 'bad_domains' ? ('domain' as const) : undefined) };

function errors(text: string): string[] {
  return checkFile('r.yaml', text, lists)
    .diagnostics.filter((d) => d.severity === 'error')
    .map(formatDiagnostic);
}

const RULE = (body: string) => `- id: t.rule
  title: A rule
  severity: high
  kind: connection
${body}`;

describe('rule language: errors name file, line, column and what was expected', () => {
  it('accepts a valid file', () => {
    expect(errors(RULE('  match:\n    destination.port: 22\n'))).toEqual([]);
  });

  it('reports YAML syntax errors where they are', () => {
    const e = errors('- id: x\n  title: [unclosed\n  severity: high\n');
    expect(e[0]).toMatch(/^r\.yaml:\d+:\d+: expected valid YAML/);
  });

  it('reports a missing required key at the rule', () => {
    expect(errors('- id: t.rule\n  severity: high\n  kind: connection\n  match: { destination.port: 22 }\n')).toEqual(['r.yaml:1:3: title: expected a string (missing)']);
  });

  it('reports an unknown key at the key', () => {
    expect(errors(RULE('  match: { destination.port: 22 }\n  sevrity: low\n'))).toEqual(['r.yaml:6:3: unexpected key "sevrity"']);
  });

  it('reports a bad enum value with the choices', () => {
    expect(errors('- id: t.rule\n  title: x\n  severity: urgent\n  kind: connection\n  match: { destination.port: 22 }\n')).toEqual(['r.yaml:3:13: severity: expected a severity: low, medium, high, critical']);
  });

  it('reports an unknown field with a suggestion', () => {
    expect(errors(RULE('  match:\n    destination.prot: 22\n'))).toEqual([
      'r.yaml:6:5: unknown field "destination.prot" for kind connection (did you mean destination.port?); `chot rules fields --kind connection` lists them',
    ]);
  });

  it('reports a field of another kind', () => {
    expect(errors(RULE('  match:\n    dns.question.name: x\n'))[0]).toBe('r.yaml:6:5: field dns.question.name is not available for kind connection (it is for: dns)');
  });

  it('reports an operator that does not suit the type', () => {
    expect(errors(RULE('  match:\n    destination.port: { prefix: "2" }\n'))[0]).toMatch(/^r\.yaml:6:25: operator prefix does not apply to destination\.port \(number\)/);
  });

  it('reports values of the wrong type', () => {
    expect(errors(RULE('  match:\n    destination.ip: not-an-ip\n'))[0]).toBe('r.yaml:6:5: expected an IP address (use cidr: for blocks) for destination.ip eq, found "not-an-ip"');
    expect(errors(RULE('  match:\n    destination.ip: { cidr: 10.0.0.0/33 }\n'))[0]).toMatch(/^r\.yaml:6:23: expected a CIDR block/);
    expect(errors(RULE('  match:\n    network.transport: { regex: "(" }\n'))[0]).toMatch(/^r\.yaml:6:26: expected a valid regular expression/);
    expect(errors(RULE('  match:\n    source.bytes: { gt: lots }\n'))[0]).toMatch(/expected a number or size \(50MB\)/);
  });

  it('reports an unknown list and a list of the wrong type', () => {
    expect(errors(RULE('  match:\n    destination.ip: { in_list: nope }\n'))[0]).toMatch(/^r\.yaml:6:23: expected the name of a loaded list/);
    expect(errors(RULE('  match:\n    destination.ip: { in_list: bad_domains }\n'))[0]).toMatch(/expected a list of type ip \(list "bad_domains" is domain\)/);
  });

  it('reports a bad duration and a bad aggregate', () => {
    expect(errors(RULE('  match: { destination.port: 22 }\n  aggregate: { function: sum, by: [source.ip], window: soon, threshold: 5 }\n'))).toEqual(['r.yaml:6:56: aggregate.window: expected a duration such as 30s, 5m, 1h or 7d']);
    expect(errors(RULE('  match: { destination.port: 22 }\n  aggregate: { function: sum, by: [source.ip], window: 1m, threshold: 5 }\n'))[0]).toBe('r.yaml:6:3: expected aggregate.field for sum');
  });

  it('requires suppress.by to be within the group of a windowed rule', () => {
    expect(errors(RULE('  match: { destination.port: 22 }\n  aggregate: { function: count, by: [source.ip], window: 1m, threshold: 5 }\n  suppress: { by: [destination.ip], window: 1h }\n'))[0]).toMatch(/^r\.yaml:7:20: expected suppress\.by to use only the rule's group fields/);
  });

  it('reports bad condition shapes', () => {
    expect(errors(RULE('  match:\n    any: []\n'))[0]).toMatch(/^r\.yaml:6:5: expected any: to hold a non-empty list/);
    expect(errors(RULE('  match:\n    destination.port: { between: [1, 2] }\n'))[0]).toMatch(/^r\.yaml:6:25: unexpected operator "between"/);
    expect(errors(RULE('  match:\n    destination.port: { gt: [1, 2] }\n'))[0]).toMatch(/expected one value for gt/);
  });

  it('rejects the whole file when one rule is bad, and reports every problem', () => {
    const text = `${RULE('  match: { destination.port: 22 }\n')}- id: t.two\n  title: B\n  severity: low\n  kind: dns\n  match: { dns.question.nam: x }\n  tests:\n    - name: t\n      expect: alert\n      records: [ { chot.dns.question.entropy: 3 } ]\n`;
    const c = checkFile('r.yaml', text, lists);
    const e = c.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
    expect(e).toHaveLength(2);
    expect(e[0]).toMatch(/^r\.yaml:10:12: unknown field "dns\.question\.nam"/);
    expect(e[1]).toMatch(/^r\.yaml:14:20: field chot\.dns\.question\.entropy is derived and cannot be set in a test record \(set dns\.question\.name\)/);
  });

  it('rejects several YAML documents and empty files', () => {
    expect(errors('')[0]).toBe('r.yaml:1:1: expected a rule (a mapping) or a list of rules, found an empty file');
    expect(errors(`${RULE('  match: { destination.port: 22 }\n')}---\n- id: b\n`)[0]).toMatch(/^r\.yaml:6:1: expected one YAML document per rule file/);
  });

  it('gives every rule a version: a hash of its own text', () => {
    const a = checkFile('r.yaml', RULE('  match: { destination.port: 22 }\n'), lists).rules[0]!;
    const b = checkFile('r.yaml', RULE('  match: { destination.port: 23 }\n'), lists).rules[0]!;
    const c = checkFile('other.yaml', `# a comment above\n${RULE('  match: { destination.port: 22 }\n')}`, lists).rules[0]!;
    expect(a.version).toMatch(/^[0-9a-f]{16}$/);
    expect(a.version).not.toBe(b.version);
    expect(c.version).toBe(a.version);
  });

  it('parses durations and sizes', () => {
    expect(parseDurationMs('500ms')).toBe(500);
    expect(parseDurationMs('5m')).toBe(300_000);
    expect(parseDurationMs('7d')).toBe(604_800_000);
    expect(parseDurationMs('soon')).toBeUndefined();
    expect(parseSize('50MB')).toBe(50_000_000);
    expect(parseSize('1GiB')).toBe(1024 ** 3);
    expect(parseSize('12')).toBe(12);
  });
});

import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCondition } from '../../rules/sigma/condition.js';
import { SIGMA_FIELDS } from '../../rules/sigma/fields.js';
import { importSigmaDir } from '../../rules/sigma/import.js';
import { FIELDS } from '../../rules/fields/index.js';
import type { RecordKind } from '../../rules/records.js';
import { DetectionEngine } from '../../rules/worker.js';
import { conn, ruleDir, silent, T0 } from './helpers.js';

const FIXTURES = join(import.meta.dirname, 'sigma');
const result = importSigmaDir(FIXTURES);
const cleanups: Array<() => void> = [];
afterAll(() => cleanups.forEach((c) => c()));

async function engineOf(ids: string[]): Promise<DetectionEngine> {
  const files = Object.fromEntries(result.converted.filter((c) => ids.includes(c.id)).map((c) => [c.fileName, c.yaml]));
  expect(Object.keys(files)).toHaveLength(ids.length);
  const d = ruleDir(files);
  cleanups.push(d.cleanup);
  const e = new DetectionEngine({ keyPrefix: 'sigma:', esPrefix: 'chot', log: silent, rulesDir: d.dir, watch: false });
  const report = await e.start();
  expect(report.diagnostics).toEqual([]);
  return e;
}

let seq = 0;
async function fire(e: DetectionEngine, records: ReturnType<typeof conn>[]): Promise<string[]> {
  const out = await e.processBatch(records, { sensorId: 's', seq: seq++, node: '01/001/00001' });
  return out.created.map((c) => c.doc.rule.id);
}

describe('Sigma import', () => {
  it('converts what Chốt produces and reports the rest per rule, with the reason', () => {
    expect(result.converted.map((c) => c.id).sort()).toEqual(
      [
        'sigma.0c6e3b2a-8f1d-4c3e-9b7a-5d4e3f2a1b03',
        'sigma.1f2e3d4c-5b6a-4798-8a7b-6c5d4e3f2a05',
        'sigma.2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c06',
        'sigma.4c5d6e7f-8091-4aab-9d2e-3f4a5b6c7d08',
        'sigma.5b0f6c1e-0d2a-4c61-9d0e-6a3c8d1f0a01',
        'sigma.5d6e7f80-91a2-4bbc-8e3f-4a5b6c7d8e09',
        'sigma.7e2f1a0b-4c3d-4e5f-8a9b-0c1d2e3f4a04',
        'sigma.8091a2b3-c4d5-4eef-9162-7d8e9f0a1b12',
        'sigma.91a2b3c4-d5e6-4ff0-8273-8e9f0a1b2c13',
        'sigma.9a1d4f7e-3e55-4b8e-a2a9-1c2d3e4f5a02',
        // generate: true on the temporal correlation: its rules alert on their own too
        'sigma.payload_lookup'.replace('payload_lookup', '6e7f8091-a2b3-4ccd-9f40-5b6c7d8e9f10'),
        'sigma.7f8091a2-b3c4-4dde-8051-6c7d8e9f0a11',
      ].sort(),
    );
    const reasons = Object.fromEntries(result.skipped.map((s) => [s.title, s.reason]));
    expect(reasons).toEqual({
      'Too few logins (cannot convert)': expect.stringMatching(/"fewer than" conditions \(lt, lte\) need a window to close/),
      'Windows process creation (not a Chốt log source)': expect.stringMatching(/log source \(category process_creation, product windows\) is not one Chốt produces/),
      'Keyword search': expect.stringMatching(/"keywords" is a keyword search/),
      'Base64 payload': expect.stringMatching(/modifier base64offset encodes payload text/),
      'Process-level network field': expect.stringMatching(/field Image has no Chốt equivalent for connection records/),
    });
  });

  it('maps the detection faithfully: fields, modifiers, wildcards, case, not, 1 of', async () => {
    const smb = result.converted.find((c) => c.id.startsWith('sigma.5b0f6c1e'))!.yaml;
    expect(smb).toContain('destination.port: 445');
    expect(smb).toMatch(/not:\s+destination\.ip:\s+cidr:/);
    expect(smb).toContain('T1021.002');
    const e = await engineOf(result.converted.map((c) => c.id));
    expect(await fire(e, [conn({ 'destination.port': 445, 'destination.ip': '8.8.8.8' })])).toContain('sigma.5b0f6c1e-0d2a-4c61-9d0e-6a3c8d1f0a01');
    expect(await fire(e, [conn({ 'destination.port': 445, 'destination.ip': '10.1.2.3' })])).toEqual([]);
    // Sigma strings are case-insensitive; wildcards become prefix/suffix/contains or a regex.
    const dns = (name: string, extra: Record<string, unknown> = {}) => conn({ 'dns.question.name': name, ...extra }, T0, 'dns');
    expect(await fire(e, [dns('X.ONION.example')])).toEqual(['sigma.1f2e3d4c-5b6a-4798-8a7b-6c5d4e3f2a05']);
    expect(await fire(e, [dns('pastebin.example')])).toEqual([]);
    expect(await fire(e, [dns('raw.pastebin.example')])).toEqual(['sigma.1f2e3d4c-5b6a-4798-8a7b-6c5d4e3f2a05']);
    expect(await fire(e, [dns('update-7.cdn3.example')])).toEqual(['sigma.1f2e3d4c-5b6a-4798-8a7b-6c5d4e3f2a05']);
    expect(await fire(e, [dns('update-7.cdn33.example')])).toEqual([]);
    // re keeps its case; Zeek's TLS version spelling is translated.
    expect(await fire(e, [dns('mzxw6ytboi2dmnzyhe4tcmrtgq2tmnzzgaytemzuhe.t.example', { 'dns.question.type': 'TXT' })])).toEqual(['sigma.9a1d4f7e-3e55-4b8e-a2a9-1c2d3e4f5a02']);
    expect(await fire(e, [conn({ 'tls.version': '1.0' }, T0, 'tls')])).toEqual(['sigma.7e2f1a0b-4c3d-4e5f-8a9b-0c1d2e3f4a04']);
    const http = (ua: string, method: string, host: string) => conn({ 'user_agent.original': ua, 'http.request.method': method, 'url.domain': host }, T0, 'http');
    expect(await fire(e, [http('Python-Requests/2.31', 'POST', 'up.example.org')])).toEqual(['sigma.0c6e3b2a-8f1d-4c3e-9b7a-5d4e3f2a1b03']);
    expect(await fire(e, [http('python-requests/2.31', 'POST', 'api.chot.internal')])).toEqual([]);
  });

  it('converts the legacy count aggregation and correlations: event_count, value_count, temporal, temporal_ordered', async () => {
    const ids = ['sigma.2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c06', 'sigma.4c5d6e7f-8091-4aab-9d2e-3f4a5b6c7d08', 'sigma.5d6e7f80-91a2-4bbc-8e3f-4a5b6c7d8e09', 'sigma.8091a2b3-c4d5-4eef-9162-7d8e9f0a1b12', 'sigma.91a2b3c4-d5e6-4ff0-8273-8e9f0a1b2c13'];
    const yaml = (id: string) => result.converted.find((c) => c.id === id)!.yaml;
    expect(yaml(ids[0]!)).toMatch(/function: distinct_count\s+field: destination\.port\s+by:\s+- source\.ip\s+window: 1m\s+threshold: 21/);
    expect(yaml(ids[1]!)).toMatch(/function: count\s+by:\s+- source\.ip\s+- destination\.ip\s+window: 5m\s+threshold: 10/);
    expect(yaml(ids[2]!)).toMatch(/threshold: 6\s+field: destination\.ip/);
    expect(yaml(ids[3]!)).toMatch(/ordered: true/);
    expect(yaml(ids[4]!)).toMatch(/ordered: false/);
    const e = await engineOf(ids);
    // Ten failed SSH connections from one source to one host in five minutes.
    const failed = Array.from({ length: 10 }, (_, i) => conn({ 'destination.port': 22, 'zeek.connection.state': 'REJ', 'source.port': 40000 + i }, T0 + i * 1000));
    expect(await fire(e, failed)).toEqual(['sigma.4c5d6e7f-8091-4aab-9d2e-3f4a5b6c7d08']);
    // Failed SSH to six hosts in a minute.
    const spread = Array.from({ length: 6 }, (_, i) => conn({ 'destination.port': 22, 'zeek.connection.state': 'S0', 'source.ip': '198.18.10.50', 'destination.ip': `198.18.1.${i + 1}` }, T0 + i * 1000));
    expect(await fire(e, spread)).toEqual(['sigma.5d6e7f80-91a2-4bbc-8e3f-4a5b6c7d8e09']);
    // The lookup, then the connection: both temporal rules; the reverse order: only the unordered one.
    const lookup = (ip: string, t: number) => conn({ 'dns.question.name': 'x.payload.example', 'source.ip': ip }, t, 'dns');
    const shell = (ip: string, t: number) => conn({ 'destination.port': 4444, 'source.ip': ip }, t);
    expect((await fire(e, [lookup('198.18.10.60', T0), shell('198.18.10.60', T0 + 60_000)])).sort()).toEqual([ids[3], ids[4]].sort());
    expect(await fire(e, [shell('198.18.10.61', T0), lookup('198.18.10.61', T0 + 60_000)])).toEqual([ids[4]]);
    // 21 refused ports in a minute (the legacy count).
    const scan = Array.from({ length: 21 }, (_, i) => conn({ 'zeek.connection.state': 'REJ', 'destination.port': 1000 + i, 'source.ip': '198.18.10.70' }, T0 + i * 500));
    expect(await fire(e, scan)).toEqual([ids[0]]);
  });

  it('parses the condition grammar with Sigma precedence', () => {
    expect(parseCondition('a or b and not c').expr).toEqual({ t: 'or', items: [{ t: 'id', name: 'a' }, { t: 'and', items: [{ t: 'id', name: 'b' }, { t: 'not', item: { t: 'id', name: 'c' } }] }] });
    expect(parseCondition('(a or b) and all of sel_*').expr).toEqual({ t: 'and', items: [{ t: 'or', items: [{ t: 'id', name: 'a' }, { t: 'id', name: 'b' }] }, { t: 'of', quantifier: 'all', pattern: 'sel_*' }] });
    expect(parseCondition('1 of them | count() by src_ip > 5')).toMatchObject({ expr: { t: 'of', quantifier: 'one', pattern: 'them' }, aggregation: { by: 'src_ip', op: '>', value: 5 } });
    expect(() => parseCondition('a and')).toThrow(/ends too early/);
    expect(() => parseCondition('2 of sel*')).toThrow(/only "1 of" and "all of"/);
  });

  it('maps every Sigma field to a field Chốt has for that kind', () => {
    for (const [kind, table] of Object.entries(SIGMA_FIELDS)) {
      for (const [name, m] of Object.entries(table!)) {
        const to = typeof m === 'string' ? m : m.to;
        expect(FIELDS.get(to)?.kinds.has(kind as RecordKind), `${kind}: ${name} → ${to}`).toBe(true);
      }
    }
  });
});

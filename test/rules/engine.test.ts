import { afterAll, describe, expect, it } from 'vitest';
import type { ConnRecord } from '../../sensor/record.js';
import { CTX, conn, engineFor, T0, target } from './helpers.js';

const cleanups: Array<() => void> = [];
afterAll(() => cleanups.forEach((c) => c()));

async function engine(yaml: string, lists: Record<string, string> = {}) {
  const { engine, dir } = await engineFor({ 'r.yaml': yaml, ...lists });
  cleanups.push(dir.cleanup);
  expect(engine.report?.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return engine;
}

const HEAD = (id: string, kind = 'connection', extra = '') => `- id: ${id}\n  title: ${id}\n  severity: high\n  kind: ${kind}\n${extra}`;

describe('engine semantics (in-process state)', () => {
  it('raises one alert per matching record, with explanation, evidence and the rule version', async () => {
    const e = await engine(`${HEAD('ssh')}  mitre: { techniques: [T1021.004], tactics: [lateral-movement] }\n  match:\n    destination.port: 22\n    source.bytes: { gte: 100 }\n`);
    const out = await e.processBatch([conn({ 'destination.port': 22 }), conn({ 'destination.port': 80 }), conn({ 'destination.port': 22, 'source.ip': '198.18.10.99' })], CTX);
    expect(out.created).toHaveLength(2);
    const a = out.created[0]!.doc;
    expect(out.created[0]!.index).toBe('chot-alerts-2026.01.01');
    expect(a.rule).toMatchObject({ id: 'ssh', mode: 'alert', ruleset: expect.any(String) });
    expect(a.rule.version).toBe(e.rules.byId.get('ssh')!.version);
    expect(a.chot.alert.evidence).toEqual([{ index: 'chot-conn-2026.01.01', id: 'sensor-1:7:0' }]);
    expect(out.created[1]!.doc.chot.alert.evidence[0]!.id).toBe('sensor-1:7:2');
    expect(a.chot.alert.explanation.conditions).toEqual([
      { field: 'destination.port', op: 'eq', expected: 22, actual: 22 },
      { field: 'source.bytes', op: 'gte', expected: 100, actual: 820 },
    ]);
    expect(a.threat).toEqual({ framework: 'MITRE ATT&CK', technique: { id: ['T1021.004'] }, tactic: { name: ['lateral-movement'] } });
    expect(a.observer).toMatchObject({ id: '01/001/00001', hierarchy: ['01', '01/001', '01/001/00001'] });
    expect(a.source).toEqual({ ip: '198.18.10.10', port: 50000 });
    // The same record again (a replayed stream entry) gives the same alert id.
    const again = await e.processBatch([conn({ 'destination.port': 22 })], CTX);
    expect(again.created[0]!.doc.event.id).toBe(a.event.id);
  });

  it('suppress: one alert per group per window, the rest counted into it', async () => {
    const e = await engine(`${HEAD('plain')}  match: { destination.port: 23 }\n  suppress: { by: [source.ip], window: 1h }\n`);
    const recs = (ip: string, n: number, start: number) => Array.from({ length: n }, (_, i) => conn({ 'destination.port': 23, 'source.ip': ip }, start + i * 60_000));
    const first = await e.processBatch([...recs('198.18.10.1', 3, T0), ...recs('198.18.10.2', 1, T0)], CTX);
    expect(first.created.map((c) => c.doc.chot.alert.group)).toEqual([{ 'source.ip': '198.18.10.1' }, { 'source.ip': '198.18.10.2' }]);
    expect(first.created[0]!.doc.chot.alert.suppressed).toBe(2);
    const later = await e.processBatch(recs('198.18.10.1', 2, T0 + 10 * 60_000), { ...CTX, seq: 8 });
    expect(later.created).toEqual([]);
    expect(later.updated).toEqual([expect.objectContaining({ id: first.created[0]!.doc.event.id, suppressed: 4, index: 'chot-alerts-2026.01.01' })]);
    // Replaying an entry counts nothing twice.
    const replay = await e.processBatch(recs('198.18.10.1', 2, T0 + 10 * 60_000), { ...CTX, seq: 8 });
    expect(replay.updated).toEqual([]);
    // The next hour is a new alert.
    const next = await e.processBatch(recs('198.18.10.1', 1, T0 + 61 * 60_000), { ...CTX, seq: 9 });
    expect(next.created).toHaveLength(1);
  });

  it('exceptions allow-list records, before any counting', async () => {
    const e = await engine(`${HEAD('ex')}  match: { destination.port: 22 }\n  exceptions:\n    - source.ip: { in_list: admins }\n    - source.ip: { cidr: 10.0.0.0/8 }\n`, { 'lists/admins.ip': '198.18.10.5\n' });
    const out = await e.processBatch([conn({ 'destination.port': 22, 'source.ip': '198.18.10.5' }), conn({ 'destination.port': 22, 'source.ip': '10.2.3.4' }), conn({ 'destination.port': 22, 'source.ip': '198.18.10.6' })], CTX);
    expect(out.created.map((c) => c.doc.source?.ip)).toEqual(['198.18.10.6']);
  });

  it('log-only mode raises alerts marked for tuning', async () => {
    const e = await engine(`${HEAD('tuning', 'connection', '  mode: log\n')}  match: { destination.port: 22 }\n`);
    const out = await e.processBatch([conn({ 'destination.port': 22 })], CTX);
    expect(out.created[0]!.doc.rule.mode).toBe('log');
  });

  it('aggregate count, distinct count and sum cross their thresholds once per window', async () => {
    const e = await engine(
      `${HEAD('count')}  match: { destination.port: 22 }\n  aggregate: { function: count, by: [source.ip], window: 1m, threshold: 5 }\n` +
        `${HEAD('distinct')}  match: { zeek.connection.state: REJ }\n  aggregate: { function: distinct_count, field: destination.port, by: [source.ip], window: 1m, threshold: 10 }\n` +
        `${HEAD('hll')}  match: { zeek.connection.state: REJ }\n  aggregate: { function: distinct_count, field: destination.port, by: [source.ip], window: 1m, threshold: 10, approximate: true }\n` +
        `${HEAD('sum')}  match: { zeek.connection.orig_bytes: { gt: 0 } }\n  aggregate: { function: sum, field: zeek.connection.orig_bytes, running_total_per: zeek.session_id, by: [source.ip], window: 1h, threshold: 100MB }\n`,
    );
    const records: ConnRecord[] = [];
    for (let i = 0; i < 8; i++) records.push(conn({ 'destination.port': 22 }, T0 + i * 1000));
    for (let i = 0; i < 12; i++) records.push(conn({ 'zeek.connection.state': 'REJ', 'destination.port': 1000 + (i % 11) }, T0 + i * 1000));
    const out = await e.processBatch(records, CTX);
    const by = (id: string) => out.created.filter((c) => c.doc.rule.id === id).map((c) => c.doc);
    expect(by('count')).toHaveLength(1);
    expect(by('count')[0]!.chot.alert.explanation.window).toEqual({ seconds: 60, function: 'count', value: 5, threshold: 5 });
    expect(by('count')[0]!.chot.alert.evidence.map((x) => x.id)).toEqual(['sensor-1:7:0', 'sensor-1:7:1', 'sensor-1:7:2', 'sensor-1:7:3', 'sensor-1:7:4']);
    expect(by('distinct')).toHaveLength(1);
    expect(by('distinct')[0]!.chot.alert.explanation.window).toMatchObject({ function: 'distinct_count', field: 'destination.port', value: 10 });
    expect(by('hll')[0]!.chot.alert.explanation.window).toMatchObject({ approximate: true });
    // Running totals: interim records of one connection count only their increments.
    const bytes = (uid: string, b: number, t: number, interim = false) => conn({ 'zeek.session_id': uid, 'zeek.connection.orig_bytes': b, 'chot.interim': interim }, t);
    const s1 = await e.processBatch([bytes('C1', 40e6, T0, true), bytes('C1', 80e6, T0 + 60_000, true), bytes('C1', 90e6, T0 + 90_000)], { ...CTX, seq: 20 });
    expect(s1.created).toEqual([]);
    const s2 = await e.processBatch([bytes('C2', 15e6, T0 + 120_000)], { ...CTX, seq: 21 });
    // (the earlier records of this test share one default uid: 500 bytes once)
    expect(s2.created.map((c) => c.doc.chot.alert.explanation.window?.value)).toEqual([105e6 + 500]);
  });

  it('sequence: A then B within the window, by group; out of order still completes', async () => {
    const e = await engine(
      `- id: seq\n  title: scan then login\n  severity: high\n  sequence:\n    by: [source.ip]\n    window: 10m\n    steps:\n      - { name: probe, kind: connection, match: { zeek.connection.state: REJ } }\n      - { name: login, kind: ssh, match: { ssh.client.version_string: { exists: true } } }\n`,
    );
    const probe = (ip: string, t: number) => conn({ 'zeek.connection.state': 'REJ', 'source.ip': ip }, t);
    const login = (ip: string, t: number) => conn({ 'source.ip': ip }, t, 'ssh');
    const out = await e.processBatch([probe('198.18.10.1', T0), login('198.18.10.2', T0 + 1000), login('198.18.10.1', T0 + 60_000), login('198.18.10.3', T0 + 60_000)], CTX);
    expect(out.created).toHaveLength(1);
    const a = out.created[0]!.doc;
    expect(a.chot.alert.group).toEqual({ 'source.ip': '198.18.10.1' });
    expect(a.chot.alert.explanation.steps).toEqual([
      { step: 'probe', evidence: 'sensor-1:7:0' },
      { step: 'login', evidence: 'sensor-1:7:2' },
    ]);
    // B before A in arrival order, A earlier in time: completes when A arrives.
    const b = await e.processBatch([login('198.18.10.3', T0 + 60_000)], { ...CTX, seq: 30 });
    expect(b.created).toEqual([]);
    const late = await e.processBatch([probe('198.18.10.3', T0 + 30_000)], { ...CTX, seq: 31 });
    expect(late.created).toHaveLength(1);
    // Too far apart: no alert.
    const far = await e.processBatch([probe('198.18.10.4', T0), login('198.18.10.4', T0 + 11 * 60_000)], { ...CTX, seq: 32 });
    expect(far.created).toEqual([]);
  });

  it('unordered sequence (all steps within the window, any order)', async () => {
    const e = await engine(`- id: both\n  title: both\n  severity: low\n  kind: connection\n  sequence:\n    by: [source.ip]\n    window: 5m\n    ordered: false\n    steps:\n      - match: { destination.port: 22 }\n      - match: { destination.port: 3389 }\n`);
    const out = await e.processBatch([conn({ 'destination.port': 3389 }, T0), conn({ 'destination.port': 22 }, T0 + 1000)], CTX);
    expect(out.created).toHaveLength(1);
  });

  it('first_seen learns, then alerts on a value new to the group', async () => {
    const e = await engine(`${HEAD('newja3', 'tls')}  match: { tls.client.ja3: { exists: true } }\n  first_seen: { field: tls.client.ja3, by: [observer.id], learn: 1d }\n`);
    const tls = (ja3: string, t: number) => conn({ 'tls.client.ja3': ja3 }, t, 'tls');
    expect((await e.processBatch([tls('a', T0), tls('b', T0 + 3_600_000)], CTX)).created).toEqual([]);
    const out = await e.processBatch([tls('a', T0 + 2 * 86_400_000), tls('c', T0 + 2 * 86_400_000)], { ...CTX, seq: 8 });
    expect(out.created.map((c) => c.doc.chot.alert.group)).toEqual([{ 'observer.id': '01/001/00001', 'tls.client.ja3': 'c' }]);
  });

  it('health and enforcer records run through their own kinds', async () => {
    const e = await engine(`${HEAD('silent', 'health')}  match: { chot.sensor.silent_seconds: { gte: 300 } }\n${HEAD('refused', 'enforcer')}  match: { event.outcome: failure }\n`);
    const h = target('health', { 'chot.sensor.silent_seconds': 900 }).health;
    const out = await e.processHealth([h]);
    expect(out.created[0]!.doc.chot.alert.evidence[0]).toEqual({ index: 'chot-health-2026.01.01', id: `health:sensor-test:${T0}` });
    const en = target('enforcer', { 'event.outcome': 'failure', 'source.ip': '198.18.10.9' }).enforcer;
    const o2 = await e.processEnforcer([en], CTX);
    expect(o2.created[0]!.doc.source?.ip).toBe('198.18.10.9');
  });

  it('summaries fill field values and window counts', async () => {
    const e = await engine(`${HEAD('sum1')}  match: { destination.port: 22 }\n  aggregate: { function: count, by: [source.ip], window: 1m, threshold: 2 }\n  summary: "{count} to port {destination.port} from {source.ip} in {window}"\n`);
    const out = await e.processBatch([conn({ 'destination.port': 22 }), conn({ 'destination.port': 22 }, T0 + 1)], CTX);
    expect(out.created[0]!.doc.chot.alert.summary).toBe('2 to port 22 from 198.18.10.10 in 1m');
  });
});

describe('engine metrics', () => {
  it('exposes counters and per-rule evaluations for Prometheus', async () => {
    const { Registry } = await import('prom-client');
    const { registerEngineMetrics } = await import('../../rules/metrics.js');
    const e = await engine(`${HEAD('m1')}  match: { destination.port: 22 }\n`);
    const registry = new Registry();
    registerEngineMetrics(e, registry);
    await e.processBatch([conn({ 'destination.port': 22 }), conn({ 'destination.port': 80 })], CTX);
    const text = await registry.metrics();
    expect(text).toMatch(/^chot_rules_records_total 2$/m);
    expect(text).toMatch(/^chot_rules_alerts_created_total 1$/m);
    expect(text).toMatch(/^chot_rule_evaluations\{rule="m1"\} 1$/m);
    expect(text).toMatch(/^chot_rules_loaded 1$/m);
  });
});

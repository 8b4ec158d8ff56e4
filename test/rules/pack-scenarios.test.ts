/**
 * The default pack against the traffic generator's scenarios, through the real sensor
 * pipeline (capture file → decoder → flow table → app analyzers → policy check →
 * ConnRecords), with windowed state in the test stack's Redis:
 * - every scenario raises its rule's alert, and every alert's evidence records belong
 *   to the scenario that rule is for (records are matched to the ground truth by their
 *   5-tuple: the sensor's uids are its own);
 * - benign-only traffic raises no alert;
 * - two workers fed alternating stream entries, sharing Redis, raise exactly the alerts
 *   one worker raises (same ids, same folded counts).
 *
 * The lab has no enforcer in front of the population-data service, so the policy check
 * is configured with the lab's client networks as the enforcers: the benign mutual-TLS
 * clients are then the sanctioned path, and the two misuse scenarios (plaintext, no
 * client certificate) are what must alert. The enforcer-bypass rule has its own tests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCapture, type Truth } from '../../lab/traffic/generate.js';
import { DetectionEngine, type CreatedAlert } from '../../rules/worker.js';
import type { AlertUpdate } from '../../rules/alert.js';
import type { ConnRecord } from '../../sensor/record.js';
import { recordsOfCapture } from '../support/capture-records.js';
import { testStackConfig } from '../support/test-stack.js';
import { silent } from './helpers.js';

const EXPECTED: Record<string, string[]> = {
  port_scan: ['chot.scan.port_scan'],
  host_sweep: ['chot.scan.host_sweep'],
  ssh_bruteforce: ['chot.bruteforce.ssh_rdp'],
  exfil: ['chot.exfil.large_outbound'],
  dns_tunnel: ['chot.dns.tunnel_long_name', 'chot.dns.tunnel_high_entropy', 'chot.dns.tunnel_txt_volume'],
  popdata_plaintext: ['chot.popdata.plaintext'],
  popdata_no_client_cert: ['chot.popdata.no_client_certificate'],
};
const BATCH = 100;
const NODE = '01/001/00001';
const dir = mkdtempSync(join(tmpdir(), 'chot-pack-'));

interface Capture {
  truth: Truth;
  records: ConnRecord[];
}

async function capture(name: string, scenarios: boolean): Promise<Capture> {
  const file = join(dir, `${name}.pcap`);
  const truth = await writeCapture(file, { seed: 2026, packets: 50_000, scenarios });
  const records = recordsOfCapture(file);
  return { truth, records };
}

interface Run {
  created: CreatedAlert[];
  updated: AlertUpdate[];
}

function engine(redis: Redis, keyPrefix: string): DetectionEngine {
  return new DetectionEngine({ redis, keyPrefix, esPrefix: 'chot', log: silent, watch: false });
}

/** Records alternate between the workers (record i to worker i % n), each worker sending its own stream entries, concurrently. */
async function runAlternating(records: ConnRecord[], engines: DetectionEngine[]): Promise<Run> {
  const out: Run = { created: [], updated: [] };
  await Promise.all(
    engines.map(async (e, w) => {
      const mine = records.filter((_, i) => i % engines.length === w);
      for (let i = 0; i < mine.length; i += BATCH / 2) {
        const r = await e.processBatch(mine.slice(i, i + BATCH / 2), { sensorId: `lab-sensor-${w}`, seq: i, node: NODE });
        out.created.push(...r.created);
        out.updated.push(...r.updated);
      }
    }),
  );
  return out;
}

/** Stream entries of BATCH records, entry k handled by worker k % workers, workers running concurrently. */
async function run(records: ConnRecord[], engines: DetectionEngine[]): Promise<Run> {
  const out: Run = { created: [], updated: [] };
  const entries: Array<{ seq: number; records: ConnRecord[] }> = [];
  for (let i = 0; i < records.length; i += BATCH) entries.push({ seq: i / BATCH, records: records.slice(i, i + BATCH) });
  await Promise.all(
    engines.map(async (e, w) => {
      for (const entry of entries.filter((x) => x.seq % engines.length === w)) {
        const r = await e.processBatch(entry.records, { sensorId: 'lab-sensor', seq: entry.seq, node: NODE });
        out.created.push(...r.created);
        out.updated.push(...r.updated);
      }
    }),
  );
  return out;
}

function key(proto: string, oh: string, op: number, rh: string, rp: number): string {
  return `${proto === 'icmp6' ? 'icmp' : proto} ${oh} ${op} ${rh} ${rp}`;
}

/** The final state of each alert: id → suppressed count. */
function finalCounts(r: Run): Map<string, number> {
  const m = new Map<string, number>();
  for (const c of r.created) m.set(c.doc.event.id, Math.max(m.get(c.doc.event.id) ?? 0, c.doc.chot.alert.suppressed));
  for (const u of r.updated) m.set(u.id, Math.max(m.get(u.id) ?? 0, u.suppressed));
  return m;
}

describe('default pack against the generator scenarios (sensor pipeline, Redis state)', () => {
  let redis: Redis;
  let redis2: Redis;
  let scen: Capture;
  let benign: Capture;

  beforeAll(async () => {
    redis = new Redis(testStackConfig().redis.url);
    redis2 = new Redis(testStackConfig().redis.url);
    scen = await capture('scenarios', true);
    benign = await capture('benign', false);
  });
  afterAll(() => {
    redis.disconnect();
    redis2.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it('raises every scenario alert, with evidence from that scenario (and only attack traffic)', async () => {
    const e = engine(redis, `test-pack:${Date.now()}:one:`);
    const report = await e.start();
    expect(report.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(report.rules).toBeGreaterThanOrEqual(20);
    const out = await run(scen.records, [e]);
    const scenarioOf = new Map(scen.truth.flows.map((f) => [key(f.proto, f.orig_h, f.orig_p, f.resp_h, f.resp_p), f.scenario]));
    const recordScenario = (id: string): string => {
      const [, seq, pos] = id.split(':');
      const r = scen.records[Number(seq) * BATCH + Number(pos)]!;
      return scenarioOf.get(key(r.proto, r.origH, r.origP, r.respH, r.respP)) ?? 'unknown';
    };
    const ruleToScenario = new Map(Object.entries(EXPECTED).flatMap(([s, rules]) => rules.map((r) => [r, s] as const)));
    for (const c of out.created) {
      const want = ruleToScenario.get(c.doc.rule.id);
      expect(want, `unexpected alert ${c.doc.rule.id}: ${c.doc.chot.alert.summary}`).toBeDefined();
      const seen = c.doc.chot.alert.evidence.map((ev) => recordScenario(ev.id));
      // Evidence is attack traffic only: the scenario's own flows, and at most other
      // flows of the same attacker that fit the rule (the port scan's probe of port 445
      // is also one host of the 445 sweep a few seconds later).
      expect(seen, `${c.doc.rule.id} evidence`).toContain(want);
      for (const s of seen) expect(s === 'benign' || s === 'popdata_mtls' || s === 'unknown', `${c.doc.rule.id} evidence from ${s}`).toBe(false);
      expect(c.doc.chot.alert.explanation.conditions.length).toBeGreaterThan(0);
    }
    expect(scen.truth.scenarios.map((s) => s.tag).sort()).toEqual(Object.keys(EXPECTED).sort());
    for (const s of scen.truth.scenarios) {
      for (const rule of EXPECTED[s.tag]!) expect(out.created.some((c) => c.doc.rule.id === rule), `${s.tag} → ${rule}`).toBe(true);
    }
    // Specific facts: the scan's window counted 100 distinct ports of one target from the attacker.
    const scan = out.created.find((c) => c.doc.rule.id === 'chot.scan.port_scan')!.doc;
    expect(scan.chot.alert.group).toMatchObject({ 'source.ip': '198.18.10.66', 'destination.ip': '198.18.0.20' });
    expect(scan.chot.alert.explanation.window).toMatchObject({ function: 'distinct_count', field: 'destination.port', value: 100, threshold: 100 });
    const exfil = out.created.find((c) => c.doc.rule.id === 'chot.exfil.large_outbound')!.doc;
    expect(exfil.chot.alert.explanation.window!.value).toBeGreaterThan(50e6);
    // Each misuse connection to the population-data service is its own alert (one per client).
    const plain = scen.truth.scenarios.find((s) => s.tag === 'popdata_plaintext')!;
    expect(out.created.filter((c) => c.doc.rule.id === 'chot.popdata.plaintext').length).toBe(plain.sources.length);
    await e.stop();
  });

  it('raises nothing on benign traffic', async () => {
    const e = engine(redis, `test-pack:${Date.now()}:benign:`);
    await e.start();
    const out = await run(benign.records, [e]);
    expect(out.created.map((c) => `${c.doc.rule.id}: ${c.doc.chot.alert.summary}`)).toEqual([]);
    expect(benign.records.length).toBeGreaterThan(1000);
    await e.stop();
  });

  it('two workers sharing Redis, fed alternating records or entries, raise exactly the alerts one worker does', async () => {
    const t = Date.now();
    const one = engine(redis, `test-pack:${t}:single:`);
    await one.start();
    const single = await run(scen.records, [one]);
    const ids = (r: Run) => r.created.map((c) => c.doc.event.id).sort();
    expect(single.created.length).toBeGreaterThanOrEqual(Object.values(EXPECTED).flat().length);
    for (const [mode, feed] of [['records', runAlternating], ['entries', run]] as const) {
      const a = engine(redis, `test-pack:${t}:${mode}:`);
      const b = engine(redis2, `test-pack:${t}:${mode}:`);
      await a.start();
      await b.start();
      const pair = await feed(scen.records, [a, b]);
      expect(ids(pair), mode).toEqual(ids(single));
      expect(new Set(ids(pair)).size).toBe(pair.created.length);
      expect([...finalCounts(pair)].sort(), mode).toEqual([...finalCounts(single)].sort());
      for (const e of [a, b]) await e.stop();
    }
    await one.stop();
  });
});

import { afterAll, describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../rules/language/diagnostics.js';
import type { ConnRecord } from '../../sensor/record.js';
import { conn, ruleDir, silent, T0 } from './helpers.js';
import { DetectionEngine } from '../../rules/worker.js';

const cleanups: Array<() => void> = [];
afterAll(() => cleanups.forEach((c) => c()));

const COUNT = (title: string) => `- id: every.https\n  title: ${title}\n  severity: low\n  kind: connection\n  match: { destination.port: 443 }\n`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(20);
  }
}

describe('live reload', () => {
  it('reloads rules while records flow and loses no record', async () => {
    const d = ruleDir({ 'count.yaml': COUNT('v0'), 'other.yaml': `- id: ssh\n  title: ssh\n  severity: low\n  kind: connection\n  match: { destination.port: 22 }\n` });
    cleanups.push(d.cleanup);
    const engine = new DetectionEngine({ keyPrefix: 'reload:', esPrefix: 'chot', log: silent, rulesDir: d.dir, watch: true });
    await engine.start();
    const versions = new Set<string>();
    const ids = new Set<string>();
    let fed = 0;
    let alerts = 0;
    let stop = false;
    // The writer: a new version of the rule every 250 ms (picked up by the watcher),
    // and explicit reloads in between (the pointer swaps as often as it can).
    const writer = (async () => {
      for (let v = 1; !stop; v++) {
        d.write('count.yaml', COUNT(`v${v}`));
        if (v % 3 === 0) d.write(`extra-${v}.yaml`, `- id: extra.${v}\n  title: x\n  severity: low\n  kind: dns\n  match: { dns.question.name: x${v}.example }\n`);
        await sleep(125);
        engine.reload();
        await sleep(125);
      }
    })();
    const started = Date.now();
    let batch = 0;
    while (Date.now() - started < 2500) {
      const records: ConnRecord[] = Array.from({ length: 200 }, (_, i) => conn({ 'destination.port': i % 4 === 0 ? 22 : 443, 'source.port': 1024 + i }, T0 + batch));
      const out = await engine.processBatch(records, { sensorId: 'load', seq: batch++, node: '01/001/00001' });
      fed += records.filter((r) => r.respP === 443).length;
      for (const c of out.created) {
        if (c.doc.rule.id !== 'every.https') continue;
        alerts++;
        ids.add(c.doc.event.id);
        versions.add(c.doc.rule.version);
      }
      await new Promise((r) => setImmediate(r));
    }
    stop = true;
    await writer;
    await engine.stop();
    expect(alerts).toBe(fed);
    expect(ids.size).toBe(fed);
    expect(fed).toBeGreaterThan(10_000);
    expect(engine.stats.reloads).toBeGreaterThan(10);
    expect(versions.size).toBeGreaterThan(5);
  });

  it('rejects a broken file with its position while the other rules run; a broken edit keeps the last good version', async () => {
    const d = ruleDir({ 'count.yaml': COUNT('good'), 'ssh.yaml': `- id: ssh\n  title: ssh\n  severity: low\n  kind: connection\n  match: { destination.port: 22 }\n` });
    cleanups.push(d.cleanup);
    const engine = new DetectionEngine({ keyPrefix: 'broken:', esPrefix: 'chot', log: silent, rulesDir: d.dir, watch: true });
    await engine.start();
    const goodVersion = engine.rules.byId.get('every.https')!.version;
    const gen = engine.rules.generation;
    d.write('new.yaml', `- id: new.rule\n  title: new\n  severity: low\n  kind: connection\n  match:\n    destination.prot: 80\n`);
    await until(() => engine.rules.generation > gen);
    const report = engine.report!;
    expect(report.diagnostics.map(formatDiagnostic)).toEqual([expect.stringMatching(/new\.yaml:6:5: unknown field "destination\.prot" for kind connection \(did you mean destination\.port\?\)/)]);
    expect(report.rejected).toEqual([expect.stringMatching(/new\.yaml$/)]);
    expect([...engine.rules.byId.keys()].sort()).toEqual(['every.https', 'ssh']);
    // Break a file that was running: its last good version stays.
    const gen2 = engine.rules.generation;
    d.write('count.yaml', `- id: every.https\n  title: [broken\n`);
    await until(() => engine.rules.generation > gen2);
    expect(engine.report!.kept).toEqual([expect.stringMatching(/count\.yaml$/)]);
    expect(engine.report!.diagnostics[0]!.file).toMatch(/count\.yaml$/);
    expect(engine.rules.byId.get('every.https')!.version).toBe(goodVersion);
    const out = await engine.processBatch([conn({ 'destination.port': 443 }), conn({ 'destination.port': 22 })], { sensorId: 's', seq: 1, node: '01/001/00001' });
    expect(out.created.map((c) => c.doc.rule.id).sort()).toEqual(['every.https', 'ssh']);
    // Fixing it brings the new version in.
    const gen3 = engine.rules.generation;
    d.write('count.yaml', COUNT('fixed'));
    await until(() => engine.rules.generation > gen3 && engine.rules.byId.get('every.https')!.title === 'fixed');
    expect(engine.rules.byId.get('every.https')!.version).not.toBe(goodVersion);
    await engine.stop();
  });

  it('reloads a list when its file changes, without touching the rules', async () => {
    const d = ruleDir({ 'intel.yaml': `- id: intel\n  title: intel\n  severity: high\n  kind: connection\n  match: { destination.ip: { in_list: bad } }\n`, 'lists/bad.ip': '203.0.113.7\n' });
    cleanups.push(d.cleanup);
    const engine = new DetectionEngine({ keyPrefix: 'lists:', esPrefix: 'chot', log: silent, rulesDir: d.dir, watch: true });
    await engine.start();
    const hit = async (ip: string) => (await engine.processBatch([conn({ 'destination.ip': ip })], { sensorId: 's', seq: Math.random(), node: '01/001/00001' })).created.length;
    expect(await hit('203.0.113.7')).toBe(1);
    expect(await hit('198.51.100.1')).toBe(0);
    d.write('lists/bad.ip', '198.51.100.0/24\n');
    await until(() => engine.lists.get('bad')!.current.data.has('198.51.100.1'));
    expect(await hit('198.51.100.1')).toBe(1);
    expect(await hit('203.0.113.7')).toBe(0);
    await engine.stop();
  });
});

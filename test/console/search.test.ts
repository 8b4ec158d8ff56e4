import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connDoc, indexConn } from './support/conn.js';
import { refresh, startConsoleStack, type ConsoleStack } from './support/console-stack.js';
import type { ConsoleClient } from './support/client.js';

const N_HANOI = 1200;
const N_HCMC = 300;

describe('console auditor search and export (real Elasticsearch)', () => {
  let s: ConsoleStack;
  let auditor: ConsoleClient;
  const t0 = Date.parse('2026-03-01T00:00:00Z');
  const range = { from: new Date(t0).toISOString(), to: new Date(t0 + 3_600_000).toISOString() };

  beforeAll(async () => {
    s = await startConsoleStack({ name: 'search' });
    const docs = [];
    for (let i = 0; i < N_HANOI; i++) docs.push(connDoc(i, t0 + i * 1000, i % 2 ? '01/001/00001' : '01/002/00037'));
    for (let i = N_HANOI; i < N_HANOI + N_HCMC; i++) docs.push(connDoc(i, t0 + (i - N_HANOI) * 1000, '79/760/26734'));
    await indexConn(s.es, s.esPrefix, docs);
    auditor = await s.loggedIn('auditor');
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('filters by value and CIDR, with a time histogram and group-by counts', async () => {
    const res = await auditor.call('POST', '/api/search', {
      body: { ...range, filters: [{ op: 'cidr', field: 'source.ip', value: '10.1.0.0/16' }, { op: 'is', field: 'destination.port', value: 443 }], groupBy: ['observer.province', 'destination.ip'], size: 5 },
    });
    expect(res.status).toBe(200);
    const expected = Array.from({ length: N_HANOI + N_HCMC }, (_, i) => i).filter((i) => i % 3 === 1 && i % 2 === 1).length;
    expect(res.body.total).toBe(expected);
    expect(res.body.rows).toHaveLength(5);
    expect(res.body.histogram.buckets.reduce((n: number, b: { count: number }) => n + b.count, 0)).toBe(expected);
    const provinces = Object.fromEntries(res.body.groups['observer.province'].map((g: { key: string; count: number }) => [g.key, g.count]));
    expect(provinces['01'] + provinces['79']).toBe(expected);
  });

  it('includes, excludes and limits to only a value', async () => {
    const base = { ...range, size: 0, histogram: false };
    const all = (await auditor.call('POST', '/api/search', { body: base })).body.total;
    const only = (await auditor.call('POST', '/api/search', { body: { ...base, filters: [{ op: 'is', field: 'destination.ip', value: '172.16.5.10' }] } })).body.total;
    const without = (await auditor.call('POST', '/api/search', { body: { ...base, filters: [{ op: 'is_not', field: 'destination.ip', value: '172.16.5.10' }] } })).body.total;
    expect(all).toBe(N_HANOI + N_HCMC);
    expect(only + without).toBe(all);
    const policy = (await auditor.call('POST', '/api/search', { body: { ...base, dataset: 'policy' } })).body.total;
    expect(policy).toBe(Array.from({ length: N_HANOI + N_HCMC }, (_, i) => i).filter((i) => i % 7 === 0).length);
  });

  it('pages with point-in-time and search_after: every row once', async () => {
    const seen = new Set<string>();
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await auditor.call('POST', '/api/search', { body: { ...range, size: 400, histogram: false, ...(cursor ? { cursor } : {}) } });
      expect(res.status).toBe(200);
      for (const r of res.body.rows) seen.add(r.id);
      cursor = res.body.cursor;
      pages++;
    } while (cursor);
    expect(seen.size).toBe(N_HANOI + N_HCMC);
    expect(pages).toBe(Math.ceil((N_HANOI + N_HCMC) / 400) + ((N_HANOI + N_HCMC) % 400 === 0 ? 1 : 0));
  });

  it('refuses what is not a field, an address, or a sane range', async () => {
    const bad = [
      { ...range, filters: [{ op: 'is', field: 'source.ip"; drop', value: 1 }] },
      { ...range, filters: [{ op: 'cidr', field: 'source.ip', value: '10.0.0.0/33' }] },
      { ...range, filters: [{ op: 'script', field: 'x', value: 'doc' }] },
      { from: range.to, to: range.from },
    ];
    for (const body of bad) {
      const res = await auditor.call('POST', '/api/search', { body });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_input');
    }
  });

  it('exports a result as CSV and NDJSON, streamed, with the user and the query in the file', async () => {
    const q = JSON.stringify({ ...range, filters: [{ op: 'cidr', field: 'source.ip', value: '10.0.0.0/16' }] });
    const expected = Array.from({ length: N_HANOI + N_HCMC }, (_, i) => i).filter((i) => i % 3 === 0).length;
    const csv = await auditor.call('GET', `/api/search/export?format=csv&q=${encodeURIComponent(q)}`, { raw: true });
    expect(csv.status).toBe(200);
    expect(csv.headers['content-disposition']).toMatch(/attachment; filename="chot-export-.*\.csv"/);
    const lines = csv.text.trimEnd().split('\n');
    expect(lines[0]).toContain('"exported_by"":""auditor"');
    expect(lines[0]).toContain('10.0.0.0/16');
    expect(lines[1]).toBe('@timestamp,observer.id,source.ip,source.port,destination.ip,destination.port,network.transport,network.protocol,zeek.connection.state,zeek.connection.history,source.bytes,destination.bytes,event.duration,event.id');
    expect(lines.length - 2).toBe(expected);
    const nd = await auditor.call('GET', `/api/search/export?format=ndjson&q=${encodeURIComponent(q)}`, { raw: true });
    const rows = nd.text.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(rows[0].chot_export.exported_by).toBe('auditor');
    expect(rows.length - 1).toBe(expected);
  });

  it('records every query and export in the audit index with its row counts, readable by auditors and admins only', async () => {
    const q = JSON.stringify({ ...range, filters: [{ op: 'is', field: 'destination.port', value: 53 }] });
    await auditor.call('POST', '/api/search', { body: { ...range, size: 7, filters: [{ op: 'is', field: 'destination.port', value: 53 }] } });
    await auditor.call('GET', `/api/search/export?format=ndjson&q=${encodeURIComponent(q)}`, { raw: true });
    await refresh(s.es, s.esPrefix);
    const admin = await s.loggedIn('admin');
    const searches = await admin.call('GET', '/api/audit?user=auditor&action=search.query');
    const last = searches.body.entries[0];
    expect(last.chot.audit.rows).toBe(7);
    expect(last.chot.audit.total).toBe((N_HANOI + N_HCMC) / 2);
    expect(last.chot.audit.query).toContain('destination.port');
    const exports = await admin.call('GET', '/api/audit?user=auditor&action=search.export');
    const done = exports.body.entries.find((e: { chot: { audit: { note?: string; format?: string } } }) => e.chot.audit.note === 'completed' && e.chot.audit.format === 'ndjson');
    expect(done.chot.audit.rows).toBe((N_HANOI + N_HCMC) / 2);
    const analyst = await s.loggedIn('analyst');
    expect((await analyst.call('GET', '/api/audit')).status).toBe(403);
    // Nobody can change the trail through the console: no route writes it.
    for (const m of ['POST', 'PATCH', 'DELETE']) expect([404, 405]).toContain((await admin.call(m, '/api/audit', { body: {} })).status);
  });

  it('a province-scoped auditor sees nothing of another province through search or export', async () => {
    const hanoi = await s.loggedIn('hanoi-auditor');
    const res = await hanoi.call('POST', '/api/search', { body: { ...range, groupBy: ['observer.province'] } });
    expect(res.body.total).toBe(N_HANOI);
    expect(res.body.groups['observer.province'].map((g: { key: string }) => g.key)).toEqual(['01']);
    const other = await hanoi.call('POST', '/api/search', { body: { ...range, node: '79' } });
    expect(other.status).toBe(403);
    const sneaky = await hanoi.call('POST', '/api/search', { body: { ...range, filters: [{ op: 'is', field: 'observer.province', value: '79' }] } });
    expect(sneaky.body.total).toBe(0);
    const q = JSON.stringify(range);
    const nd = await hanoi.call('GET', `/api/search/export?format=ndjson&q=${encodeURIComponent(q)}`, { raw: true });
    const rows = nd.text.trimEnd().split('\n').slice(1).map((l) => JSON.parse(l));
    expect(rows).toHaveLength(N_HANOI);
    expect(rows.every((r) => r.observer.province === '01')).toBe(true);
  });

  it('prefixes spreadsheet formulas from the wire in CSV cells', async () => {
    const { csvCell } = await import('../../console/server/search/export.js');
    expect(csvCell('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell(-5)).toBe('-5');
  });
});

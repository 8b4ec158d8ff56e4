import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAlert, raiseAlert } from './support/alerts.js';
import { refresh, startConsoleStack, type ConsoleStack } from './support/console-stack.js';
import type { ConsoleClient } from './support/client.js';

describe('console triage (real Elasticsearch and Redis)', () => {
  let s: ConsoleStack;
  let analyst: ConsoleClient;
  let analyst2: ConsoleClient;

  const raise = async (spec: Parameters<typeof makeAlert>[0] = {}) => {
    const doc = makeAlert(spec);
    await raiseAlert(s.es, s.redis, s.esPrefix, s.keyPrefix, doc, { refresh: true });
    return doc;
  };

  beforeAll(async () => {
    s = await startConsoleStack({ name: 'triage' });
    analyst = await s.loggedIn('analyst');
    analyst2 = await s.loggedIn('analyst2');
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('lists alerts newest first with place names from the inventory', async () => {
    const a = await raise({ node: '01/001/00001', severity: 'critical' });
    const res = await analyst.call('GET', '/api/alerts?status=new&size=10');
    expect(res.status).toBe(200);
    expect(res.body.alerts[0].id).toBe(a.event.id);
    expect(res.body.places['01/001/00001'].map((p: { name: string }) => p.name)).toEqual(['Thành phố Hà Nội', 'Quận Ba Đình', 'Phường Phúc Xá']);
  });

  it('groups alerts by rule, source or node with counts', async () => {
    await raise({ ruleId: 'chot.test.dns-tunnel', sourceIp: '10.7.7.7' });
    await raise({ ruleId: 'chot.test.dns-tunnel', sourceIp: '10.7.7.7' });
    const byRule = await analyst.call('GET', '/api/alerts/groups?by=rule');
    expect(byRule.body.groups.find((g: { key: string }) => g.key === 'chot.test.dns-tunnel').count).toBe(2);
    const bySource = await analyst.call('GET', '/api/alerts/groups?by=source&ruleId=chot.test.dns-tunnel');
    expect(bySource.body.groups).toEqual([{ key: '10.7.7.7', count: 2, maxSeverity: 73 }]);
  });

  it('acknowledges, assigns, tags and closes with a verdict, recording who, when, what and why', async () => {
    const a = await raise();
    const ack = await analyst.call('POST', `/api/alerts/${a.event.id}/triage`, { body: { status: 'acknowledged', assignee: 'analyst', addTags: ['scan'], reason: 'looking into it' } });
    expect(ack.status).toBe(200);
    expect(ack.body.doc.chot.triage).toMatchObject({ status: 'acknowledged', assignee: 'analyst', tags: ['scan'], updatedBy: 'analyst' });
    const closeWithout = await analyst.call('POST', `/api/alerts/${a.event.id}/triage`, { body: { status: 'closed' } });
    expect(closeWithout.status).toBe(400);
    const close = await analyst.call('POST', `/api/alerts/${a.event.id}/triage`, { body: { status: 'closed', verdict: 'benign', reason: 'vulnerability scanner of the provincial IT team' } });
    expect(close.status).toBe(200);
    expect(close.body.doc.chot.triage).toMatchObject({ status: 'closed', verdict: 'benign', reason: 'vulnerability scanner of the provincial IT team' });
    await analyst.call('POST', `/api/alerts/${a.event.id}/notes`, { body: { text: 'scanner schedule confirmed by phone' } });
    const history = await analyst.call('GET', `/api/alerts/${a.event.id}/history`);
    expect(history.body.history.map((h: { action: string }) => h.action)).toEqual(['alert.triage', 'alert.triage', 'alert.note']);
    expect(history.body.history[0]).toMatchObject({ by: 'analyst', reason: 'looking into it', changes: { status: { from: 'new', to: 'acknowledged' } } });
    expect(history.body.history[1].changes.verdict).toBe('benign');
    expect(history.body.history[2].note).toBe('scanner schedule confirmed by phone');
  });

  it('two analysts closing one alert at once: one wins, the other is told and shown the new state', async () => {
    const a = await raise();
    const seen = a.chot.triage.updatedAt;
    const [r1, r2] = await Promise.all([
      analyst.call('POST', `/api/alerts/${a.event.id}/triage`, { body: { status: 'closed', verdict: 'true_positive', reason: 'confirmed scan', expectUpdatedAt: seen } }),
      analyst2.call('POST', `/api/alerts/${a.event.id}/triage`, { body: { status: 'closed', verdict: 'false_positive', reason: 'looks like backup traffic', expectUpdatedAt: seen } }),
    ]);
    const statuses = [r1.status, r2.status].sort();
    expect(statuses).toEqual([200, 409]);
    const loser = r1.status === 409 ? r1 : r2;
    const winner = r1.status === 200 ? r1 : r2;
    expect(loser.body.error.code).toBe('conflict');
    expect(loser.body.error.details.current.doc.chot.triage).toEqual(winner.body.doc.chot.triage);
    const history = await analyst.call('GET', `/api/alerts/${a.event.id}/history`);
    expect(history.body.history).toHaveLength(1);
  });

  it('never loses an update when many analysts change one alert concurrently', async () => {
    const a = await raise();
    const tags = Array.from({ length: 8 }, (_, i) => `t${i}`);
    const results = await Promise.all(tags.map((t, i) => (i % 2 ? analyst : analyst2).call('POST', `/api/alerts/${a.event.id}/triage`, { body: { addTags: [t] } })));
    expect(results.every((r) => r.status === 200)).toBe(true);
    const got = await analyst.call('GET', `/api/alerts/${a.event.id}`);
    expect(got.body.doc.chot.triage.tags).toEqual(tags);
  });

  it('escalating opens a case, and escalating another alert into it extends it', async () => {
    const a = await raise({ severity: 'medium', sourceIp: '10.4.4.4' });
    const b = await raise({ severity: 'critical', sourceIp: '10.5.5.5' });
    const esc = await analyst.call('POST', `/api/alerts/${a.event.id}/triage`, { body: { status: 'escalated', case: { title: 'Quét cổng từ mạng nội bộ' }, reason: 'two subnets' } });
    expect(esc.status).toBe(200);
    const caseId = esc.body.doc.chot.triage.caseId;
    expect(caseId).toBeTruthy();
    const esc2 = await analyst.call('POST', `/api/alerts/${b.event.id}/triage`, { body: { status: 'escalated', case: { id: caseId } } });
    expect(esc2.status).toBe(200);
    const c = await analyst.call('GET', `/api/cases/${caseId}`);
    expect(c.body.case.title).toBe('Quét cổng từ mạng nội bộ');
    expect(c.body.case.alerts.map((r: { id: string }) => r.id).sort()).toEqual([a.event.id, b.event.id].sort());
    expect(c.body.case.severity).toBe('critical');
    expect(c.body.case.observables).toContainEqual({ type: 'ip', value: '10.5.5.5' });
    const comment = await analyst.call('POST', `/api/cases/${caseId}/comments`, { body: { text: 'đã báo cáo' } });
    expect(comment.status).toBe(201);
    expect(comment.body.case.comments[0]).toMatchObject({ by: 'analyst', text: 'đã báo cáo' });
  });

  it('applies bulk actions to a selection and to a whole group', async () => {
    const picked = [await raise({ ruleId: 'chot.test.bulk-a' }), await raise({ ruleId: 'chot.test.bulk-a' })];
    const sel = await analyst.call('POST', '/api/alerts/bulk', { body: { ids: picked.map((p) => p.event.id), change: { status: 'acknowledged' } } });
    expect(sel.body).toMatchObject({ matched: 2, updated: 2, failed: 0 });
    for (let i = 0; i < 3; i++) await raise({ ruleId: 'chot.test.bulk-b' });
    await refresh(s.es, s.esPrefix);
    const grp = await analyst.call('POST', '/api/alerts/bulk', { body: { filter: { ruleId: ['chot.test.bulk-b'], status: ['new'] }, change: { status: 'closed', verdict: 'false_positive', reason: 'rule too broad' } } });
    expect(grp.body).toMatchObject({ matched: 3, updated: 3, failed: 0 });
    await refresh(s.es, s.esPrefix);
    const left = await analyst.call('GET', '/api/alerts?ruleId=chot.test.bulk-b&status=new');
    expect(left.body.total).toBe(0);
  });

  it('answers 404, not 403, for an alert outside the scope (its existence is not disclosed)', async () => {
    const a = await raise({ node: '79/760/26734' });
    const hanoi = await s.loggedIn('hanoi-analyst');
    expect((await hanoi.call('GET', `/api/alerts/${a.event.id}`)).status).toBe(404);
    expect((await hanoi.call('POST', `/api/alerts/${a.event.id}/triage`, { body: { status: 'acknowledged' } })).status).toBe(404);
  });
});

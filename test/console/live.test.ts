import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertEventsStream } from '../../rules/alert.js';
import { makeAlert, raiseAlert } from './support/alerts.js';
import { RefusedError, type LiveSocket } from './support/client.js';
import { startConsoleStack, type ConsoleStack } from './support/console-stack.js';

describe('console live push over WebSocket (real Redis stream)', () => {
  let s: ConsoleStack;
  const raise = async (spec: Parameters<typeof makeAlert>[0] = {}) => {
    const doc = makeAlert(spec);
    const r = await raiseAlert(s.es, s.redis, s.esPrefix, s.keyPrefix, doc);
    return { doc, ...r };
  };
  const ids = (sock: LiveSocket, type = 'created'): string[] => sock.alerts().filter((m) => m.event.type === type).map((m) => m.event.alertId);

  beforeAll(async () => {
    s = await startConsoleStack({ name: 'live', overrides: { live: { maxQueuedMessages: 20, maxBufferedBytes: 16 * 1024, streamMaxLen: 100_000 } } });
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('refuses an unauthenticated socket, another origin, and a role without alerts', async () => {
    await expect(s.client().socket()).rejects.toMatchObject({ status: 401 });
    const analyst = await s.loggedIn('analyst');
    await expect(analyst.socket({ origin: 'https://evil.example' })).rejects.toBeInstanceOf(RefusedError);
    const admin = await s.loggedIn('admin');
    await expect(admin.socket()).rejects.toMatchObject({ status: 403 });
  });

  it('pushes new alerts, and every change to an alert to every analyst within a second', async () => {
    const a1 = await s.loggedIn('analyst');
    const a2 = await s.loggedIn('analyst2');
    const w1 = await a1.socket();
    const w2 = await a2.socket();
    w1.send({ type: 'subscribe' });
    w2.send({ type: 'subscribe' });
    await w1.until((m) => m.some((x) => x.type === 'subscribed'));
    await w2.until((m) => m.some((x) => x.type === 'subscribed'));
    const { doc } = await raise();
    await w1.until(() => ids(w1).includes(doc.event.id));
    await w2.until(() => ids(w2).includes(doc.event.id));
    // The document is searchable after the alert index's refresh; the live event came first.
    await s.es.indices.refresh({ index: `${s.esPrefix}-alerts-*` });
    const t0 = Date.now();
    // The other analyst's socket is watched from the moment the change is sent.
    const seen = w2.until(() => ids(w2, 'updated').includes(doc.event.id), 1000).then(() => Date.now());
    const ack = await a1.call('POST', `/api/alerts/${doc.event.id}/triage`, { body: { status: 'acknowledged' } });
    expect(ack.status).toBe(200);
    expect((await seen) - t0).toBeLessThan(1000);
    const upd = w2.alerts().find((m) => m.event.type === 'updated');
    expect(upd.event).toMatchObject({ by: 'analyst', status: 'acknowledged' });
    await w1.close();
    await w2.close();
  });

  it('a client that reconnects with its cursor gets every alert it missed, once', async () => {
    const a = await s.loggedIn('analyst');
    const w = await a.socket();
    w.send({ type: 'subscribe' });
    await w.until((m) => m.some((x) => x.type === 'subscribed'));
    const before = await raise();
    await w.until(() => ids(w).includes(before.doc.event.id));
    const cursor = w.lastCursor()!;
    await w.close();
    const missed = [];
    for (let i = 0; i < 7; i++) missed.push((await raise()).doc.event.id);
    const w2 = await a.socket();
    w2.send({ type: 'subscribe', cursor });
    await w2.until((m) => m.some((x) => x.type === 'subscribed'));
    const after = (await raise()).doc.event.id;
    await w2.until(() => ids(w2).includes(after));
    expect(ids(w2)).toEqual([...missed, after]);
    await w2.close();
  });

  it('the same across a console restart', async () => {
    const a = await s.loggedIn('analyst');
    const w = await a.socket();
    w.send({ type: 'subscribe' });
    await w.until((m) => m.some((x) => x.type === 'subscribed'));
    const first = await raise();
    await w.until(() => ids(w).includes(first.doc.event.id));
    const cursor = w.lastCursor()!;
    const closed = new Promise((r) => w.ws.once('close', r));
    const restarting = s.restart();
    await closed;
    const missed = [];
    for (let i = 0; i < 5; i++) missed.push((await raise()).doc.event.id);
    await restarting;
    const w2 = await a.socket();
    w2.send({ type: 'subscribe', cursor });
    await w2.until(() => ids(w2).length >= 5);
    await new Promise((r) => setTimeout(r, 300));
    expect(ids(w2)).toEqual(missed);
    await w2.close();
  });

  it('limits every message to the subscriber scope, and refuses a subtree outside it', async () => {
    const hanoi = await s.loggedIn('hanoi-analyst');
    const w = await hanoi.socket();
    w.send({ type: 'subscribe', filters: { node: '79' } });
    await w.until((m) => m.some((x) => x.type === 'error'));
    expect(w.messages.find((x) => x.type === 'error').error.code).toBe('forbidden');
    w.send({ type: 'subscribe' });
    await w.until((m) => m.some((x) => x.type === 'subscribed'));
    const hcmc = await raise({ node: '79/760/26734' });
    const hn = await raise({ node: '01/002/00037' });
    await w.until(() => ids(w).includes(hn.doc.event.id));
    expect(ids(w)).not.toContain(hcmc.doc.event.id);
    // Reconnecting with a cursor before the other province's alert does not reveal it either.
    const w2 = await hanoi.socket();
    w2.send({ type: 'subscribe', cursor: `${Number(hcmc.cursor.split('-')[0]) - 1}-0` });
    await w2.until((m) => m.some((x) => x.type === 'subscribed'));
    expect(ids(w2)).toEqual([hn.doc.event.id]);
    await w.close();
    await w2.close();
  });

  it('a first subscription asking for recent events gets those of the last seconds, within scope, then goes live', async () => {
    const old = await raise({ node: '01/001/00001' });
    // Older than the window asked for: not sent.
    await new Promise((r) => setTimeout(r, 1200));
    const hcmc = await raise({ node: '79/760/26734' });
    const hn = await raise({ node: '01/002/00037' });
    const hanoi = await s.loggedIn('hanoi-analyst');
    const w = await hanoi.socket();
    w.send({ type: 'subscribe', recentMs: 1000 });
    await w.until((m) => m.some((x) => x.type === 'subscribed'));
    expect(ids(w)).toEqual([hn.doc.event.id]);
    expect(ids(w)).not.toContain(old.doc.event.id);
    expect(ids(w)).not.toContain(hcmc.doc.event.id);
    const next = await raise({ node: '01/001/00001' });
    await w.until(() => ids(w).includes(next.doc.event.id));
    expect(ids(w)).toEqual([hn.doc.event.id, next.doc.event.id]);
    // Out of range: refused with a reason, the socket stays.
    w.send({ type: 'subscribe', recentMs: 3_600_000 });
    await w.until((m) => m.some((x) => x.type === 'error'));
    expect(w.messages.find((x) => x.type === 'error').error.code).toBe('invalid_input');
    await w.close();
  });

  it('filters by severity and rule', async () => {
    const a = await s.loggedIn('analyst');
    const w = await a.socket();
    w.send({ type: 'subscribe', filters: { severity: ['critical'], ruleId: ['chot.test.exfil'] } });
    await w.until((m) => m.some((x) => x.type === 'subscribed'));
    await raise({ severity: 'low', ruleId: 'chot.test.exfil' });
    await raise({ severity: 'critical', ruleId: 'chot.test.other' });
    const hit = await raise({ severity: 'critical', ruleId: 'chot.test.exfil' });
    await w.until(() => ids(w).includes(hit.doc.event.id));
    expect(ids(w)).toEqual([hit.doc.event.id]);
    await w.close();
  });

  it('tells a client too far behind the stream retention to re-synchronise', async () => {
    const a = await s.loggedIn('analyst');
    const first = await raise();
    await raise();
    await raise();
    // Retention passes the cursor: trim everything older than the last entry.
    await s.redis.xtrim(alertEventsStream(s.keyPrefix), 'MAXLEN', 1);
    const w = await a.socket();
    w.send({ type: 'subscribe', cursor: first.cursor });
    await w.until((m) => m.some((x) => x.type === 'resync'));
    expect(w.messages.find((x) => x.type === 'resync').reason).toBe('too-far-behind');
    await w.until((m) => m.some((x) => x.type === 'subscribed'));
    const next = await raise();
    await w.until(() => ids(w).includes(next.doc.event.id));
    await w.close();
  });

  it('a slow client does not grow server memory: it is told to catch up, and still gets everything once', async () => {
    const a = await s.loggedIn('analyst');
    const w = await a.socket();
    w.send({ type: 'subscribe' });
    await w.until((m) => m.some((x) => x.type === 'subscribed'));
    // Stop reading: the socket's buffers fill and the server must hold back.
    const raw = (w.ws as unknown as { _socket: import('node:net').Socket })._socket;
    raw.pause();
    const sent: string[] = [];
    const pipeline = s.redis.pipeline();
    const { encodeAlertEvent } = await import('../../console/server/live/event-codec.js');
    const { alertEventOf } = await import('../../console/server/live/publisher.js');
    for (let i = 0; i < 600; i++) {
      const doc = makeAlert({ summary: `bulk ${i} ${'x'.repeat(400)}` });
      sent.push(doc.event.id);
      pipeline.xadd(alertEventsStream(s.keyPrefix), '*', ...encodeAlertEvent(alertEventOf('created', 'idx', doc)));
    }
    await pipeline.exec();
    await new Promise((r) => setTimeout(r, 1500));
    raw.resume();
    await w.until(() => ids(w).length >= 600, 15_000);
    expect(w.messages.some((x) => x.type === 'catch-up')).toBe(true);
    expect(ids(w)).toEqual(sent);
    await w.close();
  });
});

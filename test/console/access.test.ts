import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SensorRegistry } from '../../collector/fleet/registry.js';
import type { Route } from '../../console/server/http/route.js';
import { allRoutes, LIVE_ROUTE } from '../../console/server/routes/index.js';
import { CONSOLE_ROLES, type ConsoleRole } from '../../console/server/auth/roles.js';
import { makeAlert, raiseAlert } from './support/alerts.js';
import { connDoc, indexConn } from './support/conn.js';
import { PASSWORD, refresh, startConsoleStack, USERS, type ConsoleStack } from './support/console-stack.js';
import type { ApiResponse, ConsoleClient } from './support/client.js';

/**
 * The role and scope matrix, generated from the route table: every route is called
 * unauthenticated, by every role, and by a province-scoped user reaching for another
 * province's data. A route without a probe here fails the test, so no new route can
 * escape the matrix.
 */
interface Call {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
}
interface Probe {
  /** A call the allowed roles succeed with. */
  ok: () => Call;
  /** The same route reaching for the other province (scoped users); defaults to ok(). */
  other?: () => Call;
  /** Judges the scoped user's answer to `other` beyond "no marker of the other province in it". */
  otherCheck?: (res: ApiResponse) => void;
  /** The call ends or replaces the session: use a fresh login for it. */
  fresh?: boolean;
  /**
   * Whether an allowed role's answer shows the handler was reached, where success needs
   * more than a call (a code from an app): by default, any 2xx.
   */
  reached?: (res: ApiResponse) => boolean;
}

const T0 = Date.parse('2026-02-01T00:00:00Z');
const RANGE = { from: new Date(T0).toISOString(), to: new Date(T0 + 3_600_000).toISOString() };

describe('console access matrix: every REST route and the WebSocket, by role and by scope', () => {
  let s: ConsoleStack;
  let routes: Route[];
  const hanoiAlerts: string[] = [];
  let hcmcAlert: string;
  let hanoiCase: string;
  let hcmcCase: string;
  let n = 0;
  const markers: string[] = [];

  const probes: Record<string, Probe> = {
    'POST /api/login': { ok: () => ({ body: { username: 'analyst', password: PASSWORD } }) },
    'POST /api/logout': { ok: () => ({}), fresh: true },
    'GET /api/session': { ok: () => ({}) },
    'POST /api/session/password': { ok: () => ({ body: { current: PASSWORD, next: PASSWORD } }), fresh: true },
    'POST /api/session/totp/begin': { ok: () => ({ body: { password: PASSWORD } }) },
    // Confirming needs a code from the secret just shown, removing one needs a factor: each is reached when the handler says so.
    'POST /api/session/totp/confirm': { ok: () => ({ body: { code: '000000' } }), reached: (res) => res.status === 400 && res.body?.error?.code === 'bad_totp' },
    'POST /api/session/totp/remove': { ok: () => ({ body: { password: PASSWORD, code: '000000' } }), reached: (res) => res.status === 409 && res.body?.error?.code === 'conflict' },
    'GET /api/alerts': { ok: () => ({ query: { size: '50' } }) },
    'GET /api/alerts/groups': { ok: () => ({ query: { by: 'node' } }) },
    'GET /api/alerts/rate': { ok: () => ({ query: { minutes: '120' } }), other: () => ({ query: { node: '79' } }) },
    'GET /api/alerts/:id': { ok: () => ({ params: { id: hanoiAlerts[0]! } }), other: () => ({ params: { id: hcmcAlert } }) },
    'GET /api/alerts/:id/history': { ok: () => ({ params: { id: hanoiAlerts[0]! } }), other: () => ({ params: { id: hcmcAlert } }) },
    'GET /api/alerts/:id/evidence': { ok: () => ({ params: { id: hanoiAlerts[0]! } }), other: () => ({ params: { id: hcmcAlert } }) },
    'POST /api/alerts/:id/triage': { ok: () => ({ params: { id: hanoiAlerts[1]! }, body: { addTags: [`t${n++}`] } }), other: () => ({ params: { id: hcmcAlert }, body: { status: 'acknowledged' } }) },
    'POST /api/alerts/:id/notes': { ok: () => ({ params: { id: hanoiAlerts[1]! }, body: { text: 'note' } }), other: () => ({ params: { id: hcmcAlert }, body: { text: 'note' } }) },
    'POST /api/alerts/bulk': {
      ok: () => ({ body: { ids: [hanoiAlerts[2]!], change: { addTags: [`b${n++}`] } } }),
      other: () => ({ body: { ids: [hcmcAlert], change: { status: 'acknowledged' } } }),
      otherCheck: (res) => expect(res.body.updated ?? 0).toBe(0),
    },
    'GET /api/cases': { ok: () => ({}) },
    'GET /api/cases/:id': { ok: () => ({ params: { id: hanoiCase } }), other: () => ({ params: { id: hcmcCase } }) },
    'POST /api/cases': { ok: () => ({ body: { title: `case ${n++}`, severity: 'low', alertIds: [hanoiAlerts[3]!] } }), other: () => ({ body: { title: 'x', severity: 'low', alertIds: [hcmcAlert] } }) },
    'PATCH /api/cases/:id': { ok: () => ({ params: { id: hanoiCase }, body: { assignee: 'analyst' } }), other: () => ({ params: { id: hcmcCase }, body: { status: 'closed' } }) },
    'POST /api/cases/:id/alerts': { ok: () => ({ params: { id: hanoiCase }, body: { alertIds: [hanoiAlerts[4]!] } }), other: () => ({ params: { id: hanoiCase }, body: { alertIds: [hcmcAlert] } }) },
    'POST /api/cases/:id/comments': { ok: () => ({ params: { id: hanoiCase }, body: { text: 'c' } }), other: () => ({ params: { id: hcmcCase }, body: { text: 'c' } }) },
    'POST /api/search': { ok: () => ({ body: { ...RANGE, groupBy: ['observer.province'] } }), other: () => ({ body: { ...RANGE, filters: [{ op: 'is', field: 'observer.province', value: '79' }] } }) },
    'GET /api/search/export': { ok: () => ({ query: { format: 'ndjson', q: JSON.stringify(RANGE) } }) },
    'GET /api/audit': { ok: () => ({}) },
    'GET /api/sensors': { ok: () => ({}) },
    'GET /api/topology': { ok: () => ({}) },
    'GET /api/users': { ok: () => ({}) },
    'POST /api/users': {
      ok: () => ({ body: { name: `probe-${n++}`, displayName: 'p', roles: ['analyst'], scope: '01/001', password: PASSWORD } }),
      other: () => ({ body: { name: `probe-${n++}`, displayName: 'p', roles: ['analyst'], scope: '79', password: PASSWORD } }),
    },
    'PATCH /api/users/:name': { ok: () => ({ params: { name: 'analyst2' }, body: { displayName: `Analyst ${n++}` } }), other: () => ({ params: { name: 'hcmc-analyst' }, body: { disabled: true } }) },
  };

  const key = (r: { method: string; path: string }): string => `${r.method} ${r.path}`;
  const call = (c: ConsoleClient, r: Route, x: Call): Promise<ApiResponse> => {
    let path = r.path;
    for (const [k, v] of Object.entries(x.params ?? {})) path = path.replace(`:${k}`, encodeURIComponent(v));
    const qs = x.query ? `?${new URLSearchParams(x.query)}` : '';
    return c.call(r.method, path + qs, { ...(x.body !== undefined ? { body: x.body } : {}), raw: r.path === '/api/search/export' });
  };

  beforeAll(async () => {
    s = await startConsoleStack({ name: 'access', overrides: { login: { maxFailuresPerUser: 100, maxAttemptsPerAddress: 100_000, windowMinutes: 15 } } });
    routes = allRoutes(s.console.services);
    const admin = await s.loggedIn('admin');
    expect((await admin.call('POST', '/api/users', { body: { name: 'hcmc-analyst', displayName: 'HCMC', roles: ['analyst'], scope: '79', password: PASSWORD } })).status).toBe(201);
    await indexConn(s.es, s.esPrefix, [connDoc(1, T0 + 1000, '01/001/00001'), { ...connDoc(2, T0 + 2000, '79/760/26734'), id: 'hcmc-conn-1' }]);
    for (let i = 0; i < 5; i++) {
      const doc = makeAlert({ node: '01/001/00001', evidence: [{ index: `${s.esPrefix}-conn-2026.02.01`, id: 's1:1:0' }] });
      await raiseAlert(s.es, s.redis, s.esPrefix, s.keyPrefix, doc);
      hanoiAlerts.push(doc.event.id);
    }
    const hcmc = makeAlert({ node: '79/760/26734', sourceIp: '10.79.79.79', sni: 'hcmc-secret.example', evidence: [{ index: `${s.esPrefix}-conn-2026.02.01`, id: 'hcmc-conn-1' }] });
    await raiseAlert(s.es, s.redis, s.esPrefix, s.keyPrefix, hcmc);
    hcmcAlert = hcmc.event.id;
    const sensors = new SensorRegistry(s.redis, s.keyPrefix);
    await sensors.seen({ sensorId: 'sensor-hanoi', node: '01/001/00001', lastSeenMs: Date.now(), address: '10.0.0.1', collector: 'c1', connected: true });
    await sensors.seen({ sensorId: 'sensor-hcmc', node: '79/760/26734', lastSeenMs: Date.now(), address: '10.79.0.1', collector: 'c1', connected: true });
    await refresh(s.es, s.esPrefix);
    const analyst = await s.loggedIn('analyst');
    hanoiCase = (await analyst.call('POST', '/api/cases', { body: { title: 'Hà Nội', severity: 'high', alertIds: [hanoiAlerts[0]] } })).body.case.id;
    hcmcCase = (await analyst.call('POST', '/api/cases', { body: { title: 'HCMC case', severity: 'high', alertIds: [hcmcAlert] } })).body.case.id;
    await analyst.call('POST', `/api/alerts/${hcmcAlert}/notes`, { body: { text: 'hcmc-secret note' } });
    const hcmcUser = await s.loggedIn('hcmc-analyst');
    await hcmcUser.call('POST', '/api/search', { body: { ...RANGE, filters: [{ op: 'is', field: 'source.ip', value: '10.79.79.79' }] } });
    await refresh(s.es, s.esPrefix);
    markers.push('79/760/26734', '10.79.79.79', 'hcmc-secret', 'sensor-hcmc', hcmcAlert, hcmcCase, 'hcmc-analyst', 'Hồ Chí Minh', 'hcmc-conn-1');
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('has a probe for every route in the table (a new route cannot escape the matrix)', () => {
    const missing = routes.filter((r) => !probes[key(r)]).map(key);
    expect(missing).toEqual([]);
    expect(routes.every((r) => r.scope === 'subtree' || r.scope === 'none')).toBe(true);
    // Every route that answers data is audited.
    expect(routes.filter((r) => r.method === 'GET' && r.scope === 'subtree' && !r.audit).map(key)).toEqual([]);
  });

  it('refuses every non-public route without a session', async () => {
    const anon = s.client();
    for (const r of routes.filter((x) => x.access !== 'public')) {
      const res = await call(anon, r, probes[key(r)]!.ok());
      expect({ route: key(r), status: res.status }).toEqual({ route: key(r), status: 401 });
    }
    await expect(anon.socket()).rejects.toMatchObject({ status: 401 });
  });

  it('lets each role call exactly the routes that name it', async () => {
    const clients = new Map<ConsoleRole, ConsoleClient>();
    for (const role of CONSOLE_ROLES) clients.set(role, await s.loggedIn(role));
    for (const r of routes.filter((x) => x.access !== 'public')) {
      for (const role of CONSOLE_ROLES) {
        const allowed = r.access === 'authenticated' || (r.access as readonly string[]).includes(role);
        const probe = probes[key(r)]!;
        const client = probe.fresh ? await s.loggedIn(role) : clients.get(role)!;
        const res = await call(client, r, probe.ok());
        // Logging out or changing the password ends the user's other sessions too: log in again.
        if (probe.fresh) clients.set(role, await s.loggedIn(role));
        const reached = probe.reached ? probe.reached(res) : res.status < 300;
        const got = allowed ? (reached ? 'allowed' : `failed ${res.status} ${res.text.slice(0, 200)}`) : res.status === 403 ? 'forbidden' : `not refused: ${res.status}`;
        expect({ route: key(r), role, got }).toEqual({ route: key(r), role, got: allowed ? 'allowed' : 'forbidden' });
      }
    }
    for (const role of CONSOLE_ROLES) {
      const allowed = LIVE_ROUTE.access.includes(role as never);
      const opened = await clients.get(role)!.socket().then(
        async (w) => {
          await w.close();
          return 'allowed';
        },
        (err: { status?: number }) => (err.status === 403 ? 'forbidden' : `refused ${err.status}`),
      );
      expect({ route: 'WS /api/live', role, got: opened }).toEqual({ route: 'WS /api/live', role, got: allowed ? 'allowed' : 'forbidden' });
    }
  });

  it('shows a province-scoped user nothing of another province, through any route', async () => {
    const scoped = USERS.filter((u) => u.scope === '01');
    for (const r of routes.filter((x) => x.scope === 'subtree')) {
      const user = scoped.find((u) => (r.access as readonly string[]).some((a) => u.roles.includes(a as ConsoleRole)));
      expect(user, `a scoped user for ${key(r)}`).toBeDefined();
      const probe = probes[key(r)]!;
      const c = await s.loggedIn(user!.name);
      for (const x of [probe.ok(), (probe.other ?? probe.ok)()]) {
        const res = await call(c, r, x);
        const text = res.text;
        const leaked = markers.filter((m) => text.includes(m) && !JSON.stringify(x).includes(m));
        expect({ route: key(r), user: user!.name, status: res.status, leaked }).toMatchObject({ route: key(r), leaked: [] });
        expect([200, 201, 403, 404]).toContain(res.status);
      }
      const otherRes = await call(c, r, (probe.other ?? probe.ok)());
      probe.otherCheck?.(otherRes);
    }
    // Nothing the scoped users tried changed the other province's alert or case.
    const analyst = await s.loggedIn('analyst');
    const a = await analyst.call('GET', `/api/alerts/${hcmcAlert}`);
    expect(a.body.doc.chot.triage.status).toBe('new');
    const hc = await analyst.call('GET', `/api/cases/${hcmcCase}`);
    expect(hc.body.case.status).toBe('open');
    expect(hc.body.case.comments).toEqual([]);
    const admin = await s.loggedIn('admin');
    const users = await admin.call('GET', '/api/users');
    expect(users.body.users.find((u: { name: string }) => u.name === 'hcmc-analyst').disabled).toBe(false);
  });

  it('pushes a province-scoped user no WebSocket message about another province', async () => {
    const c = await s.loggedIn('hanoi-analyst');
    const w = await c.socket();
    w.send({ type: 'subscribe' });
    await w.until((m) => m.some((x) => x.type === 'subscribed'));
    const other = makeAlert({ node: '79/760/26734', sourceIp: '10.79.79.79' });
    const mine = makeAlert({ node: '01/002/00037' });
    await raiseAlert(s.es, s.redis, s.esPrefix, s.keyPrefix, other);
    await raiseAlert(s.es, s.redis, s.esPrefix, s.keyPrefix, mine);
    await w.until((m) => m.some((x) => x.event?.alertId === mine.event.id));
    expect(JSON.stringify(w.messages)).not.toContain('79/760/26734');
    await w.close();
  });
});

import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Logger } from '../../../common/log.js';
import type { AuditWriter } from '../audit/writer.js';
import type { ConsoleMetrics } from '../metrics.js';
import { authenticate } from '../auth/authenticate.js';
import type { Session, SessionStore } from '../auth/sessions.js';
import type { UserStore } from '../auth/users.js';
import { queryObject, readJsonBody } from './body.js';
import { errorBody, HttpError } from './errors.js';
import { compile, matchRoute, type Compiled } from './match.js';
import { originAllowed } from './origin.js';
import type { AuthedUser, JsonReply, Route, RouteContext, StreamReply } from './route.js';

export interface PipelineDeps {
  routes: readonly Route[];
  sessions: SessionStore;
  users: UserStore;
  audit: AuditWriter;
  allowedOrigins: readonly string[];
  log: Logger;
  metrics?: ConsoleMetrics;
}

const ANONYMOUS: AuthedUser = { name: '', displayName: '', roles: [] };

export function clientAddress(req: IncomingMessage): string {
  return (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
}

/**
 * Runs one API request through the same gates, in the same order, for every route:
 * route lookup, session, CSRF (token and origin) on anything that changes state, role,
 * schema-checked params, query and body, the handler, then the audit entry, written
 * before the answer leaves (a request that cannot be audited is not answered).
 */
export function createApiHandler(deps: PipelineDeps): (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> {
  const table: Compiled<Route>[] = deps.routes.map((r) => compile(r));

  return async (req, res, url) => {
    let user: AuthedUser | undefined;
    let route: Route | undefined;
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      // Labelled by the route's pattern, never the raw path: ids would explode the series.
      const name = route?.path ?? 'unmatched';
      deps.metrics?.requests.inc({ route: `${req.method} ${name}`, status: String(res.statusCode) });
      deps.metrics?.duration.observe({ route: `${req.method} ${name}` }, Number(process.hrtime.bigint() - started) / 1e9);
    });
    try {
      const match = matchRoute(table, req.method ?? 'GET', url.pathname);
      if (match.kind === 'none') throw new HttpError(404, 'not_found', `no API route ${req.method} ${url.pathname}`);
      if (match.kind === 'wrong-method') throw new HttpError(405, 'method_not_allowed', `${req.method} is not allowed here`, { allow: match.allow }, { allow: match.allow.join(', ') });
      route = match.route;

      let session: Session | undefined;
      if (route.access !== 'public') {
        const auth = await authenticate(req, deps.sessions, deps.users);
        if (!auth) throw new HttpError(401, 'unauthenticated', 'log in first (no valid session)');
        ({ session, user } = auth);
      }
      if (req.method !== 'GET') checkCsrf(req, session, deps.allowedOrigins);
      if (Array.isArray(route.access) && user && !route.access.some((r) => user!.roles.includes(r))) {
        throw new HttpError(403, 'forbidden', `this needs one of the roles: ${route.access.join(', ')}`);
      }

      const params = parse('path', route.params, match.params);
      const query = parse('query', route.query, queryObject(url.searchParams));
      const rawBody = req.method === 'GET' ? undefined : await readJsonBody(req);
      const body = parse('body', route.body, rawBody);
      const ctx: RouteContext<unknown, unknown, unknown> = { params, query, body, user: user ?? ANONYMOUS, session, req, res, address: clientAddress(req), audit: {} };
      const reply = await route.handler(ctx);
      if ('stream' in reply) await sendStream(deps, route, ctx, reply);
      else {
        if (route.audit && user) await auditOf(deps, route, ctx, user, reply.status ?? 200, 'success', reply.rows);
        sendJson(res, reply.status ?? 200, reply.body, reply.headers);
      }
    } catch (err) {
      const httpErr = toHttpError(err, deps.log, route);
      if (user && route && (httpErr.status === 403 || (route.audit && httpErr.status < 500))) {
        const ctx = { req, address: clientAddress(req), audit: {} } as RouteContext<unknown, unknown, unknown>;
        await auditOf(deps, route, ctx, user, httpErr.status, 'failure').catch(() => {});
      }
      if (res.headersSent) {
        res.destroy();
        return;
      }
      // A body left unread (refused before reading) would be parsed as the next request on a kept-alive connection.
      const close: Record<string, string> = req.complete ? {} : { connection: 'close' };
      sendJson(res, httpErr.status, errorBody(httpErr), { ...httpErr.headers, ...close });
    }
  };
}

function checkCsrf(req: IncomingMessage, session: Session | undefined, allowedOrigins: readonly string[]): void {
  if (!originAllowed(req, allowedOrigins)) throw new HttpError(403, 'bad_origin', 'request from another origin refused');
  if (!session) return; // the login: guarded by origin, JSON-only bodies and SameSite cookies
  const sent = req.headers['x-csrf-token'];
  const ok = typeof sent === 'string' && sent.length === session.csrf.length && timingSafeEqual(Buffer.from(sent), Buffer.from(session.csrf));
  if (!ok) throw new HttpError(403, 'csrf', 'missing or wrong X-CSRF-Token header');
}

function parse(where: 'path' | 'query' | 'body', schema: z.ZodType | undefined, value: unknown): unknown {
  if (!schema) {
    // A route that declares no schema for a part takes nothing there: nothing goes unchecked.
    if (where === 'body' && value !== undefined) throw new HttpError(400, 'bad_request', 'this route takes no body');
    if (where === 'query' && Object.keys(value as object).length > 0) throw new HttpError(400, 'bad_request', 'this route takes no query parameters');
    return value;
  }
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
  const first = issues[0]!;
  throw new HttpError(400, 'invalid_input', `invalid ${where}${first.path ? ` at ${first.path}` : ''}: ${first.message}`, { where, issues });
}

async function sendStream(deps: PipelineDeps, route: Route, ctx: RouteContext<unknown, unknown, unknown>, reply: StreamReply): Promise<void> {
  // Audited before the first row leaves, and again with the count before the last byte does.
  if (route.audit) await auditOf(deps, route, { ...ctx, audit: { ...ctx.audit, note: 'started' } }, ctx.user, 200, 'success');
  let outcome: { rows: number; truncated?: boolean };
  try {
    outcome = await reply.stream(ctx.res);
  } catch (err) {
    deps.log.warn({ err: (err as Error).message, route: route.path }, 'stream ended early');
    ctx.res.destroy();
    if (route.audit) await auditOf(deps, route, { ...ctx, audit: { ...ctx.audit, note: 'aborted' } }, ctx.user, 200, 'failure').catch(() => {});
    return;
  }
  if (route.audit) {
    try {
      await auditOf(deps, route, { ...ctx, audit: { ...ctx.audit, note: 'completed', ...(outcome.truncated ? { truncated: true } : {}) } }, ctx.user, 200, 'success', outcome.rows);
    } catch {
      // Not audited, so not complete: the client sees a cut-off transfer, not a finished file.
      ctx.res.destroy();
      return;
    }
  }
  ctx.res.end();
}

async function auditOf(deps: PipelineDeps, route: Route, ctx: RouteContext<unknown, unknown, unknown>, user: AuthedUser, status: number, outcome: 'success' | 'failure', rows?: number): Promise<void> {
  await deps.audit.write({
    action: status === 403 ? 'access.denied' : (route.audit ?? 'access'),
    outcome,
    user: { name: user.name, roles: user.roles, ...(user.scope ? { scope: user.scope } : {}) },
    address: ctx.address,
    method: ctx.req.method ?? '',
    route: route.path,
    status,
    ...(rows !== undefined ? { rows } : {}),
    ...ctx.audit,
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function toHttpError(err: unknown, log: Logger, route: Route | undefined): HttpError {
  if (err instanceof HttpError) return err;
  const e = err as { meta?: { statusCode?: number }; name?: string; message?: string };
  if (e?.name === 'ConnectionError' || e?.name === 'TimeoutError' || e?.name === 'NoLivingConnectionsError') {
    log.error({ err: e.message, route: route?.path }, 'Elasticsearch unreachable');
    return new HttpError(503, 'unavailable', 'the data store is unreachable; try again shortly');
  }
  if (e?.name === 'NodeIdError') return new HttpError(400, 'bad_node', e.message ?? 'bad node id');
  log.error({ err: e?.message, stack: (err as Error)?.stack, route: route?.path }, 'request failed');
  return new HttpError(500, 'internal', 'internal error (logged on the server)');
}

export type { JsonReply };

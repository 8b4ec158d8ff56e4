import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import type { ConsoleRole } from '../auth/roles.js';
import type { Session } from '../auth/sessions.js';
import type { AuditDetails } from '../audit/writer.js';

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/**
 * Who may call a route: 'public' (no session: the login), 'authenticated' (any user
 * with a session), or a list of roles (a user holding any of them).
 */
export type Access = 'public' | 'authenticated' | readonly ConsoleRole[];

/**
 * How a route honours a user's scope (the subtree of the hierarchy they are limited to):
 *  - 'subtree': it answers only data whose node lies in the user's subtree;
 *  - 'none': it answers nothing placed in the hierarchy (the login, the session itself).
 * Every route declares one, and the scope test checks each 'subtree' route.
 */
export type ScopeRule = 'subtree' | 'none';

export interface AuthedUser {
  name: string;
  displayName: string;
  roles: readonly ConsoleRole[];
  scope?: string;
}

export interface RouteContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  /** Undefined only on public routes. */
  user: AuthedUser;
  session: Session | undefined;
  req: IncomingMessage;
  res: ServerResponse;
  address: string;
  /** What the audit entry of this request should record beyond the route's action (the query, a target). */
  audit: AuditDetails;
}

export interface JsonReply {
  status?: number;
  body: unknown;
  headers?: Record<string, string>;
  /** Rows of data answered, for the audit entry. */
  rows?: number;
}

/**
 * A reply written by the route itself (an export); resolves with the rows written and
 * leaves the response open: the pipeline ends it once the outcome is audited, so a
 * client that has the whole file can rely on the audit trail holding it.
 */
export interface StreamReply {
  stream: (res: ServerResponse) => Promise<{ rows: number; truncated?: boolean }>;
}

export type Reply = JsonReply | StreamReply;

export interface RouteSpec<PS extends z.ZodType, QS extends z.ZodType, BS extends z.ZodType> {
  method: Method;
  /** Path with :named segments, e.g. /api/alerts/:id. */
  path: string;
  summary: string;
  access: Access;
  scope: ScopeRule;
  /** The audit action written for each call (every query, view and export is audited). */
  audit?: string;
  params?: PS;
  query?: QS;
  body?: BS;
  handler: (ctx: RouteContext<z.infer<PS>, z.infer<QS>, z.infer<BS>>) => Promise<Reply>;
}

/** A route with its types erased, as the table holds it. */
export interface Route {
  method: Method;
  path: string;
  summary: string;
  access: Access;
  scope: ScopeRule;
  audit?: string;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  handler: (ctx: RouteContext<unknown, unknown, unknown>) => Promise<Reply>;
}

/** Declares a route, inferring its handler's types from its schemas. */
export function defineRoute<PS extends z.ZodType = z.ZodUnknown, QS extends z.ZodType = z.ZodUnknown, BS extends z.ZodType = z.ZodUnknown>(spec: RouteSpec<PS, QS, BS>): Route {
  return spec as unknown as Route;
}

/** The WebSocket endpoint, declared like a route so the access and scope tests cover it. */
export interface SocketRoute {
  method: 'WS';
  path: string;
  summary: string;
  access: readonly ConsoleRole[];
  scope: ScopeRule;
}

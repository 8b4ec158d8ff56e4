import { ROLE_SETS } from '../auth/roles.js';
import type { Route, SocketRoute } from '../http/route.js';
import type { ConsoleServices } from '../services.js';
import { alertRoutes } from './alerts.js';
import { auditRoutes } from './audit.js';
import { caseRoutes } from './cases.js';
import { fleetRoutes } from './fleet.js';
import { searchRoutes } from './search.js';
import { sessionRoutes } from './session.js';
import { userRoutes } from './users.js';

/** The whole REST API. The access and scope tests walk this table: a route added here is tested. */
export function allRoutes(svc: ConsoleServices): Route[] {
  return [...sessionRoutes(svc), ...alertRoutes(svc), ...caseRoutes(svc), ...searchRoutes(svc), ...auditRoutes(svc), ...fleetRoutes(svc), ...userRoutes(svc)];
}

export const LIVE_ROUTE: SocketRoute = {
  method: 'WS',
  path: '/api/live',
  summary: 'live alerts and alert changes, resumable from a cursor',
  access: ROLE_SETS.alertReaders,
  scope: 'subtree',
};

import { z } from 'zod';
import { ROLE_SETS } from '../auth/roles.js';
import { defineRoute, type Route } from '../http/route.js';
import { effectiveSubtree, isWithin } from '../scope.js';
import type { ConsoleServices } from '../services.js';
import { csvList, nodeIdParam } from './common.js';

export function fleetRoutes(svc: ConsoleServices): Route[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/api/sensors',
      summary: 'sensors with their node, last contact, connection, certificate expiry and counters',
      access: ROLE_SETS.fleet,
      scope: 'subtree',
      audit: 'sensors.view',
      query: z.strictObject({ node: nodeIdParam.optional(), health: csvList(z.enum(['ok', 'silent', 'disconnected']), 3) }),
      handler: async (ctx) => {
        const subtree = effectiveSubtree(ctx.user, ctx.query.node);
        const sensors = (await svc.sensors.all()).filter((s) => (!subtree || isWithin(s.node, subtree)) && (!ctx.query.health || ctx.query.health.includes(s.health)));
        const places: Record<string, string> = {};
        for (const s of sensors) places[s.node] ??= svc.places.pathOf(s.node).map((p) => p.name || p.id).join(' › ');
        return { body: { sensors, places }, rows: sensors.length };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/topology',
      summary: 'one level of the hierarchy with each node health and open-alert count',
      access: ROLE_SETS.topology,
      scope: 'subtree',
      audit: 'topology.view',
      query: z.strictObject({ node: nodeIdParam.optional() }),
      handler: async (ctx) => {
        const view = await svc.topology.view(ctx.query.node ?? '', ctx.user.scope);
        return { body: view, rows: view.children.length };
      },
    }),
  ];
}

import { z } from 'zod';
import { hashPassword, passwordProblem } from '../auth/password.js';
import { CONSOLE_ROLES, ROLE_SETS } from '../auth/roles.js';
import { publicUser, UserExistsError, userNameSchema, type ConsoleUser } from '../auth/users.js';
import { badRequest, conflict, notFound } from '../http/errors.js';
import { defineRoute, type AuthedUser, type Route } from '../http/route.js';
import { effectiveSubtree, isWithin } from '../scope.js';
import type { ConsoleServices } from '../services.js';
import { nodeIdParam } from './common.js';

/** A scoped admin manages only users scoped inside their own subtree. */
function manages(admin: AuthedUser, u: Pick<ConsoleUser, 'scope'>): boolean {
  return !admin.scope || (!!u.scope && isWithin(u.scope, admin.scope));
}

const roles = z.array(z.enum(CONSOLE_ROLES)).min(1).max(4);

export function userRoutes(svc: ConsoleServices): Route[] {
  const checkPassword = (p: string): void => {
    const problem = passwordProblem(p);
    if (problem) throw badRequest(problem);
  };
  return [
    defineRoute({
      method: 'GET',
      path: '/api/users',
      summary: 'console users (never their password hashes or TOTP secrets)',
      access: ROLE_SETS.users,
      scope: 'subtree',
      audit: 'user.list',
      handler: async (ctx) => {
        const users = (await svc.users.list()).filter((u) => manages(ctx.user, u)).map(publicUser);
        return { body: { users }, rows: users.length };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/users',
      summary: 'add a user',
      access: ROLE_SETS.users,
      scope: 'subtree',
      audit: 'user.create',
      body: z.strictObject({ name: userNameSchema, displayName: z.string().trim().min(1).max(100), roles, scope: nodeIdParam.optional(), password: z.string().min(1).max(256) }),
      handler: async (ctx) => {
        checkPassword(ctx.body.password);
        const scope = ctx.user.scope ? effectiveSubtree(ctx.user, ctx.body.scope) : ctx.body.scope;
        try {
          const u = await svc.users.create({ name: ctx.body.name, displayName: ctx.body.displayName, roles: ctx.body.roles, ...(scope ? { scope } : {}), passwordHash: await hashPassword(ctx.body.password) });
          ctx.audit = { target: { user: u.name }, changes: { roles: u.roles, scope: u.scope ?? '(national)' } };
          return { status: 201, body: { user: publicUser(u) }, rows: 1 };
        } catch (err) {
          if (err instanceof UserExistsError) throw conflict(err.message);
          throw err;
        }
      },
    }),
    defineRoute({
      method: 'PATCH',
      path: '/api/users/:name',
      summary: "change a user's name, roles, scope, password or state; ends their sessions when access changes",
      access: ROLE_SETS.users,
      scope: 'subtree',
      audit: 'user.update',
      params: z.strictObject({ name: userNameSchema }),
      body: z.strictObject({
        displayName: z.string().trim().min(1).max(100).optional(),
        roles: roles.optional(),
        scope: z.union([nodeIdParam, z.null()]).optional(),
        disabled: z.boolean().optional(),
        password: z.string().min(1).max(256).optional(),
        removeTotp: z.literal(true).optional(),
      }),
      handler: async (ctx) => {
        const target = await svc.users.get(ctx.params.name);
        if (!target || !manages(ctx.user, target)) throw notFound(`user ${ctx.params.name}`);
        const b = ctx.body;
        if (target.name === ctx.user.name && (b.disabled || (b.roles && !b.roles.includes('admin')))) throw badRequest('you cannot disable yourself or drop your own admin role');
        if (b.scope !== undefined && ctx.user.scope) {
          if (b.scope === null) throw badRequest('a scoped admin cannot give national scope');
          effectiveSubtree(ctx.user, b.scope);
        }
        if (b.password) checkPassword(b.password);
        const updated = (await svc.users.update(target.name, {
          ...(b.displayName ? { displayName: b.displayName } : {}),
          ...(b.roles ? { roles: b.roles } : {}),
          ...(b.scope !== undefined ? { scope: b.scope } : {}),
          ...(b.disabled !== undefined ? { disabled: b.disabled } : {}),
          ...(b.password ? { passwordHash: await hashPassword(b.password) } : {}),
          ...(b.removeTotp ? { totpSecret: null } : {}),
        }))!;
        if (b.roles || b.scope !== undefined || b.disabled || b.password || b.removeTotp) await svc.sessions.destroyAll(target.name);
        const { password: _p, ...shown } = b;
        ctx.audit = { target: { user: target.name }, changes: { ...shown, ...(b.password ? { password: 'changed' } : {}) } };
        return { body: { user: publicUser(updated) }, rows: 1 };
      },
    }),
  ];
}

import { z } from 'zod';
import { decoyHash, hashPassword, passwordProblem, verifyPassword } from '../auth/password.js';
import { SESSION_COOKIE } from '../auth/sessions.js';
import { matchTotp } from '../auth/totp.js';
import { publicUser, type ConsoleUser } from '../auth/users.js';
import { clearedCookie, readCookie, sessionCookie } from '../http/cookies.js';
import { badRequest, HttpError } from '../http/errors.js';
import { defineRoute, type Route, type RouteContext } from '../http/route.js';
import type { ConsoleServices } from '../services.js';

const loginBody = z.strictObject({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(256),
  totp: z.string().regex(/^\d{6}$/, 'a 6-digit code').optional(),
});

export function sessionRoutes(svc: ConsoleServices): Route[] {
  const auditLogin = async (ctx: RouteContext<unknown, unknown, unknown>, name: string, outcome: 'success' | 'failure', status: number, reason?: string): Promise<void> => {
    await svc.audit.write({ action: 'login', outcome, user: { name, roles: [] }, address: ctx.address, method: 'POST', route: '/api/login', status, ...(reason ? { reason } : {}) });
  };

  return [
    defineRoute({
      method: 'POST',
      path: '/api/login',
      summary: 'log in with a password (and a TOTP code when the user has one); sets the session cookie',
      access: 'public',
      scope: 'none',
      body: loginBody,
      handler: async (ctx) => {
        const { username, password, totp } = ctx.body;
        const name = username.toLowerCase();
        const wait = await svc.limiter.admit(name, ctx.address);
        if (wait > 0) {
          await auditLogin(ctx, name, 'failure', 429, 'rate limited');
          throw new HttpError(429, 'rate_limited', `too many login attempts; try again in ${wait} s`, { retryAfter: wait }, { 'retry-after': String(wait) });
        }
        const user = await svc.users.get(name);
        // The same work whether or not the user exists: names cannot be probed by timing.
        const check = await verifyPassword(password, user?.passwordHash ?? (await decoyHash()));
        if (!user || !check.ok || user.disabled) {
          await svc.limiter.failed(name);
          await auditLogin(ctx, name, 'failure', 401, !user ? 'unknown user' : user.disabled ? 'disabled' : 'wrong password');
          throw new HttpError(401, 'bad_credentials', 'wrong user name or password');
        }
        if (user.totpSecret) {
          if (!totp) throw new HttpError(401, 'totp_required', 'enter the code from your authenticator app');
          const step = matchTotp(user.totpSecret, totp, Date.now());
          if (step === undefined || !(await svc.users.claimTotpStep(user.name, step))) {
            await svc.limiter.failed(name);
            await auditLogin(ctx, name, 'failure', 401, 'wrong or reused TOTP code');
            throw new HttpError(401, 'bad_totp', 'wrong or already used code');
          }
        }
        if (check.rehash) await svc.users.update(user.name, { passwordHash: await hashPassword(password) });
        await svc.limiter.succeeded(name);
        // A new session id at every login: a session id planted before login is worth nothing.
        const old = readCookie(ctx.req, SESSION_COOKIE);
        if (old) {
          const s = await svc.sessions.resolve(old);
          if (s) await svc.sessions.destroy(s);
        }
        const { id, session } = await svc.sessions.create(user.name);
        await auditLogin(ctx, user.name, 'success', 200);
        return {
          body: { user: publicUser(user), csrf: session.csrf },
          headers: { 'set-cookie': sessionCookie(SESSION_COOKIE, id, Math.floor(svc.cfg.sessions.absoluteHours * 3600)) },
        };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/logout',
      summary: 'end the session',
      access: 'authenticated',
      scope: 'none',
      handler: async (ctx) => {
        if (ctx.session) await svc.sessions.destroy(ctx.session);
        return { body: { ok: true }, headers: { 'set-cookie': clearedCookie(SESSION_COOKIE) } };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/session',
      summary: 'who is logged in, and the CSRF token for state-changing requests',
      access: 'authenticated',
      scope: 'none',
      handler: async (ctx) => {
        const u = (await svc.users.get(ctx.user.name)) as ConsoleUser;
        return { body: { user: publicUser(u), csrf: ctx.session!.csrf } };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/session/password',
      summary: 'change your own password (ends your other sessions)',
      access: 'authenticated',
      scope: 'none',
      audit: 'user.password',
      body: z.strictObject({ current: z.string().min(1).max(256), next: z.string().min(1).max(256) }),
      handler: async (ctx) => {
        const u = (await svc.users.get(ctx.user.name)) as ConsoleUser;
        if (!(await verifyPassword(ctx.body.current, u.passwordHash)).ok) throw new HttpError(403, 'bad_credentials', 'the current password is wrong');
        const problem = passwordProblem(ctx.body.next);
        if (problem) throw badRequest(problem);
        await svc.users.update(u.name, { passwordHash: await hashPassword(ctx.body.next) });
        await svc.sessions.destroyAll(u.name);
        const { id, session } = await svc.sessions.create(u.name);
        ctx.audit.target = { user: u.name };
        return { body: { ok: true, csrf: session.csrf }, headers: { 'set-cookie': sessionCookie(SESSION_COOKIE, id, Math.floor(svc.cfg.sessions.absoluteHours * 3600)) } };
      },
    }),
  ];
}

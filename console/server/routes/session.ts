import { z } from 'zod';
import { decoyHash, hashPassword, passwordProblem, verifyPassword } from '../auth/password.js';
import { SESSION_COOKIE } from '../auth/sessions.js';
import { matchTotp, newTotpSecret, otpauthUri } from '../auth/totp.js';
import { publicUser, type ConsoleUser } from '../auth/users.js';
import { clearedCookie, readCookie, sessionCookie } from '../http/cookies.js';
import { badRequest, conflict, HttpError } from '../http/errors.js';
import { defineRoute, type Route, type RouteContext } from '../http/route.js';
import type { ConsoleServices } from '../services.js';

/** How long an enrolment may wait for its confirming code. */
const TOTP_ENROL_SECONDS = 600;
const totpCode = z.string().regex(/^\d{6}$/, 'a 6-digit code');

const loginBody = z.strictObject({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(256),
  totp: z.string().regex(/^\d{6}$/, 'a 6-digit code').optional(),
});

export function sessionRoutes(svc: ConsoleServices): Route[] {
  const auditLogin = async (ctx: RouteContext<unknown, unknown, unknown>, name: string, outcome: 'success' | 'failure', status: number, reason?: string): Promise<void> => {
    await svc.audit.write({ action: 'login', outcome, user: { name, roles: [] }, address: ctx.address, method: 'POST', route: '/api/login', status, ...(reason ? { reason } : {}) });
  };

  /** Password and code checks outside the login go through the login's rate limit too. */
  const limited = async (ctx: RouteContext<unknown, unknown, unknown>, name: string): Promise<void> => {
    const wait = await svc.limiter.admit(name, ctx.address);
    if (wait > 0) throw new HttpError(429, 'rate_limited', `too many attempts; try again in ${wait} s`, { retryAfter: wait }, { 'retry-after': String(wait) });
  };
  const refused = async (name: string, err: HttpError): Promise<never> => {
    await svc.limiter.failed(name);
    throw err;
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
    defineRoute({
      method: 'POST',
      path: '/api/session/totp/begin',
      summary: 'start adding a second factor to your own account: a new TOTP secret to scan, confirmed by /api/session/totp/confirm',
      access: 'authenticated',
      scope: 'none',
      audit: 'user.totp.begin',
      body: z.strictObject({ password: z.string().min(1).max(256) }),
      handler: async (ctx) => {
        const u = (await svc.users.get(ctx.user.name)) as ConsoleUser;
        await limited(ctx, u.name);
        if (!(await verifyPassword(ctx.body.password, u.passwordHash)).ok) await refused(u.name, new HttpError(403, 'bad_credentials', 'the password is wrong'));
        if (u.totpSecret) throw conflict('this account has a second factor already; remove it first to enrol another');
        const secret = newTotpSecret();
        await svc.users.setPendingTotp(u.name, secret, TOTP_ENROL_SECONDS);
        ctx.audit.target = { user: u.name };
        return { body: { secret, uri: otpauthUri('Chốt', u.name, secret), expiresInSeconds: TOTP_ENROL_SECONDS } };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/session/totp/confirm',
      summary: 'finish adding a second factor with a code from the authenticator app (ends your other sessions)',
      access: 'authenticated',
      scope: 'none',
      audit: 'user.totp.enrol',
      body: z.strictObject({ code: totpCode }),
      handler: async (ctx) => {
        const u = (await svc.users.get(ctx.user.name)) as ConsoleUser;
        if (u.totpSecret) throw conflict('this account has a second factor already');
        const secret = await svc.users.pendingTotp(u.name);
        if (!secret) throw new HttpError(409, 'no_enrolment', 'no enrolment is waiting (it expires after 10 minutes): start again');
        await limited(ctx, u.name);
        const step = matchTotp(secret, ctx.body.code, Date.now());
        // The confirming code is spent: it cannot be replayed to log in.
        if (step === undefined || !(await svc.users.claimTotpStep(u.name, step))) await refused(u.name, new HttpError(400, 'bad_totp', 'wrong or already used code: check the app and the device clock'));
        await svc.users.update(u.name, { totpSecret: secret });
        await svc.users.clearPendingTotp(u.name);
        // Sessions opened with the password alone end; this one goes on.
        await svc.sessions.destroyAll(u.name);
        const { id, session } = await svc.sessions.create(u.name);
        ctx.audit = { target: { user: u.name }, changes: { totp: 'enrolled' } };
        return { body: { ok: true, csrf: session.csrf }, headers: { 'set-cookie': sessionCookie(SESSION_COOKIE, id, Math.floor(svc.cfg.sessions.absoluteHours * 3600)) } };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/session/totp/remove',
      summary: 'remove the second factor from your own account (the password and a current code)',
      access: 'authenticated',
      scope: 'none',
      audit: 'user.totp.remove',
      body: z.strictObject({ password: z.string().min(1).max(256), code: totpCode }),
      handler: async (ctx) => {
        const u = (await svc.users.get(ctx.user.name)) as ConsoleUser;
        if (!u.totpSecret) throw conflict('this account has no second factor');
        await limited(ctx, u.name);
        if (!(await verifyPassword(ctx.body.password, u.passwordHash)).ok) await refused(u.name, new HttpError(403, 'bad_credentials', 'the password is wrong'));
        const step = matchTotp(u.totpSecret, ctx.body.code, Date.now());
        if (step === undefined || !(await svc.users.claimTotpStep(u.name, step))) await refused(u.name, new HttpError(400, 'bad_totp', 'wrong or already used code'));
        await svc.users.update(u.name, { totpSecret: null });
        ctx.audit = { target: { user: u.name }, changes: { totp: 'removed' } };
        return { body: { ok: true } };
      },
    }),
  ];
}

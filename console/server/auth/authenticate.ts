import type { IncomingMessage } from 'node:http';
import { readCookie } from '../http/cookies.js';
import type { AuthedUser } from '../http/route.js';
import { SESSION_COOKIE, type Session, type SessionStore } from './sessions.js';
import type { UserStore } from './users.js';

/**
 * The user behind a request's session cookie, read fresh from the user store on every
 * request: a role, scope or disabled flag changed by an admin applies at once.
 */
export async function authenticate(req: IncomingMessage, sessions: SessionStore, users: UserStore): Promise<{ session: Session; user: AuthedUser } | undefined> {
  const id = readCookie(req, SESSION_COOKIE);
  if (!id) return undefined;
  const session = await sessions.resolve(id);
  if (!session) return undefined;
  const u = await users.get(session.user);
  if (!u || u.disabled) {
    await sessions.destroy(session);
    return undefined;
  }
  return { session, user: { name: u.name, displayName: u.displayName, roles: u.roles, ...(u.scope ? { scope: u.scope } : {}) } };
}

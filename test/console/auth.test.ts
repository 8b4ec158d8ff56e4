import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpAt } from '../../console/server/auth/totp.js';
import { UserStore } from '../../console/server/auth/users.js';
import { hashPassword, verifyPassword } from '../../console/server/auth/password.js';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SecretBox } from '../../console/server/auth/secret-box.js';
import { tempDir } from '../certs/fixtures.js';
import { PASSWORD, startConsoleStack, type ConsoleStack } from './support/console-stack.js';

const keyDir = tempDir('console-totp-key');
const totpKeyFile = join(keyDir.dir, 'totp.key');
writeFileSync(totpKeyFile, randomBytes(32).toString('base64') + '\n', { mode: 0o600 });
// Both describe blocks use the directory: cleaned up once the file is done.
afterAll(() => keyDir.cleanup());

describe('console sessions and login (real Redis, Elasticsearch, HTTPS)', () => {
  let s: ConsoleStack;
  beforeAll(async () => {
    s = await startConsoleStack({ name: 'auth', overrides: { totpKeyFile, login: { maxFailuresPerUser: 3, maxAttemptsPerAddress: 1000, windowMinutes: 1 } } });
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('stores passwords under scrypt and verifies them', async () => {
    const h = await hashPassword('a long enough passphrase');
    expect(h).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect((await verifyPassword('a long enough passphrase', h)).ok).toBe(true);
    expect((await verifyPassword('a long enough passphrasE', h)).ok).toBe(false);
  });

  it('logs in with a session cookie that is HttpOnly, Secure, SameSite=Strict and __Host-', async () => {
    const c = s.client();
    const res = await c.login('analyst', PASSWORD);
    expect(res.status).toBe(200);
    const cookie = String((res.headers['set-cookie'] as string[])[0]);
    expect(cookie).toMatch(/^__Host-chot_session=[A-Za-z0-9_-]{43};/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('Secure');
    expect(cookie).toContain('SameSite=Strict');
    expect(res.body.user).toMatchObject({ name: 'analyst', roles: ['analyst'] });
    expect(res.body.user.passwordHash).toBeUndefined();
    const me = await c.call('GET', '/api/session');
    expect(me.status).toBe(200);
    expect(me.body.csrf).toBe(c.csrf);
  });

  it('answers every response with a CSP that forbids inline script, and the other hardening headers', async () => {
    const res = await s.client().call('GET', '/api/session');
    expect(res.status).toBe(401);
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['content-security-policy']).not.toContain('unsafe-inline');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['strict-transport-security']).toBeDefined();
    expect(res.body.error.code).toBe('unauthenticated');
  });

  it('refuses a wrong password and an unknown user alike', async () => {
    const a = await s.client().login('engineer', 'wrong password!!');
    const b = await s.client().login('nobody-here', 'wrong password!!');
    expect(a.status).toBe(401);
    expect(b.status).toBe(401);
    expect(a.body).toEqual(b.body);
  });

  it('locks an account after repeated failures, for every instance (the counter is in Redis)', async () => {
    for (let i = 0; i < 3; i++) expect((await s.client().login('auditor', 'not the password')).status).toBe(401);
    const locked = await s.client().login('auditor', PASSWORD);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    await s.redis.del(`${s.keyPrefix}console:login-failures:auditor`);
    expect((await s.client().login('auditor', PASSWORD)).status).toBe(200);
  });

  it('requires the CSRF token on every state-changing request', async () => {
    const c = await s.loggedIn('analyst');
    const without = await c.call('POST', '/api/logout', { csrf: false });
    expect(without.status).toBe(403);
    expect(without.body.error.code).toBe('csrf');
    const wrongToken = await c.call('POST', '/api/logout', { csrf: false, headers: { 'x-csrf-token': 'x'.repeat(43) } });
    expect(wrongToken.status).toBe(403);
    const crossSite = await c.call('POST', '/api/logout', { headers: { origin: 'https://evil.example' } });
    expect(crossSite.status).toBe(403);
    expect(crossSite.body.error.code).toBe('bad_origin');
    expect((await c.call('POST', '/api/logout')).status).toBe(200);
    expect((await c.call('GET', '/api/session')).status).toBe(401);
  });

  it('refuses a form-encoded body (only JSON, which needs a CORS preflight cross-site)', async () => {
    const res = await s.client().call('POST', '/api/login', { body: 'username=analyst&password=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.status).toBe(415);
  });

  it('checks schemas and answers clear JSON errors', async () => {
    const res = await s.client().call('POST', '/api/login', { body: { username: 'analyst' } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_input');
    expect(res.body.error.message).toContain('password');
    const extra = await s.client().call('POST', '/api/login', { body: { username: 'a', password: 'b', admin: true } });
    expect(extra.status).toBe(400);
    const c = await s.loggedIn('analyst');
    expect((await c.call('GET', '/api/session?debug=1')).status).toBe(400);
    expect((await c.call('GET', '/api/alerts?size=100000')).body.error.details.issues[0].path).toBe('size');
  });

  it('asks for a TOTP code when the user has one, accepts it once, refuses a replay', async () => {
    const users = new UserStore(s.redis, s.keyPrefix, SecretBox.fromFile(totpKeyFile));
    const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
    await users.create({ name: 'totp-user', displayName: 'T', roles: ['analyst'], passwordHash: await hashPassword(PASSWORD), totpSecret: secret });
    // Sealed at rest: Redis (its dumps, replicas, AOF) never holds the secret itself.
    const stored = await s.redis.hget(`${s.keyPrefix}{console-user:totp-user}:record`, 'totpSecret');
    expect(stored).toMatch(/^sealed:v1:/);
    expect(stored).not.toContain(secret);
    // A store without the key refuses clearly rather than comparing codes against ciphertext.
    await expect(new UserStore(s.redis, s.keyPrefix).get('totp-user')).rejects.toThrow(/sealed.*totpKeyFile/);
    const first = await s.client().login('totp-user', PASSWORD);
    expect(first.status).toBe(401);
    expect(first.body.error.code).toBe('totp_required');
    const code = totpAt(secret, Date.now());
    expect((await s.client().login('totp-user', PASSWORD, code)).status).toBe(200);
    const replay = await s.client().login('totp-user', PASSWORD, code);
    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe('bad_totp');
  });

  it('lets a user add a second factor to their own account, confirm it with a code, and remove it', async () => {
    const users = new UserStore(s.redis, s.keyPrefix, SecretBox.fromFile(totpKeyFile));
    await users.create({ name: 'self-totp', displayName: 'S', roles: ['analyst'], passwordHash: await hashPassword(PASSWORD) });
    const c = await s.loggedIn('self-totp');
    const other = await s.loggedIn('self-totp');
    expect((await c.call('POST', '/api/session/totp/begin', { body: { password: 'wrong' } })).status).toBe(403);
    expect((await c.call('POST', '/api/session/totp/confirm', { body: { code: '123456' } })).body.error.code).toBe('no_enrolment');
    const begun = await c.call('POST', '/api/session/totp/begin', { body: { password: PASSWORD } });
    expect(begun.status).toBe(200);
    const secret: string = begun.body.secret;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(begun.body.uri).toBe(`otpauth://totp/Ch%E1%BB%91t%3Aself-totp?secret=${secret}&issuer=Ch%E1%BB%91t&algorithm=SHA1&digits=6&period=30`);
    // The pending secret is sealed at rest too, and expires.
    const pendingKey = `${s.keyPrefix}{console-user:self-totp}:totp-pending`;
    expect(await s.redis.get(pendingKey)).toMatch(/^sealed:v1:/);
    expect(await s.redis.ttl(pendingKey)).toBeGreaterThan(500);
    // Until confirmed, nothing changed: the password alone still logs in.
    expect((await s.client().login('self-totp', PASSWORD)).status).toBe(200);
    const code = totpAt(secret, Date.now());
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    expect((await c.call('POST', '/api/session/totp/confirm', { body: { code: wrong } })).body.error.code).toBe('bad_totp');
    expect((await c.call('POST', '/api/session/totp/confirm', { body: { code: 'abc' } })).status).toBe(400);
    const confirmed = await c.call('POST', '/api/session/totp/confirm', { body: { code } });
    expect(confirmed.status).toBe(200);
    expect(await s.redis.exists(pendingKey)).toBe(0);
    // Sessions opened with the password alone are over; this one goes on.
    expect((await other.call('GET', '/api/session')).status).toBe(401);
    expect((await c.call('GET', '/api/session')).body.user.totp).toBe(true);
    // Logging in now takes a code, and the confirming code is spent.
    expect((await s.client().login('self-totp', PASSWORD)).body.error.code).toBe('totp_required');
    expect((await s.client().login('self-totp', PASSWORD, code)).body.error.code).toBe('bad_totp');
    expect((await c.call('POST', '/api/session/totp/begin', { body: { password: PASSWORD } })).status).toBe(409);
    // The failed checks count against the login rate limit (the wrong confirming code and the
    // replayed login since the last successful login); then the limit's window passes.
    expect(Number(await s.redis.get(`${s.keyPrefix}console:login-failures:self-totp`))).toBe(2);
    await s.redis.del(`${s.keyPrefix}console:login-failures:self-totp`);
    // Removing it takes the password and a current (unused) code.
    const next = totpAt(secret, Date.now() + 30_000);
    expect((await c.call('POST', '/api/session/totp/remove', { body: { password: 'wrong', code: next } })).status).toBe(403);
    expect((await c.call('POST', '/api/session/totp/remove', { body: { password: PASSWORD, code } })).body.error.code).toBe('bad_totp');
    expect((await c.call('POST', '/api/session/totp/remove', { body: { password: PASSWORD, code: next } })).status).toBe(200);
    expect((await s.client().login('self-totp', PASSWORD)).status).toBe(200);
    // Each step is in the audit trail, with who and what.
    await s.es.indices.refresh({ index: `${s.esPrefix}-console-audit-*` });
    const audit = await s.es.search<{ event: { action: string; outcome: string } }>({
      index: `${s.esPrefix}-console-audit-*`,
      size: 50,
      query: { prefix: { 'event.action': 'user.totp' } },
      sort: [{ '@timestamp': 'asc' }],
    });
    const actions = audit.hits.hits.map((h) => `${h._source!.event.action}:${h._source!.event.outcome}`);
    expect(actions).toContain('user.totp.begin:success');
    expect(actions).toContain('user.totp.enrol:success');
    expect(actions).toContain('user.totp.enrol:failure');
    expect(actions).toContain('user.totp.remove:success');
  });

  it('ends the sessions of a disabled user at once', async () => {
    const c = await s.loggedIn('engineer');
    expect((await c.call('GET', '/api/session')).status).toBe(200);
    const admin = await s.loggedIn('admin');
    expect((await admin.call('PATCH', '/api/users/engineer', { body: { disabled: true } })).status).toBe(200);
    expect((await c.call('GET', '/api/session')).status).toBe(401);
    expect((await s.client().login('engineer', PASSWORD)).status).toBe(401);
    expect((await admin.call('PATCH', '/api/users/engineer', { body: { disabled: false } })).status).toBe(200);
  });

  it('serves a session to any console instance (sessions live in Redis)', async () => {
    const c = await s.loggedIn('analyst');
    await s.restart();
    expect((await c.call('GET', '/api/session')).status).toBe(200);
  });
});

describe('sealing TOTP secrets', () => {
  const box = new SecretBox(randomBytes(32));
  it('opens what it sealed for the same user only, and passes legacy plain secrets through', () => {
    const sealed = box.seal('JBSWY3DPEHPK3PXP', 'lan');
    expect(box.open(sealed, 'lan')).toBe('JBSWY3DPEHPK3PXP');
    expect(() => box.open(sealed, 'minh')).toThrow();
    expect(() => new SecretBox(randomBytes(32)).open(sealed, 'lan')).toThrow();
    expect(box.open('JBSWY3DPEHPK3PXP', 'lan')).toBe('JBSWY3DPEHPK3PXP');
    expect(box.seal('x', 'lan')).not.toBe(box.seal('x', 'lan'));
  });

  it('refuses a key file that is not 32 bytes of base64, naming the file', () => {
    const bad = join(keyDir.dir, 'short.key');
    writeFileSync(bad, randomBytes(16).toString('base64'));
    expect(() => SecretBox.fromFile(bad)).toThrow(/short\.key.*32 random bytes/);
    expect(() => SecretBox.fromFile(join(keyDir.dir, 'missing.key'))).toThrow(/missing\.key.*ENOENT/);
  });
});

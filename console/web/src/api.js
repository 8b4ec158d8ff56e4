import { signal } from './signal.js';

/** The logged-in user ({ name, roles, scope, ... }) or null. */
export const session = signal(undefined);
let csrf = '';

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code ?? 'http';
    this.details = body?.error?.details;
  }
}

/** Waits before each retry of a read that failed on the network. */
const READ_RETRY_MS = [250, 1000];

/**
 * fetch, with a read (GET) tried again when the network failed under it: a browser
 * aborts requests in flight when the machine's interfaces change (Chromium's
 * ERR_NETWORK_CHANGED: a VPN reconnecting, a link coming up), and a read is safe to
 * repeat. So is a login (at worst it opens a session nobody uses, which expires). Any
 * other write is never repeated here: whether it reached the server is unknown.
 */
async function fetchWithRetry(path, init) {
  const repeatable = init.method === 'GET' || path === '/api/login';
  for (let attempt = 0; ; attempt++) {
    try {
      return await fetch(path, init);
    } catch (err) {
      if (!repeatable || attempt >= READ_RETRY_MS.length) throw err;
      await new Promise((r) => setTimeout(r, READ_RETRY_MS[attempt]));
    }
  }
}

/**
 * Calls the console's REST API. Same origin only, the session cookie goes by itself,
 * and every state-changing call carries the CSRF token.
 */
export async function api(method, path, body) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-csrf-token'] = csrf;
  const res = await fetchWithRetry(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  const json = (res.headers.get('content-type') ?? '').includes('json') ? await res.json() : undefined;
  if (res.status === 401 && path !== '/api/login') session.value = null;
  if (!res.ok) throw new ApiError(res.status, json);
  if (json?.csrf) csrf = json.csrf;
  return json;
}

export async function loadSession() {
  try {
    const r = await api('GET', '/api/session');
    session.value = r.user;
  } catch {
    session.value = null;
  }
}

export async function login(username, password, totp) {
  const r = await api('POST', '/api/login', { username, password, ...(totp ? { totp } : {}) });
  session.value = r.user;
}

export async function logout() {
  try {
    await api('POST', '/api/logout');
  } finally {
    session.value = null;
  }
}

export function hasRole(...roles) {
  const u = session.value;
  return !!u && roles.some((r) => u.roles.includes(r));
}

export function qs(params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0)) continue;
    p.set(k, Array.isArray(v) ? v.join(',') : String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

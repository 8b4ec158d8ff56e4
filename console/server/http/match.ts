import type { Method } from './route.js';

export interface Compiled<R> {
  route: R;
  method: Method | 'WS';
  regex: RegExp;
  names: string[];
}

/** Compiles /api/alerts/:id into a matcher; segments match one path component each. */
export function compile<R extends { method: Method | 'WS'; path: string }>(route: R): Compiled<R> {
  const names: string[] = [];
  const pattern = route.path
    .split('/')
    .map((seg) => {
      if (seg.startsWith(':')) {
        names.push(seg.slice(1));
        return '([^/]+)';
      }
      return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { route, method: route.method, regex: new RegExp(`^${pattern}$`), names };
}

export type Match<R> = { kind: 'found'; route: R; params: Record<string, string> } | { kind: 'wrong-method'; allow: string[] } | { kind: 'none' };

export function matchRoute<R>(table: readonly Compiled<R>[], method: string, pathname: string): Match<R> {
  const allow: string[] = [];
  for (const c of table) {
    const m = c.regex.exec(pathname);
    if (!m) continue;
    if (c.method !== method) {
      allow.push(c.method);
      continue;
    }
    const params: Record<string, string> = {};
    try {
      c.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1]!)));
    } catch {
      return { kind: 'none' };
    }
    return { kind: 'found', route: c.route, params };
  }
  return allow.length ? { kind: 'wrong-method', allow } : { kind: 'none' };
}

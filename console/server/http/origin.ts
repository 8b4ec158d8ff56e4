import type { IncomingMessage } from 'node:http';

/**
 * Whether a browser request comes from the console's own pages. Browsers always send
 * Origin on cross-site requests and WebSocket handshakes, so a present Origin must be
 * ours; a missing one comes from a non-browser client, which cannot carry a victim's
 * cookies anyway. With no configured origins, "ours" is https://<the Host it asked for>.
 */
export function originAllowed(req: IncomingMessage, allowed: readonly string[]): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (allowed.length > 0) return allowed.some((a) => new URL(a).origin === origin);
  const host = req.headers.host;
  return !!host && origin === `https://${host}`;
}

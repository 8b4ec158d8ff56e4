import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '../../../common/log.js';
import { authenticate } from '../auth/authenticate.js';
import type { SessionStore } from '../auth/sessions.js';
import type { UserStore } from '../auth/users.js';
import { originAllowed } from '../http/origin.js';
import type { AuthedUser, SocketRoute } from '../http/route.js';
import { LiveClient, type LiveLimits } from './client.js';
import type { LiveHub } from './hub.js';

export interface SocketServerDeps {
  route: SocketRoute;
  hub: LiveHub;
  sessions: SessionStore;
  users: UserStore;
  allowedOrigins: readonly string[];
  limits: LiveLimits;
  log: Logger;
}

const HEARTBEAT_MS = 5_000;
const RECHECK_MS = 30_000;

interface Conn {
  ws: WebSocket;
  client: LiveClient;
  sessionKey: string;
  user: AuthedUser;
  /** Pings not answered in a row: a peer that answers none of three is gone (a busy one may be slow to answer one). */
  missed: number;
  checkedAt: number;
}

/**
 * The live push endpoint. The handshake is authenticated like any request (the session
 * cookie, a role allowed by the route, and the Origin, which stops another site's page
 * from opening a socket with the user's cookie). While open, the session and the user
 * are checked again every 30 s: logging out, being disabled or losing the role or the
 * scope closes the socket.
 */
export class SocketServer {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024, perMessageDeflate: false });
  private readonly conns = new Set<Conn>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly deps: SocketServerDeps) {
    this.timer = setInterval(() => void this.tick(), HEARTBEAT_MS);
    this.timer.unref();
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    void this.upgrade(req, socket, head).catch((err: Error) => {
      this.deps.log.warn({ err: err.message }, 'WebSocket handshake failed');
      refuse(socket, 500, 'internal', 'internal error');
    });
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const path = new URL(req.url ?? '/', 'https://console.invalid').pathname;
    if (path !== this.deps.route.path) return refuse(socket, 404, 'not_found', 'no WebSocket here');
    if (!originAllowed(req, this.deps.allowedOrigins)) return refuse(socket, 403, 'bad_origin', 'WebSocket from another origin refused');
    const auth = await authenticate(req, this.deps.sessions, this.deps.users);
    if (!auth) return refuse(socket, 401, 'unauthenticated', 'log in first (no valid session)');
    if (!this.allowed(auth.user)) return refuse(socket, 403, 'forbidden', `this needs one of the roles: ${this.deps.route.access.join(', ')}`);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const client = new LiveClient(ws, auth.user, this.deps.hub, this.deps.limits, this.deps.log);
      const conn: Conn = { ws, client, sessionKey: auth.session.key, user: auth.user, missed: 0, checkedAt: Date.now() };
      this.conns.add(conn);
      ws.on('pong', () => (conn.missed = 0));
      ws.once('close', () => {
        client.close();
        this.conns.delete(conn);
      });
    });
  }

  private allowed(user: AuthedUser): boolean {
    return this.deps.route.access.some((r) => user.roles.includes(r));
  }

  private async tick(): Promise<void> {
    const now = Date.now();
    for (const conn of this.conns) {
      if (conn.missed >= 3) {
        conn.ws.terminate();
        continue;
      }
      conn.missed++;
      conn.ws.ping();
      conn.client.heartbeat();
      if (now - conn.checkedAt >= RECHECK_MS) {
        conn.checkedAt = now;
        void this.recheck(conn).catch(() => {});
      }
    }
  }

  private async recheck(conn: Conn): Promise<void> {
    if (!(await this.deps.sessions.alive(conn.sessionKey))) {
      conn.ws.close(4401, 'session ended');
      return;
    }
    const u = await this.deps.users.get(conn.user.name);
    if (!u || u.disabled) conn.ws.close(4401, 'user disabled');
    else if (!this.allowed({ ...conn.user, roles: u.roles }) || u.scope !== conn.user.scope) conn.ws.close(4403, 'role or scope changed: reconnect');
  }

  get connections(): number {
    return this.conns.size;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    for (const conn of this.conns) conn.ws.close(1001, 'server shutting down');
    // A peer that does not answer the close handshake is cut off after a moment.
    const cutoff = setTimeout(() => {
      for (const conn of this.conns) conn.ws.terminate();
    }, 1000);
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    clearTimeout(cutoff);
  }
}

function refuse(socket: Duplex, status: number, code: string, message: string): void {
  const body = JSON.stringify({ error: { code, message } });
  const reason = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error' }[status] ?? 'Error';
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

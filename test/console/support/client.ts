import { request } from 'node:https';
import WebSocket from 'ws';

export interface ApiResponse<T = any> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
  text: string;
}

/** A console user agent for tests: HTTPS with the sector root trusted, a cookie jar of one, the CSRF token. */
export class ConsoleClient {
  cookie: string | undefined;
  csrf: string | undefined;

  constructor(
    readonly baseUrl: string,
    private readonly ca: string,
  ) {}

  async call<T = any>(method: string, path: string, opts: { body?: unknown; headers?: Record<string, string>; csrf?: boolean; raw?: boolean } = {}): Promise<ApiResponse<T>> {
    const url = new URL(path, this.baseUrl);
    const payload = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    const headers: Record<string, string> = { ...(payload !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers };
    if (this.cookie) headers.cookie = this.cookie;
    if (this.csrf && method !== 'GET' && opts.csrf !== false) headers['x-csrf-token'] = this.csrf;
    return new Promise((resolve, reject) => {
      const req = request(url, { method, headers, ca: this.ca }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const setCookie = res.headers['set-cookie'];
          if (setCookie) {
            const first = setCookie[0]!.split(';')[0]!;
            this.cookie = first.endsWith('=') ? undefined : first;
          }
          let body: unknown = text;
          if (!opts.raw && (res.headers['content-type'] ?? '').includes('json')) body = JSON.parse(text);
          // A new session (login, password change) brings a new CSRF token.
          if (res.statusCode === 200 && setCookie && body && typeof body === 'object' && 'csrf' in body) this.csrf = String((body as { csrf: unknown }).csrf);
          resolve({ status: res.statusCode!, headers: res.headers, body: body as T, text });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  async login(username: string, password: string, totp?: string): Promise<ApiResponse> {
    const res = await this.call('POST', '/api/login', { body: { username, password, ...(totp ? { totp } : {}) } });
    if (res.status === 200) this.csrf = res.body.csrf;
    return res;
  }

  /** Opens the live socket with this client's session; resolves once open (or rejects with the refusal status). */
  socket(opts: { origin?: string } = {}): Promise<LiveSocket> {
    const url = new URL('/api/live', this.baseUrl);
    url.protocol = 'wss:';
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { ca: this.ca, headers: { ...(this.cookie ? { cookie: this.cookie } : {}), ...(opts.origin ? { origin: opts.origin } : {}) } });
      const live = new LiveSocket(ws);
      ws.once('open', () => resolve(live));
      ws.once('unexpected-response', (_req, res) => reject(new RefusedError(res.statusCode ?? 0)));
      ws.once('error', reject);
    });
  }
}

export class RefusedError extends Error {
  constructor(readonly status: number) {
    super(`WebSocket refused with ${status}`);
  }
}

/** The live socket, collecting every message for assertions. */
export class LiveSocket {
  readonly messages: any[] = [];
  private waiters: Array<() => void> = [];

  constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString());
      // Several messages may travel in one frame.
      if (m.type === 'batch') this.messages.push(...m.messages);
      else this.messages.push(m);
      for (const w of this.waiters.splice(0)) w();
    });
  }

  send(msg: unknown): void {
    this.ws.send(JSON.stringify(msg));
  }

  alerts(): any[] {
    return this.messages.filter((m) => m.type === 'alert');
  }

  lastCursor(): string | undefined {
    for (let i = this.messages.length - 1; i >= 0; i--) if (this.messages[i].cursor) return this.messages[i].cursor;
    return undefined;
  }

  /** Waits until pred holds over the messages so far. */
  async until(pred: (messages: any[]) => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred(this.messages)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; messages: ${JSON.stringify(this.messages.map((m) => m.type + (m.event ? `:${m.event.type}:${m.event.alertId}` : '')))}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  close(): Promise<void> {
    return new Promise((r) => {
      if (this.ws.readyState === WebSocket.CLOSED) return r();
      this.ws.once('close', () => r());
      this.ws.close();
    });
  }
}

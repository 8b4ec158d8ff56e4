// HTTP/1.x transactions: each request line opens one; responses are paired
// with requests in order, so pipelined requests pair correctly. Bodies are
// framed and counted by MessageReader, never kept. A CONNECT that succeeds or
// a 101 Switching Protocols ends the analysis: what follows is not HTTP/1.

import { Buffer } from 'node:buffer';
import type { AppMetadata, Direction } from '../analyzer.js';
import { Backlog } from '../backlog.js';
import { asciiEqualsLower, wireString } from '../bytes.js';
import type { AppEvents } from '../events.js';
import { GuardedAnalyzer } from '../guarded.js';
import { MessageReader, type Framing, type MessageHandler } from './message.js';
import { contentLength, isChunked, LIMITS, parseRequestLine, parseStatusLine, trimValue } from './parse.js';
import type { HttpTransaction } from './types.js';

/** Requests awaiting responses; past this the oldest is logged unanswered. */
const MAX_PENDING = 64;
/** Finished transactions held between two metadata() calls: at most this many, and about this many bytes. */
const MAX_DONE = 1024;
const MAX_DONE_BYTES = 512 * 1024;
const MAX_PROXIED = 8;

/** Zeek's HTTP::proxy_headers. */
const PROXY_HEADERS = ['forwarded', 'x-forwarded-for', 'x-forwarded-from', 'client-ip', 'via', 'xroxy-connection', 'proxy-connection'];

/** Per message: the framing headers. */
interface Framed {
  length: number | undefined; // -1 when invalid
  chunked: boolean;
}

export class HttpAnalyzer extends GuardedAnalyzer {
  private readonly request: MessageReader;
  private readonly response: MessageReader;
  private depth = 0;
  private pending: HttpTransaction[] = [];
  private readonly finished = new Backlog<HttpTransaction>(MAX_DONE, MAX_DONE_BYTES);
  /** The transaction whose request / response is being read. */
  private reqTx: HttpTransaction | undefined;
  private respTx: HttpTransaction | undefined;
  private interim = false;
  private reqFraming: Framed = { length: undefined, chunked: false };
  private respFraming: Framed = { length: undefined, chunked: false };
  private ts = 0n;
  /** Transactions already handed to finish(), so none is logged twice. */
  private readonly logged = new WeakSet<HttpTransaction>();

  constructor(events: AppEvents) {
    super(events, 'http_analyzer_error');
    this.request = new MessageReader(this.requestHandler());
    this.response = new MessageReader(this.responseHandler());
  }

  protected onData(dir: Direction, b: Uint8Array, start: number, end: number, tsNs: bigint): void {
    this.ts = tsNs;
    (dir === 0 ? this.request : this.response).feed(b, start, end);
    if (this.response.tunnel) this.done = true;
  }

  protected onGap(dir: Direction, bytes: number): void {
    (dir === 0 ? this.request : this.response).gap(bytes);
  }

  protected onMetadata(final: boolean): AppMetadata | undefined {
    if (final) {
      this.response.end();
      // Unanswered requests are logged as they are, as Zeek does at connection end.
      for (const t of [...this.pending, this.respTx, this.reqTx]) if (t) this.finish(t);
      this.pending = [];
      this.reqTx = this.respTx = undefined;
    }
    const http = this.finished.drain();
    return http && { http };
  }

  private requestHandler(): MessageHandler {
    return {
      startLine: (b, s, e, truncated, probing) => {
        const r = parseRequestLine(b, s, e);
        if (!r) {
          if (!probing) this.notHttp('http_bad_request_line');
          return false;
        }
        if (probing) this.events.weird('http_resync');
        if (r.uriTruncated || truncated) this.events.weird('http_uri_too_long');
        this.confirm('http');
        const t = this.newTx();
        t.method = r.method;
        t.uri = r.uri;
        t.requestVersion = r.version;
        this.reqTx = t;
        this.reqFraming = { length: undefined, chunked: false };
        if (this.pending.length >= MAX_PENDING) {
          this.events.weird('http_too_many_pending_requests');
          this.finish(this.pending.shift()!);
        }
        this.pending.push(t);
        return true;
      },
      header: (b, s, colon, e) => {
        const t = this.reqTx;
        if (!t) return;
        const [vs, ve] = trimValue(b, colon + 1, e);
        if (this.framingHeader(b, s, colon, vs, ve, this.reqFraming)) return;
        if (asciiEqualsLower(b, s, colon, 'host')) t.host ??= this.field(b, vs, ve, LIMITS.host, 'http_host_too_long');
        else if (asciiEqualsLower(b, s, colon, 'user-agent')) t.userAgent ??= this.field(b, vs, ve, LIMITS.userAgent, 'http_user_agent_too_long');
        else if (asciiEqualsLower(b, s, colon, 'referer')) t.referrer ??= this.field(b, vs, ve, LIMITS.referrer, 'http_referrer_too_long');
        else if (asciiEqualsLower(b, s, colon, 'origin')) t.origin ??= this.field(b, vs, ve, LIMITS.origin, 'http_origin_too_long');
        else if (asciiEqualsLower(b, s, colon, 'authorization')) t.username ??= basicUser(b, vs, ve);
        else this.proxyHeader(t, b, s, colon, vs, ve);
      },
      headersDone: (): Framing => {
        const f = this.reqFraming;
        if (f.chunked) return { kind: 'chunked' };
        if (f.length !== undefined && f.length > 0) return { kind: 'length', length: f.length };
        return { kind: 'none' }; // a request without framing headers has no body (RFC 9112 §6.3)
      },
      body: (n) => {
        if (this.reqTx) this.reqTx.requestBodyLen += n;
      },
      messageDone: () => {
        const t = this.reqTx;
        this.reqTx = undefined;
        if (!t) return;
        t.requestComplete = true;
        if (t.responseComplete) this.finish(t);
      },
      weird: (name) => this.events.weird(name),
    };
  }

  private responseHandler(): MessageHandler {
    return {
      startLine: (b, s, e, _truncated, probing) => {
        const r = parseStatusLine(b, s, e);
        if (!r) {
          if (!probing) this.notHttp('http_bad_status_line');
          return false;
        }
        if (probing) this.events.weird('http_resync');
        this.confirm('http');
        this.respFraming = { length: undefined, chunked: false };
        this.interim = r.code >= 100 && r.code < 200 && r.code !== 101;
        let t = this.interim ? this.pending[0] : this.pending.shift();
        if (!t) {
          this.events.weird('unmatched_HTTP_reply');
          t = this.newTx();
          if (this.interim) this.pending.push(t);
        }
        this.respTx = t;
        t.responseVersion = r.version;
        if (this.interim) {
          t.infoCode = r.code;
          t.infoMsg = r.msg;
        } else {
          t.statusCode = r.code;
          t.statusMsg = r.msg;
        }
        return true;
      },
      header: (b, s, colon, e) => {
        const [vs, ve] = trimValue(b, colon + 1, e);
        this.framingHeader(b, s, colon, vs, ve, this.respFraming);
      },
      headersDone: (): Framing => {
        const t = this.respTx;
        const code = t?.statusCode ?? 0;
        if (this.interim) return { kind: 'none' };
        if (code === 101 || (t?.method === 'CONNECT' && code >= 200 && code < 300)) return { kind: 'tunnel' };
        if (t?.method === 'HEAD' || code === 204 || code === 304) return { kind: 'none' };
        const f = this.respFraming;
        if (f.chunked) return { kind: 'chunked' };
        if (f.length !== undefined && f.length >= 0) return { kind: 'length', length: f.length };
        return { kind: 'close' };
      },
      body: (n) => {
        if (this.respTx) this.respTx.responseBodyLen += n;
      },
      messageDone: () => {
        const t = this.respTx;
        if (!t || this.interim) return;
        this.respTx = undefined;
        t.responseComplete = true;
        // A response can finish before its request's body did (an early error); log when both are done.
        if (t.requestComplete || t !== this.reqTx) this.finish(t);
      },
      weird: (name) => this.events.weird(name),
    };
  }

  /** Content-Length and Transfer-Encoding; true when the header was one of them. */
  private framingHeader(b: Uint8Array, s: number, colon: number, vs: number, ve: number, f: Framed): boolean {
    if (asciiEqualsLower(b, s, colon, 'content-length')) {
      const n = contentLength(b, vs, ve);
      if (n < 0 || (f.length !== undefined && f.length !== n)) {
        this.events.weird('http_bad_content_length');
        f.length = -1;
      } else f.length = n;
      return true;
    }
    if (asciiEqualsLower(b, s, colon, 'transfer-encoding')) {
      f.chunked = isChunked(b, vs, ve);
      if (f.length !== undefined) this.events.weird('http_te_and_cl');
      return true;
    }
    return false;
  }

  private proxyHeader(t: HttpTransaction, b: Uint8Array, s: number, colon: number, vs: number, ve: number): void {
    for (const name of PROXY_HEADERS) {
      if (!asciiEqualsLower(b, s, colon, name)) continue;
      t.proxied ??= [];
      if (t.proxied.length < MAX_PROXIED) t.proxied.push(`${name.toUpperCase()} -> ${wireString(b, vs, ve, LIMITS.proxied)}`);
      return;
    }
  }

  private field(b: Uint8Array, s: number, e: number, max: number, weird: string): string {
    if (e - s > max) this.events.weird(weird);
    return wireString(b, s, e, max);
  }

  private newTx(): HttpTransaction {
    // Every field from the start (unset ones undefined): one hidden class for all transactions,
    // whichever headers each happened to carry, so the log writer's reads stay monomorphic.
    return {
      tsNs: this.ts,
      transDepth: ++this.depth,
      method: undefined,
      host: undefined,
      uri: undefined,
      referrer: undefined,
      requestVersion: undefined,
      responseVersion: undefined,
      userAgent: undefined,
      origin: undefined,
      requestBodyLen: 0,
      responseBodyLen: 0,
      statusCode: undefined,
      statusMsg: undefined,
      infoCode: undefined,
      infoMsg: undefined,
      username: undefined,
      proxied: undefined,
      requestComplete: false,
      responseComplete: false,
    };
  }

  private finish(t: HttpTransaction): void {
    if (this.logged.has(t)) return;
    this.logged.add(t);
    const size =
      160 + len(t.method) + len(t.host) + len(t.uri) + len(t.referrer) + len(t.userAgent) + len(t.origin) + len(t.statusMsg) + len(t.infoMsg) + len(t.username) + listLen(t.proxied);
    if (!this.finished.push(t, size)) this.events.weird('http_transactions_dropped');
  }

  private notHttp(weird: string): void {
    this.events.weird(weird);
    // Garbage before anything parsed: this is not HTTP. Later: one side is lost and resyncs.
    if (this.service === undefined) this.done = true;
  }
}

function len(s: string | undefined): number {
  return s === undefined ? 0 : s.length;
}

function listLen(l: string[] | undefined): number {
  let n = 0;
  if (l !== undefined) for (let i = 0; i < l.length; i++) n += l[i]!.length;
  return n;
}

/** The user of "Authorization: Basic <base64(user:password)>"; other schemes carry secrets, not names. */
function basicUser(b: Uint8Array, s: number, e: number): string | undefined {
  if (e - s < 7 || !asciiEqualsLower(b, s, s + 6, 'basic ')) return undefined;
  const decoded = Buffer.from(wireString(b, s + 6, e, 1024).trim(), 'base64');
  const colon = decoded.indexOf(0x3a);
  if (colon < 0) return undefined;
  return wireString(decoded, 0, colon, LIMITS.username);
}

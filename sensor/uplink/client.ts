import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { ConnectionOptions, PeerCertificate } from 'node:tls';
import { WebSocket, type ClientOptions } from 'ws';
import { identityFromPeerCertificate } from '../../certs/identity.js';
import type { Logger } from '../../common/log.js';
import { Backoff } from './backoff.js';
import { DEFAULT_COMPRESSION_LEVEL, DEFAULT_RECONNECT_SPREAD_SECONDS } from './config.js';
import { PROTOCOL_PATH, encodeBatchFrame, type CollectorMessage, type SensorStats } from './protocol.js';
import type { Spool } from './spool.js';

export interface UplinkOptions {
  /** Collector base URLs (wss://host:port), tried in turn on failure. */
  collectors: string[];
  /** PEM: this sensor's key and chain, the trust anchors, and the CRLs (one per element) to check collectors against. */
  tls: { key: string; cert: string; ca: string[]; crls?: string[] };
  /** The sensor id in our certificate (the collector checks it, it does not trust it). */
  sensorId: string;
  spool: Spool;
  log: Logger;
  /** Batches in flight before waiting for acks. */
  window?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** The window even the first retry after a lost connection is drawn from (Backoff; default 10 s). */
  reconnectSpreadMs?: number;
  heartbeatMs?: number;
  /**
   * Deflate level of batches on the wire (1 fastest … 9 smallest; 0 sends them
   * uncompressed). Default 3, as log shippers use: on flow records about a third of
   * level 6's CPU for some 10% more bytes.
   */
  compressionLevel?: number;
  stats: () => SensorStats;
}

export interface UplinkCounters {
  batchesSent: number;
  batchesAcked: number;
  batchesRejected: number;
  duplicates: number;
  reconnects: number;
}

/**
 * Sends spooled batches to a collector and deletes them only when the collector says they
 * are durable. Every batch is written to the spool before it is sent, so a lost
 * connection, a crashed collector or a restarted sensor only ever delays a batch.
 */
export class UplinkClient extends EventEmitter {
  private ws: WebSocket | undefined;
  private ready = false;
  private stopped = false;
  private target = 0;
  private readonly backoff: Backoff;
  private readonly inflight: number[] = [];
  private nextToSend = -1;
  private timer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  /** When the collector last showed it is alive (any message or pong). */
  private lastHeardAt = 0;
  private readonly window: number;
  readonly counters: UplinkCounters = { batchesSent: 0, batchesAcked: 0, batchesRejected: 0, duplicates: 0, reconnects: 0 };
  lastRefusal: string | undefined;

  constructor(private readonly opts: UplinkOptions) {
    super();
    if (opts.collectors.length === 0) throw new Error('the uplink needs at least one collector address');
    this.backoff = new Backoff(opts.backoffBaseMs ?? 500, opts.backoffMaxMs ?? 60_000, Math.random, opts.reconnectSpreadMs ?? DEFAULT_RECONNECT_SPREAD_SECONDS * 1000);
    this.window = opts.window ?? 16;
  }

  /** The WebSocket extensions the collector accepted on the current connection ('permessage-deflate' when compressing). */
  get extensions(): string {
    return this.ws?.extensions ?? '';
  }

  private deflate(): false | { threshold: number; zlibDeflateOptions: { level: number } } {
    const level = this.opts.compressionLevel ?? DEFAULT_COMPRESSION_LEVEL;
    return level === 0 ? false : { threshold: 1024, zlibDeflateOptions: { level } };
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.heartbeat);
    const ws = this.ws;
    if (ws && ws.readyState !== ws.CLOSED) {
      await new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        ws.close(1000, 'sensor stopping');
        setTimeout(() => {
          ws.terminate();
          resolve();
        }, 2000).unref();
      });
    }
  }

  /** Call after appending to the spool: sends what the window allows. */
  pump(): void {
    const ws = this.ws;
    if (!this.ready || !ws || ws.readyState !== ws.OPEN) return;
    if (this.inflight.length >= this.window) return;
    for (const entry of this.opts.spool.pending(this.nextToSend + 1)) {
      if (this.inflight.length >= this.window) break;
      // The spooled payload is the records' JSON array: framed, not re-serialised.
      ws.send(encodeBatchFrame(entry.seq, this.opts.sensorId, entry.payload), { binary: false });
      this.inflight.push(entry.seq);
      this.nextToSend = entry.seq;
      this.counters.batchesSent++;
    }
  }

  /** True when nothing is waiting: every spooled batch acknowledged. */
  get idle(): boolean {
    return this.opts.spool.stats().depthBatches === 0 && this.inflight.length === 0;
  }

  get connected(): boolean {
    return this.ready;
  }

  private connect(): void {
    if (this.stopped) return;
    const base = this.opts.collectors[this.target % this.opts.collectors.length]!;
    const url = new URL(PROTOCOL_PATH, base).toString();
    const tlsOptions: ConnectionOptions = {
      key: this.opts.tls.key,
      cert: this.opts.tls.cert,
      ca: this.opts.tls.ca,
      ...(this.opts.tls.crls?.length ? { crl: this.opts.tls.crls } : {}),
      // A collector is whoever holds a collector certificate from our CA, whatever
      // address it answers on: identity is the certificate, not a host name.
      checkServerIdentity: (_host: string, cert: PeerCertificate) => {
        try {
          identityFromPeerCertificate(cert, { roles: ['collector'] });
          return undefined;
        } catch (err) {
          return err as Error;
        }
      },
    };
    // ws passes TLS options through to tls.connect; its typings know only some of them.
    const ws = new WebSocket(url, { ...tlsOptions, perMessageDeflate: this.deflate(), handshakeTimeout: 10_000 } as ClientOptions);
    this.ws = ws;
    ws.on('unexpected-response', (_req, res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => {
        let reason = body;
        try {
          reason = (JSON.parse(body) as { error?: string }).error ?? body;
        } catch {
          // plain text
        }
        this.lastRefusal = `HTTP ${res.statusCode}: ${reason}`;
        this.opts.log.error({ collector: base, status: res.statusCode, reason }, 'collector refused this sensor');
        this.emit('refused', this.lastRefusal);
        ws.terminate();
      });
    });
    ws.on('message', (data) => {
      this.lastHeardAt = Date.now();
      this.onMessage(String(data));
    });
    ws.on('pong', () => (this.lastHeardAt = Date.now()));
    ws.on('close', (code, reason) => this.onClose(base, code, reason.toString()));
    ws.on('error', (err) => this.opts.log.warn({ collector: base, err: err.message }, 'uplink connection error'));
  }

  private onMessage(text: string): void {
    let msg: CollectorMessage;
    try {
      msg = JSON.parse(text) as CollectorMessage;
    } catch {
      this.opts.log.warn('collector sent a message that is not JSON; ignored');
      return;
    }
    const spool = this.opts.spool;
    switch (msg.type) {
      case 'welcome':
        // What the collector already holds is safe: drop it, resume after it.
        if (msg.lastSeq >= 0) spool.ack(msg.lastSeq);
        this.nextToSend = Math.max(msg.lastSeq, spool.stats().ackedSeq);
        this.inflight.length = 0;
        this.ready = true;
        this.backoff.reset();
        this.opts.log.info({ lastSeq: msg.lastSeq, pending: spool.stats().depthBatches }, 'uplink ready');
        this.startHeartbeat();
        this.emit('ready');
        this.pump();
        return;
      case 'ack':
      case 'reject': {
        // Answers come in order, so everything up to this seq is settled.
        while (this.inflight.length > 0 && this.inflight[0]! <= msg.seq) this.inflight.shift();
        spool.ack(msg.seq);
        if (msg.type === 'ack') {
          this.counters.batchesAcked++;
          if (msg.duplicate) this.counters.duplicates++;
        } else {
          this.counters.batchesRejected++;
          this.opts.log.error({ seq: msg.seq, reason: msg.reason }, 'collector rejected a batch; it is dropped');
          this.emit('rejected', msg.seq, msg.reason);
        }
        this.emit('ack', msg.seq);
        this.pump();
        if (this.idle) this.emit('idle');
        return;
      }
      case 'error':
        this.opts.log.error({ reason: msg.reason }, 'collector reported an error');
        return;
    }
  }

  private onClose(base: string, code: number, reason: string): void {
    const wasReady = this.ready;
    this.ready = false;
    this.inflight.length = 0;
    clearInterval(this.heartbeat);
    this.emit('disconnected', code, reason);
    if (this.stopped) return;
    this.counters.reconnects++;
    // Try the next collector, after a jittered wait (short the first time after a good connection).
    this.target++;
    const delay = this.backoff.next();
    this.opts.log.warn({ collector: base, code, reason, wasReady, retryInMs: delay }, 'uplink disconnected');
    this.timer = setTimeout(() => this.connect(), delay);
  }

  private startHeartbeat(): void {
    clearInterval(this.heartbeat);
    const every = this.opts.heartbeatMs ?? 10_000;
    this.lastHeardAt = Date.now();
    const beat = (): void => {
      const ws = this.ws;
      if (!ws || ws.readyState !== ws.OPEN) return;
      // A cut WAN link gives no error, only silence; TCP alone would notice after many
      // minutes. Three heartbeats without a word from the collector ends the connection.
      if (Date.now() - this.lastHeardAt > 3 * every) {
        this.opts.log.warn({ silentMs: Date.now() - this.lastHeardAt }, 'collector silent; dropping the connection to reconnect');
        ws.terminate();
        return;
      }
      ws.ping();
      ws.send(JSON.stringify({ type: 'heartbeat', stats: this.opts.stats() }));
    };
    beat();
    this.heartbeat = setInterval(beat, every);
    this.heartbeat.unref();
  }
}

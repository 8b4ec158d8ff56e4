import { createServer, type Server } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { IdentityError, type PeerIdentity } from '../../certs/identity.js';
import type { TlsContextManager } from '../../certs/tls/context-manager.js';
import type { Logger } from '../../common/log.js';
import {
  PROTOCOL_PATH,
  describeSchemaError,
  heartbeatMessageSchema,
  parseBatchMessage,
  readBatchFrame,
  type CollectorMessage,
} from '../../sensor/uplink/protocol.js';
import { reviveRecords } from '../../sensor/uplink/record-codec.js';
import type { ConnRecord } from '../../sensor/record.js';
import type { SensorRegistry } from '../fleet/registry.js';
import type { CollectorMetrics } from '../metrics.js';
import type { BatchStore } from '../streams/batch-store.js';
import { entryKey, type DecodedBatches } from '../streams/decoded-batches.js';
import { TokenBucket } from './rate-limit.js';

export interface IngestLimits {
  maxBatchBytes: number;
  maxRecordsPerBatch: number;
  recordsPerSecond: number;
  burstRecords: number;
}

export const DEFAULT_LIMITS: IngestLimits = { maxBatchBytes: 4 * 1024 * 1024, maxRecordsPerBatch: 10_000, recordsPerSecond: 50_000, burstRecords: 200_000 };

export interface IngestServerOptions {
  host: string;
  port: number;
  /** This collector's key, chain, CA and CRLs, reloaded live (CRLs, renewals) by the manager. */
  tls: TlsContextManager;
  instanceId: string;
  store: BatchStore;
  /** Where the records parsed here are left for this instance's indexers and detectors. */
  decoded?: DecodedBatches;
  registry: SensorRegistry;
  metrics: CollectorMetrics;
  log: Logger;
  limits?: Partial<IngestLimits>;
}

interface Session {
  ws: WebSocket;
  identity: PeerIdentity;
  address: string;
  bucket: TokenBucket;
  /** Messages of one connection are handled strictly in order: acks follow batches. */
  chain: Promise<void>;
}

/**
 * The wss endpoint sensors stream to. Who a sensor is comes from its certificate
 * (verified against Chốt's CA and CRLs by TLS); a batch is acknowledged only once
 * it is durable in Redis; anything wrong is refused with a reason the sensor logs,
 * and never disturbs other sensors.
 */
export class IngestServer {
  private readonly server: Server;
  private readonly wss: WebSocketServer;
  private readonly sessions = new Map<string, Session>();
  private readonly limits: IngestLimits;
  /** Set on shutdown: what sensors still send is left unacknowledged (batches stay in their spools) instead of racing Redis's disconnect. */
  private closing = false;

  constructor(private readonly opts: IngestServerOptions) {
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    // Unverified clients finish the TLS handshake so that they can be told why they are
    // refused (and the refusal logged with its reason); they can do nothing else.
    this.server = createServer({ ...opts.tls.secureContextOptions(), requestCert: true, rejectUnauthorized: false }, (req, res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: `sensors connect with a WebSocket to ${PROTOCOL_PATH}` }));
    });
    this.wss = new WebSocketServer({
      noServer: true,
      // What the collector sends is small (welcome, acks): without server_no_context_takeover
      // ws compresses every message whatever the threshold, and keeps a deflate stream
      // (about 256 KB of zlib state) per connection for it, 2.7 GB for the national fleet.
      perMessageDeflate: { threshold: 1024, serverNoContextTakeover: true, serverMaxWindowBits: 15, concurrencyLimit: 4 },
      // Anything far over the batch limit is cut off by ws itself; moderate excess is refused per batch below.
      maxPayload: this.limits.maxBatchBytes * 4,
    });
    this.server.on('upgrade', (req, socket, head) => this.upgrade(req, socket as Socket, head));
    // Reloads (new CRL, renewed certificate) reach this server, with fresh ticket keys.
    opts.tls.attach(this.server, 'per-request');
    this.server.on('tlsClientError', (err) => {
      opts.metrics.refusedConnections.inc({ reason: 'tls' });
      opts.log.warn({ reason: err.message }, 'sensor TLS handshake failed');
    });
  }

  async listen(): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port, this.opts.host, () => resolve());
    });
    return this.server.address() as AddressInfo;
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const s of this.sessions.values()) s.ws.close(1001, 'collector shutting down');
    await Promise.all([...this.sessions.values()].map((s) => s.chain));
    this.wss.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections?.();
  }

  get connected(): number {
    return this.sessions.size;
  }

  private refuse(socket: Socket, status: number, reason: string, meta: Record<string, unknown>): void {
    this.opts.metrics.refusedConnections.inc({ reason: status === 403 ? 'identity' : 'request' });
    this.opts.log.warn({ ...meta, reason }, 'sensor connection refused');
    const body = JSON.stringify({ error: reason });
    socket.end(`HTTP/1.1 ${status} ${status === 403 ? 'Forbidden' : 'Not Found'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  }

  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const address = `${socket.remoteAddress}:${socket.remotePort}`;
    if (new URL(req.url ?? '/', 'https://x').pathname !== PROTOCOL_PATH) return this.refuse(socket, 404, `unknown path; use ${PROTOCOL_PATH}`, { address });
    let identity: PeerIdentity;
    try {
      // Checks the chain verdict, the role, and the CRL again (a resumed session skips OpenSSL's check).
      identity = this.opts.tls.authenticate(socket as TLSSocket, { roles: ['sensor'] });
    } catch (err) {
      const reason = err instanceof IdentityError ? err.reason : `certificate refused: ${(err as Error).message}`;
      return this.refuse(socket, 403, reason, { address });
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, identity, address));
  }

  private accept(ws: WebSocket, identity: PeerIdentity, address: string): void {
    const { log, metrics } = this.opts;
    const sensorId = identity.nodeId;
    const previous = this.sessions.get(sensorId);
    if (previous) previous.ws.close(4000, 'replaced by a newer connection from the same sensor');
    const session: Session = { ws, identity, address, bucket: new TokenBucket(this.limits.recordsPerSecond, this.limits.burstRecords), chain: Promise.resolve() };
    this.sessions.set(sensorId, session);
    metrics.connectedSensors.set(this.sessions.size);
    log.info({ sensor: sensorId, address, serial: identity.serial }, 'sensor connected');

    session.chain = session.chain.then(async () => {
      const lastSeq = await this.opts.store.lastSeq(sensorId);
      await this.touch(session, true);
      this.send(ws, { type: 'welcome', sensor: sensorId, lastSeq, limits: { maxBatchBytes: this.limits.maxBatchBytes, maxRecordsPerBatch: this.limits.maxRecordsPerBatch } });
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (this.closing) return;
      const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : (data as Buffer | ArrayBuffer).byteLength;
      const bytes = isBinary ? undefined : Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      session.chain = session.chain.then(() => this.onMessage(session, bytes, size)).catch((err: unknown) => {
        // Redis failing: say nothing (no ack), close, and let the sensor replay from its spool.
        log.error({ sensor: sensorId, err: (err as Error).message }, 'could not store a batch or heartbeat; closing so the sensor retries');
        ws.close(1011, 'collector could not store the batch; retry');
      });
    });
    ws.on('close', (code, reason) => {
      if (this.sessions.get(sensorId) === session) {
        this.sessions.delete(sensorId);
        metrics.connectedSensors.set(this.sessions.size);
        void this.opts.registry.disconnected(sensorId, this.opts.instanceId).catch(() => {});
      }
      log.info({ sensor: sensorId, code, reason: reason.toString() }, 'sensor disconnected');
    });
    ws.on('error', (err) => log.warn({ sensor: sensorId, err: err.message }, 'sensor connection error'));
  }

  private async onMessage(s: Session, bytes: Buffer | undefined, size: number): Promise<void> {
    const { metrics, log } = this.opts;
    const sensorId = s.identity.nodeId;
    if (bytes === undefined) return this.send(s.ws, { type: 'error', reason: 'binary messages are not part of the protocol' });
    const reject = (seq: number, reason: string): void => {
      metrics.batchesIn.inc({ outcome: 'rejected' });
      log.warn({ sensor: sensorId, seq, reason }, 'batch rejected');
      this.send(s.ws, { type: 'reject', seq, reason });
    };
    // The sensor's own layout: the records parsed once, their bytes stored as they came.
    const frame = size <= this.limits.maxBatchBytes ? readBatchFrame(bytes) : undefined;
    if (frame) {
      if (frame.sensor !== sensorId) return reject(frame.seq, `batch claims sensor "${frame.sensor.slice(0, 80)}" but the certificate is for "${sensorId}"`);
      return this.admit(s, frame.seq, frame.records as ConnRecord[], frame.recordsJson, reject);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(bytes.toString('utf8'));
    } catch {
      metrics.batchesIn.inc({ outcome: 'rejected' });
      return this.send(s.ws, { type: 'error', reason: 'message is not valid JSON' });
    }
    const type = (raw as { type?: unknown })?.type;
    if (type === 'heartbeat') {
      const hb = heartbeatMessageSchema.safeParse(raw);
      if (!hb.success) return this.send(s.ws, { type: 'error', reason: `invalid heartbeat: ${describeSchemaError(hb.error)}` });
      return this.touch(s, true, hb.data.stats);
    }
    if (type !== 'batch') return this.send(s.ws, { type: 'error', reason: `unknown message type ${JSON.stringify(type)?.slice(0, 40)}` });

    const seq = typeof (raw as { seq?: unknown }).seq === 'number' ? (raw as { seq: number }).seq : -1;
    if (size > this.limits.maxBatchBytes) return reject(seq, `batch of ${size} bytes is over the limit of ${this.limits.maxBatchBytes}`);
    const parsed = parseBatchMessage(raw);
    if (!parsed.success) return reject(seq, `invalid batch: ${describeSchemaError(parsed.error)}`);
    const batch = parsed.data;
    if (batch.sensor !== sensorId) return reject(seq, `batch claims sensor "${batch.sensor.slice(0, 80)}" but the certificate is for "${sensorId}"`);
    return this.admit(s, batch.seq, batch.records as ConnRecord[], JSON.stringify(batch.records), reject);
  }

  /** A checked batch: the record limit, the sensor's rate, then stored and acknowledged. */
  private async admit(s: Session, seq: number, records: ConnRecord[], recordsJson: string | Buffer, reject: (seq: number, reason: string) => void): Promise<void> {
    const { metrics } = this.opts;
    if (records.length > this.limits.maxRecordsPerBatch) return reject(seq, `batch of ${records.length} records is over the limit of ${this.limits.maxRecordsPerBatch}`);
    const waitMs = s.bucket.take(records.length);
    if (waitMs > 0) {
      metrics.throttledMs.inc(waitMs);
      s.ws.pause();
      await new Promise((r) => setTimeout(r, waitMs));
      s.ws.resume();
    }
    return this.store(s, seq, records, recordsJson);
  }

  /**
   * Stores and acknowledges a checked batch. Its parsed records are handed to this
   * instance's consumers (when it shares them), so they need not parse the entry again.
   */
  private async store(s: Session, seq: number, records: ConnRecord[], recordsJson: string | Buffer): Promise<void> {
    const { metrics } = this.opts;
    const sensorId = s.identity.nodeId;
    const count = records.length;
    const decoded = this.opts.decoded;
    const result = await this.opts.store.append({ sensorId, seq, node: sensorId, receivedMs: Date.now(), count, recordsJson });
    if (result.stored && decoded) decoded.put(entryKey(result.stream, result.entryId), reviveRecords(records), recordsJson.length);
    if (result.stored) {
      metrics.batchesIn.inc({ outcome: 'stored' });
      metrics.recordsIn.inc(count);
      this.send(s.ws, { type: 'ack', seq });
    } else {
      metrics.batchesIn.inc({ outcome: 'duplicate' });
      this.send(s.ws, { type: 'ack', seq, duplicate: true });
    }
  }

  private async touch(s: Session, connected: boolean, stats?: Parameters<SensorRegistry['seen']>[0]['stats']): Promise<void> {
    await this.opts.registry.seen({
      sensorId: s.identity.nodeId,
      node: s.identity.nodeId,
      lastSeenMs: Date.now(),
      address: s.address,
      collector: this.opts.instanceId,
      connected,
      certNotAfter: s.identity.notAfter.toISOString(),
      stats,
    });
  }

  private send(ws: WebSocket, msg: CollectorMessage): void {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
  }
}

import { randomBytes, X509Certificate } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createSecureContext, createServer as createTlsServer, type SecureContextOptions, type SecureVersion, type Server as TlsServer, type TLSSocket, type ConnectionOptions, type DetailedPeerCertificate } from 'node:tls';
import { Counter, Gauge, type Registry } from 'prom-client';
import { createLogger, type Logger } from '../../common/log.js';
import { IdentityError, identityOfTlsSocket, type IdentityPolicy, type PeerIdentity } from '../identity.js';
import { clientTlsOptions } from './client.js';
import { filesSignature, readTlsMaterial, summariseCrls, type CrlSummary, type TlsFiles, type TlsMaterial } from './material.js';

/** Which peers a server admits: roles and/or one node. */
export type PeerPolicy = Omit<IdentityPolicy, 'now'>;

export interface TlsContextManagerOptions {
  logger?: Logger;
  /** Warn this long before a CRL's nextUpdate (default 2 days): an expired CRL locks every client out. */
  crlWarnBeforeMs?: number;
  /** Files whose replacement triggers a reload (fromFiles watches its own). */
  watch?: readonly string[];
  /** How often to look at the watched files (default 2 s). */
  pollMs?: number;
  /** How often to check the CRLs' age (default 60 s). */
  freshnessCheckMs?: number;
  /** Registers chot_tls_refused_total and chot_tls_crl_next_update_timestamp_seconds here. */
  registry?: Registry;
  minVersion?: SecureVersion;
}

const identities = new WeakMap<TLSSocket, PeerIdentity>();

/** The identity the manager admitted a socket with (undefined on sockets it did not admit). */
export function peerIdentity(socket: TLSSocket): PeerIdentity | undefined {
  return identities.get(socket);
}

type CrlState = 'fresh' | 'stale-soon' | 'expired';

/**
 * Holds a TLS endpoint's key, chain, trust anchors and CRLs, and keeps the servers
 * built on it current: on every reload (files changed, or `reload()` called) each
 * attached server gets a new secure context and new session-ticket keys, so a client
 * revoked in the new CRL cannot resume a session from before. Live connections of a
 * newly revoked peer are closed. Every refused peer is logged with its reason.
 *
 * OpenSSL verifies chains and CRLs, but is told not to reject by itself
 * (rejectUnauthorized: false): the gate here rejects instead, so the reason
 * (revoked, expired, foreign CA, role...) is known and logged rather than lost in a
 * generic handshake failure. Servers are only ever created or attached through the
 * gate, so no handler sees an unauthenticated socket.
 */
export class TlsContextManager extends EventEmitter {
  private material: TlsMaterial;
  private crls: CrlSummary[];
  private revoked: Set<string>;
  private readonly servers = new Set<TlsServer>();
  private readonly live = new Set<TLSSocket>();
  /** Fixed for this manager's life: sessions resume only against the same configuration. */
  private readonly sessionIdContext = randomBytes(16).toString('hex');
  private readonly logger: Logger;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly crlStates = new Map<string, { state: CrlState; loggedAt: number }>();
  private readonly refusedCounter?: Counter;
  private readonly crlGauge?: Gauge;

  private constructor(
    private readonly load: () => TlsMaterial | Promise<TlsMaterial>,
    initial: TlsMaterial,
    private readonly opts: TlsContextManagerOptions,
  ) {
    super();
    this.logger = opts.logger ?? createLogger('certs.tls');
    this.material = initial;
    this.crls = summariseCrls(initial);
    this.revoked = revokedSet(this.crls);
    if (opts.registry) {
      this.refusedCounter = new Counter({ name: 'chot_tls_refused_total', help: 'TLS peers refused, by reason', labelNames: ['reason'], registers: [opts.registry] });
      this.crlGauge = new Gauge({ name: 'chot_tls_crl_next_update_timestamp_seconds', help: 'nextUpdate of each loaded CRL', labelNames: ['issuer'], registers: [opts.registry] });
    }
    const freshness = setInterval(() => this.checkCrlFreshness(), opts.freshnessCheckMs ?? 60_000);
    freshness.unref();
    this.timers.push(freshness);
    if (initial.crls.length === 0) this.logger.warn({ event: 'tls.no-crl' }, 'no CRL loaded: revoked certificates will be accepted');
    this.checkCrlFreshness();
  }

  /** A manager over material from `load` (called again on every reload). Throws if the material is unusable. */
  static async create(load: () => TlsMaterial | Promise<TlsMaterial>, opts: TlsContextManagerOptions = {}): Promise<TlsContextManager> {
    const initial = await load();
    validate(initial);
    const manager = new TlsContextManager(load, initial, opts);
    if (opts.watch?.length) manager.watchFiles(opts.watch, opts.pollMs ?? 2_000);
    return manager;
  }

  /** A manager over files, reloading by itself when any of them is replaced (renewal, a new CRL). */
  static async fromFiles(files: TlsFiles, opts: TlsContextManagerOptions = {}): Promise<TlsContextManager> {
    const watch = [files.keyFile, files.certFile, files.caFile, ...files.crlFiles, ...(opts.watch ?? [])];
    return TlsContextManager.create(() => readTlsMaterial(files), { ...opts, watch });
  }

  private watchFiles(paths: readonly string[], pollMs: number): void {
    let seen = filesSignature(paths);
    let failed = '';
    const poll = setInterval(() => {
      const now = filesSignature(paths);
      if (now === seen || now === failed) return;
      void this.reload().then((ok) => {
        if (ok) seen = now;
        else failed = now; // retried when the files change again, not logged on every poll
      });
    }, pollMs);
    poll.unref();
    this.timers.push(poll);
  }

  secureContextOptions(): SecureContextOptions {
    const m = this.material;
    return {
      key: m.key,
      cert: m.cert,
      ca: m.ca,
      crl: m.crls,
      minVersion: this.opts.minVersion ?? 'TLSv1.2',
      ...(m.passphrase !== undefined ? { passphrase: m.passphrase } : {}),
    };
  }

  private serverContextOptions(): SecureContextOptions & { sessionIdContext: string; ticketKeys: Buffer } {
    return { ...this.secureContextOptions(), sessionIdContext: this.sessionIdContext, ticketKeys: randomBytes(48) };
  }

  /**
   * Options for building a server yourself (`https.createServer(tls.serverOptions(), …)`),
   * then `attach` it: client certificates requested and verified, the verdict left to
   * the gate (or to `authenticate` per request), this manager's session context and
   * fresh ticket keys.
   */
  serverOptions(): SecureContextOptions & { sessionIdContext: string; ticketKeys: Buffer; requestCert: true; rejectUnauthorized: false } {
    return { ...this.serverContextOptions(), requestCert: true, rejectUnauthorized: false };
  }

  /** A TLS server that hands `onPeer` only sockets whose peer passed the gate. */
  createTlsServer(policy: PeerPolicy, onPeer: (socket: TLSSocket, identity: PeerIdentity) => void): TlsServer {
    const server = createTlsServer(this.serverOptions());
    server.on('secureConnection', (socket: TLSSocket) => onPeer(socket, identities.get(socket)!));
    this.attach(server, policy);
    return server;
  }

  /** An HTTPS server whose requests all come from admitted peers; `peerIdentity(req.socket)` names them. */
  createHttpsServer(policy: PeerPolicy, handler: (req: IncomingMessage, res: ServerResponse) => void): HttpsServer {
    const server = createHttpsServer(this.serverOptions(), handler);
    this.attach(server, policy);
    return server;
  }

  /**
   * Puts a server under this manager: reloads reach it, and (unless 'per-request')
   * its existing 'secureConnection' listeners run only for admitted peers. Attach
   * after adding listeners. With 'per-request' the server checks peers itself with
   * `authenticate` (the enrollment service, where a client certificate is optional).
   */
  attach(server: TlsServer, policy: PeerPolicy | 'per-request'): void {
    if (policy !== 'per-request') {
      const inner = server.listeners('secureConnection') as ((socket: TLSSocket) => void)[];
      server.removeAllListeners('secureConnection');
      server.on('secureConnection', (socket: TLSSocket) => {
        if (!this.admit(socket, policy)) return;
        for (const listener of inner) listener.call(server, socket);
      });
    }
    this.servers.add(server);
    server.once('close', () => this.servers.delete(server));
  }

  private admit(socket: TLSSocket, policy: PeerPolicy): PeerIdentity | undefined {
    try {
      return this.authenticate(socket, policy);
    } catch (err) {
      if (!(err instanceof IdentityError)) throw err;
      this.refuse(socket, err);
      return undefined;
    }
  }

  /**
   * The peer's identity, or IdentityError. Beyond OpenSSL's verdict it checks the
   * CRLs itself, which matters for a resumed session: OpenSSL does not verify the
   * certificate again then, and an older ticket key may still be in a client's hands.
   */
  authenticate(socket: TLSSocket, policy: PeerPolicy = {}): PeerIdentity {
    let id: PeerIdentity;
    try {
      id = identityOfTlsSocket(socket, policy);
    } catch (err) {
      // OpenSSL keeps only the last error of a failed verification: a foreign chain
      // also fails its CRL lookup and would be reported as a CRL problem. Name it right.
      if (err instanceof IdentityError && !socket.authorized && err.code !== 'no-certificate' && !this.reachesTrustAnchor(socket)) {
        throw new IdentityError('untrusted', 'certificate not issued by a trusted Chốt CA');
      }
      throw err;
    }
    if (this.revoked.has(id.serial)) {
      throw new IdentityError('revoked', socket.isSessionReused() ? 'certificate revoked (on a resumed session)' : 'certificate revoked');
    }
    identities.set(socket, id);
    if (!this.live.has(socket)) {
      this.live.add(socket);
      socket.once('close', () => this.live.delete(socket));
    }
    return id;
  }

  /** Whether any certificate of the peer's chain is, or is signed by, one of our trust anchors. */
  private reachesTrustAnchor(socket: TLSSocket): boolean {
    const anchors = this.material.ca.map((pem) => new X509Certificate(pem));
    const seen = new Set<DetailedPeerCertificate>();
    for (let c: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true); c?.raw && !seen.has(c); c = c.issuerCertificate) {
      seen.add(c);
      const cert = new X509Certificate(c.raw);
      if (anchors.some((a) => a.raw.equals(cert.raw) || (cert.checkIssued(a) && cert.verify(a.publicKey)))) return true;
    }
    return false;
  }

  /** Logs and counts a refusal and closes the socket. */
  refuse(socket: TLSSocket, err: IdentityError): void {
    const cert = socket.getPeerCertificate();
    this.logger.warn(
      {
        event: 'tls.refused',
        code: err.code,
        reason: err.reason,
        remote: socket.remoteAddress,
        ...(cert && 'serialNumber' in cert && cert.serialNumber ? { serial: cert.serialNumber } : {}),
        ...(cert && 'subjectaltname' in cert && cert.subjectaltname ? { san: cert.subjectaltname } : {}),
      },
      `refused TLS peer: ${err.reason}`,
    );
    this.refusedCounter?.inc({ reason: err.code });
    this.emit('refused', { code: err.code, reason: err.reason, remote: socket.remoteAddress });
    socket.destroy();
  }

  /**
   * Loads the material again and, if it is usable, switches every attached server to
   * it with fresh ticket keys. Unusable material (a bad file) is logged and changes
   * nothing: the servers keep running on what they had. Returns whether it switched.
   */
  async reload(): Promise<boolean> {
    let next: TlsMaterial;
    let crls: CrlSummary[];
    try {
      next = await this.load();
      validate(next);
      crls = summariseCrls(next);
    } catch (err) {
      this.logger.error({ event: 'tls.reload-failed', err: (err as Error).message }, 'TLS material not reloaded; still using the previous one');
      this.emit('reload-failed', err);
      return false;
    }
    this.material = next;
    this.crls = crls;
    this.revoked = revokedSet(crls);
    for (const server of this.servers) server.setSecureContext(this.serverContextOptions());
    let closed = 0;
    for (const socket of this.live) {
      const id = identities.get(socket);
      if (id && this.revoked.has(id.serial)) {
        this.logger.warn({ event: 'tls.closed-revoked', serial: id.serial, nodeId: id.nodeId, role: id.role }, 'closed a live connection whose certificate is now revoked');
        socket.destroy();
        closed++;
      }
    }
    this.logger.info({ event: 'tls.reloaded', crls: crls.map((c) => ({ issuer: c.issuer, number: c.number, entries: c.revoked.size })), closedRevoked: closed }, 'TLS material reloaded');
    this.checkCrlFreshness();
    this.emit('reloaded');
    return true;
  }

  crlStatus(): readonly CrlSummary[] {
    return this.crls;
  }

  /**
   * Warns when a CRL nears its nextUpdate and errors once it has passed; logs on change
   * and hourly after. "Near" is crlWarnBeforeMs or the last quarter of the CRL's
   * validity, whichever is longer: an offline root's 180-day CRL needs weeks of notice
   * for its signing ceremony, an issuing CA's 7-day CRL is re-signed daily.
   */
  checkCrlFreshness(now = new Date()): void {
    for (const crl of this.crls) {
      const warnBefore = Math.max(this.opts.crlWarnBeforeMs ?? 2 * 86_400_000, (crl.nextUpdate.getTime() - crl.thisUpdate.getTime()) / 4);
      this.crlGauge?.set({ issuer: crl.issuer }, crl.nextUpdate.getTime() / 1000);
      const left = crl.nextUpdate.getTime() - now.getTime();
      const state: CrlState = left <= 0 ? 'expired' : left < warnBefore ? 'stale-soon' : 'fresh';
      const last = this.crlStates.get(crl.issuer);
      const due = !last || last.state !== state || now.getTime() - last.loggedAt > 3_600_000;
      if (state === 'fresh') {
        this.crlStates.set(crl.issuer, { state, loggedAt: now.getTime() });
        continue;
      }
      if (!due) continue;
      this.crlStates.set(crl.issuer, { state, loggedAt: now.getTime() });
      const detail = { event: `tls.crl-${state}`, issuer: crl.issuer, nextUpdate: crl.nextUpdate.toISOString(), hoursLeft: Math.round(left / 3_600_000) };
      if (state === 'expired') this.logger.error(detail, `the CRL of ${crl.issuer} has expired: every peer it covers is refused until a fresh CRL is loaded`);
      else this.logger.warn(detail, `the CRL of ${crl.issuer} goes stale in ${Math.round(left / 3_600_000)} h: publish a fresh one`);
      this.emit(state === 'expired' ? 'crl-expired' : 'crl-stale-soon', crl);
    }
  }

  /** Options for `tls.connect` / `https.request` to a Chốt server, checking its identity instead of a host name. */
  clientOptions(expect: PeerPolicy = {}): ConnectionOptions {
    return clientTlsOptions(this.material, expect);
  }

  close(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
    this.servers.clear();
  }
}

function revokedSet(crls: readonly CrlSummary[]): Set<string> {
  const out = new Set<string>();
  for (const c of crls) for (const s of c.revoked) out.add(s);
  return out;
}

/** Makes OpenSSL load the material once, so a bad key, chain or CRL is caught before any server gets it. */
function validate(m: TlsMaterial): void {
  createSecureContext({ key: m.key, cert: m.cert, ca: m.ca, crl: m.crls, ...(m.passphrase !== undefined ? { passphrase: m.passphrase } : {}) });
}

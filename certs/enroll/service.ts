import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { createServer } from 'node:https';
import { isIP, type AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Registry } from 'prom-client';
import { createLogger, type Logger } from '../../common/log.js';
import { RuntimeError } from '../../common/errors.js';
import type { CertificateAuthority } from '../ca/authority.js';
import { IssuanceRefused, issueServiceCertificate, type IssuedCertificate } from '../ca/issue.js';
import { generateKeyPair, plainPrivateKeyPem, spkiDer } from '../ca/keys.js';
import { IdentityError } from '../identity.js';
import type { Pki } from '../pki.js';
import { crlRefreshDue, publishCrl } from '../revoke/publish.js';
import { TlsContextManager } from '../tls/context-manager.js';
import { CsrError } from '../x509/csr.js';
import { derFrom, pemBlocks } from '../x509/pem.js';
import { auditRefusal, enrollWithToken, isAuditableTokenRefusal, RenewalRefused, renewForPeer } from './enrollment.js';
import { HttpError, readJsonBody, sendJson, stringField } from './http.js';
import { RefusalLimit, type RefusalLimitOptions } from './refusal-limit.js';
import { TokenRefused } from './tokens.js';

export interface EnrollmentServiceOptions {
  pki: Pki;
  /** The issuing CA this service signs with (unlocked). */
  ca: CertificateAuthority;
  host: string;
  port: number;
  /** Host names and IPs for the service's own certificate (clients check them). */
  names: string[];
  /** Re-sign the CA's CRL when it is this old (default 1 day; its nextUpdate is 7+ days out). */
  crlRefreshMs?: number;
  /** How often to look at CRL age and at the service certificate (default 5 min). */
  maintenanceMs?: number;
  logger?: Logger;
  /** Prometheus registry for the TLS refusal counter and CRL freshness gauge. */
  registry?: Registry;
  /** How many refused enrollments and renewals an address may have (see refusal-limit.ts). */
  refusalLimit?: RefusalLimitOptions;
}

export interface EnrollmentService {
  url: string;
  port: number;
  tls: TlsContextManager;
  server: HttpsServer;
  /** Publishes a fresh CRL now (after a revocation in this process) and reloads TLS. */
  publishCrl(): Promise<void>;
  close(): Promise<void>;
}

const BODY_LIMIT = 64 * 1024;

/**
 * The HTTPS enrollment service:
 *   POST /v1/enroll  {token, csr}  first certificate, with a single-use token
 *   POST /v1/renew   {csr}         renewal over mTLS with the current certificate
 *   GET  /v1/ca                    the root CA certificate (PEM, in JSON)
 *   GET  /v1/crls                  every CA's current CRL (PEM, in JSON)
 *   GET  /crl/<ca>.crl             one CRL, DER (the CRL distribution point)
 *   GET  /healthz
 * Every refusal gets a status and {error} and is logged with its reason; a bad
 * request never stops the service. An address refused too often gets 429 on the
 * two POST routes for a while (refusal-limit.ts).
 */
export async function startEnrollmentService(opts: EnrollmentServiceOptions): Promise<EnrollmentService> {
  const { pki, ca } = opts;
  const logger = opts.logger ?? createLogger('certs.enroll');
  const actor = `service:${ca.name}`;
  const dnsNames = opts.names.filter((n) => !isIP(n));
  const ips = opts.names.filter((n) => isIP(n));
  if (dnsNames.length + ips.length === 0) throw new RuntimeError('the enrollment service needs at least one host name or IP for its certificate');

  // The service's own key lives only in memory; its certificate is renewed in place.
  let own = await issueOwnCertificate();
  async function issueOwnCertificate(): Promise<{ keyPem: string; chainPem: string; renewAt: number }> {
    const keys = await generateKeyPair('ec-p256');
    const cert = await issueServiceCertificate(pki, ca, { spki: spkiDer(keys.publicKey), subjectKey: keys.publicKey, dnsNames, ips, actor, lifetimeDays: pki.config.nodeCertificateDays });
    const now = Date.now();
    logger.info({ event: 'enroll.service-certificate', serial: cert.serial, notAfter: cert.notAfter }, 'issued the service TLS certificate');
    return { keyPem: plainPrivateKeyPem(keys.privateKey), chainPem: cert.pem + ca.certPem, renewAt: now + ((cert.notAfter.getTime() - now) * 2) / 3 };
  }

  const crlFiles = pki.allCaNames().map((n) => pki.caFiles(n).crl);
  const tls = await TlsContextManager.create(
    () => ({
      key: own.keyPem,
      cert: own.chainPem,
      ca: [pki.certPem('root')],
      crls: pki.allCaNames().flatMap((n) => pemBlocks(pki.crlPem(n)).map((b) => b.text)),
    }),
    { logger, watch: crlFiles, ...(opts.registry ? { registry: opts.registry } : {}) },
  );

  const server = createServer(tls.serverOptions(), (req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.error({ event: 'enroll.internal-error', err: (err as Error).message, stack: (err as Error).stack }, 'request failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });
  // Slow or stalled clients do not hold requests open for long.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  // A client certificate is optional here (enrollment has none yet): /v1/renew checks it per request.
  tls.attach(server, 'per-request');
  server.on('tlsClientError', (err, socket) => logger.debug({ event: 'enroll.tls-error', err: err.message, remote: socket.remoteAddress }, 'TLS handshake failed'));

  const refusals = new RefusalLimit(opts.refusalLimit);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const remote = req.socket.remoteAddress ?? 'unknown';
    const url = new URL(req.url ?? '/', 'https://service.invalid');
    const route = `${req.method} ${url.pathname}`;
    const limited = route === 'POST /v1/enroll' || route === 'POST /v1/renew';
    if (limited) {
      const wait = refusals.take(remote);
      if (wait > 0) {
        // Neither audited nor logged one by one: that is what an address past its allowance would flood.
        logger.debug({ event: 'enroll.throttled', route, remote, retryAfterS: wait }, 'too many refused requests from this address');
        res.setHeader('retry-after', String(wait));
        sendJson(res, 429, { error: `too many refused requests from this address: retry in ${wait} s` });
        req.resume();
        return;
      }
    }
    try {
      if (route === 'POST /v1/enroll') {
        await handleEnroll(req, res, remote);
        refusals.giveBack(remote);
        return;
      }
      if (route === 'POST /v1/renew') {
        await handleRenew(req, res, remote);
        refusals.giveBack(remote);
        return;
      }
      if (route === 'GET /v1/ca') return sendJson(res, 200, { ca: pki.certPem('root') });
      if (route === 'GET /v1/crls') return sendJson(res, 200, { crls: pki.allCaNames().map((n) => ({ ca: n, pem: pki.crlPem(n) })) });
      if (route === 'GET /healthz') return sendJson(res, 200, { ok: true });
      const crl = /^GET \/crl\/([a-z0-9-]+)\.crl$/.exec(route);
      if (crl && pki.allCaNames().includes(crl[1]!)) {
        const der = derFrom(pki.crlPem(crl[1]!), 'X509 CRL')!;
        res.writeHead(200, { 'content-type': 'application/pkix-crl', 'content-length': der.length });
        res.end(der);
        return;
      }
      throw new HttpError(['/v1/enroll', '/v1/renew'].includes(url.pathname) ? 405 : 404, `no route ${route}`);
    } catch (err) {
      const status = statusOf(err);
      if (status === 500) {
        if (limited) refusals.giveBack(remote); // the service's fault, not the client's
        throw err;
      }
      // (A refusal keeps what take() took.)
      if (limited && refusals.exhausted(remote)) logger.warn({ event: 'enroll.throttling', remote }, 'this address has been refused too often: its requests get 429 for a while');
      logger.warn({ event: 'enroll.refused', route, remote, status, reason: (err as Error).message }, `refused ${route}: ${(err as Error).message}`);
      sendJson(res, status, { error: (err as Error).message });
    }
  }

  async function handleEnroll(req: IncomingMessage, res: ServerResponse, remote: string): Promise<void> {
    const body = await readJsonBody(req, BODY_LIMIT);
    const token = stringField(body, 'token', 200);
    const csr = csrDer(stringField(body, 'csr', BODY_LIMIT));
    try {
      const issued = await enrollWithToken(pki, ca, { token, csr, remote });
      logger.info({ event: 'enroll.issued', serial: issued.serial, nodeId: issued.nodeId, role: issued.role, remote }, 'enrolled');
      sendJson(res, 201, certificateResponse(issued));
    } catch (err) {
      if (isAuditableTokenRefusal(err)) {
        await auditRefusal(pki, 'enroll.refuse', `enroll:${err.tokenId}@${remote}`, { tokenId: err.tokenId, reason: err.message }, new Date());
      }
      throw err;
    }
  }

  async function handleRenew(req: IncomingMessage, res: ServerResponse, remote: string): Promise<void> {
    let peer;
    try {
      peer = tls.authenticate(req.socket as TLSSocket);
    } catch (err) {
      if (err instanceof IdentityError) throw new HttpError(401, `renewal needs a valid current certificate: ${err.reason}`);
      throw err;
    }
    const body = await readJsonBody(req, BODY_LIMIT);
    const csr = csrDer(stringField(body, 'csr', BODY_LIMIT));
    const issued = await renewForPeer(pki, ca, { peer, csr, remote });
    logger.info({ event: 'enroll.renewed', serial: issued.serial, previous: peer.serial, nodeId: issued.nodeId, role: issued.role, remote }, 'renewed');
    sendJson(res, 201, certificateResponse(issued));
  }

  function certificateResponse(c: IssuedCertificate): Record<string, unknown> {
    return {
      serial: c.serial,
      nodeId: c.nodeId,
      role: c.role,
      notBefore: c.notBefore.toISOString(),
      notAfter: c.notAfter.toISOString(),
      certificate: c.pem,
      chain: c.pem + ca.certPem,
      ca: pki.certPem('root'),
    };
  }

  // Keeps the CRL within its refresh interval and the service's certificate fresh.
  const crlRefreshMs = opts.crlRefreshMs ?? 86_400_000;
  async function maintain(): Promise<void> {
    const now = new Date();
    if (crlRefreshDue(pki, ca.name, now, crlRefreshMs)) await publish('schedule');
    if (Date.now() >= own.renewAt) {
      own = await issueOwnCertificate();
      await tls.reload();
    }
  }
  async function publish(why: string): Promise<void> {
    const crl = await pki.exclusive(() => publishCrl(pki, ca, actor));
    logger.info({ event: 'crl.published', ca: crl.ca, number: crl.number, entries: crl.entries, nextUpdate: crl.nextUpdate, why }, 'published a fresh CRL');
    await tls.reload();
  }
  await maintain();
  const timer = setInterval(() => {
    maintain().catch((err: unknown) => logger.error({ event: 'enroll.maintenance-failed', err: (err as Error).message }, 'CRL or service certificate upkeep failed'));
  }, opts.maintenanceMs ?? 300_000);
  timer.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new RuntimeError(`enrollment service cannot listen on ${opts.host}:${opts.port}: ${err.code === 'EADDRINUSE' ? 'the port is in use' : err.message}`)),
    );
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = dnsNames[0] ?? (ips[0]!.includes(':') ? `[${ips[0]}]` : ips[0]!);
  logger.info({ event: 'enroll.listening', host: opts.host, port, ca: ca.name }, 'enrollment service listening');
  return {
    url: `https://${urlHost}:${port}`,
    port,
    tls,
    server,
    publishCrl: () => publish('requested'),
    close: async () => {
      clearInterval(timer);
      tls.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function csrDer(text: string): Buffer {
  const der = derFrom(text, 'CERTIFICATE REQUEST');
  if (!der) throw new CsrError('malformed CSR: expected a PEM "CERTIFICATE REQUEST" block');
  return der;
}

function statusOf(err: unknown): number {
  if (err instanceof HttpError) return err.status;
  if (err instanceof CsrError) return 400;
  if (err instanceof TokenRefused) return err.code === 'malformed' ? 400 : 403;
  if (err instanceof IssuanceRefused || err instanceof RenewalRefused) return 403;
  return 500;
}

import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { Registry } from 'prom-client';
import { TlsContextManager } from '../../certs/tls/context-manager.js';
import { RuntimeError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import { startMetricsEndpoint, type MetricsEndpoint } from '../../common/metrics.js';
import { packageRoot } from '../../common/paths.js';
import { SensorRegistry } from '../../collector/fleet/registry.js';
import { createEsClient } from '../../collector/index/client.js';
import { createRedis, probeRedisOnce } from '../../collector/streams/redis.js';
import type { ConsoleConfig } from '../config.js';
import { AlertStore } from './alerts/store.js';
import { TriageService } from './alerts/triage.js';
import { installConsoleTemplates } from './audit/templates.js';
import { AuditWriter } from './audit/writer.js';
import { LoginLimiter } from './auth/rate-limit.js';
import { SessionStore } from './auth/sessions.js';
import { SecretBox } from './auth/secret-box.js';
import { UserStore } from './auth/users.js';
import { CaseEscalation } from './cases/escalation.js';
import { CaseStore } from './cases/store.js';
import { Places } from './fleet/inventory.js';
import { SensorDirectory } from './fleet/sensors.js';
import { Topology } from './fleet/topology.js';
import { createApiHandler, sendJson } from './http/pipeline.js';
import { setSecurityHeaders } from './http/security-headers.js';
import { serveStatic } from './http/static.js';
import { LiveHub } from './live/hub.js';
import { AlertEventPublisher } from './live/publisher.js';
import { SocketServer } from './live/socket-server.js';
import { allRoutes, LIVE_ROUTE } from './routes/index.js';
import { SearchService } from './search/service.js';
import { ConsoleMetrics } from './metrics.js';
import type { ConsoleServices } from './services.js';

export interface RunningConsole {
  port: number;
  url: string;
  metricsUrl?: string;
  services: ConsoleServices;
  stop(): Promise<void>;
}

/** Where the built web client is looked for when the config names no webRoot. */
export const DEFAULT_WEB_ROOT = join(packageRoot, 'dist', 'console-web');

/**
 * One console instance: HTTPS (REST API, web client, WebSocket) with the certificate
 * from Chốt's PKI, reloaded when it is renewed. Sessions, users and the live feed are
 * in Redis, so any number of instances serve the same users side by side.
 */
export async function startConsole(cfg: ConsoleConfig, log: Logger, configFile = '(config)'): Promise<RunningConsole> {
  const instanceId = cfg.instanceId ?? `${hostname()}-${process.pid}`;
  const closers: Array<() => Promise<void> | void> = [];
  const stop = async (): Promise<void> => {
    for (const close of closers.reverse()) await close();
    closers.length = 0;
  };
  try {
    const registry = new Registry();
    const metrics = new ConsoleMetrics(registry);
    const es = createEsClient(cfg.elasticsearch, configFile);
    closers.push(() => es.close());
    await probeRedisOnce(cfg.redis).catch((err: Error) => {
      throw new RuntimeError(`cannot reach Redis at ${new URL(cfg.redis.url).host}: ${err.message}`);
    });
    const redis = createRedis(cfg.redis, `chot-console-${instanceId}`);
    closers.push(() => void redis.disconnect());
    const esPrefix = cfg.elasticsearch.indexPrefix;
    const kp = cfg.redis.keyPrefix;
    await installConsoleTemplates(es, esPrefix).catch((err: Error) => {
      throw new RuntimeError(`cannot install the console's index templates in Elasticsearch (${cfg.elasticsearch.url}): ${err.message}`);
    });

    const users = new UserStore(redis, kp, cfg.totpKeyFile ? SecretBox.fromFile(cfg.totpKeyFile) : undefined);
    const events = new AlertEventPublisher(redis, kp, cfg.live.streamMaxLen);
    const alerts = new AlertStore(es, esPrefix);
    const cases = new CaseStore(es, esPrefix);
    const places = Places.fromFile(cfg.inventoryFile);
    const sensors = new SensorDirectory(new SensorRegistry(redis, kp), 90_000);
    const svc: ConsoleServices = {
      cfg,
      esPrefix,
      es,
      redis,
      log,
      users,
      sessions: new SessionStore(redis, kp, users, { idleMs: cfg.sessions.idleMinutes * 60_000, absoluteMs: cfg.sessions.absoluteHours * 3_600_000 }),
      limiter: new LoginLimiter(redis, kp, { ...cfg.login, windowMs: cfg.login.windowMinutes * 60_000 }),
      audit: new AuditWriter(es, esPrefix, log, () => metrics.auditFailures.inc()),
      alerts,
      events,
      triage: new TriageService(alerts, events, new CaseEscalation(cases)),
      cases,
      search: new SearchService(es, esPrefix, cfg.search.pitKeepAlive),
      sensors,
      places,
      topology: new Topology(es, esPrefix, places, sensors),
    };

    const hub = new LiveHub(createRedis(cfg.redis, `chot-console-live-${instanceId}`), redis, events.stream, log);
    await hub.start();
    closers.push(() => hub.stop());
    const sockets = new SocketServer({ route: LIVE_ROUTE, hub, sessions: svc.sessions, users, allowedOrigins: cfg.allowedOrigins, limits: cfg.live, log });

    const api = createApiHandler({ routes: allRoutes(svc), sessions: svc.sessions, users, audit: svc.audit, allowedOrigins: cfg.allowedOrigins, log, metrics });
    const webRoot = resolve(cfg.webRoot ?? DEFAULT_WEB_ROOT);
    const passphrase = cfg.tls.passphraseFile ? readFileSync(cfg.tls.passphraseFile, 'utf8').trim() : undefined;
    const tls = await TlsContextManager.fromFiles({ ...cfg.tls, ...(passphrase ? { passphrase } : {}) }, { logger: log, registry });
    closers.push(() => tls.close());

    // Browsers bring no client certificate: the server is created here without asking for
    // one, and attached to the manager only so that a renewed certificate is picked up.
    const server: Server = createServer({ ...tls.secureContextOptions(), ca: undefined, crl: undefined }, (req, res) => {
      setSecurityHeaders(res);
      const url = new URL(req.url ?? '/', 'https://console.invalid');
      if (url.pathname === '/healthz') {
        sendJson(res, 200, { ok: true, instance: instanceId, liveClients: sockets.connections });
        return;
      }
      if (url.pathname.startsWith('/api/')) {
        void api(req, res, url);
        return;
      }
      serveStatic(webRoot, req, res, url.pathname);
    });
    tls.attach(server, 'per-request');
    server.on('upgrade', (req, socket, head) => sockets.handleUpgrade(req, socket, head));
    // Receiving a request (headers and body) must not take long; answering it (an export) may.
    server.headersTimeout = 20_000;
    server.requestTimeout = 60_000;
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(new RuntimeError(`console cannot listen on ${cfg.listen.host}:${cfg.listen.port}: ${err.code === 'EADDRINUSE' ? 'the port is in use (EADDRINUSE)' : err.message}`)),
      );
      server.listen(cfg.listen.port, cfg.listen.host, () => resolveListen());
    });
    // WebSockets first: an upgraded socket keeps the HTTPS server from closing.
    closers.push(async () => {
      await sockets.close();
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
    });
    const port = (server.address() as AddressInfo).port;

    const liveGauge = setInterval(() => metrics.liveClients.set(sockets.connections), 5_000);
    liveGauge.unref();
    closers.push(() => clearInterval(liveGauge));
    let metricsEndpoint: MetricsEndpoint | undefined;
    if (cfg.metrics) {
      metricsEndpoint = await startMetricsEndpoint({ role: 'console', host: cfg.metrics.host, port: cfg.metrics.port, registry });
      closers.push(() => metricsEndpoint!.close());
    }
    const host = cfg.listen.host.includes(':') ? `[${cfg.listen.host}]` : cfg.listen.host;
    log.info({ port, instanceId, webRoot }, 'console listening');
    return { port, url: `https://${host}:${port}`, ...(metricsEndpoint ? { metricsUrl: metricsEndpoint.url } : {}), services: svc, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

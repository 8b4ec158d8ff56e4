import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { RuntimeError } from './errors.js';

export interface MetricsEndpoint {
  registry: Registry;
  url: string;
  close(): Promise<void>;
}

/**
 * A Prometheus /metrics endpoint for a long-running role. Every role gets its own
 * registry (with process metrics and a `chot_role` label) so that several roles can
 * run in one test process without their counters mixing.
 */
export async function startMetricsEndpoint(opts: {
  role: string;
  host?: string;
  port: number;
  registry?: Registry;
}): Promise<MetricsEndpoint> {
  const registry = opts.registry ?? new Registry();
  registry.setDefaultLabels({ chot_role: opts.role });
  collectDefaultMetrics({ register: registry });
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/metrics' || req.url?.startsWith('/metrics?'))) {
      registry.metrics().then(
        (body) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(body);
        },
        (err: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(String(err));
        },
      );
      return;
    }
    if (req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok\n');
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found: try /metrics\n');
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new RuntimeError(
          `metrics endpoint cannot listen on ${host}:${opts.port}: ${err.code === 'EADDRINUSE' ? 'the port is in use (EADDRINUSE)' : err.message}`,
        ),
      ),
    );
    server.listen(opts.port, host, () => {
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  return {
    registry,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}/metrics`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A gauge set from read() whenever the registry is scraped (the measured code keeps plain numbers). */
export function scrapedGauge(registry: Registry, name: string, help: string, read: () => number): Gauge {
  return new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}

/**
 * A counter following a running total read() whenever the registry is scraped: moved on
 * by what the total grew since the last scrape (a total that goes back is not followed).
 */
export function scrapedTotal(registry: Registry, name: string, help: string, read: () => number): Counter {
  let seen = 0;
  return new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const v = read();
      if (v > seen) {
        this.inc(v - seen);
        seen = v;
      }
    },
  });
}

import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** What an operator watches on a console instance. */
export class ConsoleMetrics {
  readonly requests: Counter<'route' | 'status'>;
  readonly duration: Histogram<'route'>;
  readonly liveClients: Gauge;
  readonly auditFailures: Counter;

  constructor(registry: Registry) {
    this.requests = new Counter({ name: 'chot_console_requests_total', help: 'API requests by route and status', labelNames: ['route', 'status'], registers: [registry] });
    this.duration = new Histogram({ name: 'chot_console_request_seconds', help: 'API request duration by route', labelNames: ['route'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10], registers: [registry] });
    this.liveClients = new Gauge({ name: 'chot_console_live_clients', help: 'open live WebSocket connections', registers: [registry] });
    this.auditFailures = new Counter({ name: 'chot_console_audit_failures_total', help: 'audit entries that could not be written (their requests were refused)', registers: [registry] });
  }
}

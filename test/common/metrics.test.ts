import { Counter } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { startMetricsEndpoint } from '../../common/metrics.js';

describe('startMetricsEndpoint', () => {
  it('serves the role registry in Prometheus text format, with process metrics and the role label', async () => {
    const endpoint = await startMetricsEndpoint({ role: 'sensor', port: 0 });
    try {
      const packets = new Counter({ name: 'chot_test_packets_total', help: 'packets seen', registers: [endpoint.registry] });
      packets.inc(42);
      const res = await fetch(endpoint.url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/text\/plain/);
      const body = await res.text();
      expect(body).toMatch(/^chot_test_packets_total\{chot_role="sensor"\} 42$/m);
      expect(body).toMatch(/^process_cpu_seconds_total\{chot_role="sensor"\}/m);
      const missing = await fetch(endpoint.url.replace('/metrics', '/other'));
      expect(missing.status).toBe(404);
    } finally {
      await endpoint.close();
    }
  });

  it('keeps two roles in one process apart', async () => {
    const a = await startMetricsEndpoint({ role: 'collector', port: 0 });
    const b = await startMetricsEndpoint({ role: 'console', port: 0 });
    try {
      new Counter({ name: 'chot_only_in_a_total', help: 'x', registers: [a.registry] }).inc();
      expect(await (await fetch(a.url)).text()).toContain('chot_only_in_a_total');
      expect(await (await fetch(b.url)).text()).not.toContain('chot_only_in_a_total');
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('fails clearly when the port is taken', async () => {
    const a = await startMetricsEndpoint({ role: 'sensor', port: 0 });
    try {
      const port = Number(new URL(a.url).port);
      await expect(startMetricsEndpoint({ role: 'sensor', port })).rejects.toThrow(/metrics endpoint cannot listen on 127.0.0.1:\d+: the port is in use/);
    } finally {
      await a.close();
    }
  });
});

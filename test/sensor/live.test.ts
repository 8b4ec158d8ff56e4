/**
 * Live capture on the lab's WAN: the sensor captures the commune's WAN link with `cap`
 * (through `chot sensor run`'s runLive) while a lab/traffic capture is injected into that
 * link; the records must equal the ground truth. Needs root (network namespaces); skipped
 * otherwise.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../common/log.js';
import { injectFrames, labDown, labUp, type Lab } from '../../lab/net/index.js';
import { frames, writeCapture, type Truth } from '../../lab/traffic/generate.js';
import { createAppAnalyzer } from '../../sensor/app/index.js';
import { SensorConfigSchema } from '../../sensor/config.js';
import { runLive } from '../../sensor/run.js';

const canRun = process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v ip']).status === 0;
const prefix = 'chsl';
const dir = mkdtempSync(join(tmpdir(), 'chot-live-'));
// The routers' own IPv6 housekeeping (solicitations, MLD) crosses the link too; it is not
// part of the traffic sent, so the capture leaves it out.
const NOT_LAB_HOUSEKEEPING = 'not arp and not (ip6 and (src net fe80::/10 or dst net ff00::/8))';

describe.skipIf(!canRun)("live capture on the lab's commune WAN link with cap", () => {
  let lab: Lab;
  let capIf: string;
  beforeAll(async () => {
    lab = await labUp({ prefix, stateDir: join(dir, 'lab') });
    capIf = lab.captureInterface('commune');
  }, 120_000);
  afterAll(async () => {
    await labDown({ prefix, stateDir: join(dir, 'lab') });
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('records equal the ground truth of the traffic sent', async () => {
    const pcap = join(dir, 'live.pcap');
    const truth: Truth = await writeCapture(pcap, { seed: 5, packets: 4_000, scenarios: false, concurrency: 40 });
    const out = join(dir, 'records.ndjson');
    const cfg = SensorConfigSchema.parse({
      interfaces: [{ name: capIf, snaplen: 65535, bufferMb: 32, bpf: NOT_LAB_HOUSEKEEPING }],
      metrics: { port: 0 },
      output: { format: 'ndjson', file: out },
    });
    const stop = new AbortController();
    let metricsUrl = '';
    const running = runLive(cfg, {
      log: createLogger('sensor-test'),
      analyzers: createAppAnalyzer,
      signal: stop.signal,
      onReady: (i) => (metricsUrl = i.metricsUrl),
    });
    while (metricsUrl === '') await new Promise((r) => setTimeout(r, 50));
    // Injected at 8x the capture's pace (at most ~8 s): inter-packet timing, and so every timer, keeps its order.
    const span = truth.capture.last_ts - truth.capture.ts;
    const sent = await injectFrames(capIf, frames({ seed: 5, packets: 4_000, scenarios: false, concurrency: 40 }), { pace: Math.max(1, Math.ceil(span / 8)) });
    // Every frame goes out, full-size tagged and labelled ones included (the WAN takes baby giants).
    expect([sent.sent, sent.rejected, sent.firstRejection]).toEqual([truth.capture.packets, 0, undefined]);
    // Until the capture has caught up (libpcap hands packets over in blocks).
    let metrics = '';
    for (let i = 0, last = -1; i < 40; i++) {
      await new Promise((res) => setTimeout(res, 250));
      metrics = await (await fetch(metricsUrl)).text();
      const n = Number(new RegExp(`chot_sensor_packets_total\\{[^}]*\\} (\\d+)`).exec(metrics)?.[1] ?? -1);
      if (n >= truth.capture.packets || n === last) break;
      last = n;
    }
    stop.abort();
    await running;

    const captured = Number(new RegExp(`chot_sensor_packets_total\\{[^}]*interface="${capIf}"[^}]*\\} (\\d+)`).exec(metrics)?.[1]);
    expect(captured).toBe(truth.capture.packets);
    expect(metrics).toContain('chot_sensor_active_flows');
    // The kernel's own count, read from cap's socket: nothing lost at this rate.
    expect(metrics).toMatch(new RegExp(`chot_sensor_dropped_total\\{interface="${capIf}",where="kernel"[^}]*\\} 0\n`));
    const docs = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, Record<string, unknown>>);
    const finals = docs.filter((d) => d.event!.action === 'connection-end');
    const key = (t: string, a: unknown, b: unknown, c: unknown, d: unknown) => `${t} ${String(a)} ${String(b)} ${String(c)} ${String(d)}`;
    const byKey = new Map<string, Record<string, Record<string, unknown>>[]>();
    for (const d of finals) {
      const k = key(String(d.network!.transport), d.source!.ip, d.source!.port, d.destination!.ip, d.destination!.port);
      byKey.set(k, [...(byKey.get(k) ?? []), d]);
    }
    const problems: string[] = [];
    for (const f of truth.flows) {
      const list = byKey.get(key(f.proto === 'icmp6' ? 'icmp' : f.proto, f.orig_h, f.orig_p, f.resp_h, f.resp_p)) ?? [];
      const pk = list.reduce((a, d) => a + Number(d.source!.packets), 0);
      const rp = list.reduce((a, d) => a + Number(d.destination!.packets), 0);
      const ob = list.reduce((a, d) => a + Number(d.source!.bytes), 0);
      const rb = list.reduce((a, d) => a + Number(d.destination!.bytes), 0);
      const one = list[0];
      const z = one?.zeek as Record<string, Record<string, unknown>> | undefined;
      if (list.length === 0) problems.push(`${f.uid}: missing`);
      else if (pk !== f.orig_pkts || rp !== f.resp_pkts || ob !== f.orig_ip_bytes || rb !== f.resp_ip_bytes) problems.push(`${f.uid}: packets/bytes ${pk}/${rp}/${ob}/${rb} vs ${f.orig_pkts}/${f.resp_pkts}/${f.orig_ip_bytes}/${f.resp_ip_bytes}`);
      else if (list.length === 1 && (z!.connection!.state !== f.conn_state || z!.connection!.history !== f.history)) problems.push(`${f.uid}: ${String(z!.connection!.state)} ${String(z!.connection!.history)} vs ${f.conn_state} ${f.history}`);
      else if (list.length === 1 && (one!.network!.protocol ?? '') !== f.service) problems.push(`${f.uid}: service ${String(one!.network!.protocol)} vs ${f.service}`);
    }
    expect(problems.slice(0, 10)).toEqual([]);
    expect(finals.length).toBeGreaterThanOrEqual(truth.flows.length);
  }, 120_000);
});

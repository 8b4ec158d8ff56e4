/**
 * `chot sensor run`: one capture and one pipeline per configured interface
 * (connections never span links; an interface may be a capture file replayed
 * at its own pace, see capture/replay.ts), records to the configured file (and to
 * the uplink, when one is handed in), and a Prometheus endpoint with packets,
 * drops, active flows, records and weirds. Ends cleanly on SIGINT/SIGTERM:
 * captures stop, every open connection is written, files are closed.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { startMetricsEndpoint } from '../common/metrics.js';
import type { Logger } from '../common/log.js';
import type { AnalyzerFactory } from './app/analyzer.js';
import { LiveCapture } from './capture/live.js';
import { FileReplay } from './capture/replay.js';
import type { CaptureStats, PacketSource } from './capture/source.js';
import type { SensorConfig } from './config.js';
import { NdjsonOutput } from './output/ndjson-output.js';
import { ZeekDirOutput, type AppLogFactory } from './output/zeek-dir.js';
import { Pipeline, type RecordOutput } from './pipeline.js';
import { PopulationDataPolicyChecker } from './policy/population-data.js';
import type { ConnRecord } from './record.js';

export interface LiveOptions {
  log: Logger;
  analyzers?: AnalyzerFactory;
  appLogs?: AppLogFactory;
  /** More destinations for records (the uplink). */
  outputs?: RecordOutput[];
  /** Stops the sensor when aborted (tests); otherwise SIGINT/SIGTERM do. */
  signal?: AbortSignal;
  /** Called once capture is running on every interface, with the metrics URL. */
  onReady?: (info: { metricsUrl: string }) => void;
  /** Adds metrics of its own to the sensor's /metrics (the uplink's spool). */
  registerMetrics?: (registry: Registry) => void;
  /** Handed a reader of the live counters (for the uplink's heartbeats). */
  onStats?: (read: () => LiveStats) => void;
}

/** Totals over every captured interface, as heartbeats report them. */
export interface LiveStats {
  uptimeS: number;
  packets: number;
  /** Kernel drops of the links whose count is known (see captureDropsUnknown). */
  captureDropsKernel: number;
  captureDropsInterface: number;
  /** Links whose kernel drops cannot be counted (the packet socket statistics addon missing or failing): reported, never taken as 0. */
  captureDropsUnknown: number;
  activeFlows: number;
}

/** The links' counters summed, as heartbeats report them: a link whose kernel drops are unknown is counted as such, never as 0. */
export function liveTotals(uptimeS: number, links: readonly { capture: CaptureStats; activeFlows: number }[]): LiveStats {
  const t: LiveStats = { uptimeS, packets: 0, captureDropsKernel: 0, captureDropsInterface: 0, captureDropsUnknown: 0, activeFlows: 0 };
  for (const l of links) {
    const s = l.capture;
    t.packets += s.received;
    if (s.droppedKernel === undefined) t.captureDropsUnknown++;
    else t.captureDropsKernel += s.droppedKernel;
    t.captureDropsInterface += s.droppedInterface ?? 0;
    t.activeFlows += l.activeFlows;
  }
  return t;
}

interface Link {
  name: string;
  capture: PacketSource & { open(): void };
  pipeline: Pipeline;
  /** The link's clock, for timers while no packet comes: the wall clock, or a replayed file's own. */
  now(): { sec: number; nsec: number } | undefined;
  /** A replayed file that has ended (its connections are all recorded). */
  ended?: boolean;
}

/** The packet source of a configured interface: a live device, or a capture file replayed at its pace. */
function openSource(itf: SensorConfig['interfaces'][number], log: Logger): { name: string; capture: Link['capture']; now: Link['now'] } {
  if (itf.kind === 'file') {
    const replay = new FileReplay(itf.file, itf.pace, itf.name);
    replay.open();
    return { name: replay.name, capture: replay, now: () => replay.now() };
  }
  const capture = new LiveCapture({ device: itf.name, bpf: itf.bpf, snaplen: itf.snaplen, bufferMb: itf.bufferMb });
  capture.open();
  if (capture.kernelCountersUnavailable) log.warn({ interface: itf.name, reason: capture.kernelCountersUnavailable }, 'kernel drop counts unavailable for this capture');
  return { name: itf.name, capture, now: () => capture.now() };
}

/** Shares one output between pipelines, closing it once. */
class Shared implements RecordOutput {
  private users = 0;
  constructor(private readonly inner: RecordOutput) {}
  use(): RecordOutput {
    this.users++;
    return {
      record: (r: ConnRecord) => this.inner.record(r),
      connWeird: this.inner.connWeird?.bind(this.inner),
      packetWeird: this.inner.packetWeird?.bind(this.inner),
      close: () => {
        if (--this.users === 0) this.inner.close?.();
      },
    };
  }
  record(r: ConnRecord): void {
    this.inner.record(r);
  }
}

function registerMetrics(registry: Registry, links: Link[]): void {
  const seen = new Map<string, number>();
  const advance = (c: Counter<string>, key: string, labels: Record<string, string>, value: number | undefined) => {
    // Unknown stays absent; a known zero is shown as 0, so "none lost" differs from "cannot tell".
    if (value === undefined) return;
    const k = `${(c as unknown as { name: string }).name}|${key}`;
    const prev = seen.get(k);
    if (prev === undefined) c.inc(labels, value);
    else if (value > prev) c.inc(labels, value - prev);
    seen.set(k, Math.max(prev ?? 0, value));
  };
  const packets = new Counter({
    name: 'chot_sensor_packets_total',
    help: 'Packets captured, per interface',
    labelNames: ['interface'],
    registers: [registry],
    collect() {
      for (const l of links) advance(this, l.name, { interface: l.name }, l.capture.stats().received);
    },
  });
  void packets;
  new Counter({
    name: 'chot_sensor_dropped_total',
    help: 'Packets lost before the sensor saw them: by the kernel (its capture buffer full), by the interface (driver), or cut to the snaplen (truncated)',
    labelNames: ['interface', 'where'],
    registers: [registry],
    collect() {
      for (const l of links) {
        const s = l.capture.stats();
        advance(this, `${l.name}|interface`, { interface: l.name, where: 'interface' }, s.droppedInterface);
        advance(this, `${l.name}|kernel`, { interface: l.name, where: 'kernel' }, s.droppedKernel);
        advance(this, `${l.name}|truncated`, { interface: l.name, where: 'truncated' }, s.truncated);
      }
    },
  });
  new Gauge({
    name: 'chot_sensor_active_flows',
    help: 'Connections in the flow table',
    labelNames: ['interface'],
    registers: [registry],
    collect() {
      for (const l of links) this.set({ interface: l.name }, l.pipeline.table.size);
    },
  });
  new Counter({
    name: 'chot_sensor_records_total',
    help: 'Connection records produced (rate() gives records/s)',
    labelNames: ['interface', 'kind'],
    registers: [registry],
    collect() {
      for (const l of links) {
        const t = l.pipeline.table.stats;
        advance(this, `${l.name}|final`, { interface: l.name, kind: 'final' }, t.records);
        advance(this, `${l.name}|interim`, { interface: l.name, kind: 'interim' }, t.interims);
      }
    },
  });
  let lastRecords = 0;
  let lastAt = performance.now();
  new Gauge({
    name: 'chot_sensor_records_per_second',
    help: 'Connection records per second since the previous scrape',
    registers: [registry],
    collect() {
      const total = links.reduce((a, l) => a + l.pipeline.table.stats.records + l.pipeline.table.stats.interims, 0);
      const now = performance.now();
      const dt = (now - lastAt) / 1000;
      this.set(dt > 0 ? (total - lastRecords) / dt : 0);
      lastRecords = total;
      lastAt = now;
    },
  });
  new Counter({
    name: 'chot_sensor_flow_evictions_total',
    help: 'Connections ended early because the flow table was full',
    labelNames: ['interface'],
    registers: [registry],
    collect() {
      for (const l of links) advance(this, l.name, { interface: l.name }, l.pipeline.table.stats.evicted);
    },
  });
  new Counter({
    name: 'chot_sensor_packets_after_record_total',
    help: 'Packets of TCP connections seen after their record was written at their close (retransmitted FINs and ACKs): counted, not recorded',
    labelNames: ['interface'],
    registers: [registry],
    collect() {
      for (const l of links) advance(this, l.name, { interface: l.name }, l.pipeline.table.stats.afterRecord);
    },
  });
  new Counter({
    name: 'chot_sensor_weird_total',
    help: 'Anomalies ("weirds", as Zeek names them), by name',
    labelNames: ['interface', 'name'],
    registers: [registry],
    collect() {
      for (const l of links) for (const [name, n] of Object.entries(l.pipeline.weirds.snapshot())) advance(this, `${l.name}|${name}`, { interface: l.name, name }, n);
    },
  });
}

export async function runLive(cfg: SensorConfig, opts: LiveOptions): Promise<void> {
  const { log } = opts;
  const file: RecordOutput | undefined =
    cfg.output.format === 'zeek'
      ? cfg.output.dir !== undefined
        ? new ZeekDirOutput(cfg.output.dir, opts.appLogs)
        : undefined
      : cfg.output.file !== undefined
        ? new NdjsonOutput(cfg.output.file)
        : undefined;
  const shared = [...(file ? [file] : []), ...(opts.outputs ?? [])].map((o) => new Shared(o));
  const policy = new PopulationDataPolicyChecker(cfg.populationData.services, cfg.populationData.enforcers);
  const links: Link[] = [];
  try {
    for (const itf of cfg.interfaces) {
      const source = openSource(itf, log);
      const pipeline = new Pipeline({
        outputs: shared.map((s) => s.use()),
        analyzers: opts.analyzers,
        policy,
        decoder: { verifyIpChecksum: cfg.decode.verifyIpChecksum, verifyTransportChecksums: cfg.decode.verifyTransportChecksums, tunnels: cfg.decode.tunnels, vxlanPorts: cfg.decode.vxlanPorts },
        flows: { maxFlows: cfg.flows.maxFlows, interimSec: cfg.flows.interimSec, timeouts: cfg.flows.timeouts, communityIdSeed: cfg.flows.communityIdSeed, uidSeed: cfg.flows.uidSeed, recordAt: cfg.flows.recordAt },
      });
      links.push({ ...source, pipeline });
    }
  } catch (err) {
    for (const l of links) l.capture.stop();
    throw err;
  }
  const metrics = await startMetricsEndpoint({ role: 'sensor', host: cfg.metrics.host, port: cfg.metrics.port });
  registerMetrics(metrics.registry, links);
  opts.registerMetrics?.(metrics.registry);
  let stopping = false;
  const runs = links.map(async (l) => {
    try {
      await l.capture.run(l.pipeline);
    } catch (err) {
      log.error({ interface: l.name, err: (err as Error).message }, 'capture failed');
    }
    if (stopping || !(l.capture instanceof FileReplay)) return;
    // A replayed file has ended: every connection is recorded now, as `sensor read` does at the
    // end of a file; the outputs stay open (the uplink drains) until the sensor is stopped.
    l.pipeline.table.flush();
    l.ended = true;
    log.info({ interface: l.name, packets: l.capture.stats().received, records: l.pipeline.table.stats.records }, 'capture file done: every connection recorded; running until stopped');
  });
  const startedAt = Date.now();
  opts.onStats?.(() => {
    return liveTotals((Date.now() - startedAt) / 1000, links.map((l) => ({ capture: l.capture.stats(), activeFlows: l.pipeline.table.size })));
  });
  // A quiet link must still time out its connections: time passes without packets.
  const ticker = setInterval(() => {
    for (const l of links) {
      const t = l.ended ? undefined : l.now();
      if (t !== undefined) l.pipeline.tick(t.sec, t.nsec);
    }
  }, 1000);
  log.info({ interfaces: links.map((l) => l.name), metrics: metrics.url }, 'sensor capturing');
  opts.onReady?.({ metricsUrl: metrics.url });

  await new Promise<void>((resolveStop) => {
    const stop = () => resolveStop();
    if (opts.signal) {
      if (opts.signal.aborted) stop();
      opts.signal.addEventListener('abort', stop, { once: true });
    } else {
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    }
  });
  clearInterval(ticker);
  stopping = true;
  for (const l of links) l.capture.stop();
  await Promise.all(runs);
  for (const l of links) {
    l.pipeline.finish();
    const s = l.capture.stats();
    log.info({ interface: l.name, packets: s.received, droppedKernel: s.droppedKernel, droppedInterface: s.droppedInterface, records: l.pipeline.table.stats.records }, 'capture stopped');
  }
  await metrics.close();
}

import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { identityFromPeerCertificate } from '../../certs/identity.js';
import { pemBlocks } from '../../certs/x509/pem.js';
import { RuntimeError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import { version } from '../../common/version.js';
import type { RecordOutput } from '../pipeline.js';
import type { ConnRecord } from '../record.js';
import { RecordBatcher } from './batcher.js';
import { UplinkClient } from './client.js';
import type { UplinkConfig } from './config.js';
import type { SensorStats } from './protocol.js';
import { registerUplinkMetrics } from './metrics.js';
import { Spool } from './spool.js';
import type { Registry } from 'prom-client';

/**
 * A heartbeat's stats. The fields newer than some collectors (whose schema is strict,
 * and which refuse a heartbeat with a field they do not know) are sent only when they
 * have something to say, so that a newer sensor's heartbeats reach an older collector
 * while nothing is wrong (absent means 0).
 */
export function heartbeatStats(s: SensorStats): SensorStats {
  const out = { ...s };
  if (out.captureDropsUnknown === 0) delete out.captureDropsUnknown;
  if (out.spoolSyncErrors === 0) delete out.spoolSyncErrors;
  return out;
}

function read(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new RuntimeError(`cannot read the uplink ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/**
 * The uplink as a destination for the sensor's records: each record is batched into the
 * spool (so nothing is lost if no collector answers) and streamed from there.
 */
export class UplinkOutput implements RecordOutput {
  private readonly spool: Spool;
  private readonly batcher: RecordBatcher;
  readonly client: UplinkClient;
  private recordsOut = 0;
  private closing: Promise<void> | undefined;

  constructor(cfg: UplinkConfig, private readonly log: Logger, sensorStats: () => Omit<SensorStats, 'version' | 'spoolBatches' | 'spoolBytes' | 'spoolDropped' | 'spoolSyncErrors' | 'recordsOut' | 'certNotAfter'>) {
    const cert = read(cfg.tls.certFile, 'certificate');
    const leaf = pemBlocks(cert).find((b) => b.label === 'CERTIFICATE');
    if (!leaf) throw new RuntimeError(`${cfg.tls.certFile}: no certificate in it`);
    // Our own identity, read from our certificate; the collector checks it again on its side.
    const identity = identityFromPeerCertificate(new X509Certificate(leaf.text), { roles: ['sensor'] });
    this.spool = new Spool({
      dir: cfg.spool.dir,
      maxBytes: cfg.spool.maxMb * 1024 * 1024,
      fsync: cfg.spool.fsync,
      onSyncError: (err, what) => log.error({ dir: cfg.spool.dir, what, code: err.code, err: err.message }, 'spool fsync failed: batches written before it may not survive a crash of this machine'),
    });
    const tls = {
      key: read(cfg.tls.keyFile, 'key'),
      cert,
      ca: pemBlocks(read(cfg.tls.caFile, 'CA file')).filter((b) => b.label === 'CERTIFICATE').map((b) => b.text),
      crls: cfg.tls.crlFiles.flatMap((f) => pemBlocks(read(f, 'CRL file')).map((b) => b.text)),
    };
    this.client = new UplinkClient({
      collectors: cfg.collectors,
      tls,
      sensorId: identity.nodeId,
      spool: this.spool,
      log,
      heartbeatMs: cfg.heartbeatSeconds * 1000,
      compressionLevel: cfg.compressionLevel,
      reconnectSpreadMs: cfg.reconnectSpreadSeconds * 1000,
      stats: () => {
        const s = this.spool.stats();
        return heartbeatStats({ ...sensorStats(), version, recordsOut: this.recordsOut, spoolBatches: s.depthBatches, spoolBytes: s.depthBytes, spoolDropped: s.droppedBatches, spoolSyncErrors: s.syncErrors, certNotAfter: identity.notAfter.toISOString() });
      },
    });
    this.batcher = new RecordBatcher(this.spool, () => this.client.pump(), { maxRecords: cfg.batch.maxRecords, maxBytes: 1024 * 1024, maxDelayMs: cfg.batch.maxDelayMs });
    this.client.start();
  }

  record(r: ConnRecord): void {
    this.recordsOut++;
    this.batcher.add(r);
  }

  /** Flushes the last batch into the spool; unsent batches stay there for the next start. */
  /** Flushes the last batch, gives the collector a moment to take what is queued, then stops; the rest waits in the spool. */
  closeAsync(drainMs = 5000): Promise<void> {
    this.closing ??= (async () => {
      this.batcher.flush();
      this.client.pump();
      const before = this.spool.stats();
      this.log.info({ pendingBatches: before.depthBatches, connected: this.client.connected }, 'uplink draining before stop');
      if (this.client.connected && !this.client.idle) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, drainMs);
          this.client.once('idle', () => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      await this.client.stop();
      const left = this.spool.stats().depthBatches;
      this.log[left ? 'warn' : 'info']({ pendingBatches: left }, left ? 'uplink stopped; unsent batches stay in the spool for the next start' : 'uplink stopped; everything delivered');
      this.spool.close();
    })();
    return this.closing;
  }

  close(): void {
    void this.closeAsync();
  }

  /** Puts the spool's and the connection's figures on the sensor's /metrics. */
  registerMetrics(registry: Registry): void {
    registerUplinkMetrics(registry, this.spool, () => this.client.connected);
  }
}

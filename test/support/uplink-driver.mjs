// A stand-in sensor process for fault tests: spools N deterministic records once, then
// streams them with the real uplink until every batch is acknowledged, and exits 0.
// Killed and started again with the same spool, it only replays (it never re-produces).
// Usage: node uplink-driver.mjs CONFIG.json   ({spoolDir, collectors, tls, sensorId, records, batch, paceMs})
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { UplinkClient } from '../../dist/sensor/uplink/client.js';
import { Spool } from '../../dist/sensor/uplink/spool.js';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const log = pino({ level: process.env.CHOT_LOG_LEVEL ?? 'warn' }, pino.destination(2));
const spool = new Spool({ dir: cfg.spoolDir, maxBytes: 1 << 30, fsync: 'always' });
const produced = join(cfg.spoolDir, 'produced');

function record(i) {
  const tsSec = cfg.tsSec;
  return {
    ts: tsSec + i / 1e6, tsSec, tsNsec: i * 1000, uid: `C${cfg.uidPrefix}${i.toString(36).padStart(7, '0')}`,
    origH: `198.18.10.${(i % 200) + 1}`, origP: 1024 + (i % 60000), respH: '198.18.0.10', respP: 8443, proto: 'tcp', ipProto: 6, service: 'ssl',
    duration: 0.1, durationNs: 100_000_000, origBytes: i, respBytes: 2 * i, connState: 'SF', missedBytes: 0, history: 'ShADadFf',
    origPkts: 5, origIpBytes: 500, respPkts: 5, respIpBytes: 900, tunnelParents: [], mplsLabels: [], interim: false, evicted: false, weirds: [],
  };
}

if (!existsSync(produced)) {
  for (let b = 0; b * cfg.batch < cfg.records; b++) {
    const recs = [];
    for (let i = b * cfg.batch; i < Math.min(cfg.records, (b + 1) * cfg.batch); i++) recs.push(record(i));
    spool.append(Buffer.from(JSON.stringify(recs)));
  }
  writeFileSync(produced, String(cfg.records));
}
const stats = () => ({ version: 'driver', uptimeS: process.uptime(), packets: 0, captureDropsKernel: 0, captureDropsInterface: 0, activeFlows: 0, recordsOut: cfg.records, spoolBatches: spool.stats().depthBatches, spoolBytes: spool.stats().depthBytes, spoolDropped: spool.stats().droppedBatches });
const uplink = new UplinkClient({ collectors: cfg.collectors, tls: cfg.tls, sensorId: cfg.sensorId, spool, log, stats, window: cfg.window ?? 4, backoffBaseMs: 200, backoffMaxMs: 2000, reconnectSpreadMs: 0, heartbeatMs: 1000 });
uplink.on('ack', () => process.stdout.write(`acked ${spool.stats().depthBatches}\n`));
uplink.on('idle', async () => {
  await uplink.stop();
  spool.close();
  process.stdout.write('idle\n');
  process.exit(0);
});
uplink.on('ready', () => {
  if (uplink.idle) uplink.emit('idle');
});
uplink.start();

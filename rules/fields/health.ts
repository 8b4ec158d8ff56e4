/** Sensor health fields: one observation of a sensor by a collector. */
import { FIELDS, bool, num, str } from './table.js';
import type { TestTarget } from './target.js';
import type { View } from './view.js';

const K = ['health'] as const;
const hr = (v: View) => v.health!;
const st = (v: View) => v.health!.stats;

function stats(t: TestTarget) {
  return (t.health.stats ??= { version: 'test', uptimeS: 3600, packets: 1_000_000, captureDropsKernel: 0, captureDropsInterface: 0, activeFlows: 100, recordsOut: 10_000, spoolBatches: 0, spoolBytes: 0, spoolDropped: 0 });
}

FIELDS.add('chot.sensor.last_seen', 'number', { unit: 'ms', doc: 'when the sensor was last heard from, ms since the epoch' }, K, 'lastSeenMs', (v) => hr(v).lastSeenMs, (t, x) => (t.health.lastSeenMs = num(x)));
FIELDS.add('chot.sensor.silent_seconds', 'number', { unit: 's', doc: 'seconds since the sensor was last heard from' }, K, 'tsMs - lastSeenMs', (v) => Math.max(0, (hr(v).tsMs - hr(v).lastSeenMs) / 1000), (t, x) => (t.health.lastSeenMs = t.health.tsMs - num(x) * 1000));
FIELDS.add('chot.sensor.connected', 'bool', { card: 'low', doc: 'whether a collector holds its connection' }, K, 'connected', (v) => hr(v).connected, (t, x) => (t.health.connected = bool(x)));
FIELDS.add('chot.sensor.version', 'string', { card: 'low', doc: 'sensor software version' }, K, 'stats.version', (v) => st(v)?.version, (t, x) => (stats(t).version = str(x)));
FIELDS.add('chot.sensor.uptime_seconds', 'number', { unit: 's', doc: 'seconds since the sensor started' }, K, 'stats.uptimeS', (v) => st(v)?.uptimeS, (t, x) => (stats(t).uptimeS = num(x)));
FIELDS.add('chot.sensor.capture.packets', 'number', { doc: 'packets captured since start' }, K, 'stats.packets', (v) => st(v)?.packets, (t, x) => (stats(t).packets = num(x)));
FIELDS.add('chot.sensor.capture.drops_kernel', 'number', { doc: 'packets the kernel dropped since start' }, K, 'stats.captureDropsKernel', (v) => st(v)?.captureDropsKernel, (t, x) => (stats(t).captureDropsKernel = num(x)));
FIELDS.add('chot.sensor.capture.drops_interface', 'number', { doc: 'packets the interface dropped since start' }, K, 'stats.captureDropsInterface', (v) => st(v)?.captureDropsInterface, (t, x) => (stats(t).captureDropsInterface = num(x)));
FIELDS.add('chot.sensor.capture.drops_unknown', 'number', { doc: 'capture links whose kernel drops the sensor cannot count (left out of the drop figures)' }, K, 'stats.captureDropsUnknown', (v) => st(v)?.captureDropsUnknown, (t, x) => (stats(t).captureDropsUnknown = num(x)));
FIELDS.add('chot.sensor.capture.drops', 'number', { doc: 'kernel plus interface drops since start' }, K, 'stats', (v) => (st(v) === undefined ? undefined : st(v)!.captureDropsKernel + st(v)!.captureDropsInterface));
FIELDS.add('chot.sensor.capture.drop_ratio', 'number', { doc: 'drops / (packets + drops) since start, 0..1' }, K, 'stats', (v) => {
  const s = st(v);
  if (s === undefined) return undefined;
  const drops = s.captureDropsKernel + s.captureDropsInterface;
  return drops === 0 ? 0 : drops / (s.packets + drops);
});
FIELDS.add('chot.sensor.flows.active', 'number', { doc: 'connections tracked now' }, K, 'stats.activeFlows', (v) => st(v)?.activeFlows, (t, x) => (stats(t).activeFlows = num(x)));
FIELDS.add('chot.sensor.spool.batches', 'number', { doc: 'batches waiting in the spool' }, K, 'stats.spoolBatches', (v) => st(v)?.spoolBatches, (t, x) => (stats(t).spoolBatches = num(x)));
FIELDS.add('chot.sensor.spool.bytes', 'number', { unit: 'bytes', doc: 'bytes waiting in the spool' }, K, 'stats.spoolBytes', (v) => st(v)?.spoolBytes, (t, x) => (stats(t).spoolBytes = num(x)));
FIELDS.add('chot.sensor.spool.dropped', 'number', { doc: 'batches the spool dropped (full)' }, K, 'stats.spoolDropped', (v) => st(v)?.spoolDropped, (t, x) => (stats(t).spoolDropped = num(x)));
FIELDS.add('chot.sensor.spool.sync_errors', 'number', { doc: "the spool's failed fsyncs since start (batches may not survive a crash)" }, K, 'stats.spoolSyncErrors', (v) => st(v)?.spoolSyncErrors, (t, x) => (stats(t).spoolSyncErrors = num(x)));
FIELDS.add('chot.sensor.lag_seconds', 'number', { unit: 's', doc: 'how far behind live the sensor runs' }, K, 'stats.lagS', (v) => st(v)?.lagS, (t, x) => (stats(t).lagS = num(x)));
FIELDS.add('chot.sensor.certificate.not_after', 'string', { card: 'medium', doc: "the sensor certificate's notAfter (ISO 8601)" }, K, 'certNotAfter', (v) => hr(v).certNotAfter ?? st(v)?.certNotAfter, (t, x) => (t.health.certNotAfter = str(x)));
FIELDS.add('chot.sensor.certificate.expires_in_days', 'number', { doc: 'days until the sensor certificate expires (negative: expired)' }, K, 'certNotAfter', (v) => {
  const na = hr(v).certNotAfter ?? st(v)?.certNotAfter;
  if (na === undefined) return undefined;
  const t = Date.parse(na);
  return Number.isNaN(t) ? undefined : (t - hr(v).tsMs) / 86_400_000;
}, (t, x) => (t.health.certNotAfter = new Date(t.health.tsMs + num(x) * 86_400_000).toISOString()));

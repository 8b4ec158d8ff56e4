import { Counter, Gauge, Registry } from 'prom-client';

/** The collector's metrics; rates come from counters (Prometheus derives per-second). */
export class CollectorMetrics {
  readonly batchesIn: Counter<'outcome'>;
  readonly recordsIn: Counter;
  readonly recordsIndexed: Counter;
  readonly deadLettered: Counter;
  readonly esErrors: Counter<'status'>;
  readonly connectedSensors: Gauge;
  readonly refusedConnections: Counter<'reason'>;
  readonly streamPending: Gauge<'group'>;
  readonly streamLength: Gauge;
  readonly streamLagSeconds: Gauge<'group'>;
  readonly throttledMs: Counter;
  readonly recordsDetected: Counter;
  readonly alerts: Counter<'outcome'>;
  readonly detectionSeconds: Counter;
  readonly detectionFailures: Counter;
  readonly rulesLoaded: Gauge;

  constructor(readonly registry: Registry) {
    const r = [registry];
    this.batchesIn = new Counter({ name: 'chot_collector_batches_total', help: 'batches received, by outcome (stored, duplicate, rejected)', labelNames: ['outcome'], registers: r });
    this.recordsIn = new Counter({ name: 'chot_collector_records_in_total', help: 'records stored durably in Redis', registers: r });
    this.recordsIndexed = new Counter({ name: 'chot_collector_records_indexed_total', help: 'records indexed in Elasticsearch (created or found already there)', registers: r });
    this.deadLettered = new Counter({ name: 'chot_collector_dead_letters_total', help: 'documents Elasticsearch refused, kept in the dead-letter index', registers: r });
    this.esErrors = new Counter({ name: 'chot_collector_es_errors_total', help: 'failed Elasticsearch bulk attempts (0 = unreachable)', labelNames: ['status'], registers: r });
    this.connectedSensors = new Gauge({ name: 'chot_collector_connected_sensors', help: 'sensors connected to this instance', registers: r });
    this.refusedConnections = new Counter({ name: 'chot_collector_refused_connections_total', help: 'sensor connections refused, by reason', labelNames: ['reason'], registers: r });
    this.streamPending = new Gauge({ name: 'chot_collector_stream_pending', help: 'entries delivered to a group and not yet acknowledged', labelNames: ['group'], registers: r });
    this.streamLength = new Gauge({ name: 'chot_collector_stream_length', help: 'entries held in the record streams', registers: r });
    this.streamLagSeconds = new Gauge({ name: 'chot_collector_stream_lag_seconds', help: 'age of the oldest entry a group has not finished', labelNames: ['group'], registers: r });
    this.throttledMs = new Counter({ name: 'chot_collector_throttled_ms_total', help: 'time sensors were paused by the rate limit', registers: r });
    this.recordsDetected = new Counter({ name: 'chot_collector_records_detected_total', help: 'records run through the detection rules', registers: r });
    this.alerts = new Counter({ name: 'chot_collector_alerts_total', help: 'alert writes by outcome (created, existed, updated, orphaned)', labelNames: ['outcome'], registers: r });
    this.detectionSeconds = new Counter({ name: 'chot_collector_detection_seconds_total', help: 'time spent in the rules engine', registers: r });
    this.detectionFailures = new Counter({ name: 'chot_collector_detection_failed_batches_total', help: 'batches the rules fail on every time: skipped by detection (indexed all the same), recorded with the reason in the det:failed stream', registers: r });
    this.rulesLoaded = new Gauge({ name: 'chot_collector_rules_loaded', help: 'rules running in this instance', registers: r });
  }
}

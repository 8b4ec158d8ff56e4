/**
 * What the engine reads. Connection records and their application views (DNS, TLS,
 * HTTP, SSH) come from the sensor (sensor/record.ts); the enforcer's connection log and
 * the sensor health observations are defined here, minimally, until their streams land:
 * the engine and the rule language already accept them.
 */
import type { SensorStats } from '../sensor/uplink/protocol.js';

/**
 * The record kinds a rule can read. dns/tls/http/ssh are connection records seen through
 * their application metadata: a `dns` rule runs once per DNS transaction of a record.
 */
export const RECORD_KINDS = ['connection', 'dns', 'tls', 'http', 'ssh', 'enforcer', 'health'] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

/** Kinds that are views of a ConnRecord (they share the connection fields). */
export const CONN_KINDS: ReadonlySet<RecordKind> = new Set(['connection', 'dns', 'tls', 'http', 'ssh']);

/**
 * One connection through an enforcer (the mutual-TLS gateway in front of a
 * population-data service), as its audit log will describe it.
 */
export interface EnforcerRecord {
  /** When the client connected, seconds since the epoch. */
  ts: number;
  /** Connection id, unique per enforcer. */
  uid: string;
  clientIp: string;
  clientPort: number;
  /** The population-data service the client asked for, by its configured name. */
  service: string;
  upstreamIp?: string;
  upstreamPort?: number;
  decision: 'allowed' | 'refused';
  /** Why it was refused: 'no_client_certificate', 'unknown_ca', 'certificate_revoked', 'certificate_expired', 'not_authorized', 'upstream_unreachable', ... */
  reason?: string;
  tlsVersion?: string;
  clientCert?: { subject?: string; issuer?: string; serial?: string; sha256?: string; notAfter?: number };
  bytesIn?: number;
  bytesOut?: number;
  durationMs?: number;
}

/**
 * One observation of a sensor's health, made by a collector from the fleet registry
 * (heartbeats): fed to the engine periodically for every sensor, so a rule can notice
 * silence, capture drops and certificates near expiry.
 */
export interface HealthRecord {
  sensorId: string;
  /** The sensor's node id in the inventory ("01/001/00001"). */
  node: string;
  /** When the observation was made (the collector's clock), ms since the epoch. */
  tsMs: number;
  /** Last time the sensor was heard from, ms since the epoch. */
  lastSeenMs: number;
  connected?: boolean;
  stats?: SensorStats;
  /** The sensor certificate's notAfter, ISO 8601 (from the registry or the heartbeat). */
  certNotAfter?: string;
}

/** Where a batch of connection records came from: the stream entry's identity. */
export interface BatchContext {
  sensorId: string;
  /** The batch sequence number: evidence ids are `${sensorId}:${seq}:${position}`, as the indexer writes them. */
  seq: number;
  /** The node id (from the sensor certificate), for observer.* fields. */
  node: string;
}

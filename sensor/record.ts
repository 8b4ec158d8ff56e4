/**
 * The flow record: one connection as Zeek's conn.log describes it, plus the
 * labels, tunnel parents, policy verdict and application metadata Chốt adds.
 * This is the type other modules (collector, rules, console) import.
 * Field names are the Zeek ones in camelCase; output/ndjson.ts maps them to
 * ECS, output/conn-log.ts to Zeek's columns.
 */
import type { AppMetadata } from './app/analyzer.js';
import type { ConnState } from './flow/conn-state.js';

export type { ConnState };
export type Transport = 'tcp' | 'udp' | 'icmp' | 'unknown_transport';

export interface PopulationDataPolicy {
  /** The configured population-data service this connection reached. */
  service: string;
  /** 'tls' when a TLS handshake was seen, 'plaintext' when payload was seen without one, 'unknown' otherwise. */
  transport: 'tls' | 'plaintext' | 'unknown';
  tlsVersion?: string;
  /** Whether the client presented a certificate (visible up to TLS 1.2; TLS 1.3 hides it: undefined). */
  clientCertificate?: boolean;
  /** Whether the client address is one of the configured enforcers (the mutual-TLS gateway). */
  viaEnforcer: boolean;
  /** True when this path bypasses mutual TLS: not through an enforcer, or not TLS, or no client certificate. */
  bypass: boolean;
}

export interface ConnRecord {
  /** Time of the first packet, seconds since the epoch (microsecond precision, as Zeek logs it). */
  ts: number;
  /** The same instant, exact: seconds and nanoseconds. */
  tsSec: number;
  tsNsec: number;
  /** Unique connection id, Zeek style ("C..."); interim records share their connection's uid. */
  uid: string;
  origH: string;
  origP: number;
  respH: string;
  respP: number;
  proto: Transport;
  /** IP protocol number (6, 17, 1, 58, or another for unknown_transport). */
  ipProto: number;
  /** Application protocol confirmed from the payload ('dns', 'ssl', 'http', 'ssh'...), undefined when none was. */
  service: string | undefined;
  /** Last packet minus first, in seconds and exactly in nanoseconds. */
  duration: number;
  durationNs: number;
  /** Payload bytes each way (TCP: from sequence numbers, so retransmissions are not counted twice). */
  origBytes: number;
  respBytes: number;
  connState: ConnState;
  /** Bytes in content gaps (acknowledged but never seen: packet loss before the sensor). */
  missedBytes: number;
  history: string;
  origPkts: number;
  origIpBytes: number;
  respPkts: number;
  respIpBytes: number;
  /** Uids of the encapsulating connections (VXLAN, GRE/ERSPAN, IP-in-IP), outermost last. */
  tunnelParents: readonly string[];
  /** 802.1Q ids of the first packet (outer, inner). */
  vlan: number | undefined;
  innerVlan: number | undefined;
  /** Every MPLS label seen on the connection, either direction, in order of appearance. */
  mplsLabels: readonly number[];
  communityId: string | undefined;
  /** True for the periodic records of a connection still in progress. */
  interim: boolean;
  /** True when the flow table was full and this connection was ended early to make room. */
  evicted: boolean;
  /** Connection-level weirds seen (names), for rules that care. */
  weirds: readonly string[];
  app: AppMetadata | undefined;
  policy: PopulationDataPolicy | undefined;
}

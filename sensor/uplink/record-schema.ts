import { z } from 'zod';
import { CONN_STATES } from '../flow/conn-state.js';

/**
 * The flow record as it travels on the uplink, checked field by field at the collector:
 * a sensor is trusted with its measurements, never with the shape of what it sends.
 * Strings are bounded so one record cannot carry megabytes; app metadata is checked for
 * shape and size here and read by the modules that understand it.
 */
const host = z.string().min(2).max(45).regex(/^[0-9a-fA-F.:]+$/, 'an IPv4 or IPv6 address');
const port = z.number().int().min(0).max(65535);
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const policySchema = z.strictObject({
  service: z.string().max(200),
  transport: z.enum(['tls', 'plaintext', 'unknown']),
  tlsVersion: z.string().max(32).optional(),
  clientCertificate: z.boolean().optional(),
  viaEnforcer: z.boolean(),
  bypass: z.boolean(),
});

export const connRecordSchema = z.strictObject({
  ts: z.number().min(0),
  tsSec: count,
  tsNsec: z.number().int().min(0).max(999_999_999),
  uid: z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/),
  origH: host,
  origP: port,
  respH: host,
  respP: port,
  proto: z.enum(['tcp', 'udp', 'icmp', 'unknown_transport']),
  ipProto: z.number().int().min(0).max(255),
  service: z.string().max(64).optional(),
  duration: z.number().min(0),
  durationNs: count,
  origBytes: count,
  respBytes: count,
  connState: z.enum(CONN_STATES),
  missedBytes: count,
  history: z.string().max(256),
  origPkts: count,
  origIpBytes: count,
  respPkts: count,
  respIpBytes: count,
  tunnelParents: z.array(z.string().max(64)).max(8),
  vlan: z.number().int().min(0).max(4095).optional(),
  innerVlan: z.number().int().min(0).max(4095).optional(),
  mplsLabels: z.array(z.number().int().min(0).max(1_048_575)).max(16),
  communityId: z.string().max(64).optional(),
  interim: z.boolean(),
  evicted: z.boolean(),
  weirds: z.array(z.string().max(64)).max(64),
  app: z.record(z.string(), z.unknown()).optional(),
  policy: policySchema.optional(),
});

export type WireConnRecord = z.infer<typeof connRecordSchema>;

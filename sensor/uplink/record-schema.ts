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

const HOST = /^[0-9a-fA-F.:]+$/;
const UID = /^[A-Za-z0-9_-]+$/;
const PROTOS: ReadonlySet<unknown> = new Set(['tcp', 'udp', 'icmp', 'unknown_transport']);
const STATES: ReadonlySet<unknown> = new Set(CONN_STATES);
/** How many fields every record has; the loop below counts the ones it checked. */
const REQUIRED_KEYS = Object.values(connRecordSchema.shape).filter((s) => !s.safeParse(undefined).success).length;
const appSchema = connRecordSchema.shape.app.unwrap();

const isHost = (v: unknown): boolean => typeof v === 'string' && v.length >= 2 && v.length <= 45 && HOST.test(v);
const isInt = (v: unknown, min: number, max: number): boolean => Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max;
const isCount = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;
const isNonNegative = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isShortString = (v: unknown, max: number): boolean => typeof v === 'string' && v.length <= max;
function isArrayOf(v: unknown, max: number, item: (x: unknown) => boolean): boolean {
  if (!Array.isArray(v) || v.length > max) return false;
  for (const x of v) if (!item(x)) return false;
  return true;
}
const isTunnelParent = (x: unknown): boolean => isShortString(x, 64);
const isMplsLabel = (x: unknown): boolean => isInt(x, 0, 1_048_575);

/**
 * The same verdict as `connRecordSchema` for a record that passes it, at a fraction of the
 * cost (the collector checks every record of every batch). It may say false for a record
 * the schema would accept, never true for one it would refuse: a false sends the record
 * to the schema itself, which also gives the reason. test/collector/record-check.test.ts
 * holds the two to the same answers.
 */
export function passesConnRecordSchema(v: unknown): boolean {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const r = v as Record<string, unknown>;
  let required = 0;
  for (const key in r) {
    const x = r[key];
    switch (key) {
      case 'ts':
      case 'duration':
        if (!isNonNegative(x)) return false;
        break;
      case 'tsSec':
      case 'durationNs':
      case 'origBytes':
      case 'respBytes':
      case 'missedBytes':
      case 'origPkts':
      case 'origIpBytes':
      case 'respPkts':
      case 'respIpBytes':
        if (!isCount(x)) return false;
        break;
      case 'tsNsec':
        if (!isInt(x, 0, 999_999_999)) return false;
        break;
      case 'uid':
        if (!(typeof x === 'string' && x.length >= 1 && x.length <= 64 && UID.test(x))) return false;
        break;
      case 'origH':
      case 'respH':
        if (!isHost(x)) return false;
        break;
      case 'origP':
      case 'respP':
        if (!isInt(x, 0, 65535)) return false;
        break;
      case 'proto':
        if (!PROTOS.has(x)) return false;
        break;
      case 'ipProto':
        if (!isInt(x, 0, 255)) return false;
        break;
      case 'connState':
        if (!STATES.has(x)) return false;
        break;
      case 'history':
        if (!isShortString(x, 256)) return false;
        break;
      case 'tunnelParents':
        if (!isArrayOf(x, 8, isTunnelParent)) return false;
        break;
      case 'mplsLabels':
        if (!isArrayOf(x, 16, isMplsLabel)) return false;
        break;
      case 'interim':
      case 'evicted':
        if (typeof x !== 'boolean') return false;
        break;
      case 'weirds':
        if (!isArrayOf(x, 64, isTunnelParent)) return false;
        break;
      // The optional fields: absent keys never reach this loop.
      case 'service':
        if (!isShortString(x, 64)) return false;
        continue;
      case 'communityId':
        if (!isShortString(x, 64)) return false;
        continue;
      case 'vlan':
      case 'innerVlan':
        if (!isInt(x, 0, 4095)) return false;
        continue;
      case 'app':
        if (!appSchema.safeParse(x).success) return false;
        continue;
      case 'policy':
        if (!policySchema.safeParse(x).success) return false;
        continue;
      default:
        return false;
    }
    required++;
  }
  return required === REQUIRED_KEYS;
}

/**
 * The sensor's configuration file (YAML or JSON), validated with zod so that a
 * mistake is reported as "FILE: key.path: what was expected" before anything starts.
 */
import { z } from 'zod';
import { loadConfigFile } from '../common/config.js';
import { parseCidr } from './policy/population-data.js';
import { uplinkConfigSchema } from './uplink/config.js';

const port = z.number().int().min(0).max(65535);
const seconds = z.number().positive();

const cidr = z.string().refine(
  (s) => {
    try {
      parseCidr(s);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'expected an IPv4/IPv6 address or CIDR, like 10.1.0.0/16' },
);

/** A live link, captured with libpcap. */
export const DeviceInputSchema = z.strictObject({
  kind: z.literal('device'),
  /** Device name (e.g. "eth1", or a lab veth). */
  name: z.string().min(1),
  /** BPF filter, in pcap-filter syntax. */
  bpf: z.string().optional(),
  /** Bytes kept per packet (headers and the first payload bytes are all the analyzers need). */
  snaplen: z.number().int().min(64).max(262144).default(65535),
  /** Kernel capture buffer, MiB: what absorbs bursts while the sensor is busy. */
  bufferMb: z.number().int().min(1).max(4096).default(64),
});

/**
 * A capture file replayed as a link (tests, demonstrations, re-feeding a recorded
 * incident): the same pipeline, uplink and metrics as a live link, with the file's
 * own timestamps. At its end every connection is recorded and the sensor keeps
 * running (the uplink drains) until it is stopped.
 */
export const FileInputSchema = z.strictObject({
  kind: z.literal('file'),
  /** A pcap or pcapng file. */
  file: z.string().min(1),
  /** Name in logs and metrics (default: the file's path). */
  name: z.string().min(1).optional(),
  /** "realtime" as captured, "topspeed" without waiting, or a speed-up factor (2: twice as fast as captured). */
  pace: z
    .union([z.literal('realtime'), z.literal('topspeed'), z.number().positive().max(1e6)], {
      error: 'expected "realtime", "topspeed" or a speed-up factor (a number above 0, like 10)',
    })
    .default('realtime'),
});

/** An entry of `interfaces`: a device (`name`) or, when it has a `file` key, a capture file. */
export const InterfaceSchema = z.preprocess(
  (v) => (v !== null && typeof v === 'object' && !Array.isArray(v) && !('kind' in v) ? { ...v, kind: 'file' in v ? 'file' : 'device' } : v),
  z.discriminatedUnion('kind', [DeviceInputSchema, FileInputSchema]),
);

export type DeviceInput = z.infer<typeof DeviceInputSchema>;
export type FileInput = z.infer<typeof FileInputSchema>;

export const SensorConfigSchema = z.strictObject({
  /** Name shown in logs and metrics; the uplink identity comes from the certificate, not from here. */
  name: z.string().min(1).default('sensor'),
  interfaces: z.array(InterfaceSchema).min(1),
  flows: z
    .strictObject({
      maxFlows: z.number().int().min(1000).max(50_000_000).default(1_000_000),
      /** Seconds between interim records of long connections; 0 turns them off. */
      interimSec: z.number().min(0).default(60),
      timeouts: z
        .strictObject({
          tcpInactivity: seconds.default(300),
          udpInactivity: seconds.default(60),
          icmpInactivity: seconds.default(60),
          otherInactivity: seconds.default(60),
          tcpAttempt: seconds.default(5),
          tcpClose: seconds.default(5),
        })
        .prefault({}),
      communityIdSeed: z.number().int().min(0).max(65535).default(0),
      /** Seed of the connection uids: random when absent; fixed, a replayed file gets the same uids every time. */
      uidSeed: z.number().int().min(0).max(0x7fffffff).optional(),
      /**
       * When a closed TCP connection's record is written: 'close' as soon as the close
       * completes (detection sees it at once; stragglers within the close delay are
       * counted, not recorded), 'close-delay' after the close delay, as Zeek does.
       */
      recordAt: z.enum(['close', 'close-delay']).default('close'),
    })
    .prefault({}),
  decode: z
    .strictObject({
      verifyIpChecksum: z.boolean().default(true),
      /**
       * Verify TCP and UDP checksums as Zeek does (decode/checksum.ts). Off by default on live
       * capture: a host whose NIC or veth offloads checksums hands the capture its own outgoing
       * packets with partial checksums, which would all look corrupt (bad_TCP_checksum, 'C' in
       * the history, and nothing of them counted). That is why Zeek deployments, Security Onion
       * among them, run live capture with checksums ignored. `chot sensor read` keeps verifying
       * by default, as `zeek -r` does (--no-checksums turns it off).
       */
      verifyTransportChecksums: z.boolean().default(false),
      tunnels: z.boolean().default(true),
      vxlanPorts: z.array(port).default([4789]),
    })
    .prefault({}),
  populationData: z
    .strictObject({
      services: z
        .array(
          z.strictObject({
            name: z.string().min(1),
            cidrs: z.array(cidr).min(1),
            ports: z.array(port).default([]),
          }),
        )
        .default([]),
      /** Addresses of the enforcers (the mutual-TLS gateways): connections from them are the sanctioned path. */
      enforcers: z.array(cidr).default([]),
    })
    .prefault({}),
  metrics: z
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port: port.default(9464),
    })
    .prefault({}),
  /** Where records are streamed: collectors over mutual TLS, with an on-disk spool. Absent: file output only. */
  uplink: uplinkConfigSchema.optional(),
  output: z
    .strictObject({
      /** Where records go while (and besides) the uplink: an NDJSON file, or a directory of Zeek logs. */
      format: z.enum(['ndjson', 'zeek']).default('ndjson'),
      file: z.string().min(1).optional(),
      dir: z.string().min(1).optional(),
    })
    .prefault({}),
});

export type SensorConfig = z.infer<typeof SensorConfigSchema>;

export function loadSensorConfig(file: string): SensorConfig {
  return loadConfigFile(file, SensorConfigSchema);
}

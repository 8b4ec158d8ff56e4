import { join } from 'node:path';
import { packageRoot } from '../../common/paths.js';
import { describeFailure, run } from './commands.js';
import type { LabRecord } from './state.js';
import type { Family, HostName } from './topology.js';

export const CLIENT_SCRIPT = join(packageRoot, 'lab', 'net', 'service-client.mjs');

export interface ServiceRequest {
  /** The lab host the request leaves from (default client1, so it crosses every router). */
  from?: HostName;
  path?: string;
  family?: Family;
  /** 'lab' presents the lab's client certificate, 'none' none, or give another pair of files. */
  clientCertificate?: 'lab' | 'none' | { cert: string; key: string };
  timeoutMs?: number;
}

export interface ServiceReply {
  /** The server answered over HTTPS (whatever the status). */
  ok: boolean;
  status?: number;
  body?: string;
  /** Why there was no answer, e.g. ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED. */
  code?: string;
  error?: string;
}

/** One HTTPS request to the population-data service, made from inside a lab namespace. */
export async function requestService(lab: LabRecord, req: ServiceRequest = {}): Promise<ServiceReply> {
  const svc = lab.service;
  const host = req.family === 6 ? `[${svc.ipv6}]` : svc.ipv4;
  const url = `https://${host}:${svc.port}${req.path ?? '/healthz'}`;
  const timeoutMs = req.timeoutMs ?? 5_000;
  const identity = req.clientCertificate ?? 'lab';
  const certArgs =
    identity === 'none' ? [] : identity === 'lab' ? ['--cert', svc.clientCert, '--key', svc.clientKey] : ['--cert', identity.cert, '--key', identity.key];
  const namespace = lab.plan.hosts[req.from ?? 'client1'].namespace;
  const r = await run(
    ['ip', 'netns', 'exec', namespace, process.execPath, CLIENT_SCRIPT, '--url', url, '--ca', svc.caCert, ...certArgs, '--timeout-ms', String(timeoutMs)],
    // Node's own start-up comes on top of the request's time limit.
    { timeoutMs: timeoutMs + 10_000 },
  );
  const last = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as ServiceReply;
  } catch {
    return { ok: false, error: `the lab's HTTPS client ${describeFailure(r)}` };
  }
}

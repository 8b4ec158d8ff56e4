import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { UsageError } from '../../common/errors.js';
import { run, type RunOptions, type RunResult } from './commands.js';
import { requestService, type ServiceReply, type ServiceRequest } from './service-request.js';
import type { LabRecord } from './state.js';
import { hostAddress, isHostName, isRouterName, type Family, type HostName, type HostPlan, type RouterName } from './topology.js';

export type ExecOptions = RunOptions;

export interface ServiceEndpoint {
  ipv4: string;
  ipv6: string;
  port: number;
  /** The lab CA that signed both the service's and the client's certificates. */
  caCert: string;
  clientCert: string;
  clientKey: string;
  /** The service's log: one JSON line per request and per refused handshake. */
  log: string;
  pid: number;
}

/** A running lab, as `up` built it and lab.json records it. */
export class Lab {
  constructor(readonly record: LabRecord) {}

  get prefix(): string {
    return this.record.prefix;
  }

  get stateDir(): string {
    return this.record.stateDir;
  }

  get hosts(): HostName[] {
    return Object.keys(this.record.plan.hosts) as HostName[];
  }

  host(name: HostName): HostPlan {
    if (!isHostName(name)) throw new UsageError(`no lab host "${String(name)}": hosts are ${this.hosts.join(', ')}`);
    return this.record.plan.hosts[name];
  }

  namespace(host: HostName): string {
    return this.host(host).namespace;
  }

  /** The host's main address: a LAN host's lan0, a router's wan0, the dc's service address. */
  address(host: HostName, family: Family = 4): string {
    this.host(host);
    return hostAddress(this.record.plan, host, family);
  }

  /** The root-namespace interface that sees every frame the router sends or receives on its WAN. */
  captureInterface(router: RouterName): string {
    if (!isRouterName(router)) throw new UsageError(`"${String(router)}" has no capture interface: routers are commune, district, province`);
    return this.record.plan.captureInterfaces[router];
  }

  get service(): ServiceEndpoint {
    const s = this.record.service;
    return { ipv4: s.ipv4, ipv6: s.ipv6, port: s.port, caCert: s.caCert, clientCert: s.clientCert, clientKey: s.clientKey, log: s.log, pid: s.pid };
  }

  /** Runs a command inside a host's namespace to completion (killed at the time limit, default 15 s). */
  exec(host: HostName, argv: readonly string[], opts: ExecOptions = {}): Promise<RunResult> {
    if (argv.length === 0) throw new UsageError('exec needs a command');
    return run(['ip', 'netns', 'exec', this.namespace(host), ...argv], opts);
  }

  /**
   * Starts a long-running command inside a host's namespace. Its PID is the command's own
   * (`ip netns exec` execs in place); the caller stops it, and `down` stops any it left.
   */
  spawn(host: HostName, argv: readonly string[], opts: { stdio?: StdioOptions; env?: NodeJS.ProcessEnv } = {}): ChildProcess {
    if (argv.length === 0) throw new UsageError('spawn needs a command');
    return spawn('ip', ['netns', 'exec', this.namespace(host), ...argv], { stdio: opts.stdio ?? 'pipe', env: opts.env ?? process.env });
  }

  /** One HTTPS request to the population-data service from inside the lab (default: from client1, with the lab client certificate). */
  requestService(req: ServiceRequest = {}): Promise<ServiceReply> {
    return requestService(this.record, req);
  }
}

import type { FlowFactory } from '../flow-factory.js';
import type { ClientPool } from '../network.js';
import { dnsTunnel } from './dns-tunnel.js';
import { exfiltration } from './exfil.js';
import { hostSweep } from './host-sweep.js';
import { popdataNoClientCert, popdataPlaintext } from './popdata-misuse.js';
import { portScan } from './port-scan.js';
import type { ScenarioPlan } from './scenario.js';
import { sshBruteforce } from './ssh-bruteforce.js';

/**
 * Every scenario, placed at fixed fractions of the capture's timeline so that each is
 * surrounded by benign traffic. Each draws on its own random stream: adding or changing
 * one does not move the others.
 */
export function planScenarios(f: FlowFactory, clients: ClientPool, spanNs: number, exfilBytes: number): ScenarioPlan[] {
  const at = (fraction: number): number => Math.round(spanNs * fraction);
  return [
    portScan(f.forked('port_scan'), at(0.12)),
    hostSweep(f.forked('host_sweep'), at(0.22)),
    sshBruteforce(f.forked('ssh_bruteforce'), at(0.3)),
    exfiltration(f.forked('exfil'), clients, at(0.45), exfilBytes),
    dnsTunnel(f.forked('dns_tunnel'), clients, at(0.55)),
    popdataPlaintext(f.forked('popdata_plaintext'), clients, at(0.1), spanNs * 0.7),
    popdataNoClientCert(f.forked('popdata_no_client_cert'), clients, at(0.15), spanNs * 0.7),
  ];
}

import { ATTACKER_V4, SCAN_TARGET_V4 } from '../addresses.js';
import type { FlowFactory } from '../flow-factory.js';
import type { Flow } from '../flows/flow.js';
import { host } from '../network.js';
import type { ScenarioPlan } from './scenario.js';

const US = 1_000;
const OPEN_PORTS = [22, 80, 443];
const FILTERED_PORTS = [135, 139, 445, 593];

/**
 * A SYN scan (nmap -sS) of one host's ports 1-1000 in random order from one source port:
 * closed ports answer RST-ACK (REJ), open ones SYN-ACK and the scanner's kernel resets
 * (RSTO, history ShR), filtered ones never answer (S0).
 */
export function portScan(f: FlowFactory, start: number): ScenarioPlan {
  const rng = f.ctx.rng;
  const attacker = host(ATTACKER_V4, 'linux');
  const target = host(SCAN_TARGET_V4, 'linux');
  const ports = Array.from({ length: 1000 }, (_, i) => i + 1);
  for (let i = ports.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [ports[i], ports[j]] = [ports[j]!, ports[i]!];
  }
  const sourcePort = f.ctx.ports.allocate(attacker);
  const link = f.link(attacker);
  const flows: Flow[] = [];
  let t = start;
  let closed = 0;
  for (const port of ports) {
    const script = f.tcpScript(attacker, target, { rttNs: 600 * US, bitsPerSecond: 1e9 });
    const open = OPEN_PORTS.includes(port);
    const filtered = FILTERED_PORTS.includes(port);
    if (open) script.probedOpen();
    else if (filtered) script.unanswered(0);
    else {
      script.refused();
      closed++;
    }
    flows.push(f.tcp({ scenario: 'port_scan', service: '', client: attacker, server: target, clientPort: sourcePort, serverPort: port, start: t, script, link, serverSynchronizes: open }));
    t += 400 * US + rng.float() * 800 * US;
  }
  return {
    tag: 'port_scan',
    description: 'SYN scan of ports 1-1000 on one host from one source port',
    sources: [attacker.addr],
    targets: [target.addr],
    ports: [...ports].sort((a, b) => a - b),
    details: { open_ports: OPEN_PORTS, filtered_ports: FILTERED_PORTS, closed_ports: closed, probes: ports.length },
    flows,
  };
}

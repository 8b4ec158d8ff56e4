import { ATTACKER_V4, SWEEP_NETWORK_V4, ipv4InPrefix } from '../addresses.js';
import type { FlowFactory } from '../flow-factory.js';
import type { Flow } from '../flows/flow.js';
import { SERVERS, host } from '../network.js';
import type { ScenarioPlan } from './scenario.js';

const MS = 1_000_000;
const PORT = 445;

/**
 * One source probing one port (SMB, 445) on every address of a /24: most addresses are
 * empty and never answer (S0), live hosts without SMB refuse (REJ), a few accept and the
 * scanner resets (RSTO).
 */
export function hostSweep(f: FlowFactory, start: number): ScenarioPlan {
  const rng = f.ctx.rng;
  const attacker = host(ATTACKER_V4, 'linux');
  const known = new Set([...SERVERS.app, ...SERVERS.web, ...SERVERS.resolvers, ...SERVERS.routers].map((s) => s.v4.addr));
  const sourcePort = f.ctx.ports.allocate(attacker);
  const link = f.link(attacker);
  const flows: Flow[] = [];
  const targets: string[] = [];
  const outcome = { silent: 0, refused: 0, open: 0 };
  let t = start;
  for (let n = 1; n <= 254; n++) {
    const addr = ipv4InPrefix(SWEEP_NETWORK_V4, n);
    const target = host(addr, 'windows');
    const live = known.has(addr) || rng.chance(0.12);
    const open = live && rng.chance(0.2);
    const script = f.tcpScript(attacker, target, { rttNs: 4 * MS, bitsPerSecond: 1e9 });
    if (!live) {
      script.unanswered(0);
      outcome.silent++;
    } else if (open) {
      script.probedOpen();
      outcome.open++;
    } else {
      script.refused();
      outcome.refused++;
    }
    flows.push(f.tcp({ scenario: 'host_sweep', service: '', client: attacker, server: target, clientPort: sourcePort, serverPort: PORT, start: t, script, link, serverSynchronizes: open }));
    targets.push(addr);
    t += 5 * MS + rng.float() * 10 * MS;
  }
  return {
    tag: 'host_sweep',
    description: `SYN probe of port ${PORT} on every address of ${SWEEP_NETWORK_V4}`,
    sources: [attacker.addr],
    targets,
    ports: [PORT],
    details: { hosts: targets.length, unanswered: outcome.silent, refused: outcome.refused, accepted: outcome.open },
    flows,
  };
}

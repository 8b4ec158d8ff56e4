import { ATTACKER_V4 } from '../addresses.js';
import type { FlowFactory } from '../flow-factory.js';
import type { Flow } from '../flows/flow.js';
import { SERVERS, host } from '../network.js';
import { sshSession } from '../sessions/ssh.js';
import type { ScenarioPlan } from './scenario.js';

const MS = 1_000_000;
const SESSIONS = 60;
const ATTEMPTS_PER_SESSION = 3;

/**
 * Password guessing against one SSH server (hydra-style, several connections at once):
 * many short sessions from one source, each with the banner exchange, key exchange and
 * three failed passwords, then the client closes.
 */
export function sshBruteforce(f: FlowFactory, start: number): ScenarioPlan {
  const rng = f.ctx.rng;
  const attacker = host(ATTACKER_V4, 'linux');
  const target = SERVERS.ssh.v4;
  const flows: Flow[] = [];
  let t = start;
  for (let k = 0; k < SESSIONS; k++) {
    const flow = sshSession(f, {
      client: attacker,
      server: target,
      clientSoftware: 'libssh_0.10.6',
      serverSoftware: 'OpenSSH_9.2p1 Debian-2+deb12u3',
      attempts: ATTEMPTS_PER_SESSION,
      loggedIn: false,
      keystrokes: 0,
      ending: 'fin-client',
      start: t,
      scenario: 'ssh_bruteforce',
    });
    if (flow) flows.push(flow);
    t += 1200 * MS + rng.float() * 800 * MS;
  }
  return {
    tag: 'ssh_bruteforce',
    description: `${SESSIONS} SSH sessions from one source, ${ATTEMPTS_PER_SESSION} failed passwords each`,
    sources: [attacker.addr],
    targets: [target.addr],
    ports: [22],
    details: { sessions: flows.length, password_attempts: flows.length * ATTEMPTS_PER_SESSION, successful_logins: 0 },
    flows,
  };
}

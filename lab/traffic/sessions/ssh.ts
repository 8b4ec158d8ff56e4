import { sshBanner, sshKexInit } from '../apps/ssh.js';
import type { FlowFactory } from '../flow-factory.js';
import type { TcpFlow } from '../flows/tcp-flow.js';
import type { Host } from '../network.js';
import type { ScenarioTag } from '../truth.js';
import { type TcpEnding, endConversation } from './ending.js';

const MS = 1_000_000;

export interface SshSessionSpec {
  client: Host;
  server: Host;
  clientSoftware: string;
  serverSoftware: string;
  /** Password attempts; the last succeeds when `loggedIn`. */
  attempts: number;
  loggedIn: boolean;
  /** Keystroke/echo exchanges after login (an interactive shell). */
  keystrokes: number;
  ending: TcpEnding;
  start: number;
  scenario: ScenarioTag;
}

/**
 * An SSH connection: version banners and KEXINITs in clear, the key exchange, then
 * encrypted authentication attempts (each failure answered after sshd's delay) and, once
 * logged in, interactive traffic.
 */
export function sshSession(f: FlowFactory, s: SshSessionSpec): TcpFlow | null {
  const { rng, pool } = f.ctx;
  const clientPort = f.ctx.ports.allocate(s.client);
  if (clientPort < 0) return null;
  const script = f.tcpScript(s.client, s.server);
  const half = (): number => script.timing.rttNs / 2;
  const opaque = (n: number) => pool.randomBytes(rng, n);

  script.handshake().wait(0.1 * MS);
  script.send(0, sshBanner(s.clientSoftware), false);
  script.wait(half());
  script.send(1, sshBanner(s.serverSoftware), false);
  script.wait(0.2 * MS);
  script.send(0, sshKexInit(rng), false);
  script.wait(half());
  script.send(1, sshKexInit(rng), false);
  script.wait(0.3 * MS);
  script.send(0, opaque(48), false); // KEX_ECDH_INIT
  script.turnaround(rng.float() * 3 * MS);
  script.send(1, opaque(rng.int(520, 1100)), false); // KEX_ECDH_REPLY + NEWKEYS
  script.wait(0.5 * MS);
  script.send(0, opaque(68), false); // NEWKEYS + SERVICE_REQUEST
  script.turnaround(0.2 * MS);
  script.send(1, opaque(52), false); // SERVICE_ACCEPT
  for (let k = 0; k < s.attempts; k++) {
    const success = s.loggedIn && k === s.attempts - 1;
    script.wait(k === 0 ? 2 * MS : rng.float() * 5 * MS);
    script.send(0, opaque(rng.int(96, 148)), false); // USERAUTH_REQUEST (password)
    // sshd answers a failed password only after a delay of about two seconds.
    script.turnaround(success ? rng.float() * 20 * MS : 1900 * MS + rng.float() * 400 * MS);
    script.send(1, opaque(success ? 28 : 52), false); // USERAUTH_SUCCESS / FAILURE
  }
  for (let k = 0; k < s.keystrokes; k++) {
    script.wait(Math.min(rng.logNormal(300 * MS, 1.1), 15_000 * MS));
    script.send(0, opaque(36), false);
    script.wait(half() + 0.1 * MS);
    script.send(1, opaque(rng.chance(0.15) ? rng.int(200, 3000) : 36));
  }
  endConversation(script, s.ending);
  return f.tcp({
    scenario: s.scenario,
    service: 'ssh',
    client: s.client,
    server: s.server,
    clientPort,
    serverPort: 22,
    start: s.start,
    script,
    app: { ssh: { client: `SSH-2.0-${s.clientSoftware}`, server: `SSH-2.0-${s.serverSoftware}` } },
  });
}

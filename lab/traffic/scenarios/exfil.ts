import type { FlowFactory } from '../flow-factory.js';
import { type ClientPool, host } from '../network.js';
import { tls13Session } from '../sessions/tls13.js';
import type { ScenarioPlan } from './scenario.js';

const EXFIL_SERVER = '198.19.200.7';
const EXFIL_NAME = 'upload.storage-sync.example';

/**
 * A commune client uploading `bytes` to an outside host over one HTTPS connection: the
 * data leaves in full-sized (MSS) segments, the server acknowledging every second one.
 * The client runs Windows, so segments carry no TCP options and are exactly MSS long.
 */
export function exfiltration(f: FlowFactory, clients: ClientPool, start: number, bytes: number): ScenarioPlan {
  const rng = f.ctx.rng;
  let client = clients.communeClient(rng);
  while (client.os !== 'windows') client = clients.communeClient(rng);
  const server = host(EXFIL_SERVER, 'linux');
  const flow = tls13Session(f, {
    client,
    server,
    serverName: EXFIL_NAME,
    port: 443,
    profile: 'chromium',
    alpn: ['h2', 'http/1.1'],
    exchanges: [{ request: bytes, response: rng.int(200, 400), thinkNs: 0 }],
    ending: 'fin-client',
    start,
    scenario: 'exfil',
  });
  if (!flow) throw new Error('no source port left for the exfiltration scenario');
  return {
    tag: 'exfil',
    description: `one HTTPS upload of ${bytes} application bytes to an outside host`,
    sources: [client.addr],
    targets: [server.addr],
    ports: [443],
    details: { application_bytes: bytes, sni: EXFIL_NAME },
    flows: [flow],
  };
}

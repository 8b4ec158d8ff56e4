import { type ClientProfileName, buildClientHello } from '../apps/tls-client-hello.js';
import { RECORD_OVERHEAD, encryptedRecords } from '../apps/tls-records.js';
import { CIPHER_NAMES, tls13ClientFinished, tls13ServerFlight } from '../apps/tls-server.js';
import type { FlowFactory } from '../flow-factory.js';
import type { TcpFlow } from '../flows/tcp-flow.js';
import type { Host } from '../network.js';
import type { ScenarioTag } from '../truth.js';
import { type TcpEnding, endConversation } from './ending.js';

const MS = 1_000_000;

export interface Exchange {
  /** Plaintext bytes the client sends, then the server answers with. */
  request: number;
  response: number;
  /** Pause before this request (user think time, or a poll interval). */
  thinkNs: number;
}

export interface Tls13SessionSpec {
  client: Host;
  server: Host;
  serverName: string;
  port: number;
  profile: ClientProfileName;
  alpn: readonly string[];
  exchanges: readonly Exchange[];
  ending: TcpEnding;
  start: number;
  scenario: ScenarioTag;
}

/**
 * HTTPS over TLS 1.3: the ClientHello with SNI in clear, the server's hello and encrypted
 * certificate flight, then request/response exchanges as application-data records.
 */
export function tls13Session(f: FlowFactory, s: Tls13SessionSpec): TcpFlow | null {
  const { rng, pool, pki } = f.ctx;
  const clientPort = f.ctx.ports.allocate(s.client);
  if (clientPort < 0) return null;
  const script = f.tcpScript(s.client, s.server);
  const hello = buildClientHello(rng, { profile: s.profile, sni: s.serverName, alpn: s.alpn });
  const cipher = rng.pick([0x1301, 0x1302, 0x1303]);
  const chainBytes = pki.server(s.serverName).der.length + pki.issuingCa.der.length;

  script.handshake().wait(rng.float() * MS);
  script.send(0, hello.bytes, false);
  script.turnaround(rng.float() * 2 * MS);
  script.send(1, tls13ServerFlight(rng, pool, hello.sessionId, cipher, chainBytes));
  script.wait(0.5 * MS + rng.float() * 2 * MS);
  s.exchanges.forEach((x, i) => {
    if (i > 0) script.wait(x.thinkNs);
    const request = encryptedRecords(rng, pool, x.request, RECORD_OVERHEAD.tls13);
    script.send(0, i === 0 ? [...tls13ClientFinished(rng, pool), ...request] : request, false);
    script.turnaround(rng.logNormal(3 * MS, 0.8));
    // The first answer follows the two session tickets a TLS 1.3 server sends after the handshake.
    const response = encryptedRecords(rng, pool, x.response, RECORD_OVERHEAD.tls13);
    script.send(1, i === 0 ? [...encryptedRecords(rng, pool, 233, RECORD_OVERHEAD.tls13), ...encryptedRecords(rng, pool, 233, RECORD_OVERHEAD.tls13), ...response] : response);
  });
  endConversation(script, s.ending);

  return f.tcp({
    scenario: s.scenario,
    service: 'ssl',
    client: s.client,
    server: s.server,
    clientPort,
    serverPort: s.port,
    start: s.start,
    script,
    app: {
      tls: {
        version: 'TLSv13',
        cipher: CIPHER_NAMES[cipher]!,
        sni: s.serverName,
        alpn_offered: [...s.alpn],
        alpn_selected: null,
        client_profile: s.profile,
        client_cert_sent: false,
        client_cert: 'absent',
        client_cert_subject: null,
        client_cert_issuer: null,
        server_cert_subject: null,
        server_cert_issuer: null,
        client_cert_requested: false,
        established: true,
        server_alert: null,
      },
    },
  });
}

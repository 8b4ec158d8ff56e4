import { POPDATA_SERVICE } from '../addresses.js';
import { buildClientHello } from '../apps/tls-client-hello.js';
import { RECORD_OVERHEAD, encryptedRecords } from '../apps/tls-records.js';
import { CIPHER_NAMES, tls12ClientFlight, tls12NoCertificateAlert, tls12ServerFinished, tls12ServerFlight } from '../apps/tls-server.js';
import type { FlowFactory } from '../flow-factory.js';
import type { TcpFlow } from '../flows/tcp-flow.js';
import { type Host, SERVERS } from '../network.js';
import type { ScenarioTag } from '../truth.js';
import { type TcpEnding, endConversation } from './ending.js';
import type { Exchange } from './tls13.js';

const MS = 1_000_000;
const CIPHER = 0xc02b;

export interface PopdataTlsSpec {
  client: Host;
  /** What the client answers to the server's CertificateRequest. */
  clientCert: 'sent' | 'empty' | 'absent';
  exchanges: readonly Exchange[];
  ending: TcpEnding;
  start: number;
  scenario: ScenarioTag;
}

/**
 * A TLS 1.2 connection to the population-data service, which asks every client for a
 * certificate. TLS 1.2 keeps the Certificate messages in clear, so a passive sensor can
 * tell mutual TLS from a client that sent none. Without a certificate the server ends
 * the handshake with a fatal handshake_failure alert and closes.
 */
export function popdataTlsSession(f: FlowFactory, s: PopdataTlsSpec): TcpFlow | null {
  const { rng, pool, pki } = f.ctx;
  const server = s.client.version === 4 ? SERVERS.popdata.v4 : SERVERS.popdata.v6;
  if (!server) return null;
  const clientPort = f.ctx.ports.allocate(s.client);
  if (clientPort < 0) return null;
  const script = f.tcpScript(s.client, server);
  const alpn = ['http/1.1'];
  const hello = buildClientHello(rng, { profile: 'openssl-tls12', sni: POPDATA_SERVICE.hostname, alpn });
  const serverCert = pki.server(POPDATA_SERVICE.hostname);
  const clientCert = pki.client(s.client.addr);
  const chain = s.clientCert === 'sent' ? [clientCert.der, pki.issuingCa.der] : s.clientCert === 'empty' ? [] : null;

  script.handshake().wait(rng.float() * MS);
  script.send(0, hello.bytes, false);
  script.turnaround(rng.float() * 2 * MS);
  script.send(1, tls12ServerFlight(rng, { sessionId: rng.bytes(32), cipher: CIPHER, alpn: alpn[0]!, chain: [serverCert.der, pki.issuingCa.der], acceptedCaNames: [pki.issuerNameDer()] }));
  script.wait(1 * MS + rng.float() * 3 * MS);
  script.send(0, tls12ClientFlight(rng, pool, chain), false);
  script.turnaround(rng.float() * 2 * MS);
  const established = s.clientCert === 'sent';
  if (established) {
    script.send(1, tls12ServerFinished(rng, pool), false);
    script.wait(0.3 * MS);
    s.exchanges.forEach((x, i) => {
      if (i > 0) script.wait(x.thinkNs);
      script.send(0, encryptedRecords(rng, pool, x.request, RECORD_OVERHEAD.tls12Gcm), false);
      script.turnaround(rng.logNormal(4 * MS, 0.6));
      script.send(1, encryptedRecords(rng, pool, x.response, RECORD_OVERHEAD.tls12Gcm));
    });
    endConversation(script, s.ending);
  } else {
    script.send(1, tls12NoCertificateAlert(), false);
    script.wait(0.2 * MS);
    endConversation(script, 'fin-server');
  }

  return f.tcp({
    scenario: s.scenario,
    service: 'ssl',
    client: s.client,
    server,
    clientPort,
    serverPort: POPDATA_SERVICE.port,
    start: s.start,
    script,
    app: {
      tls: {
        version: 'TLSv12',
        cipher: CIPHER_NAMES[CIPHER]!,
        sni: POPDATA_SERVICE.hostname,
        alpn_offered: alpn,
        alpn_selected: alpn[0]!,
        client_profile: 'openssl-tls12',
        client_cert_sent: established,
        client_cert: s.clientCert,
        client_cert_subject: established ? clientCert.subject : null,
        client_cert_issuer: established ? clientCert.issuer : null,
        server_cert_subject: serverCert.subject,
        server_cert_issuer: serverCert.issuer,
        client_cert_requested: true,
        established,
        server_alert: established ? null : 'handshake_failure',
      },
    },
  });
}

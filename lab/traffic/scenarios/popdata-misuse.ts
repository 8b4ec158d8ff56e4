import { POPDATA_SERVICE } from '../addresses.js';
import type { FlowFactory } from '../flow-factory.js';
import type { Flow } from '../flows/flow.js';
import { type ClientPool, SERVERS } from '../network.js';
import { httpSession } from '../sessions/http.js';
import { popdataTlsSession } from '../sessions/popdata-tls12.js';
import type { ScenarioPlan } from './scenario.js';

const MS = 1_000_000;
const NGINX_PLAIN_HTTP_PAGE = Buffer.from(
  '<html>\r\n<head><title>400 The plain HTTP request was sent to HTTPS port</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<center>The plain HTTP request was sent to HTTPS port</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n',
  'latin1',
);

/**
 * Clients speaking clear-text HTTP to the population-data service's TLS port: the
 * request (with a citizen id in the URI) crosses the WAN in clear before the server
 * refuses it with 400.
 */
export function popdataPlaintext(f: FlowFactory, clients: ClientPool, start: number, spreadNs: number): ScenarioPlan {
  const rng = f.ctx.rng;
  const count = 6;
  const flows: Flow[] = [];
  const sources = new Set<string>();
  for (let k = 0; k < count; k++) {
    const client = clients.communeClient(rng);
    const flow = httpSession(f, {
      client,
      server: SERVERS.popdata.v4,
      host: `${POPDATA_SERVICE.hostname}:${POPDATA_SERVICE.port}`,
      port: POPDATA_SERVICE.port,
      serverSoftware: 'nginx',
      transactions: [
        {
          method: 'GET',
          uri: `/api/v1/cong-dan/0${rng.int(10, 99)}0${rng.int(10_000_000, 99_999_999)}`,
          userAgent: 'python-requests/2.31.0',
          requestBody: 0,
          status: 400,
          contentType: 'text/html',
          responseBody: NGINX_PLAIN_HTTP_PAGE,
          thinkNs: 0,
        },
      ],
      ending: 'fin-server',
      start: start + (k * spreadNs) / count + rng.float() * MS,
      scenario: 'popdata_plaintext',
    });
    if (flow) {
      flows.push(flow);
      sources.add(client.addr);
    }
  }
  return {
    tag: 'popdata_plaintext',
    description: 'clear-text HTTP to the population-data service port',
    sources: [...sources],
    targets: [POPDATA_SERVICE.ipv4],
    ports: [POPDATA_SERVICE.port],
    details: { connections: flows.length },
    flows,
  };
}

/**
 * TLS to the population-data service without a client certificate: half answer the
 * server's CertificateRequest with an empty Certificate message, half send none at all;
 * the server aborts the handshake with a fatal alert either way.
 */
export function popdataNoClientCert(f: FlowFactory, clients: ClientPool, start: number, spreadNs: number): ScenarioPlan {
  const rng = f.ctx.rng;
  const count = 8;
  const flows: Flow[] = [];
  const sources = new Set<string>();
  let empty = 0;
  for (let k = 0; k < count; k++) {
    const client = clients.communeClient(rng);
    const mode = k % 2 === 0 ? 'empty' : 'absent';
    const flow = popdataTlsSession(f, { client, clientCert: mode, exchanges: [], ending: 'fin-server', start: start + (k * spreadNs) / count + rng.float() * MS, scenario: 'popdata_no_client_cert' });
    if (flow) {
      flows.push(flow);
      sources.add(client.addr);
      if (mode === 'empty') empty++;
    }
  }
  return {
    tag: 'popdata_no_client_cert',
    description: 'TLS handshakes to the population-data service without a client certificate',
    sources: [...sources],
    targets: [POPDATA_SERVICE.ipv4],
    ports: [POPDATA_SERVICE.port],
    details: { connections: flows.length, empty_certificate_message: empty, no_certificate_message: flows.length - empty },
    flows,
  };
}

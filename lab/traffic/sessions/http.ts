import { HTTP_STATUS, httpRequestHead, httpResponseHead } from '../apps/http.js';
import type { FlowFactory } from '../flow-factory.js';
import type { TcpFlow } from '../flows/tcp-flow.js';
import type { Bytes } from '../flows/tcp-script.js';
import type { Host } from '../network.js';
import type { HttpFacts, ScenarioTag } from '../truth.js';
import { type TcpEnding, endConversation } from './ending.js';

const MS = 1_000_000;

export interface HttpTransaction {
  method: 'GET' | 'POST';
  uri: string;
  userAgent: string;
  requestBody: number;
  status: number;
  contentType: string;
  /** A body length (text from the pool), or the exact body to send. */
  responseBody: number | Buffer;
  thinkNs: number;
}

export interface HttpSessionSpec {
  client: Host;
  server: Host;
  /** The Host header (with ":port" when not the default). */
  host: string;
  port: number;
  serverSoftware: string;
  transactions: readonly HttpTransaction[];
  ending: TcpEnding;
  start: number;
  scenario: ScenarioTag;
}

/** Clear-text HTTP/1.1 on one keep-alive connection: one or more request/response pairs. */
export function httpSession(f: FlowFactory, s: HttpSessionSpec): TcpFlow | null {
  const { rng, pool, clock } = f.ctx;
  const clientPort = f.ctx.ports.allocate(s.client);
  if (clientPort < 0) return null;
  const script = f.tcpScript(s.client, s.server);
  script.handshake().wait(rng.float() * MS);
  const facts: HttpFacts[] = [];
  s.transactions.forEach((tx, i) => {
    if (i > 0) script.wait(tx.thinkNs);
    const request: Bytes[] = [httpRequestHead({ method: tx.method, uri: tx.uri, host: s.host, userAgent: tx.userAgent, bodyLength: tx.requestBody })];
    if (tx.requestBody > 0) request.push(...pool.textBytes(rng, tx.requestBody));
    script.send(0, request, false);
    script.turnaround(rng.logNormal(2 * MS, 1));
    const bodyLength = typeof tx.responseBody === 'number' ? tx.responseBody : tx.responseBody.length;
    const date = new Date(Number(clock.epochNs(Math.round(s.start + script.t)) / 1_000_000n));
    const response: Bytes[] = [httpResponseHead({ status: tx.status, date, server: s.serverSoftware, contentType: tx.contentType, bodyLength })];
    if (typeof tx.responseBody === 'number') response.push(...pool.textBytes(rng, tx.responseBody));
    else response.push(tx.responseBody);
    script.send(1, response);
    facts.push({
      method: tx.method,
      host: s.host,
      uri: tx.uri,
      user_agent: tx.userAgent,
      status_code: tx.status,
      status_msg: HTTP_STATUS[tx.status] ?? 'Unknown',
      request_body_len: tx.requestBody,
      response_body_len: bodyLength,
    });
  });
  endConversation(script, s.ending);
  return f.tcp({ scenario: s.scenario, service: 'http', client: s.client, server: s.server, clientPort, serverPort: s.port, start: s.start, script, app: { http: facts } });
}

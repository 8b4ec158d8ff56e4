import type { FlowFactory } from '../flow-factory.js';
import type { TcpFlow } from '../flows/tcp-flow.js';
import type { Bytes } from '../flows/tcp-script.js';
import type { Host } from '../network.js';
import type { ScenarioTag } from '../truth.js';
import { type TcpEnding, endConversation } from './ending.js';
import type { Exchange } from './tls13.js';

const MS = 1_000_000;

export interface OpaqueSessionSpec {
  client: Host;
  server: Host;
  port: number;
  exchanges: readonly Exchange[];
  ending: TcpEnding;
  start: number;
  scenario: ScenarioTag;
}

/**
 * An in-house binary protocol (length-prefixed messages) that no Zeek analyzer claims,
 * so its flows have an empty service. The 4-byte big-endian length keeps the first byte
 * zero, which no DPD signature matches.
 */
export function opaqueTcpSession(f: FlowFactory, s: OpaqueSessionSpec): TcpFlow | null {
  const { rng, pool } = f.ctx;
  const clientPort = f.ctx.ports.allocate(s.client);
  if (clientPort < 0) return null;
  const script = f.tcpScript(s.client, s.server);
  const message = (len: number): Bytes[] => {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(len);
    return [head, ...pool.randomBytes(rng, len)];
  };
  script.handshake().wait(rng.float() * MS);
  s.exchanges.forEach((x, i) => {
    if (i > 0) script.wait(x.thinkNs);
    script.send(0, message(x.request), false);
    script.turnaround(rng.logNormal(1 * MS, 1));
    script.send(1, message(x.response));
  });
  endConversation(script, s.ending);
  return f.tcp({ scenario: s.scenario, service: '', client: s.client, server: s.server, clientPort, serverPort: s.port, start: s.start, script });
}

import { DNS_RESOLVERS_V4 } from '../addresses.js';
import type { FlowFactory } from '../flow-factory.js';
import type { Flow } from '../flows/flow.js';
import { type ClientPool, host } from '../network.js';
import type { Prng } from '../prng.js';
import { dnsLookup } from '../sessions/dns-lookup.js';
import type { ScenarioPlan } from './scenario.js';

const MS = 1_000_000;
const QUERIES = 400;
const TUNNEL_DOMAIN = 'cdn-telemetry.example';
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * A DNS tunnel: a client smuggling data out in the labels of TXT queries under one
 * domain (base32, near the 63-byte label limit) and receiving data back in TXT answers.
 * Every query comes from a new source port, so each is its own flow.
 */
export function dnsTunnel(f: FlowFactory, clients: ClientPool, start: number): ScenarioPlan {
  const rng = f.ctx.rng;
  const client = clients.communeClient(rng);
  const resolver = host(DNS_RESOLVERS_V4[0], 'linux');
  const flows: Flow[] = [];
  let t = start;
  for (let k = 0; k < QUERIES; k++) {
    const name = `${encoded(rng, BASE32, 63)}.${encoded(rng, BASE32, rng.int(20, 60))}.${k.toString(16).padStart(4, '0')}.t.${TUNNEL_DOMAIN}`;
    const flow = dnsLookup(f, {
      client,
      resolver,
      question: { name, type: 'TXT', ednsUdpSize: 4096 },
      rcode: 'NOERROR',
      answers: [{ ttl: 0, data: encoded(rng, BASE64, rng.int(120, 220)) }],
      start: t,
      scenario: 'dns_tunnel',
      resolveNs: rng.logNormal(40 * MS, 0.4),
    });
    if (flow) flows.push(flow);
    t += rng.exponential(120 * MS);
  }
  return {
    tag: 'dns_tunnel',
    description: `${QUERIES} TXT queries with long high-entropy labels under ${TUNNEL_DOMAIN}`,
    sources: [client.addr],
    targets: [resolver.addr],
    ports: [53],
    details: { queries: flows.length, domain: TUNNEL_DOMAIN, qtype: 'TXT' },
    flows,
  };
}

function encoded(rng: Prng, alphabet: string, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) s += alphabet[rng.u32() % alphabet.length];
  return s;
}

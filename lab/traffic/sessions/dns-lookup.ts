import { type DnsAnswer, type DnsQuestion, type DnsRcodeName, DNS_RCODE, DNS_TYPE, encodeDnsQuery, encodeDnsResponse } from '../apps/dns.js';
import { DatagramScript } from '../flows/datagram-script.js';
import type { UdpFlow } from '../flows/udp-flow.js';
import type { FlowFactory } from '../flow-factory.js';
import type { Host } from '../network.js';
import type { ScenarioTag } from '../truth.js';

export interface DnsLookupSpec {
  client: Host;
  resolver: Host;
  question: Omit<DnsQuestion, 'id'>;
  rcode: DnsRcodeName;
  answers: readonly DnsAnswer[];
  /** Zone whose SOA comes back with NXDOMAIN. */
  soaZone?: string;
  start: number;
  scenario: ScenarioTag;
  /** Time the resolver takes to answer (cache hit: under a millisecond; recursion: tens). */
  resolveNs: number;
}

/** One query from a fresh source port and its answer: one UDP flow to port 53. */
export function dnsLookup(f: FlowFactory, s: DnsLookupSpec): UdpFlow | null {
  const rng = f.ctx.rng;
  const clientPort = f.ctx.ports.allocate(s.client);
  if (clientPort < 0) return null;
  const q: DnsQuestion = { ...s.question, id: rng.int(0, 0xffff) };
  const script = new DatagramScript();
  script.send(0, encodeDnsQuery(q));
  script.wait(f.timing(s.resolver).rttNs + s.resolveNs);
  script.send(1, encodeDnsResponse(q, s.rcode, s.answers, s.soaZone));
  return f.udp({
    scenario: s.scenario,
    service: 'dns',
    client: s.client,
    server: s.resolver,
    clientPort,
    serverPort: 53,
    start: s.start,
    script,
    app: {
      dns: {
        trans_id: q.id,
        query: q.name,
        qtype: DNS_TYPE[q.type],
        qtype_name: q.type,
        rcode: DNS_RCODE[s.rcode],
        rcode_name: s.rcode,
        answers: s.answers.map((a) => a.data),
        ttls: s.answers.map((a) => a.ttl),
      },
    },
  });
}

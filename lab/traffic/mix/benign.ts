import { DNS_RESOLVER_V6, INTERNAL_ZONE } from '../addresses.js';
import type { DnsAnswer } from '../apps/dns.js';
import type { ClientProfileName } from '../apps/tls-client-hello.js';
import type { FlowFactory } from '../flow-factory.js';
import type { Flow } from '../flows/flow.js';
import { type ClientPool, type Host, SERVERS, type Server, host } from '../network.js';
import type { Prng } from '../prng.js';
import { dnsLookup } from '../sessions/dns-lookup.js';
import { pickEnding } from '../sessions/ending.js';
import { type HttpTransaction, httpSession } from '../sessions/http.js';
import { opaqueTcpSession } from '../sessions/opaque-tcp.js';
import { popdataTlsSession } from '../sessions/popdata-tls12.js';
import { sshSession } from '../sessions/ssh.js';
import { type Exchange, tls13Session } from '../sessions/tls13.js';

const MS = 1_000_000;
const S = 1_000_000_000;

/** Relative share of each kind of benign flow (by flows started, not packets). */
export const DEFAULT_MIX = {
  dns: 30,
  https: 24,
  http: 9,
  popdata_mtls: 6,
  app: 8,
  ssh: 0.5,
  ping: 4,
  refused: 2,
  unanswered: 2,
  bulk: 0.15,
} as const;

export type BenignKind = keyof typeof DEFAULT_MIX;
export type MixWeights = Record<BenignKind, number>;

/** Measured over large captures with the default mix; used to size the timeline. */
export const MEAN_PACKETS_PER_FLOW = 26;
export const MEAN_FLOW_SECONDS = 2.4;

const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36',
  'curl/7.88.1',
  'Microsoft-Delivery-Optimization/10.0',
  'python-requests/2.31.0',
];

const PAGES: readonly { uri: string; type: string }[] = [
  { uri: '/', type: 'text/html; charset=utf-8' },
  { uri: '/index.html', type: 'text/html; charset=utf-8' },
  { uri: '/tra-cuu/ho-so?ma=', type: 'text/html; charset=utf-8' },
  { uri: '/static/app.js', type: 'application/javascript' },
  { uri: '/static/site.css', type: 'text/css' },
  { uri: '/api/v1/status', type: 'application/json' },
  { uri: '/api/v1/thong-bao?page=', type: 'application/json' },
  { uri: '/images/logo.png', type: 'image/png' },
];

/**
 * The everyday traffic of a commune's WAN link: lookups, web and API sessions, the
 * population-data clients doing mutual TLS, internal app protocols, pings, the odd
 * refused or unanswered connection, and now and then a large download.
 */
export class BenignMix {
  private readonly rng: Prng;

  constructor(
    private readonly f: FlowFactory,
    private readonly clients: ClientPool,
    private readonly weights: MixWeights,
  ) {
    this.rng = f.ctx.rng;
  }

  /** A new benign flow starting at `start`. */
  next(start: number): Flow {
    // A kind can run dry (every host pair pinged, a host's ports used up): try others.
    for (let attempt = 0; attempt < 10_000; attempt++) {
      const flow = this.make(this.rng.weighted(this.weights), start);
      if (flow) return flow;
    }
    throw new RangeError('the benign mix cannot make more flows: too many packets for the kinds it may use');
  }

  private make(kind: BenignKind, start: number): Flow | null {
    switch (kind) {
      case 'dns':
        return this.dns(start);
      case 'https':
        return this.https(start, false);
      case 'bulk':
        return this.https(start, true);
      case 'http':
        return this.http(start);
      case 'popdata_mtls':
        return popdataTlsSession(this.f, { client: this.clients.communeClient(this.rng), clientCert: 'sent', exchanges: this.exchanges(1, 4, 400, 6000), ending: pickEnding(this.rng), start, scenario: 'popdata_mtls' });
      case 'app':
        return this.app(start);
      case 'ssh':
        return this.ssh(start);
      case 'ping':
        return this.ping(start);
      case 'refused':
      case 'unanswered':
        return this.attempt(start, kind);
    }
  }

  private dns(start: number): Flow | null {
    const rng = this.rng;
    const v6 = rng.chance(0.15);
    const client = v6 ? this.clients.v6(this.rng) : this.clients.v4(this.rng);
    const resolver = v6 ? host(DNS_RESOLVER_V6, 'linux') : rng.pick(SERVERS.resolvers).v4;
    const target = rng.pick([...SERVERS.web, ...SERVERS.app, SERVERS.popdata, SERVERS.ssh]);
    const qtype = rng.weighted({ A: 60, AAAA: 30, TXT: 10 });
    let name = target.name;
    let rcode: 'NOERROR' | 'NXDOMAIN' = 'NOERROR';
    let answers: DnsAnswer[] = [];
    const ttl = rng.pick([60, 300, 600, 3600]);
    if (rng.chance(0.08)) {
      rcode = 'NXDOMAIN';
      name = rng.pick(['wpad', 'isatap', 'printer', 'nas', `pc-${rng.int(100, 999)}`, 'dichvucong-cu']) + `.${INTERNAL_ZONE}`;
    } else if (qtype === 'A') {
      answers = [{ ttl, data: target.v4.addr }];
    } else if (qtype === 'AAAA') {
      // A name without an IPv6 address answers NOERROR with no records (NODATA).
      answers = target.v6 ? [{ ttl, data: target.v6.addr }] : [];
    } else {
      name = rng.pick([INTERNAL_ZONE, `_dmarc.${INTERNAL_ZONE}`]);
      answers = [{ ttl: 3600, data: name === INTERNAL_ZONE ? 'v=spf1 ip4:198.18.0.25 ip6:fd00:c407::25 -all' : 'v=DMARC1; p=reject; rua=mailto:dmarc@chot.internal' }];
    }
    return dnsLookup(this.f, {
      client,
      resolver,
      question: { name, type: qtype, ...(rng.chance(0.6) ? { ednsUdpSize: 1232 } : {}) },
      rcode,
      answers,
      soaZone: INTERNAL_ZONE,
      start,
      scenario: 'benign',
      resolveNs: rng.chance(0.7) ? 0.2 * MS + rng.float() * MS : rng.logNormal(15 * MS, 0.8),
    });
  }

  private https(start: number, bulk: boolean): Flow | null {
    const rng = this.rng;
    const target: Server = bulk ? rng.pick(SERVERS.web.filter((s) => /update|cdn|docs/.test(s.name))) : rng.pick(SERVERS.web);
    const v6 = target.v6 !== null && rng.chance(0.25);
    const client = v6 ? this.clients.v6(this.rng) : this.clients.v4(this.rng);
    const server = v6 ? target.v6! : target.v4;
    const profile = rng.weighted<ClientProfileName>({ chromium: 55, firefox: 20, openssl: 25, 'openssl-tls12': 0 });
    const alpn = profile === 'openssl' ? ['http/1.1'] : ['h2', 'http/1.1'];
    const exchanges = bulk ? [{ request: rng.int(300, 700), response: Math.min(Math.round(rng.logNormal(1.5e6, 0.9)), 30e6), thinkNs: 0 }] : this.exchanges(1, 4, 600, 4000);
    return tls13Session(this.f, { client, server, serverName: target.name, port: 443, profile, alpn, exchanges, ending: pickEnding(rng), start, scenario: 'benign' });
  }

  private http(start: number): Flow | null {
    const rng = this.rng;
    const target = rng.pick(SERVERS.web);
    const v6 = target.v6 !== null && rng.chance(0.2);
    const client = v6 ? this.clients.v6(this.rng) : this.clients.v4(this.rng);
    const userAgent = rng.pick(USER_AGENTS);
    const transactions: HttpTransaction[] = [];
    const n = rng.int(1, 3);
    for (let k = 0; k < n; k++) {
      const page = rng.pick(PAGES);
      const status = rng.weighted({ '200': 85, '304': 5, '404': 7, '301': 3 });
      const body = status === '200' ? clampInt(rng.logNormal(4000, 1.3), 40, 400_000) : status === '404' ? rng.int(150, 600) : status === '301' ? 162 : 0;
      transactions.push({
        method: page.uri.startsWith('/api') && rng.chance(0.3) ? 'POST' : 'GET',
        uri: page.uri.endsWith('=') ? `${page.uri}${rng.int(1, 99999)}` : page.uri,
        userAgent,
        requestBody: 0,
        status: Number(status),
        contentType: page.type,
        responseBody: body,
        thinkNs: Math.min(rng.logNormal(300 * MS, 1), 20 * S),
      });
    }
    for (const tx of transactions) if (tx.method === 'POST') tx.requestBody = rng.int(40, 900);
    return httpSession(this.f, {
      client,
      server: v6 ? target.v6! : target.v4,
      host: target.name,
      port: 80,
      serverSoftware: rng.pick(['nginx/1.22.1', 'Apache/2.4.62 (Debian)']),
      transactions,
      ending: pickEnding(rng),
      start,
      scenario: 'benign',
    });
  }

  private app(start: number): Flow | null {
    const rng = this.rng;
    const target = rng.pick(SERVERS.app);
    const v6 = target.v6 !== null && rng.chance(0.3);
    return opaqueTcpSession(this.f, {
      client: v6 ? this.clients.v6(this.rng) : this.clients.v4(this.rng),
      server: v6 ? target.v6! : target.v4,
      port: target.name.startsWith('queue') ? 7001 : 9000,
      exchanges: this.exchanges(1, 20, 120, 900, 150 * MS),
      ending: pickEnding(rng),
      start,
      scenario: 'benign',
    });
  }

  private ssh(start: number): Flow | null {
    let client = this.clients.communeClient(this.rng);
    for (let k = 0; k < 8 && client.os !== 'linux'; k++) client = this.clients.communeClient(this.rng);
    return sshSession(this.f, {
      client,
      server: SERVERS.ssh.v4,
      clientSoftware: 'OpenSSH_9.2p1 Debian-2+deb12u3',
      serverSoftware: 'OpenSSH_9.2p1 Debian-2+deb12u3',
      attempts: 1,
      loggedIn: true,
      keystrokes: this.rng.int(5, 40),
      ending: 'fin-client',
      start,
      scenario: 'benign',
    });
  }

  private ping(start: number): Flow | null {
    const rng = this.rng;
    const v6 = rng.chance(0.2);
    const client = v6 ? this.clients.v6(this.rng) : this.clients.v4(this.rng);
    const candidates = [...SERVERS.routers, ...SERVERS.web].map((s) => (v6 ? s.v6 : s.v4)).filter((h): h is Host => h !== null);
    const server = rng.pick(candidates);
    if (!this.f.ctx.icmpPairs.claim(client, server)) return null;
    const echoes = client.os === 'windows' ? 4 : rng.int(3, 10);
    return this.f.ping({ client, server, echoes, intervalNs: 1 * S, unanswered: rng.chance(0.1) ? 1 : 0, start, scenario: 'benign', service: '' });
  }

  private attempt(start: number, kind: 'refused' | 'unanswered'): Flow | null {
    const rng = this.rng;
    const client = this.clients.v4(this.rng);
    const clientPort = this.f.ctx.ports.allocate(client);
    if (clientPort < 0) return null;
    if (kind === 'refused') {
      const target = rng.pick([...SERVERS.web, ...SERVERS.app]);
      const script = this.f.tcpScript(client, target.v4).refused();
      return this.f.tcp({ scenario: 'benign', service: '', client, server: target.v4, clientPort, serverPort: rng.pick([8080, 3389, 5900, 8000, 1433]), start, script, serverSynchronizes: false });
    }
    // A host that is down or filtered somewhere in the upper half of the range.
    const server = host(`198.19.${rng.int(16, 250)}.${rng.int(1, 254)}`, 'linux');
    const script = this.f.tcpScript(client, server).unanswered(rng.int(0, 2));
    return this.f.tcp({ scenario: 'benign', service: '', client, server, clientPort, serverPort: rng.pick([445, 139, 3389, 8443, 443]), start, script, serverSynchronizes: false });
  }

  private exchanges(min: number, max: number, requestMedian: number, responseMedian: number, thinkMedian = 400 * MS): Exchange[] {
    const rng = this.rng;
    const n = rng.int(min, max);
    const out: Exchange[] = [];
    for (let k = 0; k < n; k++) {
      out.push({
        request: clampInt(rng.logNormal(requestMedian, 0.7), 30, 60_000),
        response: clampInt(rng.logNormal(responseMedian, 1.3), 30, 3_000_000),
        // Long pauses would let Zeek time a flow out; think times stay well under a minute.
        thinkNs: Math.min(rng.logNormal(thinkMedian, 1.2), 20 * S),
      });
    }
    return out;
  }
}

function clampInt(v: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, Math.round(v)));
}

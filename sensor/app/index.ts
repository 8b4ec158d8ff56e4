// The application layer of the sensor: chooses an analyzer for a new
// connection from its first payload, content first, port as a hint, as
// Zeek's dynamic protocol detection does. Nothing recognisable means no
// analyzer and an empty service, like Zeek's conn.log.
//
// How the core uses it (see analyzer.ts for the contract):
//   const a = createAppAnalyzer(proto, respPort, origPort, dir, payload, start, end, events);
//   a?.deliver(dir, payload, start, end, tsNs);   // the first payload too
//   ... deliver()/gap() in order per direction while !a.done ...
//   record.service = a.service; meta = a.metadata(final);

import type { AnalyzerFactory, AppAnalyzer, Direction } from './analyzer.js';
import { MAYBE, NO, YES, dnsMessage, httpStart, sshBanner, tlsHello } from './detect.js';
import { DnsAnalyzer } from './dns/analyzer.js';
import { NativeDnsAnalyzer } from './dns/native-analyzer.js';
import { NativeTlsAnalyzer } from './tls/native-analyzer.js';
import { NativeHttpAnalyzer } from './http/native-analyzer.js';
import { NO_EVENTS, type AppEvents } from './events.js';
import { HttpAnalyzer } from './http/analyzer.js';
import { SshAnalyzer } from './ssh/analyzer.js';
import { TlsAnalyzer } from './tls/analyzer.js';
import { appAnalyzersAddon } from './native.js';

export type { AnalyzerFactory, AppAnalyzer, AppEvents, AppMetadata, Direction } from './analyzer.js';
export type { DnsAnswer, DnsTransaction } from './dns/types.js';
export type { TlsInfo, X509Info, ClientCertState } from './tls/types.js';
export type { HttpTransaction } from './http/types.js';
export type { SshInfo } from './ssh/types.js';
export { APP_WEIRDS, NO_EVENTS, type AppWeird } from './events.js';

/** The well-known ports that let a MAYBE count, by protocol (Zeek's registered ports and common alternates). */
const TLS_PORTS = new Set([443, 465, 563, 585, 614, 636, 853, 989, 990, 992, 993, 994, 995, 5223, 5986, 8443, 9443]);
const HTTP_PORTS = new Set([80, 81, 631, 1080, 3128, 8000, 8008, 8080, 8081, 8888]);
const SSH_PORTS = new Set([22, 2222]);
const DNS_UDP_PORTS = new Set([53, 5353, 5355]);

/** Makes the analyzers of connections recognised as DNS, TLS and HTTP. */
interface Makers {
  dns(proto: 'udp' | 'tcp', events: AppEvents): AppAnalyzer;
  tls(events: AppEvents): AppAnalyzer;
  http(events: AppEvents): AppAnalyzer;
}

const JS: Makers = { dns: (proto, events) => new DnsAnalyzer(proto, events), tls: (events) => new TlsAnalyzer(events), http: (events) => new HttpAnalyzer(events) };

function factory(make: Makers): AnalyzerFactory {
  return (proto, respPort, origPort, dir, first, start, end, events = NO_EVENTS) => {
    try {
      start = Math.max(0, start);
      end = Math.min(end, first.length);
      if (end <= start) return undefined;
      return proto === 17 ? udp(respPort, origPort, first, start, end, events, make) : tcp(respPort, dir, first, start, end, events, make);
    } catch {
      events.weird('app_detect_error');
      return undefined;
    }
  };
}

/** Every analyzer in JavaScript: their metadata as objects, for every output. */
export const createAppAnalyzer: AnalyzerFactory = factory(JS);

/**
 * The analyzers for a Zeek log directory only: those built in C where the addon is
 * (DNS; TLS and HTTP on their common paths), which give rows instead of objects (see native.ts);
 * the rest in JavaScript. Without the addon, the same as createAppAnalyzer.
 */
export function zeekLogAnalyzers(): { factory: AnalyzerFactory; native: string[] } {
  const loaded = appAnalyzersAddon();
  if (!('addon' in loaded)) return { factory: createAppAnalyzer, native: [] };
  const { addon } = loaded;
  return {
    factory: factory({
      dns: (proto, events) => new NativeDnsAnalyzer(addon, proto, events),
      tls: (events) => new NativeTlsAnalyzer(addon, events),
      http: (events) => new NativeHttpAnalyzer(addon, events),
    }),
    native: ['dns', 'tls', 'http'],
  };
}

function udp(respPort: number, origPort: number, b: Uint8Array, s: number, e: number, events: AppEvents, make: Makers): AppAnalyzer | undefined {
  const v = dnsMessage(b, s, e, false);
  if (v === YES || (v === MAYBE && (DNS_UDP_PORTS.has(respPort) || DNS_UDP_PORTS.has(origPort)))) {
    return make.dns('udp', events);
  }
  return undefined;
}

function tcp(respPort: number, dir: Direction, b: Uint8Array, s: number, e: number, events: AppEvents, make: Makers): AppAnalyzer | undefined {
  const tls = tlsHello(b, s, e, dir);
  if (tls === YES) return make.tls(events);
  const http = httpStart(b, s, e, dir);
  if (http === YES) return make.http(events);
  const ssh = sshBanner(b, s, e);
  if (ssh === YES) return new SshAnalyzer(events);
  const dns = dnsMessage(b, s, e, true);
  if (dns === YES || (dns === MAYBE && respPort === 53)) return make.dns('tcp', events);
  // A first segment cut short (a client writing its hello in pieces): the port decides.
  if (tls === MAYBE && TLS_PORTS.has(respPort)) return make.tls(events);
  if (http === MAYBE && HTTP_PORTS.has(respPort)) return make.http(events);
  if (ssh === MAYBE && SSH_PORTS.has(respPort)) return new SshAnalyzer(events);
  // An SSH server may send other lines before its identification (RFC 4253 §4.2).
  if (dir === 1 && ssh === NO && SSH_PORTS.has(respPort) && printableLine(b, s, e)) return new SshAnalyzer(events);
  return undefined;
}

function printableLine(b: Uint8Array, s: number, e: number): boolean {
  for (let i = s; i < e; i++) {
    const c = b[i]!;
    if (c === 0x0a) return true;
    if ((c < 0x20 && c !== 0x0d && c !== 0x09) || c > 0x7e) return false;
  }
  return true;
}

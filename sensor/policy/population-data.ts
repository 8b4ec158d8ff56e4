/**
 * The population-data policy: every connection to a configured
 * population-data service gets a verdict an alert rule can use directly:
 * was it TLS, which version, did the client show a certificate, and did it
 * come through an enforcer (the mutual-TLS gateway)? Any path that is not
 * "through an enforcer, over TLS, with a client certificate" is a bypass.
 */
import type { TlsInfo } from '../app/analyzer.js';
import type { PopulationDataPolicy } from '../record.js';

export interface PopulationService {
  name: string;
  /** Addresses or CIDRs of the service. */
  cidrs: string[];
  /** Ports; empty means any. */
  ports: number[];
}

interface Net {
  /** Four 32-bit words (IPv4 mapped) and a prefix length over 128 bits. */
  w: number[];
  bits: number;
}

/** Parses "a.b.c.d[/n]" or an IPv6 address "[/n]" into words; throws on malformed text. */
export function parseCidr(text: string): Net {
  const [addr, len] = text.split('/');
  if (addr === undefined) throw new Error(`bad address: ${text}`);
  let w: number[];
  let max: number;
  if (addr.includes(':')) {
    w = parseIpv6(addr);
    max = 128;
  } else {
    const parts = addr.split('.').map((x) => Number(x));
    if (parts.length !== 4 || parts.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) throw new Error(`bad IPv4 address: ${text}`);
    w = [0, 0, 0xffff, ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0];
    max = 32;
  }
  const n = len === undefined ? max : Number(len);
  if (!Number.isInteger(n) || n < 0 || n > max) throw new Error(`bad prefix length: ${text}`);
  return { w, bits: n + (128 - max) };
}

function parseIpv6(s: string): number[] {
  const halves = s.split('::');
  if (halves.length > 2) throw new Error(`bad IPv6 address: ${s}`);
  const groups = (h: string | undefined): number[] => {
    if (!h) return [];
    const out: number[] = [];
    for (const part of h.split(':')) {
      if (part.includes('.')) {
        const v4 = parseCidr(part).w[3]!;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else {
        const v = parseInt(part, 16);
        if (!/^[0-9a-fA-F]{1,4}$/.test(part)) throw new Error(`bad IPv6 address: ${s}`);
        out.push(v);
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  const fill = 8 - head.length - tail.length;
  if (fill < 0 || (halves.length === 1 && fill !== 0)) throw new Error(`bad IPv6 address: ${s}`);
  const g = [...head, ...new Array<number>(fill).fill(0), ...tail];
  return [0, 1, 2, 3].map((i) => ((g[i * 2]! << 16) | g[i * 2 + 1]!) >>> 0);
}

function inNet(net: Net, a0: number, a1: number, a2: number, a3: number): boolean {
  const a = [a0, a1, a2, a3];
  let bits = net.bits;
  for (let i = 0; i < 4 && bits > 0; i++) {
    const take = bits >= 32 ? 32 : bits;
    const mask = take === 32 ? 0xffffffff : ~(0xffffffff >>> take) >>> 0;
    if (((a[i]! & mask) >>> 0) !== ((net.w[i]! & mask) >>> 0)) return false;
    bits -= take;
  }
  return true;
}

export function tlsVersionName(v: number | undefined): string | undefined {
  switch (v) {
    case 0x0300: return 'SSLv3';
    case 0x0301: return 'TLSv10';
    case 0x0302: return 'TLSv11';
    case 0x0303: return 'TLSv12';
    case 0x0304: return 'TLSv13';
    default: return v === undefined ? undefined : `unknown-${v}`;
  }
}

export class PopulationDataPolicyChecker {
  private readonly services: { name: string; nets: Net[]; ports: Set<number> }[];
  private readonly enforcers: Net[];

  constructor(services: PopulationService[], enforcers: string[]) {
    this.services = services.map((s) => ({ name: s.name, nets: s.cidrs.map(parseCidr), ports: new Set(s.ports) }));
    this.enforcers = enforcers.map(parseCidr);
  }

  get empty(): boolean {
    return this.services.length === 0;
  }

  /** The service a responder address/port belongs to, if any. */
  match(r0: number, r1: number, r2: number, r3: number, port: number): string | undefined {
    for (const s of this.services) {
      if (s.ports.size > 0 && !s.ports.has(port)) continue;
      for (const n of s.nets) if (inNet(n, r0, r1, r2, r3)) return s.name;
    }
    return undefined;
  }

  isEnforcer(o0: number, o1: number, o2: number, o3: number): boolean {
    for (const n of this.enforcers) if (inNet(n, o0, o1, o2, o3)) return true;
    return false;
  }

  /** The verdict for one connection to `service`, from what was seen of its TLS (if anything). */
  verdict(service: string, viaEnforcer: boolean, tls: TlsInfo | null, sawPayload: boolean): PopulationDataPolicy {
    const transport = tls !== null ? 'tls' : sawPayload ? 'plaintext' : 'unknown';
    const clientCertificate =
      tls === null ? undefined : tls.clientCertificate === 'present' ? true : tls.clientCertificate === 'unknown' ? undefined : false;
    const bypass = !viaEnforcer || transport === 'plaintext' || clientCertificate === false;
    const out: PopulationDataPolicy = { service, transport, viaEnforcer, bypass };
    const v = tlsVersionName(tls?.version);
    if (v !== undefined) out.tlsVersion = v;
    if (clientCertificate !== undefined) out.clientCertificate = clientCertificate;
    return out;
  }
}

/**
 * The lab's address plan, shared with the network lab (lab/net/) so that generated
 * traffic replayed on the lab's links makes sense there. IPv4 lives in the benchmarking
 * range 198.18.0.0/15 (RFC 2544), IPv6 in the unique-local prefix fd00:c407::/48.
 */

export const LAB_IPV4_PREFIX = '198.18.0.0/15';
export const LAB_IPV6_PREFIX = 'fd00:c407::/48';

/** The population-data service: HTTPS on 8443 that requires a client certificate (mutual TLS). */
export const POPDATA_SERVICE = {
  ipv4: '198.18.0.10',
  ipv6: 'fd00:c407::10',
  port: 8443,
  hostname: 'popdata.chot.internal',
} as const;

/** The lab commune's client LAN, its gateway, and the attacker that sits inside it. */
export const COMMUNE_CLIENTS_V4 = '198.18.10.0/24';
export const COMMUNE_CLIENTS_V6 = 'fd00:c407:0:10::/64';
export const COMMUNE_GATEWAY_V4 = '198.18.10.1';
export const ATTACKER_V4 = '198.18.10.66';

/** Further communes whose clients also cross the captured WAN link. */
export const OTHER_COMMUNES_V4 = '198.18.16.0/20';

/** Data-centre server networks: national (198.18.0.0/24) and provincial (198.18.1.0/24). */
export const NATIONAL_DC_V4 = '198.18.0.0/24';
export const PROVINCIAL_DC_V4 = '198.18.1.0/24';
export const DC_SERVERS_V6 = 'fd00:c407::/64';
/** Other WAN services, in the upper half of the range. */
export const WAN_SERVICES_V4 = '198.19.0.0/16';

/** Recursive resolvers the clients use. */
export const DNS_RESOLVERS_V4 = ['198.18.0.53', '198.18.1.53'] as const;
export const DNS_RESOLVER_V6 = 'fd00:c407::53';

/** The zone the sector's internal names live in (.internal is reserved for private use). */
export const INTERNAL_ZONE = 'chot.internal';

/** Targets of the attack scenarios. */
export const SCAN_TARGET_V4 = '198.18.0.20';
export const SWEEP_NETWORK_V4 = '198.18.1.0/24';
export const SSH_TARGET_V4 = '198.18.0.22';

// ---- address arithmetic -----------------------------------------------------------

export function parseIpv4(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4) throw new Error(`not an IPv4 address: ${text}`);
  let v = 0;
  for (const p of parts) {
    const n = Number(p);
    if (!/^\d{1,3}$/.test(p) || n > 255) throw new Error(`not an IPv4 address: ${text}`);
    v = v * 256 + n;
  }
  return v;
}

export function formatIpv4(v: number): string {
  return `${(v >>> 24) & 0xff}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
}

export function ipv4Bytes(text: string): Buffer {
  const v = parseIpv4(text);
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0, 0);
  return b;
}

/** The n-th address of an IPv4 prefix ("198.18.10.0/24", 66 → 198.18.10.66). */
export function ipv4InPrefix(prefix: string, n: number): string {
  const [net, bits] = splitPrefix(prefix);
  const size = 2 ** (32 - bits);
  if (n < 0 || n >= size) throw new Error(`${n} is outside ${prefix}`);
  return formatIpv4((parseIpv4(net) & prefixMask(bits)) + n);
}

export function ipv4PrefixSize(prefix: string): number {
  return 2 ** (32 - splitPrefix(prefix)[1]);
}

export function ipv4InRange(text: string, prefix: string): boolean {
  const [net, bits] = splitPrefix(prefix);
  const mask = prefixMask(bits);
  return ((parseIpv4(text) & mask) >>> 0) === ((parseIpv4(net) & mask) >>> 0);
}

/** 16 bytes of an IPv6 address; accepts the usual textual forms with one "::". */
export function ipv6Bytes(text: string): Buffer {
  const halves = text.split('::');
  if (halves.length > 2) throw new Error(`not an IPv6 address: ${text}`);
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) throw new Error(`not an IPv6 address: ${text}`);
  const groups = [...head, ...Array<string>(missing).fill('0'), ...tail];
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => {
    if (!/^[0-9a-f]{1,4}$/i.test(g)) throw new Error(`not an IPv6 address: ${text}`);
    b.writeUInt16BE(parseInt(g, 16), i * 2);
  });
  return b;
}

/** RFC 5952 text: lower case, leading zeros dropped, the longest run of zero groups as "::". */
export function formatIpv6(b: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i] ?? 0) << 8) | (b[i + 1] ?? 0));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** An address in a /64 with the given interface identifier. */
export function ipv6WithInterfaceId(prefix64: string, id: number): string {
  const net = ipv6Bytes(prefix64.split('/')[0] as string);
  net.writeUInt32BE(Math.floor(id / 2 ** 32) >>> 0, 8);
  net.writeUInt32BE(id >>> 0, 12);
  return formatIpv6(net);
}

function splitPrefix(prefix: string): [string, number] {
  const [net, bitsText] = prefix.split('/');
  const bits = Number(bitsText);
  if (!net || !Number.isInteger(bits) || bits < 0 || bits > 32) throw new Error(`not an IPv4 prefix: ${prefix}`);
  return [net, bits];
}

function prefixMask(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

// ---- link-layer addresses ------------------------------------------------------------

/**
 * A locally administered unicast MAC (02:c4:07:xx:xx:xx): the 0x02 bit marks it as
 * locally administered, the clear low bit as unicast, so it is never a broadcast or
 * multicast address and never collides with a vendor's.
 */
export function labMac(id: number): Buffer {
  const b = Buffer.from([0x02, 0xc4, 0x07, 0, 0, 0]);
  b[3] = (id >>> 16) & 0xff;
  b[4] = (id >>> 8) & 0xff;
  b[5] = id & 0xff;
  return b;
}

/**
 * Flow keys from numbers. A connection is found by a hash of its two
 * (address, port) endpoints that is the same in both directions, so one
 * lookup finds it whichever side sent the packet; no string is built per packet.
 * Labels (VLAN, MPLS) are deliberately not part of the key: the two directions
 * of one conversation cross the WAN on different label-switched paths.
 */

function mix(h: number): number {
  // A 32-bit finalizer (xor-shift-multiply), so that nearby addresses and ports spread over the buckets.
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h;
}

/**
 * Hash of one endpoint: multiplicative (one multiply per word), leaving the
 * avalanche to the single finalizer in flowHash. IPv4 (mapped) costs one word.
 */
export function endpointHash(a0: number, a1: number, a2: number, a3: number, port: number): number {
  let h = Math.imul(a3, 0x9e3779b1) ^ Math.imul(port + 0x7f4a7c15, 0x85ebca6b);
  if ((a0 | a1) !== 0 || a2 !== 0xffff) h ^= Math.imul(a2, 0xc2b2ae35) ^ Math.imul(a1, 0x27d4eb2f) ^ Math.imul(a0, 0x165667b1);
  return h;
}

/**
 * Direction-independent flow hash (one-way flows, such as most ICMP types,
 * hash by direction), 30 bits: a small integer in V8, so that returning it
 * from a call that is not inlined allocates nothing (an unsigned 32-bit value
 * above 2^31 would be a heap number, once per packet).
 */
export function flowHash(hs: number, hd: number, proto: number, oneWay: boolean): number {
  return mix((oneWay ? hs ^ Math.imul(hd, 31) : (hs + hd) | 0) ^ proto) & 0x3fffffff;
}

/** "0." ... "255.": an address is made of three of these and a final octet, with no number formatted per record. */
const OCTET_DOT = Array.from({ length: 256 }, (_, i) => `${i}.`);
const OCTET = Array.from({ length: 256 }, (_, i) => String(i));

/**
 * The text of addresses seen lately. The same hosts recur in record after
 * record (clients, servers, resolvers), and a new text costs three
 * concatenations, then a flattening when it is first written out; bounded by
 * starting over when full, as the TLS memos are.
 */
let v4Text = new Map<number, string>();
const V4_TEXT_MAX = 65536;

export function formatIpv4(a: number): string {
  // Keyed by the address as a signed 32-bit value: a small integer to V8, where an
  // address from 128.0.0.0 up taken unsigned is a heap number, allocated and hashed as a double.
  const k = a | 0;
  let s = v4Text.get(k);
  if (s === undefined) {
    s = OCTET_DOT[a >>> 24]! + OCTET_DOT[(a >>> 16) & 255]! + OCTET_DOT[(a >>> 8) & 255]! + OCTET[a & 255]!;
    if (v4Text.size >= V4_TEXT_MAX) v4Text = new Map();
    v4Text.set(k, s);
  }
  return s;
}

/** Text form of an address kept as four words (IPv4-mapped words print as IPv4); IPv6 per RFC 5952. */
export function formatAddr(w0: number, w1: number, w2: number, w3: number, v4: boolean): string {
  if (v4) return formatIpv4(w3);
  const g = [w0 >>> 16, w0 & 0xffff, w1 >>> 16, w1 & 0xffff, w2 >>> 16, w2 & 0xffff, w3 >>> 16, w3 & 0xffff];
  // The longest run (2 or more) of zero groups becomes "::".
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (n: number) => n.toString(16);
  if (bestStart < 0) return g.map(hex).join(':');
  const head = g.slice(0, bestStart).map(hex).join(':');
  const tail = g.slice(bestStart + bestLen).map(hex).join(':');
  return `${head}::${tail}`;
}

/**
 * Ports Zeek's analyzers register as likely server ports: when a
 * connection's first packet comes from one of them (and is not a SYN), the
 * roles are flipped so that the server is the responder.
 */
const TCP_SERVER_PORTS = [
  21, 22, 23, 25, 53, 80, 81, 88, 110, 111, 135, 139, 143, 179, 389, 443, 445, 465, 502, 513, 514, 563, 585, 587, 614, 631, 636, 873,
  989, 990, 992, 993, 995, 1080, 1433, 1521, 1723, 1883, 2049, 2811, 3128, 3268, 3306, 3389, 5060, 5061, 5222, 5223, 5269, 5432,
  5671, 5672, 5900, 6379, 6443, 6666, 6667, 6668, 6669, 8000, 8080, 8443, 8883, 8888, 9200, 20000, 27017,
];
const UDP_SERVER_PORTS = [
  53, 67, 68, 69, 88, 111, 123, 137, 138, 161, 162, 389, 443, 500, 514, 520, 546, 547, 1194, 1812, 1813, 1900, 3478, 4500, 4789,
  5060, 5353, 5355, 6081, 10001,
];
const tcpServer = new Uint8Array(65536);
const udpServer = new Uint8Array(65536);
for (const p of TCP_SERVER_PORTS) tcpServer[p] = 1;
for (const p of UDP_SERVER_PORTS) udpServer[p] = 1;

export function isLikelyServerPort(proto: number, port: number): boolean {
  return proto === 6 ? tcpServer[port] === 1 : proto === 17 ? udpServer[port] === 1 : false;
}

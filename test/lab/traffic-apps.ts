/**
 * Independent parsers of the application bytes the generator writes (DNS, TLS, HTTP),
 * for the tests: enough to read back what the ground truth claims each flow carries.
 */

export interface DnsMessage {
  id: number;
  response: boolean;
  rcode: number;
  name: string;
  qtype: number;
  answers: number;
}

export function parseDns(b: Buffer): DnsMessage {
  const labels: string[] = [];
  let o = 12;
  while (b[o]! !== 0) {
    const len = b[o]!;
    labels.push(b.toString('latin1', o + 1, o + 1 + len));
    o += 1 + len;
  }
  const flags = b.readUInt16BE(2);
  return { id: b.readUInt16BE(0), response: (flags & 0x8000) !== 0, rcode: flags & 0x0f, name: labels.join('.'), qtype: b.readUInt16BE(o + 1), answers: b.readUInt16BE(6) };
}

/** The handshake messages in a stream of TLS records, up to the first ChangeCipherSpec (after it they are encrypted). */
export function tlsHandshakes(stream: Buffer): { type: number; body: Buffer }[] {
  const out: { type: number; body: Buffer }[] = [];
  let handshake = Buffer.alloc(0);
  let o = 0;
  while (o + 5 <= stream.length) {
    const type = stream[o]!;
    const len = stream.readUInt16BE(o + 3);
    if (o + 5 + len > stream.length) break;
    if (type === 20) break;
    if (type === 22) handshake = Buffer.concat([handshake, stream.subarray(o + 5, o + 5 + len)]);
    o += 5 + len;
  }
  let h = 0;
  while (h + 4 <= handshake.length) {
    const len = handshake.readUIntBE(h + 1, 3);
    out.push({ type: handshake[h]!, body: handshake.subarray(h + 4, h + 4 + len) });
    h += 4 + len;
  }
  return out;
}

export interface ClientHelloFacts {
  sni: string | null;
  alpn: string[];
  extensions: number[];
  supportedVersions: number[];
  keyShareGroups: number[];
}

export function parseClientHello(body: Buffer): ClientHelloFacts {
  let o = 2 + 32;
  o += 1 + body[o]!; // session id
  o += 2 + body.readUInt16BE(o); // cipher suites
  o += 1 + body[o]!; // compression methods
  const end = o + 2 + body.readUInt16BE(o);
  o += 2;
  const facts: ClientHelloFacts = { sni: null, alpn: [], extensions: [], supportedVersions: [], keyShareGroups: [] };
  while (o + 4 <= end) {
    const type = body.readUInt16BE(o);
    const len = body.readUInt16BE(o + 2);
    const e = body.subarray(o + 4, o + 4 + len);
    facts.extensions.push(type);
    if (type === 0) facts.sni = e.toString('latin1', 5, 5 + e.readUInt16BE(3));
    if (type === 16) {
      for (let p = 2; p < e.length; p += 1 + e[p]!) facts.alpn.push(e.toString('latin1', p + 1, p + 1 + e[p]!));
    }
    if (type === 43) for (let p = 1; p < e.length; p += 2) facts.supportedVersions.push(e.readUInt16BE(p));
    if (type === 51) for (let p = 2; p < e.length; p += 4 + e.readUInt16BE(p + 2)) facts.keyShareGroups.push(e.readUInt16BE(p));
    o += 4 + len;
  }
  return facts;
}

/** Certificates in a Certificate handshake message body. */
export function certificateCount(body: Buffer): number {
  const total = body.readUIntBE(0, 3);
  let n = 0;
  for (let o = 3; o < 3 + total; o += 3 + body.readUIntBE(o, 3)) n++;
  return n;
}

export interface HttpRequestFacts {
  method: string;
  uri: string;
  host: string;
  userAgent: string;
}

export function parseHttpRequest(b: Buffer): HttpRequestFacts {
  const head = b.toString('latin1').split('\r\n\r\n')[0]!.split('\r\n');
  const [method, uri] = head[0]!.split(' ');
  const header = (name: string): string => head.find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))?.slice(name.length + 1).trim() ?? '';
  return { method: method!, uri: uri!, host: header('Host'), userAgent: header('User-Agent') };
}

export function httpStatus(b: Buffer): number {
  return Number(b.toString('latin1', 9, 12));
}

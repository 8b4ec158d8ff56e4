/**
 * Hand-made frames for end-to-end checks on the lab WAN: a clear-text HTTP exchange with a
 * population-data service's TLS port (what the `population-data` rules alert on) and a
 * DNS-sized filler datagram. Ethernet addresses are locally administered ones no lab
 * router owns, so the router at the far end drops the frames: the sensor sees them once.
 */
import { finishChecksum, sumWords } from './frames/checksum.js';

const [FIN, SYN, PSH, ACK] = [0x01, 0x02, 0x08, 0x10];
const MACS = Buffer.from([0x02, 0xc4, 0x07, 0, 0, 1, 0x02, 0xc4, 0x07, 0, 0, 2]);

function octets(a: string): number[] {
  return a.split('.').map(Number);
}

/** Ethernet + IPv4 (DF, TTL 64) around a transport payload whose checksum the caller fills. */
export function ipv4Frame(src: string, dst: string, proto: number, l4: Uint8Array): Buffer {
  const f = Buffer.alloc(14 + 20 + l4.length);
  MACS.copy(f, 0);
  f.writeUInt16BE(0x0800, 12);
  f[14] = 0x45;
  f.writeUInt16BE(20 + l4.length, 16);
  f.writeUInt16BE(0x4000, 20);
  f[22] = 64;
  f[23] = proto;
  f.set(octets(src), 26);
  f.set(octets(dst), 30);
  f.writeUInt16BE(finishChecksum(sumWords(f, 14, 20)), 24);
  f.set(l4, 34);
  return f;
}

/** One Ethernet/IPv4/TCP frame with correct IP and TCP checksums. */
export function tcpFrame(src: string, dst: string, sport: number, dport: number, seq: number, ack: number, flags: number, payload: Uint8Array = new Uint8Array(0)): Buffer {
  const t = Buffer.alloc(20 + payload.length);
  t.writeUInt16BE(sport, 0);
  t.writeUInt16BE(dport, 2);
  t.writeUInt32BE(seq >>> 0, 4);
  t.writeUInt32BE(ack >>> 0, 8);
  t[12] = 5 << 4;
  t[13] = flags;
  t.writeUInt16BE(64240, 14);
  t.set(payload, 20);
  const f = ipv4Frame(src, dst, 6, t);
  const pseudo = sumWords(f, 26, 8) + 6 + t.length;
  f.writeUInt16BE(finishChecksum(sumWords(f, 34, t.length) + pseudo), 34 + 16);
  return f;
}

/**
 * A whole clear-text HTTP exchange with the service's (TLS) port, closed by both sides:
 * handshake, request, a 400 answer, FINs; the last frame is the client's final ACK.
 */
export function plaintextSession(client: string, server: string, port: number, sport: number): Buffer[] {
  const req = Buffer.from(`GET /api/v1/cong-dan/001099012345 HTTP/1.1\r\nHost: popdata.chot.internal:${port}\r\nUser-Agent: curl/8.5.0\r\n\r\n`);
  const res = Buffer.from('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  let c = 1_000_000;
  let s = 5_000_000;
  return [
    tcpFrame(client, server, sport, port, c, 0, SYN),
    tcpFrame(server, client, port, sport, s, c + 1, SYN | ACK),
    tcpFrame(client, server, sport, port, ++c, ++s, ACK),
    tcpFrame(client, server, sport, port, c, s, PSH | ACK, req),
    tcpFrame(server, client, port, sport, s, (c += req.length), PSH | ACK, res),
    tcpFrame(client, server, sport, port, c, (s += res.length), FIN | ACK),
    tcpFrame(server, client, port, sport, s, ++c, FIN | ACK),
    tcpFrame(client, server, sport, port, c, ++s, ACK),
  ];
}

/** A DNS-sized UDP datagram (no checksum, as UDP over IPv4 allows): keeps packets flowing on a link, raises nothing. */
export function fillerDatagram(src: string, dst: string, sport: number): Buffer {
  const u = Buffer.alloc(8 + 40);
  u.writeUInt16BE(sport, 0);
  u.writeUInt16BE(53, 2);
  u.writeUInt16BE(u.length, 4);
  return ipv4Frame(src, dst, 17, u);
}

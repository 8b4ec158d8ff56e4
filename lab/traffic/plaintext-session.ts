/**
 * Hand-made frames for end-to-end checks on the lab WAN: a clear-text HTTP exchange with a
 * population-data service's TLS port (what the `population-data` rules alert on) and a
 * DNS-sized filler datagram, built with the generator's own header writers. Ethernet
 * addresses are locally administered ones no lab router owns, so the router at the far end
 * drops the frames: the sensor sees them once.
 */
import { ipv4Bytes } from './addresses.js';
import { finishChecksum, sumWords } from './frames/checksum.js';
import { ETHERNET_HEADER_LEN, ETHERTYPE_IPV4, ethernetHeader } from './frames/ethernet.js';
import { IPPROTO_TCP, IPPROTO_UDP, IPV4_HEADER_LEN, ipv4Header, patchIpv4 } from './frames/ipv4.js';
import { TCP_ACK as ACK, TCP_FIN as FIN, TCP_HEADER_LEN, TCP_PSH as PSH, TCP_SYN as SYN, writeTcpHeader } from './frames/tcp.js';
import { UDP_HEADER_LEN, writeUdpHeader } from './frames/udp.js';

const ETHER = ethernetHeader(Buffer.from([0x02, 0xc4, 0x07, 0, 0, 2]), Buffer.from([0x02, 0xc4, 0x07, 0, 0, 1]), ETHERTYPE_IPV4);
const L4 = ETHERNET_HEADER_LEN + IPV4_HEADER_LEN;

/** Ethernet + IPv4 (DF, TTL 64) with room for l4Len bytes of transport, whose checksum the caller fills. */
function ipv4Frame(src: string, dst: string, protocol: number, l4Len: number): Buffer {
  const f = Buffer.alloc(L4 + l4Len);
  ETHER.copy(f, 0);
  const ip = ipv4Header({ src: ipv4Bytes(src), dst: ipv4Bytes(dst), protocol, ttl: 64, dontFragment: true });
  ip.bytes.copy(f, ETHERNET_HEADER_LEN);
  patchIpv4(f, ETHERNET_HEADER_LEN, ip.baseSum, IPV4_HEADER_LEN + l4Len, 0);
  return f;
}

/** One Ethernet/IPv4/TCP frame with correct IP and TCP checksums. */
function tcpFrame(src: string, dst: string, sport: number, dport: number, seq: number, ack: number, flags: number, payload: Uint8Array = new Uint8Array(0)): Buffer {
  const len = TCP_HEADER_LEN + payload.length;
  const f = ipv4Frame(src, dst, IPPROTO_TCP, len);
  writeTcpHeader(f, L4, sport, dport, seq >>> 0, ack >>> 0, flags, 64240, TCP_HEADER_LEN);
  f.set(payload, L4 + TCP_HEADER_LEN);
  // Pseudo-header: the two addresses, the protocol and the TCP length.
  const pseudo = sumWords(f, ETHERNET_HEADER_LEN + 12, 8) + IPPROTO_TCP + len;
  f.writeUInt16BE(finishChecksum(sumWords(f, L4, len) + pseudo), L4 + 16);
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
  const len = UDP_HEADER_LEN + 40;
  const f = ipv4Frame(src, dst, IPPROTO_UDP, len);
  writeUdpHeader(f, L4, sport, 53, len);
  return f;
}

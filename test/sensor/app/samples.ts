// Sample conversations shared by the analyzer tests and the fuzzer: a mutual
// TLS 1.2 handshake, an SSH key exchange, pipelined HTTP, DNS messages. All
// built by hand from the specifications' wire formats.

import type { Direction } from '../../../sensor/app/analyzer.js';
import {
  alpnExt, be16, be24, be32, bytes, cat, clientHelloBody, dnsMessage, dnsName, ext, handshake, record, rr, serverHelloBody, sniExt, u16list,
} from './helpers.js';

export type Flights = Array<[Direction, Uint8Array]>;

export const HS = 22;
export const CCS = 20;
export const ALERT = 21;
export const APP = 23;

// ---- TLS

export const certificateMsg = (...ders: Uint8Array[]): number[] => {
  const list = ders.flatMap((d) => [...be24(d.length), ...d]);
  return handshake(11, [...be24(list.length), ...list]);
};

export const clientHello12 = (): number[] =>
  handshake(1, clientHelloBody({ ciphers: [0xc02f, 0xc030, 0x009c], extensions: [sniExt('chot.test'), ext(10, u16list([23, 29])), ext(11, [1, 0]), alpnExt(['h2', 'http/1.1'])] }));

/** A TLS 1.2 ECDHE handshake with a client certificate, as two flights each way. */
export function mutual12(serverDer: Uint8Array, clientDer: Uint8Array): Flights {
  const serverFlight = record(
    HS,
    [
      ...handshake(2, serverHelloBody({ cipher: 0xc02f, extensions: [ext(0xff01, [0]), ext(11, [1, 0]), alpnExt(['h2'])] })),
      ...certificateMsg(serverDer),
      ...handshake(12, [3, ...be16(23), 65, ...new Array(65).fill(4)]),
      ...handshake(13, [1, 64, ...be16(0)]),
      ...handshake(14, []),
    ],
  );
  const clientFlight = cat(
    record(HS, [...certificateMsg(clientDer), ...handshake(16, [65, ...new Array(65).fill(4)]), ...handshake(15, [4, 3, 0, 2, 0, 0])]),
    record(CCS, [1]),
    record(HS, new Array(40).fill(0x5a)), // encrypted Finished
  );
  const serverFinish = cat(record(CCS, [1]), record(HS, new Array(40).fill(0x6b)));
  return [
    [0, record(HS, clientHello12(), 0x0301)],
    [1, serverFlight],
    [0, clientFlight],
    [1, serverFinish],
    [0, record(APP, new Array(100).fill(1))],
    [1, record(APP, new Array(100).fill(2))],
  ];
}


/** A TLS 1.3 handshake as a passive observer sees it. */
export function tls13(): Flights {
  const ch = handshake(1, clientHelloBody({ ciphers: [0x1301, 0x1302], extensions: [sniExt('chot.test'), ext(43, u16list([0x0304, 0x0303], 1)), ext(51, [0, 6, 0, 29, 0, 2, 1, 2])] }));
  return [
    [0, record(HS, ch, 0x0301)],
    [1, cat(record(HS, handshake(2, serverHelloBody({ cipher: 0x1301, extensions: [ext(43, be16(0x0304)), ext(51, [0, 29, 0, 2, 1, 2])] }))), record(CCS, [1]), record(APP, new Array(300).fill(3)))],
    [0, cat(record(CCS, [1]), record(APP, new Array(50).fill(4)))],
  ];
}

// ---- HTTP

export const pipelined = bytes(
  'GET /index.html?q=1 HTTP/1.1\r\nHost: www.example.vn\r\nUser-Agent: curl/8.5.0\r\nReferer: http://a.example/\r\n\r\n',
  'POST /api/v1/lookup HTTP/1.1\r\nHost: www.example.vn:8080\r\nContent-Length: 11\r\nOrigin: https://app.example\r\n\r\n{"id":1234}',
  'PUT /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nAuthorization: Basic dXNlcjE6c2VjcmV0\r\nX-Forwarded-For: 10.0.0.9\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\n',
);
export const responses = bytes(
  'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabcde',
  'HTTP/1.1 100 Continue\r\n\r\n',
  'HTTP/1.1 201 Created\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n',
  'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n',
);


// ---- SSH

export const CYBERDUCK = {
  kex: 'curve25519-sha256@libssh.org,diffie-hellman-group-exchange-sha256,ecdh-sha2-nistp521,ecdh-sha2-nistp384,ecdh-sha2-nistp256,diffie-hellman-group-exchange-sha1,diffie-hellman-group1-sha1,diffie-hellman-group14-sha1,diffie-hellman-group14-sha256,diffie-hellman-group15-sha512,diffie-hellman-group16-sha512,diffie-hellman-group17-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256@ssh.com,diffie-hellman-group15-sha256,diffie-hellman-group15-sha256@ssh.com,diffie-hellman-group15-sha384@ssh.com,diffie-hellman-group16-sha256,diffie-hellman-group16-sha384@ssh.com,diffie-hellman-group16-sha512@ssh.com,diffie-hellman-group18-sha512@ssh.com',
  enc: 'aes128-cbc,aes128-ctr,aes192-cbc,aes192-ctr,aes256-cbc,aes256-ctr,blowfish-cbc,blowfish-ctr,cast128-cbc,cast128-ctr,idea-cbc,idea-ctr,serpent128-cbc,serpent128-ctr,serpent192-cbc,serpent192-ctr,serpent256-cbc,serpent256-ctr,3des-cbc,3des-ctr,twofish128-cbc,twofish128-ctr,twofish192-cbc,twofish192-ctr,twofish256-cbc,twofish256-ctr,twofish-cbc,arcfour,arcfour128,arcfour256',
  mac: 'hmac-sha1,hmac-sha1-96,hmac-md5,hmac-md5-96,hmac-sha2-256,hmac-sha2-512',
  comp: 'zlib@openssh.com,zlib,none',
};
export const OPENSSH53 = {
  kex: 'diffie-hellman-group-exchange-sha256,diffie-hellman-group-exchange-sha1,diffie-hellman-group14-sha1,diffie-hellman-group1-sha1',
  enc: 'aes128-ctr,aes192-ctr,aes256-ctr,arcfour256,arcfour128,aes128-cbc,3des-cbc,blowfish-cbc,cast128-cbc,aes192-cbc,aes256-cbc,arcfour,rijndael-cbc@lysator.liu.se',
  mac: 'hmac-md5,hmac-sha1,umac-64@openssh.com,hmac-ripemd160,hmac-ripemd160@openssh.com,hmac-sha1-96,hmac-md5-96',
  comp: 'none,zlib@openssh.com',
};

const str = (s: string | Uint8Array): number[] => {
  const b = typeof s === 'string' ? Buffer.from(s, 'latin1') : s;
  return [...be32(b.length), ...b];
};

/** An SSH binary packet around a payload, padded to 8 bytes as RFC 4253 §6 asks. */
export function sshPacket(payload: number[]): Uint8Array {
  let pad = 8 - ((5 + payload.length) % 8);
  if (pad < 4) pad += 8;
  return bytes(be32(1 + payload.length + pad), pad, payload, new Array(pad).fill(0));
}

function kexinit(a: { kex: string; enc: string; mac: string; comp: string }, hostKey: string): Uint8Array {
  return sshPacket([20, ...new Array(16).fill(0xaa), ...str(a.kex), ...str(hostKey), ...str(a.enc), ...str(a.enc), ...str(a.mac), ...str(a.mac), ...str(a.comp), ...str(a.comp), ...str(''), ...str(''), 0, ...be32(0)]);
}

export const hostKeyBlob = bytes(str('ssh-rsa'), str(new Uint8Array([1, 0, 1])), str(new Uint8Array(257).fill(0xc3)));

export function sshConversation(): Flights {
  return [
    [1, bytes('Welcome to the bastion\r\nSSH-2.0-OpenSSH_5.3\r\n')],
    [0, cat(bytes('SSH-2.0-Cyberduck/6.7.1.28683 (Mac OS X/10.13.6) (x86_64)\r\n'), kexinit(CYBERDUCK, 'ssh-ed25519,ssh-rsa'))],
    [1, kexinit(OPENSSH53, 'ssh-rsa,ssh-dss')],
    [0, sshPacket([34, ...be32(1024), ...be32(2048), ...be32(8192)])], // GEX request
    [1, sshPacket([31, ...str(new Uint8Array(129).fill(0xff)), ...str(new Uint8Array([2]))])], // GEX group: p and g, not a host key
    [0, sshPacket([32, ...str(new Uint8Array(128).fill(7))])],
    [1, cat(sshPacket([33, ...str(hostKeyBlob), ...str(new Uint8Array(128).fill(9)), ...str(new Uint8Array(64).fill(5))]), sshPacket([21]))],
    [0, cat(sshPacket([21]), bytes(new Array(200).fill(0x99)))], // NEWKEYS, then ciphertext
    [1, bytes(new Array(64).fill(0x98))],
  ];
}


// ---- DNS

export const dnsQuery = dnsMessage({ id: 0x1234, flags: 0x0100, qname: 'www.Example.com', qtype: 1 });
export const dnsResponse = dnsMessage({
  id: 0x1234,
  flags: 0x8180,
  qname: 'www.Example.com',
  qtype: 1,
  answers: [
    rr({ name: [0xc0, 12], type: 5, ttl: 300, rdata: [3, ...Buffer.from('cdn'), 0xc0, 16] }),
    rr({ name: [0xc0, 45], type: 1, ttl: 60, rdata: [93, 184, 216, 34] }),
    rr({ name: [0xc0, 45], type: 28, ttl: 60, rdata: [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1] }),
    rr({ name: [0xc0, 12], type: 16, ttl: 3600, rdata: [5, ...Buffer.from('hello'), 3, ...Buffer.from('a b')] }),
    rr({ name: [0xc0, 12], type: 15, ttl: 7200, rdata: [0, 10, 2, ...Buffer.from('mx'), 0xc0, 16] }),
    rr({ name: [0xc0, 12], type: 6, ttl: 1, rdata: [...dnsName('ns1.test'), ...dnsName('root.test'), ...new Array(20).fill(0)] }),
    rr({ name: [0xc0, 12], type: 33, ttl: 1, rdata: [0, 1, 0, 2, 0, 80, 0xc0, 16] }),
    rr({ name: [0xc0, 12], type: 257, ttl: 1, rdata: [0, 5, ...Buffer.from('issue'), ...Buffer.from('ca.test')] }),
    rr({ name: [0xc0, 12], type: 65, ttl: 1, rdata: [0, 1, 0] }),
  ],
});

/** A DNS message with its TCP length prefix. */
export const tcpDns = (m: Uint8Array): Uint8Array => cat(bytes(be16(m.length)), m);

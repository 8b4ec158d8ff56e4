import type { Bytes } from '../flows/tcp-script.js';
import type { Prng } from '../prng.js';
import type { PayloadPool } from './payload-pool.js';
import {
  ALERT,
  CONTENT_HANDSHAKE,
  HANDSHAKE,
  RECORD_OVERHEAD,
  TLS12,
  TLS13,
  alertRecord,
  changeCipherSpec,
  encryptedRecords,
  extension,
  handshakeMessage,
  record,
  u16List,
  vector,
} from './tls-records.js';
import { EXT } from './tls-client-hello.js';

/** The handshake flights after the ClientHello, for TLS 1.3 and for TLS 1.2 with a client certificate request. */

export const CIPHER_NAMES: Record<number, string> = {
  0x1301: 'TLS_AES_128_GCM_SHA256',
  0x1302: 'TLS_AES_256_GCM_SHA384',
  0x1303: 'TLS_CHACHA20_POLY1305_SHA256',
  0xc02b: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
  0xc02c: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
};

const X25519 = 0x001d;
const ECDSA_SECP256R1_SHA256 = 0x0403;

/** A ServerHello record; its legacy version field is always TLS 1.2 (TLS 1.3 is chosen by supported_versions). */
function serverHello(rng: Prng, sessionId: Buffer, cipher: number, exts: Buffer[]): Buffer {
  const body = Buffer.concat([u16List([TLS12]), rng.bytes(32), vector(1, sessionId), u16List([cipher]), Buffer.from([0]), vector(2, Buffer.concat(exts))]);
  return record(CONTENT_HANDSHAKE, TLS12, handshakeMessage(HANDSHAKE.serverHello, body));
}

/** A DER ECDSA signature's typical size with the random r and s a real one would have. */
function ecdsaSignature(rng: Prng): Buffer {
  const int = (): Buffer => {
    const v = rng.bytes(32);
    return v[0]! & 0x80 ? Buffer.concat([Buffer.from([2, 33, 0]), v]) : Buffer.concat([Buffer.from([2, 32]), v]);
  };
  const seq = Buffer.concat([int(), int()]);
  return Buffer.concat([Buffer.from([0x30, seq.length]), seq]);
}

function certificateMessage(chain: readonly Buffer[]): Buffer {
  return handshakeMessage(HANDSHAKE.certificate, vector(3, Buffer.concat(chain.map((c) => vector(3, c)))));
}

// ---- TLS 1.3 -------------------------------------------------------------------------

/**
 * The server's first flight: ServerHello (supported_versions = TLS 1.3, an x25519 key
 * share), the compatibility ChangeCipherSpec, then EncryptedExtensions, Certificate,
 * CertificateVerify and Finished as encrypted records.
 */
export function tls13ServerFlight(rng: Prng, pool: PayloadPool, sessionId: Buffer, cipher: number, certChainBytes: number): Bytes[] {
  const hello = serverHello(rng, sessionId, cipher, [
    extension(EXT.supportedVersions, u16List([TLS13])),
    extension(EXT.keyShare, Buffer.concat([u16List([X25519]), vector(2, rng.bytes(32))])),
  ]);
  return [
    hello,
    changeCipherSpec(),
    ...encryptedRecords(rng, pool, rng.int(10, 40), RECORD_OVERHEAD.tls13),
    ...encryptedRecords(rng, pool, certChainBytes + 13, RECORD_OVERHEAD.tls13),
    ...encryptedRecords(rng, pool, 79, RECORD_OVERHEAD.tls13),
    ...encryptedRecords(rng, pool, 36, RECORD_OVERHEAD.tls13),
  ];
}

/** The client's second flight: compatibility ChangeCipherSpec and an encrypted Finished. */
export function tls13ClientFinished(rng: Prng, pool: PayloadPool): Bytes[] {
  return [changeCipherSpec(), ...encryptedRecords(rng, pool, 36, RECORD_OVERHEAD.tls13)];
}

// ---- TLS 1.2 with a client certificate request ---------------------------------------

export interface Tls12ServerSpec {
  sessionId: Buffer;
  cipher: number;
  alpn: string | null;
  chain: readonly Buffer[];
  /** DER-encoded names of the CAs whose client certificates the server accepts. */
  acceptedCaNames: readonly Buffer[];
}

/** ServerHello, Certificate, ServerKeyExchange (ECDHE x25519), CertificateRequest, ServerHelloDone. */
export function tls12ServerFlight(rng: Prng, spec: Tls12ServerSpec): Buffer[] {
  const exts = [extension(EXT.renegotiationInfo, Buffer.from([0])), extension(EXT.extendedMasterSecret, Buffer.alloc(0)), extension(EXT.ecPointFormats, Buffer.from([1, 0]))];
  if (spec.alpn) exts.push(extension(EXT.alpn, vector(2, vector(1, Buffer.from(spec.alpn, 'latin1')))));
  const keyExchange = Buffer.concat([Buffer.from([3]), u16List([X25519]), vector(1, rng.bytes(32)), u16List([ECDSA_SECP256R1_SHA256]), vector(2, ecdsaSignature(rng))]);
  const certificateRequest = Buffer.concat([
    vector(1, Buffer.from([64 /* ecdsa_sign */, 1 /* rsa_sign */])),
    vector(2, u16List([0x0403, 0x0503, 0x0804, 0x0805, 0x0401, 0x0501])),
    vector(2, Buffer.concat(spec.acceptedCaNames.map((n) => vector(2, n)))),
  ]);
  return [
    serverHello(rng, spec.sessionId, spec.cipher, exts),
    record(CONTENT_HANDSHAKE, TLS12, certificateMessage(spec.chain)),
    record(CONTENT_HANDSHAKE, TLS12, handshakeMessage(HANDSHAKE.serverKeyExchange, keyExchange)),
    record(CONTENT_HANDSHAKE, TLS12, handshakeMessage(HANDSHAKE.certificateRequest, certificateRequest)),
    record(CONTENT_HANDSHAKE, TLS12, handshakeMessage(HANDSHAKE.serverHelloDone, Buffer.alloc(0))),
  ];
}

/**
 * The client's answer: its Certificate (with `chain`, empty when `chain` is [], or left
 * out entirely when null), ClientKeyExchange, CertificateVerify when it has a key to
 * prove, ChangeCipherSpec and the encrypted Finished.
 */
export function tls12ClientFlight(rng: Prng, pool: PayloadPool, chain: readonly Buffer[] | null): Bytes[] {
  const out: Bytes[] = [];
  if (chain) out.push(record(CONTENT_HANDSHAKE, TLS12, certificateMessage(chain)));
  out.push(record(CONTENT_HANDSHAKE, TLS12, handshakeMessage(HANDSHAKE.clientKeyExchange, vector(1, rng.bytes(32)))));
  if (chain && chain.length > 0) {
    out.push(record(CONTENT_HANDSHAKE, TLS12, handshakeMessage(HANDSHAKE.certificateVerify, Buffer.concat([u16List([ECDSA_SECP256R1_SHA256]), vector(2, ecdsaSignature(rng))]))));
  }
  out.push(changeCipherSpec(), ...encryptedRecords(rng, pool, 16, RECORD_OVERHEAD.tls12Gcm, CONTENT_HANDSHAKE));
  return out;
}

/** The server's ChangeCipherSpec and Finished, completing a TLS 1.2 handshake. */
export function tls12ServerFinished(rng: Prng, pool: PayloadPool): Bytes[] {
  return [changeCipherSpec(), ...encryptedRecords(rng, pool, 16, RECORD_OVERHEAD.tls12Gcm, CONTENT_HANDSHAKE)];
}

/** The fatal alert a server requiring client certificates sends to a client without one. */
export function tls12NoCertificateAlert(): Buffer {
  return alertRecord(ALERT.handshakeFailure);
}

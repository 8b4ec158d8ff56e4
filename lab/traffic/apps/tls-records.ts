import type { Bytes } from '../flows/tcp-script.js';
import type { Prng } from '../prng.js';
import type { PayloadPool } from './payload-pool.js';

/** TLS record layer (RFC 8446 §5, RFC 5246 §6.2) and handshake message framing. */

export const CONTENT_CHANGE_CIPHER_SPEC = 20;
export const CONTENT_ALERT = 21;
export const CONTENT_HANDSHAKE = 22;
export const CONTENT_APPLICATION_DATA = 23;

export const HANDSHAKE = {
  clientHello: 1,
  serverHello: 2,
  certificate: 11,
  serverKeyExchange: 12,
  certificateRequest: 13,
  serverHelloDone: 14,
  certificateVerify: 15,
  clientKeyExchange: 16,
  finished: 20,
} as const;

export const TLS10 = 0x0301;
export const TLS12 = 0x0303;
export const TLS13 = 0x0304;

/** Largest plaintext in one record (2^14). */
export const MAX_RECORD_PLAINTEXT = 16384;
/** Ciphertext expansion per record: TLS 1.3 adds a 16-byte tag and the inner content type; TLS 1.2 AES-GCM an 8-byte explicit nonce and the tag. */
export const RECORD_OVERHEAD = { tls13: 17, tls12Gcm: 24 } as const;

export const ALERT = { handshakeFailure: 40, badCertificate: 42, certificateRequired: 116, closeNotify: 0 } as const;

export function record(contentType: number, version: number, body: Buffer): Buffer {
  const h = Buffer.alloc(5);
  h[0] = contentType;
  h.writeUInt16BE(version, 1);
  h.writeUInt16BE(body.length, 3);
  return Buffer.concat([h, body]);
}

export function handshakeMessage(type: number, body: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h[0] = type;
  h.writeUIntBE(body.length, 1, 3);
  return Buffer.concat([h, body]);
}

export function changeCipherSpec(): Buffer {
  return record(CONTENT_CHANGE_CIPHER_SPEC, TLS12, Buffer.from([1]));
}

export function alertRecord(description: number): Buffer {
  return record(CONTENT_ALERT, TLS12, Buffer.from([2 /* fatal */, description]));
}

/**
 * `plaintextLen` bytes of application data as encrypted records: 5-byte headers this
 * builds, bodies that point into the shared random pool (ciphertext looks random).
 */
export function encryptedRecords(rng: Prng, pool: PayloadPool, plaintextLen: number, overhead: number, contentType = CONTENT_APPLICATION_DATA): Bytes[] {
  const out: Bytes[] = [];
  let left = plaintextLen;
  do {
    const n = Math.min(left, MAX_RECORD_PLAINTEXT);
    const bodyLen = n + overhead;
    const h = Buffer.alloc(5);
    h[0] = contentType;
    h.writeUInt16BE(TLS12, 1);
    h.writeUInt16BE(bodyLen, 3);
    out.push(h, ...pool.randomBytes(rng, bodyLen));
    left -= n;
  } while (left > 0);
  return out;
}

export function bytesLength(parts: readonly Bytes[]): number {
  let n = 0;
  for (const p of parts) n += Buffer.isBuffer(p) ? p.length : p.len;
  return n;
}

/** A vector with a 1-, 2- or 3-byte length prefix, as TLS encodes lists. */
export function vector(lengthBytes: 1 | 2 | 3, body: Buffer): Buffer {
  const h = Buffer.alloc(lengthBytes);
  h.writeUIntBE(body.length, 0, lengthBytes);
  return Buffer.concat([h, body]);
}

export function u16List(values: readonly number[]): Buffer {
  const b = Buffer.alloc(values.length * 2);
  values.forEach((v, i) => b.writeUInt16BE(v, i * 2));
  return b;
}

export function extension(type: number, body: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt16BE(type, 0);
  h.writeUInt16BE(body.length, 2);
  return Buffer.concat([h, body]);
}

// Certificate fingerprints and decodings, once per distinct certificate.
//
// A server sends the same chain to every client, and a client its same
// certificate to every server: hashing and decoding the DER again for each
// connection was most of what TLS 1.2 handshakes cost. Results are kept with
// a copy of the certificate's bytes, found by a short key (a hash of its length
// and its last bytes, which lie in the signature and so differ between
// certificates; a number, which a Map hashes without reading a string) and
// confirmed by comparing all the bytes; with them the weirds the decoding
// reported, so that a hit reports them again. A decoded X509Info is shared by
// every connection that presented that certificate: it is never modified
// after decoding.

import { Buffer } from 'node:buffer';
import { view } from '../bytes.js';
import type { AppEvents } from '../events.js';
import { Memo } from './memo.js';
import type { X509Info } from './types.js';
import { parseCertificate, sha256Hex } from './x509.js';

interface Known {
  der: Uint8Array;
  sha256: string;
  decoded: boolean;
  info: X509Info | undefined;
  weirds: string[] | undefined;
}

const known = new Memo<Known, number>(4096);

/** Bytes of the certificate's end in its key. */
const TAIL = 24;

function entry(b: Uint8Array, start: number, end: number): Known {
  const der = view(b, start, end);
  // FNV-1a over the length and the tail bytes.
  let key = Math.imul(0x811c9dc5 ^ (end - start), 0x01000193);
  for (let i = Math.max(start, end - TAIL); i < end; i++) key = Math.imul(key ^ b[i]!, 0x01000193);
  key &= 0x3fffffff; // a small integer: never boxed, hashed by value
  let k = known.get(key);
  if (k === undefined || Buffer.compare(der, k.der) !== 0) {
    k = { der: Uint8Array.prototype.slice.call(der), sha256: sha256Hex(b, start, end), decoded: false, info: undefined, weirds: undefined };
    known.set(key, k);
  }
  return k;
}

/** The remembered facts of the certificate in b[start, end) (found once, then asked for its fingerprint and decoding). */
export type KnownCertificate = Known;

export function knownCertificate(b: Uint8Array, start: number, end: number): KnownCertificate {
  return entry(b, start, end);
}

/** SHA-256 of the DER, lowercase hex (sha256Hex, remembered). */
export function certificateFingerprint(k: KnownCertificate): string {
  return k.sha256;
}

/** parseCertificate of the DER (the kept copy: the same bytes), remembered; its weirds are reported on every call. */
export function decodeCertificate(k: KnownCertificate, events: AppEvents): X509Info | undefined {
  if (!k.decoded) {
    const weirds: string[] = [];
    k.info = parseCertificate(k.der, 0, k.der.length, { weird: (name) => weirds.push(name) });
    k.weirds = weirds.length > 0 ? weirds : undefined;
    k.decoded = true;
  }
  if (k.weirds !== undefined) for (const w of k.weirds) events.weird(w);
  return k.info;
}

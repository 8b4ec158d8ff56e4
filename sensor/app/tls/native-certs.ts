// Certificates for the native TLS analyzer (native/tls.c): it fingerprints a chain
// itself, and asks here, once per certificate it has not seen, for the leaf's decoding
// as JavaScript makes it (cert-memo.ts, x509.ts), in the forms its rows need. A
// certificate whose decoding reports a weird gets no answer: the analyzer then hands
// every connection showing it to TlsAnalyzer, which reports the weirds.

import { ZeekLogWriter, ZeekRowWriter } from '../../output/zeek-log.js';
import { decodeCertificate, knownCertificate } from './cert-memo.js';
import { writeX509Row, X509_FIELDS } from './log.js';
import type { X509Info } from './types.js';

export interface NativeCert {
  subject: string;
  issuer: string;
  /** x509.log's columns from fingerprint to basic_constraints.path_len, as written (one character per byte). */
  row: string;
  /** hostMatchesCert's names, lowercased, a trailing dot dropped; null when one is not ASCII or holds a NUL. */
  names: string[] | null;
}

/** The leaf certificate der for the native analyzer, or undefined when its decoding reports anything. */
export function decodeForNative(der: Uint8Array): NativeCert | undefined {
  const weirds: string[] = [];
  const info = decodeCertificate(knownCertificate(der, 0, der.length), { weird: (name) => weirds.push(name) });
  if (info === undefined || weirds.length > 0) return undefined;
  const names = info.sanDns.length > 0 ? info.sanDns : info.subjectCN !== undefined ? [info.subjectCN] : [];
  // (and no NUL: the analyzer holds names as C strings, which one would cut short, "a.example\0.evil.example" matching "a.example")
  const ascii = names.every((n) => !/[^\x01-\x7f]/.test(n));
  return { subject: info.subject, issuer: info.issuer, row: rowColumns(info), names: ascii ? names.map((n) => n.toLowerCase().replace(/\.$/, '')) : null };
}

let captured: Buffer[] = [];
const rows = new ZeekRowWriter(() => new ZeekLogWriter('x509.log', 'x509', X509_FIELDS, undefined, { sink: (b) => void captured.push(Buffer.from(b)), close() {} }));

/** The row writeX509Row writes, without its time and its last two columns (the analyzer adds those per connection). */
function rowColumns(info: X509Info): string {
  captured = [];
  writeX509Row(rows, 0n, info, false);
  rows.flush();
  const line = Buffer.concat(captured).toString('latin1');
  const fields = line.slice(0, line.length - 1).split('\t'); // (no field holds a tab: the writer escapes them)
  return fields.slice(1, fields.length - 2).join('\t');
}

// ClientHello and ServerHello bodies (RFC 8446 §4.1.2-3, RFC 5246 §7.4.1),
// and the SSLv2-compatible ClientHello (RFC 5246 Appendix E.2).
//
// Only what the logs and fingerprints need is kept. Lists keep GREASE values
// and wire order; the fingerprint code filters. Every list is bounded, so a
// 64 KB hello cannot make a 32,000-entry array.

import { copy, u16, wireString } from '../bytes.js';
import type { AppEvents } from '../events.js';
import { EXT, HRR_RANDOM } from './consts.js';

const MAX_LIST = 512;
const MAX_ALPN = 16;
const MAX_SNI = 1024;

export interface ClientHello {
  /** legacy_version of the hello (JA3's version). */
  version: number;
  sessionId: Uint8Array;
  ciphers: number[];
  /** Extension types in wire order. */
  extensions: number[];
  groups: number[];
  pointFormats: number[];
  sigAlgs: number[];
  supportedVersions: number[];
  sni?: string;
  alpn: string[];
  /** The first ALPN value's bytes, for JA4's rule on non-alphanumeric values. */
  alpnFirst?: Uint8Array;
  /** A non-empty session_ticket extension: the client tries ticket resumption. */
  ticket: boolean;
  /** A pre_shared_key extension: the client offers TLS 1.3 resumption. */
  psk: boolean;
  /** An SSLv2-format hello (no extensions; fingerprints do not apply). */
  sslv2: boolean;
}

export interface ServerHello {
  version: number;
  /** A HelloRetryRequest in ServerHello clothing (TLS 1.3). */
  hrr: boolean;
  sessionId: Uint8Array;
  cipher: number;
  extensions: number[];
  /** supported_versions as selected by the server. */
  selectedVersion?: number;
  /** key_share group (the 1.3 curve). */
  keyShareGroup?: number;
  alpn?: string;
  psk: boolean;
}

/** Parses a ClientHello body b[start, end). Undefined when its fixed part does not fit. */
export function parseClientHello(b: Uint8Array, start: number, end: number, events: AppEvents): ClientHello | undefined {
  let off = start;
  if (off + 2 + 32 + 1 > end) return undefined;
  const version = u16(b, off);
  off += 34;
  const sidLen = b[off]!;
  if (sidLen > 32 || off + 1 + sidLen + 2 > end) return undefined;
  const sessionId = copy(b, off + 1, off + 1 + sidLen);
  off += 1 + sidLen;
  const csLen = u16(b, off);
  off += 2;
  if (csLen % 2 !== 0 || off + csLen + 1 > end) return undefined;
  const ch: ClientHello = {
    version,
    sessionId,
    ciphers: u16list(b, off, off + csLen, events),
    extensions: [],
    groups: [],
    pointFormats: [],
    sigAlgs: [],
    supportedVersions: [],
    alpn: [],
    ticket: false,
    psk: false,
    sslv2: false,
  };
  off += csLen;
  const compLen = b[off]!;
  off += 1 + compLen;
  if (off > end) return undefined;
  if (off + 2 > end) return ch; // no extensions (SSLv3-era hellos)
  extensions(b, off, end, events, (type, s, e) => {
    if (ch.extensions.length < MAX_LIST) ch.extensions.push(type);
    switch (type) {
      case EXT.SERVER_NAME:
        ch.sni = serverName(b, s, e, events);
        break;
      case EXT.SUPPORTED_GROUPS:
        if (e - s >= 2) ch.groups = u16list(b, s + 2, Math.min(e, s + 2 + u16(b, s)), events);
        break;
      case EXT.EC_POINT_FORMATS:
        if (e - s >= 1) for (let i = s + 1; i < Math.min(e, s + 1 + b[s]!); i++) ch.pointFormats.push(b[i]!);
        break;
      case EXT.SIGNATURE_ALGORITHMS:
        if (e - s >= 2) ch.sigAlgs = u16list(b, s + 2, Math.min(e, s + 2 + u16(b, s)), events);
        break;
      case EXT.ALPN: {
        const a = alpnList(b, s, e);
        ch.alpn = a.names;
        ch.alpnFirst = a.first;
        break;
      }
      case EXT.SUPPORTED_VERSIONS:
        if (e - s >= 1) ch.supportedVersions = u16list(b, s + 1, Math.min(e, s + 1 + b[s]!), events);
        break;
      case EXT.SESSION_TICKET:
        ch.ticket = e > s;
        break;
      case EXT.PRE_SHARED_KEY:
        ch.psk = true;
        break;
    }
  });
  return ch;
}

/** Parses a ServerHello body b[start, end). */
export function parseServerHello(b: Uint8Array, start: number, end: number, events: AppEvents): ServerHello | undefined {
  let off = start;
  if (off + 2 + 32 + 1 > end) return undefined;
  const version = u16(b, off);
  let hrr = true;
  for (let i = 0; i < 32; i++) {
    if (b[off + 2 + i] !== HRR_RANDOM[i]) {
      hrr = false;
      break;
    }
  }
  off += 34;
  const sidLen = b[off]!;
  if (sidLen > 32 || off + 1 + sidLen + 3 > end) return undefined;
  const sessionId = copy(b, off + 1, off + 1 + sidLen);
  off += 1 + sidLen;
  const sh: ServerHello = { version, hrr, sessionId, cipher: u16(b, off), extensions: [], psk: false };
  off += 3; // cipher, compression method
  if (off + 2 > end) return sh;
  extensions(b, off, end, events, (type, s, e) => {
    if (sh.extensions.length < MAX_LIST) sh.extensions.push(type);
    switch (type) {
      case EXT.SUPPORTED_VERSIONS:
        if (e - s >= 2) sh.selectedVersion = u16(b, s);
        break;
      case EXT.KEY_SHARE:
        // ServerHello: one KeyShareEntry; HelloRetryRequest: just the group.
        if (e - s >= 2) sh.keyShareGroup = u16(b, s);
        break;
      case EXT.ALPN:
        sh.alpn = alpnList(b, s, e).names[0];
        break;
      case EXT.PRE_SHARED_KEY:
        sh.psk = true;
        break;
    }
  });
  return sh;
}

/**
 * An SSLv2-format ClientHello record body: msg_type(1)=1, version, cipher_spec_length,
 * session_id_length, challenge_length, then the lists. Its 3-byte cipher specs
 * map to TLS suites when the first byte is 0.
 */
export function parseV2ClientHello(b: Uint8Array, start: number, end: number, events: AppEvents): ClientHello | undefined {
  if (end - start < 9 || b[start] !== 1) return undefined;
  const version = u16(b, start + 1);
  const csLen = u16(b, start + 3);
  const sidLen = u16(b, start + 5);
  const chalLen = u16(b, start + 7);
  const off = start + 9;
  if (csLen % 3 !== 0 || off + csLen + sidLen + chalLen > end || sidLen > 32) return undefined;
  const ciphers: number[] = [];
  for (let i = off; i < off + csLen && ciphers.length < MAX_LIST; i += 3) {
    if (b[i] === 0) ciphers.push(u16(b, i + 1));
  }
  if (csLen / 3 > MAX_LIST) events.weird('tls_hello_list_too_long');
  return {
    version,
    sessionId: copy(b, off + csLen, off + csLen + sidLen),
    ciphers,
    extensions: [],
    groups: [],
    pointFormats: [],
    sigAlgs: [],
    supportedVersions: [],
    alpn: [],
    ticket: false,
    psk: false,
    sslv2: true,
  };
}

/** Walks the extensions block at b[off..): a 2-byte total length, then type(2) len(2) data. */
function extensions(
  b: Uint8Array,
  off: number,
  end: number,
  events: AppEvents,
  each: (type: number, start: number, end: number) => void,
): void {
  const total = u16(b, off);
  off += 2;
  let limit = off + total;
  if (limit > end) {
    events.weird('tls_extensions_length_mismatch');
    limit = end;
  }
  while (off + 4 <= limit) {
    const type = u16(b, off);
    const len = u16(b, off + 2);
    off += 4;
    if (off + len > limit) {
      events.weird('tls_extension_length_mismatch');
      return;
    }
    each(type, off, off + len);
    off += len;
  }
}

function u16list(b: Uint8Array, start: number, end: number, events: AppEvents): number[] {
  const out: number[] = [];
  for (let i = start; i + 1 < end; i += 2) {
    if (out.length >= MAX_LIST) {
      events.weird('tls_hello_list_too_long');
      break;
    }
    out.push(u16(b, i));
  }
  return out;
}

/** server_name_list: the first host_name entry (RFC 6066 §3). */
function serverName(b: Uint8Array, s: number, e: number, events: AppEvents): string | undefined {
  if (e - s < 2) return undefined;
  const limit = Math.min(e, s + 2 + u16(b, s));
  let off = s + 2;
  let first: string | undefined;
  let count = 0;
  while (off + 3 <= limit) {
    const type = b[off]!;
    const len = u16(b, off + 1);
    off += 3;
    if (off + len > limit) break;
    if (type === 0) {
      count++;
      if (first === undefined) {
        if (len > MAX_SNI) events.weird('tls_sni_too_long');
        first = wireString(b, off, off + len, MAX_SNI);
      }
    }
    off += len;
  }
  if (count > 1) events.weird('SSL_many_server_names');
  return first;
}

/** protocol_name_list (RFC 7301 §3.1). */
function alpnList(b: Uint8Array, s: number, e: number): { names: string[]; first?: Uint8Array } {
  const out: { names: string[]; first?: Uint8Array } = { names: [] };
  if (e - s < 2) return out;
  const limit = Math.min(e, s + 2 + u16(b, s));
  let off = s + 2;
  while (off < limit && out.names.length < MAX_ALPN) {
    const len = b[off]!;
    off++;
    if (off + len > limit) break;
    if (out.names.length === 0) out.first = copy(b, off, off + len);
    out.names.push(wireString(b, off, off + len, 255));
    off += len;
  }
  return out;
}

// What the handshake of one TLS connection means, message by message, as
// Zeek's base/protocols/ssl scripts read it: version and cipher from the
// ServerHello, history letters, resumption, establishment, certificates, and
// whether the client authenticated with a certificate.
//
// Roles, not directions: the client is whoever sent the ClientHello (Zeek
// marks a responder-side client with '^' in the history).

import type { Direction } from '../analyzer.js';
import { u16, u24 } from '../bytes.js';
import type { AppEvents } from '../events.js';
import { CONTENT, EXT, HS, isEcdheCipher, isGrease, TLS13 } from './consts.js';
import { parseClientHello, parseServerHello, parseV2ClientHello, type ClientHello, type ServerHello } from './hello.js';
import { clientFingerprints, serverFingerprint } from './fingerprints.js';
import { clientPrintsAhead, serverPrintAhead } from './prints-ahead.js';
import { Body } from './record.js';
import type { TlsInfo } from './types.js';
import { certificateFingerprint, decodeCertificate, knownCertificate, type KnownCertificate } from './cert-memo.js';
import { hostMatchesCert } from './x509.js';

const MAX_HISTORY = 100;
const MAX_CHAIN = 10;

const LETTERS: Record<number, string> = {
  [HS.HELLO_REQUEST]: 'h', [HS.CLIENT_HELLO]: 'c', [HS.SERVER_HELLO]: 's', 3: 'v',
  [HS.NEW_SESSION_TICKET]: 't', [HS.END_OF_EARLY_DATA]: 'e', [HS.HELLO_RETRY_REQUEST]: 'j',
  [HS.ENCRYPTED_EXTENSIONS]: 'o', [HS.CERTIFICATE]: 'x', [HS.SERVER_KEY_EXCHANGE]: 'k',
  [HS.CERTIFICATE_REQUEST]: 'r', [HS.SERVER_HELLO_DONE]: 'n', [HS.CERTIFICATE_VERIFY]: 'y',
  [HS.CLIENT_KEY_EXCHANGE]: 'g', [HS.FINISHED]: 'f', [HS.CERTIFICATE_URL]: 'w',
  [HS.CERTIFICATE_STATUS]: 'u', [HS.SUPPLEMENTAL_DATA]: 'a', [HS.KEY_UPDATE]: 'p', [HS.MESSAGE_HASH]: 'm',
};

export class TlsSession {
  readonly info: TlsInfo;
  /** Set by the first ClientHello (or SSLv2 hello) that parses: the protocol is TLS. */
  recognised = false;
  /** The handshake is over in the clear: nothing more to learn from either direction. */
  complete = false;
  private clientDir: Direction = 0;
  private sawClientHello = false;
  private client?: ClientHello;
  private serverHello?: ServerHello;
  private tls13 = false;
  private readonly encrypted: [boolean, boolean] = [false, false];
  private clientKeyExchange = false;

  constructor(
    tsNs: bigint,
    private readonly events: AppEvents,
  ) {
    // Every field from the start, unset ones as undefined: one hidden class for all
    // connections, so the log writers' reads stay monomorphic (a property added later
    // in whichever order the handshake sets it made dozens of shapes).
    this.info = {
      tsNs,
      version: undefined,
      clientVersion: undefined,
      cipher: undefined,
      curve: undefined,
      serverName: undefined,
      alpnOffered: undefined,
      nextProtocol: undefined,
      resumed: false,
      established: false,
      lastAlert: undefined,
      history: '',
      ja3: undefined,
      ja3s: undefined,
      ja4: undefined,
      clientCiphers: undefined,
      serverCertFps: [],
      serverCert: undefined,
      clientCertFps: [],
      clientCert: undefined,
      clientCertificate: 'unknown',
      certificateRequested: undefined,
      sniMatchesCert: undefined,
    };
  }

  isClient(dir: Direction): boolean {
    return dir === this.clientDir;
  }

  /** Record layer: what to do with the body of a record of `type` from `dir`. */
  record(dir: Direction, type: number): Body {
    const client = this.isClient(dir);
    switch (type) {
      case CONTENT.CHANGE_CIPHER_SPEC:
        this.changeCipherSpec(dir, client);
        return Body.Skip;
      case CONTENT.HEARTBEAT:
        this.letter(client, 'b');
        return Body.Skip;
      case CONTENT.APPLICATION_DATA:
        // In TLS 1.3 the client's records after the ServerHello are encrypted
        // under handshake keys whether or not a compatibility CCS came first.
        if (client && this.tls13) this.encrypted[dir] = true;
        if (!this.encrypted[dir] && this.serverHello && !this.tls13) this.events.weird('ssl_early_application_data');
        this.ciphertext(dir);
        return Body.Skip;
      case CONTENT.HANDSHAKE:
        if (this.encrypted[dir]) {
          this.ciphertext(dir);
          return Body.Skip;
        }
        return Body.Handshake;
      default: // ALERT
        if (this.encrypted[dir]) {
          this.ciphertext(dir);
          return Body.Skip;
        }
        return Body.Alert;
    }
  }

  alert(dir: Direction, level: number, description: number): void {
    this.letter(this.isClient(dir), 'l');
    this.info.lastAlert = description;
    if (level === 2) this.complete = true; // fatal: the handshake ends here
  }

  handshake(dir: Direction, type: number, b: Uint8Array, start: number, end: number): void {
    if (type === HS.CLIENT_HELLO && !this.sawClientHello) {
      this.sawClientHello = true;
      if (dir !== this.clientDir) {
        this.clientDir = dir;
        this.info.history += '^';
      }
    }
    const client = this.isClient(dir);
    const letter = LETTERS[type] ?? 'z';
    switch (type) {
      case HS.CLIENT_HELLO:
        this.letter(client, letter);
        if (client && !this.client) this.clientHello(b, start, end);
        return;
      case HS.SERVER_HELLO:
        this.serverHelloMessage(client, b, start, end);
        return;
      case HS.CERTIFICATE:
        this.letter(client, letter);
        this.certificate(client, b, start, end);
        return;
      case HS.SERVER_KEY_EXCHANGE:
        this.letter(client, letter);
        // ECParameters: curve_type 3 = named_curve, then the NamedCurve (RFC 8422 §5.4).
        if (this.info.cipher !== undefined && isEcdheCipher(this.info.cipher) && end - start >= 3 && b[start] === 3) {
          this.info.curve = u16(b, start + 1);
        }
        return;
      case HS.CERTIFICATE_REQUEST:
        this.letter(client, letter);
        if (!client) this.info.certificateRequested = true;
        return;
      case HS.SERVER_HELLO_DONE:
        this.letter(client, letter);
        if (!client && this.info.certificateRequested === undefined) this.info.certificateRequested = false;
        return;
      case HS.CLIENT_KEY_EXCHANGE:
        this.letter(client, letter);
        if (client) {
          this.clientKeyExchange = true;
          if (this.info.clientCertificate === 'unknown') this.info.clientCertificate = 'absent';
        }
        return;
      default:
        this.letter(client, letter);
    }
  }

  handshakeTooLarge(dir: Direction, type: number): void {
    this.events.weird('tls_handshake_too_large');
    this.letter(this.isClient(dir), LETTERS[type] ?? 'z');
    if (type === HS.CERTIFICATE && this.isClient(dir)) this.info.clientCertificate = 'present';
  }

  /** The body of an SSLv2-format first record: a CLIENT-HELLO if it parses. */
  v2record(dir: Direction, b: Uint8Array, start: number, end: number): boolean {
    const ch = parseV2ClientHello(b, start, end, this.events);
    if (!ch) return false;
    this.clientDir = dir;
    this.sawClientHello = true;
    this.client = ch;
    this.recognised = true;
    this.info.history += dir === 1 ? '^C' : 'C';
    this.info.clientVersion = ch.version;
    this.info.clientCiphers = ch.ciphers.filter((c) => !isGrease(c));
    return true;
  }

  private clientHello(b: Uint8Array, start: number, end: number): void {
    const ch = parseClientHello(b, start, end, this.events);
    if (!ch) {
      this.events.weird('tls_client_hello_malformed');
      return;
    }
    this.client = ch;
    this.recognised = true;
    const i = this.info;
    i.serverName = ch.sni;
    if (ch.alpn.length > 0) i.alpnOffered = ch.alpn;
    const offered = ch.supportedVersions.filter((v) => !isGrease(v));
    i.clientVersion = ch.extensions.includes(EXT.SUPPORTED_VERSIONS) && offered.length > 0 ? Math.max(...offered) : ch.version;
    i.clientCiphers = ch.ciphers.filter((c) => !isGrease(c));
    const fp = clientPrintsAhead(b, start, end) ?? clientFingerprints(ch);
    i.ja3 = fp.ja3;
    i.ja4 = fp.ja4;
  }

  private serverHelloMessage(client: boolean, b: Uint8Array, start: number, end: number): void {
    const sh = client ? undefined : parseServerHello(b, start, end, this.events);
    if (!sh) {
      this.letter(client, 's');
      if (!client) this.events.weird('tls_server_hello_malformed');
      return;
    }
    this.recognised = true;
    this.letter(false, sh.hrr ? 'j' : 's');
    const i = this.info;
    const version = sh.selectedVersion ?? sh.version;
    i.version = version;
    i.cipher = sh.cipher;
    if (!this.serverHello || this.serverHello.hrr) i.ja3s = serverPrintAhead(b, start, end) ?? serverFingerprint(sh);
    this.serverHello = sh;
    if (sh.hrr) return; // a second ClientHello and the real ServerHello follow in the clear

    if (version === TLS13 || version >> 8 === 0x7f) {
      this.tls13 = true;
      this.encrypted[this.clientDir === 0 ? 1 : 0] = true;
      if (sh.keyShareGroup !== undefined) i.curve = sh.keyShareGroup;
      if (sh.psk && this.client?.psk) i.resumed = true;
      return;
    }
    if (sh.alpn !== undefined) i.nextProtocol = sh.alpn;
    const sid = this.client?.sessionId;
    if (sid && sid.length > 0 && !sid.every((x) => x === 0) && equal(sid, sh.sessionId)) i.resumed = true;
  }

  private certificate(client: boolean, b: Uint8Array, start: number, end: number): void {
    // TLS 1.3 sends certificates encrypted; one seen in the clear is ≤ 1.2 framing:
    // certificate_list<0..2^24-1> of ASN.1Cert<1..2^24-1>.
    if (end - start < 3) return this.events.weird('tls_certificate_malformed');
    const listEnd = Math.min(end, start + 3 + u24(b, start));
    const fps: string[] = [];
    let leaf: KnownCertificate | undefined;
    let off = start + 3;
    while (off + 3 <= listEnd) {
      const len = u24(b, off);
      off += 3;
      if (off + len > listEnd) {
        this.events.weird('tls_certificate_malformed');
        break;
      }
      if (fps.length >= MAX_CHAIN) {
        this.events.weird('tls_certificate_chain_too_long');
        break;
      }
      const k = knownCertificate(b, off, off + len);
      leaf ??= k;
      fps.push(certificateFingerprint(k));
      off += len;
    }
    const cert = leaf !== undefined ? decodeCertificate(leaf, this.events) : undefined;
    const i = this.info;
    if (client) {
      i.clientCertFps = fps;
      i.clientCert = cert;
      i.clientCertificate = fps.length > 0 ? 'present' : 'empty';
    } else {
      i.serverCertFps = fps;
      i.serverCert = cert;
      if (cert && i.serverName !== undefined) i.sniMatchesCert = hostMatchesCert(i.serverName, cert);
    }
  }

  private changeCipherSpec(dir: Direction, client: boolean): void {
    this.letter(client, 'i');
    this.encrypted[dir] = true;
    // Ticket resumption (RFC 5077): the client's CCS comes without a key exchange.
    const ch = this.client;
    if (client && !this.tls13 && ch?.ticket && ch.sessionId.length === 0 && !this.clientKeyExchange) this.info.resumed = true;
  }

  private ciphertext(dir: Direction): void {
    if (this.encrypted[dir] && this.encrypted[dir === 0 ? 1 : 0] && !this.info.established) {
      this.info.established = true;
      this.complete = true;
    }
  }

  private letter(client: boolean, c: string): void {
    const i = this.info;
    if (i.history.length >= MAX_HISTORY) return;
    i.history += client ? c.toUpperCase() : c;
    if (i.history.length === MAX_HISTORY) this.events.weird('SSL_max_ssl_history_length_reached');
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

import type { Prng } from '../prng.js';
import { CONTENT_HANDSHAKE, HANDSHAKE, TLS10, TLS12, TLS13, extension, handshakeMessage, record, u16List, vector } from './tls-records.js';

/** ClientHello messages laid out as real client libraries send them (RFC 8446 §4.1.2). */

export const EXT = {
  serverName: 0,
  statusRequest: 5,
  supportedGroups: 10,
  ecPointFormats: 11,
  signatureAlgorithms: 13,
  alpn: 16,
  signedCertificateTimestamp: 18,
  padding: 21,
  encryptThenMac: 22,
  extendedMasterSecret: 23,
  compressCertificate: 27,
  recordSizeLimit: 28,
  sessionTicket: 35,
  supportedVersions: 43,
  pskKeyExchangeModes: 45,
  keyShare: 51,
  renegotiationInfo: 0xff01,
} as const;

const GROUP = { x25519: 0x001d, secp256r1: 0x0017, secp384r1: 0x0018, secp521r1: 0x0019, x448: 0x001e, ffdhe2048: 0x0100, ffdhe3072: 0x0101 } as const;

export type ClientProfileName = 'chromium' | 'firefox' | 'openssl' | 'openssl-tls12';

interface ClientProfile {
  ciphers: readonly number[];
  groups: readonly number[];
  /** Groups a key share is sent for (TLS 1.3 clients). */
  keyShares: readonly number[];
  signatureAlgorithms: readonly number[];
  extensions: readonly number[];
  tls13: boolean;
  grease: boolean;
  /** Chromium shuffles its extensions per connection; the others keep a fixed order. */
  shuffleExtensions: boolean;
  /** Pad the ClientHello to this many bytes (the padding extension, RFC 7685). */
  padTo?: number;
}

const SIG_MODERN = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601];

const PROFILES: Record<ClientProfileName, ClientProfile> = {
  chromium: {
    ciphers: [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035],
    groups: [GROUP.x25519, GROUP.secp256r1, GROUP.secp384r1],
    keyShares: [GROUP.x25519],
    signatureAlgorithms: SIG_MODERN,
    extensions: [
      EXT.serverName, EXT.extendedMasterSecret, EXT.renegotiationInfo, EXT.supportedGroups, EXT.ecPointFormats, EXT.sessionTicket, EXT.alpn,
      EXT.statusRequest, EXT.signatureAlgorithms, EXT.signedCertificateTimestamp, EXT.keyShare, EXT.pskKeyExchangeModes, EXT.supportedVersions,
      EXT.compressCertificate,
    ],
    tls13: true,
    grease: true,
    shuffleExtensions: true,
    padTo: 512,
  },
  firefox: {
    ciphers: [0x1301, 0x1303, 0x1302, 0xc02b, 0xc02f, 0xcca9, 0xcca8, 0xc02c, 0xc030, 0xc00a, 0xc009, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035],
    groups: [GROUP.x25519, GROUP.secp256r1, GROUP.secp384r1, GROUP.secp521r1, GROUP.ffdhe2048, GROUP.ffdhe3072],
    keyShares: [GROUP.x25519, GROUP.secp256r1],
    signatureAlgorithms: [0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0203, 0x0201],
    extensions: [
      EXT.serverName, EXT.extendedMasterSecret, EXT.renegotiationInfo, EXT.supportedGroups, EXT.ecPointFormats, EXT.sessionTicket, EXT.alpn,
      EXT.statusRequest, EXT.keyShare, EXT.supportedVersions, EXT.signatureAlgorithms, EXT.pskKeyExchangeModes, EXT.recordSizeLimit,
    ],
    tls13: true,
    grease: false,
    shuffleExtensions: false,
  },
  openssl: {
    ciphers: [0x1302, 0x1303, 0x1301, 0xc02c, 0xc030, 0x009f, 0xcca9, 0xcca8, 0xccaa, 0xc02b, 0xc02f, 0x009e, 0xc024, 0xc028, 0x006b, 0xc023, 0xc027, 0x0067, 0xc00a, 0xc014, 0x0039, 0xc009, 0xc013, 0x0033, 0x009d, 0x009c, 0x003d, 0x003c, 0x0035, 0x002f, 0x00ff],
    groups: [GROUP.x25519, GROUP.secp256r1, GROUP.x448, GROUP.secp521r1, GROUP.secp384r1],
    keyShares: [GROUP.x25519],
    signatureAlgorithms: [0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0809, 0x080a, 0x080b, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601],
    extensions: [
      EXT.serverName, EXT.ecPointFormats, EXT.supportedGroups, EXT.sessionTicket, EXT.alpn, EXT.encryptThenMac, EXT.extendedMasterSecret,
      EXT.signatureAlgorithms, EXT.supportedVersions, EXT.pskKeyExchangeModes, EXT.keyShare,
    ],
    tls13: true,
    grease: false,
    shuffleExtensions: false,
  },
  // A client pinned to TLS 1.2 (as the population-data clients are, so that a passive
  // sensor can see their certificates): no supported_versions, key_share or PSK modes.
  'openssl-tls12': {
    ciphers: [0xc02c, 0xc030, 0xc02b, 0xc02f, 0xcca9, 0xcca8, 0x009f, 0x009e, 0xc024, 0xc028, 0xc023, 0xc027, 0x00ff],
    groups: [GROUP.x25519, GROUP.secp256r1, GROUP.secp384r1],
    keyShares: [],
    signatureAlgorithms: [0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601],
    extensions: [
      EXT.serverName, EXT.ecPointFormats, EXT.supportedGroups, EXT.sessionTicket, EXT.alpn, EXT.encryptThenMac, EXT.extendedMasterSecret,
      EXT.signatureAlgorithms,
    ],
    tls13: false,
    grease: false,
    shuffleExtensions: false,
  },
};

/** The 16 GREASE values (RFC 8701): 0x0a0a, 0x1a1a, ... 0xfafa. */
function grease(rng: Prng): number {
  const n = rng.int(0, 15);
  return (n << 12) | 0x0a00 | (n << 4) | 0x0a;
}

export interface ClientHelloSpec {
  profile: ClientProfileName;
  sni: string;
  alpn: readonly string[];
}

export interface ClientHello {
  /** The whole record, ready to send. */
  bytes: Buffer;
  sessionId: Buffer;
  tls13: boolean;
}

/**
 * A ClientHello record: header, handshake header, legacy version 0x0303, 32 random bytes,
 * a 32-byte legacy session id (TLS 1.3 middlebox compatibility), cipher suites, null
 * compression, and the profile's extensions with server_name, ALPN, supported_versions,
 * supported_groups, signature_algorithms and key_share where the profile has them.
 */
export function buildClientHello(rng: Prng, spec: ClientHelloSpec): ClientHello {
  const p = PROFILES[spec.profile];
  const greaseCipher = grease(rng);
  const greaseGroup = grease(rng);
  const greaseVersion = grease(rng);
  let greaseExtA = grease(rng);
  let greaseExtB = grease(rng);
  if (greaseExtA === greaseExtB) greaseExtB ^= 0x1010;
  if (!p.grease) greaseExtA = greaseExtB = 0;

  const bodies = new Map<number, Buffer>();
  bodies.set(EXT.serverName, vector(2, Buffer.concat([Buffer.from([0]), vector(2, Buffer.from(spec.sni, 'latin1'))])));
  bodies.set(EXT.extendedMasterSecret, Buffer.alloc(0));
  bodies.set(EXT.renegotiationInfo, Buffer.from([0]));
  bodies.set(EXT.supportedGroups, vector(2, u16List(p.grease ? [greaseGroup, ...p.groups] : p.groups)));
  bodies.set(EXT.ecPointFormats, spec.profile.startsWith('openssl') ? Buffer.from([3, 0, 1, 2]) : Buffer.from([1, 0]));
  bodies.set(EXT.sessionTicket, Buffer.alloc(0));
  bodies.set(EXT.alpn, vector(2, Buffer.concat(spec.alpn.map((a) => vector(1, Buffer.from(a, 'latin1'))))));
  bodies.set(EXT.statusRequest, Buffer.from([1, 0, 0, 0, 0]));
  bodies.set(EXT.signatureAlgorithms, vector(2, u16List(p.signatureAlgorithms)));
  bodies.set(EXT.signedCertificateTimestamp, Buffer.alloc(0));
  bodies.set(EXT.encryptThenMac, Buffer.alloc(0));
  bodies.set(EXT.recordSizeLimit, Buffer.from([0x40, 0x01]));
  bodies.set(EXT.pskKeyExchangeModes, Buffer.from([1, 1]));
  bodies.set(EXT.compressCertificate, Buffer.from([2, 0, 2]));
  bodies.set(EXT.supportedVersions, vector(1, u16List(p.grease ? [greaseVersion, TLS13, TLS12] : [TLS13, TLS12])));
  const shares: Buffer[] = [];
  if (p.grease) shares.push(u16List([greaseGroup]), vector(2, Buffer.from([0])));
  for (const g of p.keyShares) shares.push(u16List([g]), vector(2, g === GROUP.x25519 ? rng.bytes(32) : Buffer.concat([Buffer.from([4]), rng.bytes(64)])));
  bodies.set(EXT.keyShare, vector(2, Buffer.concat(shares)));

  let order = [...p.extensions];
  if (p.shuffleExtensions) order = shuffled(rng, order);
  const exts: Buffer[] = [];
  if (p.grease) exts.push(extension(greaseExtA, Buffer.alloc(0)));
  for (const type of order) exts.push(extension(type, bodies.get(type) ?? Buffer.alloc(0)));
  if (p.grease) exts.push(extension(greaseExtB, Buffer.from([0])));

  const sessionId = p.tls13 ? rng.bytes(32) : Buffer.alloc(0);
  const fixed = Buffer.concat([
    u16List([TLS12]),
    rng.bytes(32),
    vector(1, sessionId),
    vector(2, u16List(p.grease ? [greaseCipher, ...p.ciphers] : p.ciphers)),
    Buffer.from([1, 0]),
  ]);
  // Pad the handshake message to the profile's size, as BoringSSL does to dodge F5's 256-511 byte bug.
  if (p.padTo) {
    const unpadded = 4 + fixed.length + 2 + exts.reduce((n, e) => n + e.length, 0);
    const pad = p.padTo - unpadded - 4;
    if (pad > 0) exts.push(extension(EXT.padding, Buffer.alloc(pad)));
  }
  const body = Buffer.concat([fixed, vector(2, Buffer.concat(exts))]);
  return { bytes: record(CONTENT_HANDSHAKE, TLS10, handshakeMessage(HANDSHAKE.clientHello, body)), sessionId, tls13: p.tls13 };
}

function shuffled<T>(rng: Prng, items: T[]): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

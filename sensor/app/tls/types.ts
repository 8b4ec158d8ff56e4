// What the TLS analyzer reports for one connection: the unit of an ssl.log row,
// plus the x509 details of the certificates it could see.

/** One certificate as far as the sensor decodes it (RFC 5280). */
export interface X509Info {
  /** SHA-256 of the DER certificate, lowercase hex: Zeek's fingerprint, cert_chain_fps. */
  sha256: string;
  /** 1, 2 or 3. */
  version: number;
  /** Uppercase hex, as Zeek's x509.log shows it. */
  serial: string;
  /** Distinguished names in RFC 4514 order (most specific first), e.g. "CN=a.example,O=Example,C=VN". */
  subject: string;
  issuer: string;
  /** The most specific common names, unescaped. */
  subjectCN?: string;
  issuerCN?: string;
  /** Validity, ms since the epoch. */
  notBefore: number;
  notAfter: number;
  /** Signature algorithm name (OpenSSL's long name where one exists, else the OID). */
  sigAlg: string;
  /** Public key algorithm name ("rsaEncryption", "id-ecPublicKey", "ED25519", ... or the OID). */
  keyAlg: string;
  keyType?: 'rsa' | 'dsa' | 'ec' | 'ed25519' | 'ed448' | 'x25519' | 'x448';
  keyLength?: number;
  /** Named curve of an EC key (OpenSSL's short name, e.g. "prime256v1"). */
  curve?: string;
  sanDns: string[];
  sanUri: string[];
  sanEmail: string[];
  sanIp: string[];
  /** basicConstraints, when present. */
  ca?: boolean;
  pathLen?: number;
}

/**
 * Whether the client authenticated with a certificate.
 * - present: a Certificate message with at least one certificate (TLS ≤ 1.2, in the clear);
 * - empty:   a Certificate message with none (the server asked, the client had nothing);
 * - absent:  the client went on to its key exchange without a Certificate message;
 * - unknown: not visible (TLS 1.3 encrypts it) or the handshake was not seen that far.
 */
export type ClientCertState = 'present' | 'empty' | 'absent' | 'unknown';

export interface TlsInfo {
  /** First handshake message seen, ns since the epoch (ssl.log ts). */
  tsNs: bigint;
  /** Negotiated version: the ServerHello's supported_versions if present, else its version. */
  version?: number;
  /** Highest version the client offered (supported_versions, else ClientHello version). */
  clientVersion?: number;
  cipher?: number;
  /** Key-exchange group: the ServerKeyExchange's named curve (≤ 1.2) or the ServerHello key_share (1.3). */
  curve?: number;
  /** SNI host name. */
  serverName?: string;
  /** ALPN protocols the client offered, in its order. */
  alpnOffered?: string[];
  /** ALPN protocol the server chose (visible in TLS ≤ 1.2; TLS 1.3 encrypts it). */
  nextProtocol?: string;
  resumed: boolean;
  established: boolean;
  /** The last alert description seen in the clear. */
  lastAlert?: number;
  /** Zeek's ssl_history: handshake letters, client upper case, server lower case. */
  history: string;
  ja3?: string;
  ja3s?: string;
  ja4?: string;
  /** The client's cipher suites without GREASE, in its order (ECS tls.client.supported_ciphers). */
  clientCiphers?: number[];
  /** SHA-256 fingerprints of the server's chain, leaf first (TLS ≤ 1.2 only). */
  serverCertFps: string[];
  serverCert?: X509Info;
  clientCertFps: string[];
  clientCert?: X509Info;
  clientCertificate: ClientCertState;
  /** Whether the server sent a CertificateRequest; undefined when that is not visible (TLS 1.3). */
  certificateRequested?: boolean;
  /** Whether the SNI matches the server certificate's names (wildcards as RFC 6125 allows). */
  sniMatchesCert?: boolean;
}

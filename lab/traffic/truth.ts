/**
 * The ground truth written beside every capture (FILE.truth.json) and returned by the
 * API: the contract sensor tests are judged against. Every flow in the capture appears
 * exactly once with the counts a Zeek-compatible flow meter must report for it.
 *
 * Field names follow Zeek's conn.log where one exists, with Zeek's meaning:
 *  - a flow is a Zeek connection: for TCP and UDP the 5-tuple; for ICMP the tuple
 *    (orig_h, resp_h, ICMP type, counterpart type), which is what Zeek keys on (it does
 *    NOT key on the echo identifier). The generator never reuses an ICMP host pair, so
 *    the two readings agree. orig is the side that sent the first packet.
 *  - orig_p/resp_p for ICMP are the request's type and its counterpart's type: an echo
 *    is 8/0 for ICMPv4 and 128/129 for ICMPv6.
 *  - *_ip_bytes: the sum of IP total lengths (IPv6: 40 + payload length), no link bytes.
 *  - *_bytes: application payload. TCP: the sequence space each side used, less SYN and
 *    FIN (no retransmissions are generated, so it equals the payload sent). UDP: the UDP
 *    payload. ICMP: the ICMP message less its 8-byte header.
 *  - history: Zeek's letters (S h A D F R, upper case for orig), each at its first
 *    occurrence per side, as Zeek records them for the packets generated. UDP: "D"/"d".
 *    ICMP: Zeek keeps no history for ICMP, so it is "" (printed as "-").
 *  - conn_state: what Zeek's conn_state() computes for that history; ICMP is always OTH.
 *
 * Timestamps: `ts`/`last_ts` are epoch seconds as doubles, like Zeek's; `ts_ns`/`last_ts_ns`
 * are the exact values the capture holds, as decimal strings of epoch nanoseconds.
 */

/** Bumped whenever the bytes generated for a given seed and options change. */
export const TRAFFIC_GENERATOR_VERSION = '1.0.0';
export const TRUTH_FORMAT = 'chot-traffic-truth';
export const TRUTH_FORMAT_VERSION = 1;

/** 'icmp6' is ICMPv6 (Zeek's conn.log prints "icmp" for both; ip_version tells them apart). */
export type TruthProto = 'tcp' | 'udp' | 'icmp' | 'icmp6';

export type ConnState = 'S0' | 'S1' | 'SF' | 'REJ' | 'S2' | 'S3' | 'RSTO' | 'RSTR' | 'RSTOS0' | 'RSTRH' | 'SH' | 'SHR' | 'OTH';

/** Zeek's `service` as it would name what was generated; '' where no analyzer confirms. */
export type Service = '' | 'dns' | 'ssl' | 'http' | 'ssh';

export type ScenarioTag =
  | 'benign'
  | 'port_scan'
  | 'host_sweep'
  | 'ssh_bruteforce'
  | 'exfil'
  | 'dns_tunnel'
  | 'popdata_plaintext'
  | 'popdata_no_client_cert'
  | 'popdata_mtls';

export interface DnsFacts {
  trans_id: number;
  query: string;
  qtype: number;
  qtype_name: 'A' | 'AAAA' | 'TXT';
  rcode: number;
  rcode_name: 'NOERROR' | 'NXDOMAIN' | 'SERVFAIL';
  /** Answer data as Zeek's dns.log prints it: addresses, or the TXT strings ("TXT <n> <text>" in Zeek is just the text here). */
  answers: string[];
  ttls: number[];
}

export interface TlsFacts {
  version: 'TLSv12' | 'TLSv13';
  /** The cipher suite the server chose, by its IANA name. */
  cipher: string;
  sni: string;
  alpn_offered: string[];
  /** Visible only in TLS 1.2 (TLS 1.3 carries it encrypted): null when not visible or not agreed. */
  alpn_selected: string | null;
  /** A client library whose ClientHello layout was imitated (JA3/JA4 tests group by it). */
  client_profile: string;
  /** Whether the client sent a Certificate message carrying at least one certificate. */
  client_cert_sent: boolean;
  /**
   * What the client did about a certificate: 'sent'; 'empty' (a Certificate message with
   * no certificates, the RFC 5246 answer to a CertificateRequest without one); 'absent'
   * (no Certificate message at all). TLS 1.3 carries these messages encrypted; the
   * generated TLS 1.3 flows never include a client certificate.
   */
  client_cert: 'sent' | 'empty' | 'absent';
  client_cert_subject: string | null;
  client_cert_issuer: string | null;
  /** Server certificate subject and issuer; null in TLS 1.3 where they are encrypted. */
  server_cert_subject: string | null;
  server_cert_issuer: string | null;
  /** The server asked for a client certificate (TLS 1.2 CertificateRequest seen). */
  client_cert_requested: boolean;
  /** The handshake completed (both Finished sent); false when the server aborted with an alert. */
  established: boolean;
  /** A fatal alert the server sent, by name, if any. */
  server_alert: string | null;
}

export interface HttpFacts {
  method: string;
  host: string;
  uri: string;
  user_agent: string;
  status_code: number;
  status_msg: string;
  request_body_len: number;
  response_body_len: number;
}

export interface SshFacts {
  client: string;
  server: string;
}

export interface IcmpFacts {
  /** The echo identifier (not part of Zeek's connection key). */
  id: number;
  /** Echo request/reply pairs. */
  echoes: number;
}

export interface TruthFlow {
  uid: string;
  scenario: ScenarioTag;
  proto: TruthProto;
  ip_version: 4 | 6;
  orig_h: string;
  orig_p: number;
  resp_h: string;
  resp_p: number;
  ts: number;
  last_ts: number;
  duration: number;
  ts_ns: string;
  last_ts_ns: string;
  orig_pkts: number;
  resp_pkts: number;
  orig_ip_bytes: number;
  resp_ip_bytes: number;
  orig_bytes: number;
  resp_bytes: number;
  missed_bytes: 0;
  conn_state: ConnState;
  history: string;
  service: Service;
  /** Outer 802.1Q/802.1ad VLAN id, and the inner one for QinQ (Zeek's vlan / inner_vlan). */
  vlan: number | null;
  inner_vlan: number | null;
  /** MPLS label stacks, top first, per direction; the two directions differ as on a real MPLS WAN. */
  mpls: { orig: number[]; resp: number[] } | null;
  dns?: DnsFacts;
  tls?: TlsFacts;
  http?: HttpFacts[];
  ssh?: SshFacts;
  icmp?: IcmpFacts;
}

export interface ScenarioSummary {
  tag: Exclude<ScenarioTag, 'benign'>;
  description: string;
  /** Source of the activity (the attacker, or the misbehaving clients). */
  sources: string[];
  targets: string[];
  ports: number[];
  flows: number;
  packets: number;
  ts: number;
  last_ts: number;
  ts_ns: string;
  last_ts_ns: string;
  uids: string[];
  /** Scenario-specific counts (open ports, bytes out, queries, ...). */
  details: Record<string, number | string | number[] | string[]>;
}

/** The options a capture was generated with, every default filled in. */
export interface ResolvedOptions {
  seed: number;
  packets: number;
  scenarios: boolean;
  concurrency: number;
  startTime: string;
  nanosecond: boolean;
  exfilBytes: number;
  mix: Record<string, number>;
}

export interface CaptureFacts {
  /** libpcap link type 1 (LINKTYPE_ETHERNET). */
  link_type: 1;
  snaplen: number;
  timestamp_resolution: 'us' | 'ns';
  /** The magic number as libpcap names it: a1b2c3d4 (µs) or a1b23c4d (ns), stored little-endian. */
  magic: 'a1b2c3d4' | 'a1b23c4d';
  packets: number;
  /** Sum of frame lengths (captured = original: nothing is truncated). */
  frame_bytes: number;
  /** Size of the pcap file: global header + 16 bytes per record + frame bytes. */
  file_bytes: number;
  ts: number;
  last_ts: number;
  ts_ns: string;
  last_ts_ns: string;
}

export interface Truth {
  format: typeof TRUTH_FORMAT;
  format_version: typeof TRUTH_FORMAT_VERSION;
  generator: { name: 'chot lab traffic'; version: string };
  seed: number;
  options: ResolvedOptions;
  capture: CaptureFacts;
  /** The Zeek settings the flows are designed around. */
  zeek: { tcp_inactivity_timeout: number; udp_inactivity_timeout: number; icmp_inactivity_timeout: number };
  counts: {
    flows: number;
    by_proto: Record<string, number>;
    by_scenario: Record<string, number>;
    by_conn_state: Record<string, number>;
    by_service: Record<string, number>;
  };
  scenarios: ScenarioSummary[];
  /** Ordered by first timestamp, ties in the order the flows began. */
  flows: TruthFlow[];
}

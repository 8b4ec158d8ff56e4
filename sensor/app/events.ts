// How an analyzer reports anomalies. A "weird" is Zeek's word for a protocol
// anomaly worth counting: the core turns each name into a counter (and may log
// it), so names are fixed strings, never built from wire data.

import type { AppEvents } from './analyzer.js';

export type { AppEvents };

/** For callers that do not count anomalies (tools, some tests). */
export const NO_EVENTS: AppEvents = { weird() {} };

/**
 * Every weird name the application analyzers report, so the core can register
 * them up front (sensor/decode/weird.ts wants ids fixed at load). Zeek's own
 * names where Zeek has the same anomaly; the rest follow its pattern.
 */
export const APP_WEIRDS = [
  // detection and the analyzer guard (an exception escaped a parser: a bug)
  'app_detect_error', 'dns_analyzer_error', 'tls_analyzer_error', 'http_analyzer_error', 'ssh_analyzer_error',
  // DNS
  'DNS_truncated_len_lt_hdr_len', 'DNS_truncated_quest_too_short', 'DNS_truncated_ans_too_short',
  'DNS_truncated_RR_rdlength_lt_len', 'DNS_RR_bad_length', 'DNS_RR_length_mismatch', 'DNS_TXT_char_str_past_rdlen',
  'DNS_label_len_gt_pkt', 'DNS_label_too_long', 'DNS_label_forward_compress_offset', 'DNS_label_bad_type',
  'DNS_NAME_too_long', 'DNS_name_too_many_pointers', 'DNS_too_many_answers', 'DNS_answer_data_truncated',
  'DNS_zero_length_tcp_message', 'dns_protocol_violation', 'dns_tcp_content_gap', 'dns_unmatched_reply',
  'dns_unmatched_msg', 'dns_unmatched_msg_quantity', 'dns_transactions_dropped',
  // TLS and X.509
  'tls_unknown_content_type', 'tls_invalid_record_version', 'tls_record_too_large', 'tls_handshake_too_large',
  'tls_content_gap', 'tls_v2_hello_malformed', 'tls_client_hello_malformed', 'tls_server_hello_malformed',
  'tls_extensions_length_mismatch', 'tls_extension_length_mismatch', 'tls_hello_list_too_long', 'tls_sni_too_long',
  'tls_certificate_malformed', 'tls_certificate_chain_too_long', 'SSL_many_server_names',
  'SSL_max_ssl_history_length_reached', 'ssl_early_application_data', 'x509_certificate_parse_error',
  'x509_name_truncated', 'x509_too_many_sans',
  // HTTP
  'http_bad_request_line', 'http_bad_status_line', 'http_bad_header_line', 'http_header_too_long',
  'http_obsolete_line_folding', 'http_too_many_headers', 'http_bad_content_length', 'http_te_and_cl',
  'http_bad_chunk_size', 'http_chunk_missing_crlf', 'http_content_gap', 'http_resync', 'http_uri_too_long',
  'http_host_too_long', 'http_user_agent_too_long', 'http_referrer_too_long', 'http_origin_too_long',
  'http_too_many_pending_requests', 'http_transactions_dropped', 'unmatched_HTTP_reply',
  // SSH
  'ssh_bad_banner', 'ssh_bad_packet_length', 'ssh_packet_too_large', 'ssh_bad_padding', 'ssh_bad_kexinit',
  'ssh_content_gap',
] as const;

export type AppWeird = (typeof APP_WEIRDS)[number];

/*
 * A connection's TCP analysis in C: the same state, in the same units, as
 * sensor/flow/conn.ts keeps (Endpoint, and the parts of Conn the TCP analysis
 * reads and writes), so that the native flow core makes the records the
 * JavaScript flow table makes. Relative sequence numbers, sizes and gaps are
 * 64-bit integers where JavaScript keeps them in doubles: every value they take
 * is an integer below 2^53, where the two agree.
 */
#ifndef CHOT_FLOW_CONN_H
#define CHOT_FLOW_CONN_H

#include <stdint.h>

/* Endpoint states (sensor/flow/conn.ts). */
enum { TCP_INACTIVE, TCP_SYN_SENT, TCP_SYN_ACK_SENT, TCP_PARTIAL, TCP_ESTABLISHED, TCP_CLOSED, TCP_RESET };

/* TCP flag bits. */
enum { TH_FIN = 0x01, TH_SYN = 0x02, TH_RST = 0x04, TH_PUSH = 0x08, TH_ACK = 0x10, TH_URG = 0x20 };

/* Out-of-order segments remembered per direction, and bytes of them copied for an application analyzer (reassembly.ts). */
#define FLOW_MAX_BLOCKS 64
#define FLOW_MAX_BUFFERED (16 * 1024)

typedef struct {
  int64_t s, e; /* [s, e) in relative sequence numbers */
  uint8_t *data; /* a copy of its bytes, or NULL */
} flow_block_t;

typedef struct {
  int n;
  int64_t bytes; /* bytes held in data copies */
  flow_block_t b[FLOW_MAX_BLOCKS + 1];
} flow_ooo_t;

typedef struct {
  int is_orig;
  uint64_t pkts, ip_bytes, bytes;
  int state, prev_state;
  uint32_t start_seq, last_seq, ack_seq;
  int64_t seq_wraps, ack_wraps;
  int64_t fin_cnt, rst_cnt;
  int64_t fin_seq;
  int did_close;
  int64_t hist_last_syn, hist_last_fin, hist_last_rst;
  int64_t rxmt_cnt, win0_cnt, gap_cnt, chk_cnt;
  int64_t reasm;
  flow_ooo_t *ooo;
} flow_ep_t;

/* A history string: short ones inline, longer ones on the heap. */
#define FLOW_HISTORY_INLINE 24

typedef struct {
  int proto;
  int ip_version;
  int one_way;
  uint32_t oa[4], ra[4];
  uint32_t op, rp;
  flow_ep_t ep[2];
  int oi; /* which of ep[] is the originator */
  char hist_inline[FLOW_HISTORY_INLINE];
  char *hist; /* hist_inline, or a heap copy once it outgrew it */
  uint32_t hist_len, hist_cap;
  uint32_t hist_seen;
  int is_partial;
  int first_seen;
  int64_t missed;
  double start, last; /* ns, relative to the time base (as the JavaScript keeps them) */
} flow_conn_t;

static inline flow_ep_t *flow_orig(flow_conn_t *c) { return &c->ep[c->oi]; }
static inline flow_ep_t *flow_resp(flow_conn_t *c) { return &c->ep[c->oi ^ 1]; }

/* The fields of a TCP packet the analysis reads. */
typedef struct {
  uint32_t flags, seq, ack, win;
  uint32_t pay_len; /* payload length from the headers */
  uint32_t pay_cap; /* of it, captured */
  const uint8_t *pay; /* the captured payload */
  double now; /* ns, relative */
} flow_tcp_pkt_t;

/*
 * What the analysis tells the flow table it runs in (sensor/flow/tcp-state.ts's TcpHost
 * and reassembly.ts's StreamConsumer). ep is the sending endpoint.
 */
typedef struct flow_host {
  void (*weird)(struct flow_host *h, flow_conn_t *c, int weird);
  void (*closed)(struct flow_host *h, flow_conn_t *c);
  void (*attempt)(struct flow_host *h, flow_conn_t *c);
  int (*wants)(struct flow_host *h, flow_conn_t *c);
  void (*deliver)(struct flow_host *h, flow_conn_t *c, flow_ep_t *ep, const uint8_t *data, uint32_t len);
  void (*gap)(struct flow_host *h, flow_conn_t *c, flow_ep_t *ep, int64_t len);
  double linger_ns;
} flow_host_t;

/* The weirds of the TCP analysis, numbered for the host (flow_weird_name gives the name Zeek gives them). */
enum {
  FW_SYN_seq_jump, FW_SYN_inside_connection, FW_TCP_seq_underflow_or_misorder, FW_TCP_ack_underflow_or_misorder,
  FW_possible_split_routing, FW_connection_originator_SYN_ack, FW_bad_SYN_ack, FW_simultaneous_open,
  FW_unsolicited_SYN_response, FW_spontaneous_FIN, FW_spontaneous_RST, FW_repeated_SYN_with_ack,
  FW_repeated_SYN_reply_wo_ack, FW_inappropriate_FIN, FW_data_before_established, FW_SYN_after_partial,
  FW_SYN_after_close, FW_FIN_advanced_last_seq, FW_SYN_after_reset, FW_FIN_after_reset, FW_data_after_reset,
  FW_TCP_christmas, FW_baroque_SYN, FW_SYN_with_data, FW_truncated_tcp_payload, FW_active_connection_reuse,
  FW_premature_connection_reuse,
  FW_COUNT
};
const char *flow_weird_name(int weird);

/* A fresh connection's endpoints and TCP fields (identity and times are the caller's). */
void flow_conn_init(flow_conn_t *c);
/* Frees what the connection holds (a long history, out-of-order blocks). */
void flow_conn_free(flow_conn_t *c);
/* Zeek's FlipRoles: addresses, ports and endpoints swapped, '^' in the history. */
void flow_conn_flip(flow_conn_t *c);

/* history.ts */
enum { HIST_SYN = 0x1, HIST_FIN = 0x2, HIST_RST = 0x4, HIST_FIN_RST = 0x8, HIST_DATA = 0x10, HIST_ACK = 0x20, HIST_MULTI = 0x40, HIST_CORRUPT = 0x80, HIST_UDP_DATA = 0x100 };
int flow_check_history(flow_conn_t *c, const flow_ep_t *ep, uint32_t mask, char upper);
void flow_add_history(flow_conn_t *c, const flow_ep_t *ep, char upper);
void flow_did_retransmit(flow_conn_t *c, flow_ep_t *ep);
void flow_zero_window(flow_conn_t *c, flow_ep_t *ep);
void flow_content_gap(flow_conn_t *c, flow_ep_t *ep);
void flow_checksum_error(flow_conn_t *c, flow_ep_t *ep);

/* tcp-state.ts */
void flow_process_tcp(flow_conn_t *c, int is_orig, const flow_tcp_pkt_t *p, flow_host_t *h);
int flow_is_reuse(flow_conn_t *c, const flow_tcp_pkt_t *p, flow_host_t *h);
int flow_close_complete(const flow_conn_t *c);
/* Zeek's TCP_Endpoint::Size(). */
int64_t flow_tcp_size(const flow_ep_t *ep, const flow_ep_t *peer);

/* conn-state.ts: an index into flow_conn_state_names. */
enum { CS_S0, CS_S1, CS_SF, CS_REJ, CS_S2, CS_S3, CS_RSTO, CS_RSTR, CS_RSTOS0, CS_RSTRH, CS_SH, CS_SHR, CS_OTH };
extern const char *const flow_conn_state_names[13];
int flow_conn_state(const flow_conn_t *c);

/* reassembly.ts */
void flow_data_sent(flow_conn_t *c, flow_ep_t *ep, int64_t rseq, uint32_t len, const uint8_t *data, flow_host_t *h);
void flow_ack_received(flow_conn_t *c, flow_ep_t *ep, flow_ep_t *peer, int64_t ack, flow_host_t *h);

#endif

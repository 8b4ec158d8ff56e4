/*
 * The TCP analysis of one packet, step for step as sensor/flow/tcp-state.ts (which
 * follows Zeek's TCP session adapter): endpoint initialization, relative sequence
 * numbers with wrap counting, the history letters, the endpoint state machine with
 * its SYN/SYN-ACK reversal, closes and the stream accounting; and what is derived
 * from it: sizes, conn_state, reuse of a connection's addresses and ports.
 * test/sensor/flow-native-tcp.test.ts holds the two to the same results.
 */
#include <string.h>

#include "flow-conn.h"

/* Sequence jumps beyond this on a SYN or RST are not trusted (Zeek's TOO_LARGE_SEQ_DELTA). */
#define TOO_LARGE_SEQ_DELTA 1048576

static const char *const weird_names[FW_COUNT] = {
  "SYN_seq_jump", "SYN_inside_connection", "TCP_seq_underflow_or_misorder", "TCP_ack_underflow_or_misorder",
  "possible_split_routing", "connection_originator_SYN_ack", "bad_SYN_ack", "simultaneous_open",
  "unsolicited_SYN_response", "spontaneous_FIN", "spontaneous_RST", "repeated_SYN_with_ack",
  "repeated_SYN_reply_wo_ack", "inappropriate_FIN", "data_before_established", "SYN_after_partial",
  "SYN_after_close", "FIN_advanced_last_seq", "SYN_after_reset", "FIN_after_reset", "data_after_reset",
  "TCP_christmas", "baroque_SYN", "SYN_with_data", "truncated_tcp_payload", "active_connection_reuse",
  "premature_connection_reuse",
};

const char *flow_weird_name(int weird) { return weird >= 0 && weird < FW_COUNT ? weird_names[weird] : "internal_error"; }

const char *const flow_conn_state_names[13] = { "S0", "S1", "SF", "REJ", "S2", "S3", "RSTO", "RSTR", "RSTOS0", "RSTRH", "SH", "SHR", "OTH" };

static inline int32_t seq_delta(uint32_t a, uint32_t b) { return (int32_t)(a - b); }

static inline void set_state(flow_ep_t *ep, int s) {
  if (s != ep->state) {
    ep->prev_state = ep->state;
    ep->state = s;
  }
}

static inline flow_ep_t *peer_of(flow_conn_t *c, flow_ep_t *ep) { return ep == &c->ep[0] ? &c->ep[1] : &c->ep[0]; }

int64_t flow_tcp_size(const flow_ep_t *ep, const flow_ep_t *peer) {
  int64_t ack = ep->ack_wraps * 4294967296LL + ep->ack_seq;
  if (ep->prev_state == TCP_SYN_SENT && ep->state == TCP_RESET && peer->state == TCP_INACTIVE && !(ack == ep->start_seq || ack == (int64_t)ep->start_seq + 1)) {
    /* A half-open connection discovered and aborted: its sequence numbers say nothing about data. */
    return 0;
  }
  int64_t last = ep->seq_wraps * 4294967296LL + ep->last_seq;
  int64_t size = (last > ack ? last : ack) - ep->start_seq;
  if (size <= 0) return 0;
  size--; /* the SYN octet */
  if (ep->fin_cnt > 0 && size != 0) size--; /* the FIN octet */
  return size;
}

/* Zeek's get_relative_seq of the packet's sequence number (of_ack: its acknowledgment) against ep; *underflow set when below the start. */
static int64_t relative_seq(const flow_ep_t *ep, const flow_tcp_pkt_t *p, int of_ack, int *underflow) {
  uint32_t cur = of_ack ? p->ack : p->seq;
  uint32_t last = of_ack ? ep->ack_seq : ep->last_seq;
  int64_t wraps = of_ack ? ep->ack_wraps : ep->seq_wraps;
  int32_t delta = seq_delta(cur, last);
  if (delta < 0) {
    if (wraps != 0 && cur > last) wraps--;
  } else if (delta > 0) {
    if (cur < last) wraps++;
  }
  if (wraps == 0) {
    int32_t d = seq_delta(cur, ep->start_seq);
    if (d < 0) *underflow = 1;
    return d;
  }
  return wraps * 4294967296LL + cur - (int64_t)ep->start_seq;
}

static void init_endpoint(flow_conn_t *c, flow_ep_t *ep, flow_host_t *h, uint32_t flags, const flow_tcp_pkt_t *p, uint32_t seg_len) {
  uint32_t first = p->seq;
  uint32_t last = first + seg_len;
  switch (ep->state) {
    case TCP_INACTIVE:
      if (flags & TH_SYN) {
        ep->ack_seq = first;
        ep->start_seq = first;
      } else {
        /* A partial connection: numbered as though a SYN had been seen. */
        ep->ack_seq = first - 1;
        ep->start_seq = first - 1;
        last = first;
      }
      ep->last_seq = last;
      break;
    case TCP_SYN_SENT:
    case TCP_SYN_ACK_SENT:
      if (flags & TH_SYN && first != ep->start_seq) {
        h->weird(h, c, FW_SYN_seq_jump);
        ep->start_seq = first;
        ep->ack_seq = first;
        ep->last_seq = last;
      }
      break;
    case TCP_ESTABLISHED:
    case TCP_PARTIAL:
      if (flags & TH_SYN) {
        if (flow_tcp_size(ep, peer_of(c, ep)) > 0) h->weird(h, c, FW_SYN_inside_connection);
        if (first != ep->start_seq) h->weird(h, c, FW_SYN_seq_jump);
        ep->start_seq = first;
        ep->ack_seq = first;
        ep->last_seq = last;
      }
      break;
    case TCP_RESET:
      if (flags & TH_SYN && ep->prev_state == TCP_INACTIVE) {
        ep->start_seq = first;
        ep->ack_seq = first;
        ep->last_seq = last;
      }
      break;
    default:
      break;
  }
}

static void update_history(flow_conn_t *c, flow_ep_t *ep, uint32_t flags, int64_t rel_seq, uint32_t len) {
  int syn = flags & TH_SYN ? 1 : 0, fin = flags & TH_FIN ? 1 : 0, rst = flags & TH_RST ? 1 : 0;
  int bits = syn + fin + rst;
  if (bits > 1) {
    if (fin && rst) flow_check_history(c, ep, HIST_FIN_RST, 'I');
    else flow_check_history(c, ep, HIST_MULTI, 'Q');
  } else if (bits == 1) {
    if (syn) {
      char code = flags & TH_ACK ? 'H' : 'S';
      if (flow_check_history(c, ep, HIST_SYN, code) && rel_seq != ep->hist_last_syn) flow_add_history(c, ep, code);
      ep->hist_last_syn = rel_seq;
    }
    if (fin) {
      if (flow_check_history(c, ep, HIST_FIN, 'F') && rel_seq + len != ep->hist_last_fin) flow_add_history(c, ep, 'F');
      ep->hist_last_fin = rel_seq + len;
    }
    if (rst) {
      if (flow_check_history(c, ep, HIST_RST, 'R') && rel_seq != ep->hist_last_rst) flow_add_history(c, ep, 'R');
      ep->hist_last_rst = rel_seq;
    }
  } else if (len > 0) flow_check_history(c, ep, HIST_DATA, 'D');
  else if (flags & TH_ACK) flow_check_history(c, ep, HIST_ACK, 'A');
}

static void init_peer(flow_conn_t *c, flow_ep_t *peer, flow_ep_t *ep, flow_host_t *h, uint32_t flags, uint32_t ack) {
  if (!(flags & (TH_SYN | TH_FIN | TH_RST))) {
    if (ep->state == TCP_SYN_SENT || ep->state == TCP_SYN_ACK_SENT || ep->state == TCP_ESTABLISHED) h->weird(h, c, FW_possible_split_routing);
  }
  uint32_t base = ack - 1;
  peer->start_seq = base;
  peer->ack_seq = base;
  peer->last_seq = base;
}

static void update_ack_seq(flow_ep_t *ep, const flow_tcp_pkt_t *p) {
  uint32_t ack = p->ack;
  int32_t d = seq_delta(ack, ep->ack_seq);
  if (ack == 0 && d > TOO_LARGE_SEQ_DELTA) return;
  if (d > 0) {
    if (ack < ep->ack_seq) ep->ack_wraps++;
    ep->ack_seq = ack;
  }
}

static int32_t update_last_seq(flow_conn_t *c, flow_ep_t *ep, const flow_tcp_pkt_t *p, uint32_t seg_len, uint32_t flags, uint32_t len) {
  uint32_t last = p->seq + seg_len;
  int32_t d = seq_delta(last, ep->last_seq);
  if (flags & (TH_SYN | TH_RST) && (d > TOO_LARGE_SEQ_DELTA || d < -TOO_LARGE_SEQ_DELTA)) {
    /* a wild jump on a SYN or RST: not trusted */
  } else if (flags & TH_FIN && ep->last_seq == ep->start_seq + 1) {
    if (last < ep->last_seq) ep->seq_wraps++;
    ep->last_seq = last;
  } else if (ep->state == TCP_RESET) {
    /* nothing after a RST is trusted */
  } else if (d > 0) {
    if (last < ep->last_seq) ep->seq_wraps++;
    ep->last_seq = last;
  } else if (len > 0) flow_did_retransmit(c, ep);
  return d;
}

static void connection_closed(flow_conn_t *c, flow_ep_t *ep, flow_ep_t *peer, flow_host_t *h) {
  if (ep->did_close) return;
  ep->did_close = 1;
  if (ep->state == TCP_RESET || peer->did_close || peer->state == TCP_INACTIVE) h->closed(h, c);
}

static int seq_between(uint32_t s, uint32_t lo, uint32_t hi) { return seq_delta(s, lo) >= 0 && seq_delta(s, hi) <= 0; }

static void update_inactive(flow_conn_t *c, flow_ep_t *ep, flow_ep_t *peer, flow_host_t *h, const flow_tcp_pkt_t *p, int is_orig, uint32_t flags, int *do_close) {
  uint32_t len = p->pay_len;
  if (flags & TH_SYN) {
    if (is_orig) {
      if (flags & TH_ACK) {
        h->weird(h, c, FW_connection_originator_SYN_ack);
        set_state(ep, TCP_SYN_ACK_SENT);
      } else set_state(ep, TCP_SYN_SENT);
      h->attempt(h, c);
    } else {
      if (flags & TH_ACK) {
        if (peer->state != TCP_INACTIVE && peer->state != TCP_PARTIAL && !seq_between(p->ack, peer->start_seq, peer->last_seq)) h->weird(h, c, FW_bad_SYN_ack);
      } else if (peer->state == TCP_SYN_ACK_SENT && p->seq == ep->start_seq) {
        /* The SYN-ACK was seen before its SYN: flip and establish. */
        c->is_partial = 0;
        flow_conn_flip(c);
        set_state(peer, TCP_ESTABLISHED);
        c->first_seen |= 1;
      } else h->weird(h, c, FW_simultaneous_open);
      if (peer->state == TCP_SYN_SENT) set_state(peer, TCP_ESTABLISHED);
      else if (peer->state == TCP_INACTIVE) h->weird(h, c, FW_unsolicited_SYN_response);
      set_state(ep, TCP_ESTABLISHED);
    }
  }
  if (flags & TH_FIN) {
    set_state(ep, TCP_CLOSED);
    *do_close = 1;
    if (peer->state != TCP_PARTIAL && !(flags & TH_SYN)) h->weird(h, c, FW_spontaneous_FIN);
  }
  if (flags & TH_RST) {
    set_state(ep, TCP_RESET);
    int reject = 0;
    if (is_orig) {
      if (peer->state == TCP_ESTABLISHED) reject = 1;
    } else if (peer->state == TCP_SYN_SENT || peer->state == TCP_SYN_ACK_SENT) reject = 1;
    *do_close = 1;
    if (!reject && peer->state == TCP_INACTIVE) h->weird(h, c, FW_spontaneous_RST);
  }
  if (ep->state == TCP_INACTIVE) {
    if (!is_orig && len == 0 && flow_orig(c)->state == TCP_SYN_SENT) {
      /* some stacks ack a SYN before answering it */
    } else if (flags & TH_ACK && peer->state == TCP_ESTABLISHED) {
      set_state(ep, TCP_ESTABLISHED);
      c->is_partial = 0;
      c->first_seen |= is_orig ? 1 : 2;
    } else set_state(ep, TCP_PARTIAL);
  }
}

static void update_syn_sent(flow_conn_t *c, flow_ep_t *ep, flow_ep_t *peer, flow_host_t *h, uint32_t len, int is_orig, uint32_t flags, int *do_close) {
  if (flags & TH_SYN) {
    if (is_orig) {
      if (flags & TH_ACK && !(flags & (TH_FIN | TH_RST)) && ep->state != TCP_SYN_ACK_SENT) h->weird(h, c, FW_repeated_SYN_with_ack);
    } else if (!(flags & TH_ACK) && ep->state != TCP_SYN_SENT) h->weird(h, c, FW_repeated_SYN_reply_wo_ack);
  }
  if (flags & TH_FIN) {
    if (peer->state == TCP_INACTIVE || peer->state == TCP_SYN_SENT) h->weird(h, c, FW_inappropriate_FIN);
    set_state(ep, TCP_CLOSED);
    *do_close = 1;
  }
  if (flags & TH_RST) {
    set_state(ep, TCP_RESET);
    *do_close = 1;
  } else if (len > 0) h->weird(h, c, FW_data_before_established);
}

static void update_established(flow_conn_t *c, flow_ep_t *ep, flow_ep_t *peer, flow_host_t *h, uint32_t flags, int *do_close) {
  if (flags & TH_SYN && ep->state == TCP_PARTIAL && peer->state == TCP_INACTIVE && !(flags & TH_ACK)) {
    h->weird(h, c, FW_SYN_after_partial);
    set_state(ep, TCP_SYN_SENT);
  }
  if (flags & TH_FIN && !(flags & TH_RST)) {
    set_state(ep, TCP_CLOSED);
    if (peer->state == TCP_RESET && peer->prev_state == TCP_CLOSED) set_state(peer, TCP_CLOSED);
    *do_close = 1;
  }
  if (flags & TH_RST) {
    set_state(ep, TCP_RESET);
    *do_close = 1;
  }
}

static void update_closed(flow_conn_t *c, flow_ep_t *ep, flow_ep_t *peer, flow_host_t *h, int32_t delta_last, uint32_t flags, int *do_close) {
  if (flags & TH_SYN) h->weird(h, c, FW_SYN_after_close);
  if (flags & TH_FIN && delta_last > 0) h->weird(h, c, FW_FIN_advanced_last_seq);
  if (flags & TH_RST && peer->state != TCP_CLOSED) {
    set_state(ep, TCP_RESET);
    if (!ep->did_close) *do_close = 1;
    h->closed(h, c);
  }
}

static void update_reset(flow_conn_t *c, flow_host_t *h, uint32_t len, uint32_t flags) {
  if (flags & TH_SYN) h->weird(h, c, FW_SYN_after_reset);
  if (flags & TH_FIN) h->weird(h, c, FW_FIN_after_reset);
  if (len > 0 && !(flags & TH_RST)) h->weird(h, c, FW_data_after_reset);
}

int flow_close_complete(const flow_conn_t *c) {
  const flow_ep_t *o = &c->ep[c->oi], *r = &c->ep[c->oi ^ 1];
  if (o->state == TCP_RESET || r->state == TCP_RESET) return 1;
  return o->did_close && r->did_close && seq_delta(o->ack_seq, o->last_seq) >= 0 && seq_delta(r->ack_seq, r->last_seq) >= 0;
}

int flow_is_reuse(flow_conn_t *c, const flow_tcp_pkt_t *p, flow_host_t *h) {
  uint32_t flags = p->flags;
  if (!(flags & TH_SYN)) return 0;
  flow_ep_t *o = flow_orig(c), *r = flow_resp(c);
  flow_ep_t *conn_orig = o;
  if (flags & TH_ACK) {
    if (o->state != TCP_INACTIVE) return 0;
    conn_orig = r;
  }
  if (!o->did_close && !r->did_close) {
    if (p->seq == conn_orig->start_seq) return 0;
    if (!(flags & TH_ACK) && conn_orig->state == TCP_SYN_ACK_SENT && r->state == TCP_INACTIVE && p->seq == r->start_seq) return 0;
    h->weird(h, c, conn_orig->state == TCP_SYN_SENT ? FW_SYN_seq_jump : FW_active_connection_reuse);
  } else if (((o->state != TCP_INACTIVE && !o->did_close) || (r->state != TCP_INACTIVE && !r->did_close)) && o->state != TCP_RESET && r->state != TCP_RESET) {
    h->weird(h, c, FW_active_connection_reuse);
  } else if (p->now - c->last < h->linger_ns && o->state != TCP_RESET && r->state != TCP_RESET) {
    h->weird(h, c, FW_premature_connection_reuse);
  }
  return 1;
}

void flow_process_tcp(flow_conn_t *c, int is_orig, const flow_tcp_pkt_t *p, flow_host_t *h) {
  uint32_t flags = p->flags;
  uint32_t len = p->pay_len;
  flow_ep_t *ep = is_orig ? flow_orig(c) : flow_resp(c);
  flow_ep_t *peer = peer_of(c, ep);

  /* Zeek's SetPartialStatus. */
  if (is_orig) {
    if (!(c->first_seen & 1)) c->is_partial = !(flags & TH_SYN) || (flags & TH_ACK) != 0;
  } else if (!(c->first_seen & 2) && !c->is_partial) c->is_partial = !(flags & TH_SYN);

  uint32_t seg_len = len;
  if (flags & TH_SYN) seg_len++;
  if (flags & TH_FIN) seg_len++;
  if (flags & TH_RST) seg_len -= len;
  init_endpoint(c, ep, h, flags, p, seg_len);

  int seq_underflow = 0;
  int64_t rel_seq = relative_seq(ep, p, 0, &seq_underflow);
  if (seq_underflow && !(flags & TH_RST)) h->weird(h, c, FW_TCP_seq_underflow_or_misorder);

  update_history(c, ep, flags, rel_seq, len);
  if (p->win == 0 && !(flags & TH_RST) && peer->state != TCP_CLOSED && ep->state != TCP_RESET) flow_zero_window(c, ep);

  if (!flow_orig(c)->did_close || !flow_resp(c)->did_close) c->last = p->now;

  if (flags & TH_SYN) {
    if (flags & TH_RST) h->weird(h, c, FW_TCP_christmas);
    if (flags & TH_URG) h->weird(h, c, FW_baroque_SYN);
    if (len > 0) h->weird(h, c, FW_SYN_with_data);
  }
  if (flags & TH_FIN) {
    ep->fin_cnt++;
    ep->fin_seq = rel_seq + seg_len;
  }
  if (flags & TH_RST) ep->rst_cnt++;

  int64_t rel_ack = 0;
  if (flags & TH_ACK) {
    if (peer->state == TCP_INACTIVE) {
      rel_ack = 1;
      init_peer(c, peer, ep, h, flags, p->ack);
    } else {
      int ack_underflow = 0;
      rel_ack = relative_seq(peer, p, 1, &ack_underflow);
      if (ack_underflow) {
        rel_ack = 0;
        h->weird(h, c, FW_TCP_ack_underflow_or_misorder);
      } else if (!(flags & TH_RST)) update_ack_seq(peer, p);
    }
  }

  int32_t delta_last = update_last_seq(c, ep, p, seg_len, flags, len);

  int do_close = 0;
  switch (ep->state) {
    case TCP_INACTIVE:
      update_inactive(c, ep, peer, h, p, is_orig, flags, &do_close);
      break;
    case TCP_SYN_SENT:
    case TCP_SYN_ACK_SENT:
      update_syn_sent(c, ep, peer, h, len, is_orig, flags, &do_close);
      break;
    case TCP_ESTABLISHED:
    case TCP_PARTIAL:
      update_established(c, ep, peer, h, flags, &do_close);
      break;
    case TCP_CLOSED:
      update_closed(c, ep, peer, h, delta_last, flags, &do_close);
      break;
    case TCP_RESET:
      update_reset(c, h, len, flags);
      break;
  }

  if (flags & TH_ACK) flow_ack_received(c, peer, ep, rel_ack, h);

  if (len > 0 && !(flags & TH_RST) && !seq_underflow) {
    if (p->pay_cap < len) h->weird(h, c, FW_truncated_tcp_payload);
    else flow_data_sent(c, ep, flags & TH_SYN ? rel_seq + 1 : rel_seq, len, p->pay, h);
  }

  if (do_close) connection_closed(c, ep, peer, h);
  c->first_seen |= is_orig ? 1 : 2;
}

/* "^?S[^HAFGIQ]*R": the originator's SYN, then its RST, with nothing acknowledging in between. */
static int rstos0_history(const char *h) {
  if (*h == '^') h++;
  if (*h++ != 'S') return 0;
  for (; *h; h++) {
    if (*h == 'R') return 1;
    if (strchr("HAFGIQ", *h)) return 0;
  }
  return 0;
}

int flow_conn_state(const flow_conn_t *c) {
  const flow_ep_t *o = &c->ep[c->oi], *r = &c->ep[c->oi ^ 1];
  if (c->proto == 6) {
    int os = o->state, rs = r->state;
    int o_inactive = os == TCP_INACTIVE || os == TCP_PARTIAL;
    int r_inactive = rs == TCP_INACTIVE || rs == TCP_PARTIAL;
    if (rs == TCP_RESET) {
      if (os == TCP_SYN_SENT || os == TCP_SYN_ACK_SENT || (os == TCP_RESET && flow_tcp_size(o, r) == 0 && flow_tcp_size(r, o) == 0)) return CS_REJ;
      return o_inactive ? CS_RSTRH : CS_RSTR;
    }
    if (os == TCP_RESET) {
      if (r_inactive) return rstos0_history(c->hist) ? CS_RSTOS0 : CS_OTH;
      return CS_RSTO;
    }
    if (rs == TCP_CLOSED && os == TCP_CLOSED) return CS_SF;
    if (os == TCP_CLOSED) return r_inactive ? CS_SH : CS_S2;
    if (rs == TCP_CLOSED) return o_inactive ? CS_SHR : CS_S3;
    if (os == TCP_SYN_SENT && rs == TCP_INACTIVE) return CS_S0;
    if (os == TCP_ESTABLISHED && rs == TCP_ESTABLISHED) return CS_S1;
    return CS_OTH;
  }
  if (c->proto == 17) {
    int o_active = o->pkts > 0, r_active = r->pkts > 0;
    if (o_active) return r_active ? CS_SF : CS_S0;
    return r_active ? CS_SHR : CS_OTH;
  }
  return CS_OTH;
}

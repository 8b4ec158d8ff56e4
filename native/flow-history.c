/*
 * Zeek's connection history string, as sensor/flow/history.ts builds it: upper case for
 * the originator, lower case for the responder; some letters once per direction, some
 * again when the sequence number differs, some logarithmically (1st, 10th, 100th...).
 */
#include <stdlib.h>
#include <string.h>

#include "flow-conn.h"

static void append(flow_conn_t *c, char ch) {
  if (c->hist_len + 1 >= c->hist_cap) {
    uint32_t cap = c->hist_cap * 2;
    char *n = c->hist == c->hist_inline ? malloc(cap) : realloc(c->hist, cap);
    /* Out of memory: the letter is lost, never the connection (a history has no bound of its own). */
    if (n == NULL) return;
    if (c->hist == c->hist_inline) memcpy(n, c->hist_inline, c->hist_len);
    c->hist = n;
    c->hist_cap = cap;
  }
  c->hist[c->hist_len++] = ch;
  c->hist[c->hist_len] = 0;
}

static char letter(const flow_ep_t *ep, char upper) {
  return ep->is_orig || upper < 'A' || upper > 'Z' ? upper : (char)(upper - 'A' + 'a');
}

int flow_check_history(flow_conn_t *c, const flow_ep_t *ep, uint32_t mask, char upper) {
  uint32_t m = ep->is_orig ? mask : mask << 16;
  if ((c->hist_seen & m) == 0) {
    c->hist_seen |= m;
    append(c, letter(ep, upper));
    return 0;
  }
  return 1;
}

void flow_add_history(flow_conn_t *c, const flow_ep_t *ep, char upper) { append(c, letter(ep, upper)); }

static void scaled(flow_conn_t *c, const flow_ep_t *ep, char upper, int64_t count) {
  int64_t p = 1;
  for (int i = 0; i < 10; i++, p *= 10)
    if (count == p) {
      append(c, letter(ep, upper));
      return;
    }
}

void flow_did_retransmit(flow_conn_t *c, flow_ep_t *ep) { scaled(c, ep, 'T', ++ep->rxmt_cnt); }
void flow_zero_window(flow_conn_t *c, flow_ep_t *ep) { scaled(c, ep, 'W', ++ep->win0_cnt); }
void flow_content_gap(flow_conn_t *c, flow_ep_t *ep) { scaled(c, ep, 'G', ++ep->gap_cnt); }
void flow_checksum_error(flow_conn_t *c, flow_ep_t *ep) { scaled(c, ep, 'C', ++ep->chk_cnt); }

void flow_conn_init(flow_conn_t *c) {
  memset(c->ep, 0, sizeof c->ep);
  c->ep[0].is_orig = 1;
  c->ep[0].reasm = 1;
  c->ep[1].reasm = 1;
  c->oi = 0;
  c->hist = c->hist_inline;
  c->hist_cap = FLOW_HISTORY_INLINE;
  c->hist_len = 0;
  c->hist_inline[0] = 0;
  c->hist_seen = 0;
  c->is_partial = 0;
  c->first_seen = 0;
  c->missed = 0;
}

void flow_conn_free(flow_conn_t *c) {
  if (c->hist != c->hist_inline) free(c->hist);
  c->hist = c->hist_inline;
  c->hist_cap = FLOW_HISTORY_INLINE;
  c->hist_len = 0;
  c->hist_inline[0] = 0;
  for (int i = 0; i < 2; i++) {
    flow_ooo_t *o = c->ep[i].ooo;
    if (o == NULL) continue;
    for (int k = 0; k < o->n; k++) free(o->b[k].data);
    free(o);
    c->ep[i].ooo = NULL;
  }
}

void flow_conn_flip(flow_conn_t *c) {
  for (int i = 0; i < 4; i++) {
    uint32_t t = c->oa[i];
    c->oa[i] = c->ra[i];
    c->ra[i] = t;
  }
  uint32_t t = c->op;
  c->op = c->rp;
  c->rp = t;
  c->oi ^= 1;
  flow_orig(c)->is_orig = 1;
  flow_resp(c)->is_orig = 0;
  c->first_seen = ((c->first_seen & 1) << 1) | ((c->first_seen & 2) >> 1);
  c->is_partial = 0;
  append(c, '^');
}

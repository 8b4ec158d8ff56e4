/*
 * Per-direction TCP stream accounting, as sensor/flow/reassembly.ts does it (after
 * Zeek's TCP_Reassembler): which bytes of the sequence space were seen, the holes the
 * peer acknowledged without the data ever being seen (missed_bytes, the g/G letter),
 * and, while an application analyzer wants the stream, in-order delivery with a small
 * bounded copy of segments that arrive ahead of a hole.
 */
#include <stdlib.h>
#include <string.h>

#include "flow-conn.h"

static int is_clean(const flow_ep_t *e) { return e->state == TCP_ESTABLISHED || (e->state == TCP_CLOSED && e->prev_state == TCP_ESTABLISHED); }

static void drain(flow_conn_t *c, flow_ep_t *ep, flow_host_t *h) {
  flow_ooo_t *o = ep->ooo;
  int k = 0;
  while (k < o->n && o->b[k].s <= ep->reasm) {
    flow_block_t blk = o->b[k++];
    if (blk.data != NULL) o->bytes -= blk.e - blk.s;
    if (blk.e > ep->reasm) {
      int64_t from = ep->reasm;
      ep->reasm = blk.e;
      if (h->wants(h, c)) {
        if (blk.data != NULL) h->deliver(h, c, ep, blk.data + (from - blk.s), (uint32_t)(blk.e - from));
        else h->gap(h, c, ep, blk.e - from);
      }
    }
    free(blk.data);
  }
  o->n -= k;
  memmove(o->b, o->b + k, (size_t)o->n * sizeof o->b[0]);
  if (o->n == 0) {
    free(o);
    ep->ooo = NULL;
  }
}

static void add_block(flow_conn_t *c, flow_ep_t *ep, int64_t s, int64_t e, const uint8_t *data, flow_host_t *h) {
  if (ep->ooo == NULL) {
    ep->ooo = calloc(1, sizeof *ep->ooo);
    if (ep->ooo == NULL) return; /* out of memory: the segment counts as never seen (a gap if acknowledged) */
  }
  flow_ooo_t *o = ep->ooo;
  uint8_t *copy = NULL;
  if (h->wants(h, c) && o->bytes + (e - s) <= FLOW_MAX_BUFFERED) {
    copy = malloc((size_t)(e - s));
    if (copy != NULL) {
      memcpy(copy, data, (size_t)(e - s));
      o->bytes += e - s;
    }
  }
  int i = o->n;
  while (i > 0 && o->b[i - 1].s > s) i--;
  if (i > 0 && o->b[i - 1].s == s && o->b[i - 1].e >= e) {
    /* the same segment again */
    if (copy != NULL) {
      o->bytes -= e - s;
      free(copy);
    }
    return;
  }
  memmove(o->b + i + 1, o->b + i, (size_t)(o->n - i) * sizeof o->b[0]);
  o->b[i] = (flow_block_t){ .s = s, .e = e, .data = copy };
  o->n++;
  if (o->n > FLOW_MAX_BLOCKS) {
    /* Too much disorder: the highest block is forgotten (acknowledged later, it counts as missed). */
    flow_block_t *last = &o->b[--o->n];
    if (last->data != NULL) {
      o->bytes -= last->e - last->s;
      free(last->data);
    }
  }
}

void flow_data_sent(flow_conn_t *c, flow_ep_t *ep, int64_t rseq, uint32_t len, const uint8_t *data, flow_host_t *h) {
  int64_t upper = rseq + len;
  if (upper <= ep->reasm) return;
  if (rseq <= ep->reasm) {
    int64_t from = ep->reasm;
    ep->reasm = upper;
    if (h->wants(h, c)) h->deliver(h, c, ep, data + (from - rseq), (uint32_t)(upper - from));
    if (ep->ooo != NULL) drain(c, ep, h);
    return;
  }
  add_block(c, ep, rseq, upper, data, h);
}

static void gap(flow_conn_t *c, flow_ep_t *ep, flow_ep_t *peer, int64_t len, flow_host_t *h) {
  if (is_clean(ep) && is_clean(peer)) {
    flow_content_gap(c, ep);
    c->missed += len;
  }
  if (h->wants(h, c)) h->gap(h, c, ep, len);
}

void flow_ack_received(flow_conn_t *c, flow_ep_t *ep, flow_ep_t *peer, int64_t ack, flow_host_t *h) {
  if (ep->fin_cnt > 0 && ack >= ep->fin_seq) ack = ep->fin_seq - 1;
  if (ack <= ep->reasm) return;
  if (ack <= 2 && c->is_partial) return;
  while (ep->ooo != NULL && ep->ooo->b[0].s < ack) {
    int64_t s = ep->ooo->b[0].s;
    if (s > ep->reasm) {
      gap(c, ep, peer, s - ep->reasm, h);
      ep->reasm = s;
    }
    drain(c, ep, h);
  }
  if (ack > ep->reasm) {
    gap(c, ep, peer, ack - ep->reasm, h);
    ep->reasm = ack;
    if (ep->ooo != NULL) drain(c, ep, h);
  }
}

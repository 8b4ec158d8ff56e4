/*
 * The weirds native analyzers report, by number; app-addon.c hands JavaScript their
 * names (each one of sensor/app/events.ts's APP_WEIRDS) in this order. An analyzer call
 * collects them in the order they happen; the caller reports them after it returns.
 */
#ifndef CHOT_APP_WEIRDS_H
#define CHOT_APP_WEIRDS_H
#include <stdlib.h>

#define APP_WEIRD_LIST(X) \
  X(DNS_truncated_len_lt_hdr_len) X(DNS_truncated_quest_too_short) X(DNS_truncated_ans_too_short) \
  X(DNS_truncated_RR_rdlength_lt_len) X(DNS_RR_bad_length) X(DNS_RR_length_mismatch) X(DNS_TXT_char_str_past_rdlen) \
  X(DNS_label_len_gt_pkt) X(DNS_label_too_long) X(DNS_label_forward_compress_offset) X(DNS_label_bad_type) \
  X(DNS_NAME_too_long) X(DNS_name_too_many_pointers) X(DNS_too_many_answers) X(DNS_answer_data_truncated) \
  X(DNS_zero_length_tcp_message) X(dns_protocol_violation) X(dns_tcp_content_gap) X(dns_unmatched_reply) \
  X(dns_unmatched_msg) X(dns_unmatched_msg_quantity) X(dns_transactions_dropped)

#define APP_WEIRD_ENUM(name) W_##name,
enum { APP_WEIRD_LIST(APP_WEIRD_ENUM) APP_WEIRD_COUNT };
#undef APP_WEIRD_ENUM

typedef struct {
  int *codes;
  size_t n, cap;
} weirds_t;

static inline void weird(weirds_t *w, int code) {
  if (w->n == w->cap) {
    size_t cap = w->cap ? w->cap * 2 : 16;
    int *p = realloc(w->codes, cap * sizeof *p);
    if (!p) return; /* (out of memory: the count is lost, nothing else) */
    w->codes = p;
    w->cap = cap;
  }
  w->codes[w->n++] = code;
}

#endif

/*
 * HTTP/1.x as sensor/app/http/ reads it, on the common path only (see http.h). Each
 * function names the JavaScript it follows; wherever that code would report a weird or
 * take a path this one does not have, this one hands over instead.
 */
#include "http.h"

#include <stdlib.h>
#include <string.h>

#include "replay-log.h"
#include "slots.h"

#define MAX_HEADERS 256
#define MAX_LINE (16 * 1024)
#define MAX_PENDING 64
#define MAX_DONE 1024
#define MAX_DONE_BYTES (512 * 1024)
/* What is kept for a handover at most; a connection that has had more is handed over when it gets there. */
#define MAX_RECORDED (256 * 1024)
/* Buffers grown past this by one connection are given back rather than kept for the next. */
#define KEEP_BYTES 16384

/* LIMITS in parse.ts */
enum { L_METHOD = 32, L_URI = 2048, L_VERSION = 16, L_STATUS_MSG = 256, L_HOST = 256, L_USER_AGENT = 1024, L_REFERRER = 2048, L_ORIGIN = 1024 };

enum { S_START, S_HEADERS, S_BODY, S_CHUNK_SIZE, S_CHUNK_DATA, S_CHUNK_END, S_TRAILERS, S_CLOSE, S_TUNNEL };
enum { F_NONE, F_LENGTH, F_CHUNKED, F_CLOSE, F_TUNNEL };

/* A text field of a transaction: bytes [off, off + len) of the analyzer's text, as they came off the wire. */
typedef struct {
  uint32_t off, len;
  int set;
} field_t;

enum { T_METHOD, T_HOST, T_URI, T_REFERRER, T_REQ_VERSION, T_RESP_VERSION, T_USER_AGENT, T_ORIGIN, T_STATUS_MSG, T_INFO_MSG, T_FIELDS };

/* A transaction, in a slot of its analyzer that is reused (its text buffer too) once it is logged. */
typedef struct {
  zbuf_t text;
  int live;
  int64_t ts;
  uint32_t depth;
  field_t f[T_FIELDS];
  uint64_t req_body, resp_body;
  int status_code, info_code; /* -1: unset */
  int req_complete, resp_complete;
} tx_t;

/* One direction's message reader (MessageReader with its LineReader). */
typedef struct {
  int state;
  uint64_t remaining;
  int headers;
  zbuf_t carry; /* a line split across deliveries, at most MAX_LINE bytes */
} reader_t;

typedef struct {
  int has_length, chunked;
  uint64_t length;
} framing_t;

typedef struct {
  /* Buffers, kept when the analyzer is reused. */
  zbuf_t recorded, rows;
  reader_t rd[2];
  tx_t *slots;
  size_t n_slots;
  /* The rest is cleared for each connection. */
  int in_use, done, confirmed, handover;
  int64_t ts;
  uint32_t depth;
  int pending[MAX_PENDING]; /* requests awaiting responses (slots), oldest first */
  size_t n_pending;
  int req_tx, resp_tx; /* slots, -1: none */
  int interim;
  framing_t req_framing, resp_framing;
  size_t n_rows, rows_bytes;
  /* The last entry of `recorded` when it is a delivery skipped whole (body only), else -1; and its direction. */
  long last_skipped;
  int last_skipped_dir;
} http_analyzer_t;

struct http_pool {
  replay_budget_t budget; /* the analyzers' recorded inputs together */
  http_analyzer_t *a;
  slots_t slots;
  skips_t skips;
};

static const char *const METHODS[] = {
  "GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "CONNECT", "TRACE", "PATCH",
  "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "SEARCH", "REPORT",
  "MKACTIVITY", "CHECKOUT", "MERGE", "MSEARCH", "M-SEARCH", "NOTIFY", "SUBSCRIBE", "UNSUBSCRIBE",
  "PURGE", "LINK", "UNLINK", "BPROPFIND", "BPROPPATCH", "POLL", "BMOVE", "BDELETE", "BCOPY",
};

http_pool_t *http_pool_new(void) {
  http_pool_t *p = calloc(1, sizeof(http_pool_t));
  if (p) p->budget.max = REPLAY_BUDGET;
  return p;
}

void http_replay_budget(http_pool_t *p, size_t max, size_t *used) {
  if (max) p->budget.max = max;
  *used = p->budget.used;
}

static void free_buffers(http_analyzer_t *a) {
  zb_free(&a->recorded);
  zb_free(&a->rows);
  zb_free(&a->rd[0].carry);
  zb_free(&a->rd[1].carry);
  for (size_t i = 0; i < a->n_slots; i++) zb_free(&a->slots[i].text);
  free(a->slots);
}

void http_pool_free(http_pool_t *p) {
  if (!p) return;
  for (uint32_t i = 0; i < p->slots.n; i++) free_buffers(&p->a[i]);
  free(p->a);
  slots_free(&p->slots);
  skips_free(&p->skips);
  free(p);
}

uint32_t http_open(http_pool_t *p) {
  void *array = p->a;
  long i = slots_take(&p->slots, &array, sizeof *p->a);
  p->a = array;
  if (i < 0) return 0;
  http_analyzer_t *a = &p->a[i];
  memset(&a->in_use, 0, sizeof *a - offsetof(http_analyzer_t, in_use));
  a->recorded.len = a->rows.len = 0;
  a->recorded.failed = a->rows.failed = 0;
  for (int d = 0; d < 2; d++) {
    a->rd[d].state = S_START;
    a->rd[d].remaining = 0;
    a->rd[d].headers = 0;
    a->rd[d].carry.len = 0;
  }
  for (size_t k = 0; k < a->n_slots; k++) a->slots[k].live = 0;
  a->req_tx = a->resp_tx = -1;
  a->last_skipped = -1;
  a->in_use = 1;
  return i + 1;
}

static http_analyzer_t *get(http_pool_t *p, uint32_t h) { return h >= 1 && h <= p->slots.n && p->a[h - 1].in_use ? &p->a[h - 1] : NULL; }

static void shrink(zbuf_t *b) {
  if (b->cap > KEEP_BYTES) zb_free(b);
}

static void close_analyzer(http_pool_t *p, uint32_t h) {
  http_analyzer_t *a = &p->a[h - 1];
  a->in_use = 0;
  replay_clear(&a->recorded, &p->budget);
  shrink(&a->recorded);
  shrink(&a->rows);
  for (size_t k = 0; k < a->n_slots; k++) shrink(&a->slots[k].text);
  for (int d = 0; d < 2; d++)
    if (a->rd[d].carry.cap > KEEP_BYTES) zb_free(&a->rd[d].carry);
  slots_give(&p->slots, h - 1);
}

static int flags_of(const http_analyzer_t *a) {
  if (a->handover) return HTTP_HANDOVER;
  return (a->confirmed ? HTTP_CONFIRMED : 0) | (a->done ? HTTP_DONE : 0);
}

/* ------------------------------------------------------------------ parse.ts */

static int is_method_byte(uint8_t c) { return (c >= 'A' && c <= 'Z') || c == '-' || c == '_'; }

/* methodLength() */
static size_t method_length(const uint8_t *b, size_t n) {
  size_t i = 0;
  while (i < n && i <= L_METHOD && is_method_byte(b[i])) i++;
  if (i == 0 || i >= n || b[i] != ' ') return 0;
  for (size_t k = 0; k < sizeof METHODS / sizeof METHODS[0]; k++)
    if (strlen(METHODS[k]) == i && memcmp(METHODS[k], b, i) == 0) return i;
  return 0;
}

/* versionAt(): "HTTP/x.y" exactly at b[0, n); the length of "x.y" (from b + 5), or -1. */
static long version_at(const uint8_t *b, size_t n) {
  if (n < 8 || n > L_VERSION || memcmp(b, "HTTP/", 5) != 0) return -1;
  for (size_t i = 5; i < n; i++)
    if (!((b[i] >= '0' && b[i] <= '9') || b[i] == '.')) return -1;
  return (long)(n - 5);
}

static int space_or_tab(uint8_t c) { return c == ' ' || c == '\t'; }

/* asciiEqualsLower() */
static int name_is(const uint8_t *b, size_t n, const char *lit) {
  size_t m = strlen(lit);
  if (n != m) return 0;
  for (size_t i = 0; i < n; i++) {
    uint8_t c = b[i];
    if (c >= 'A' && c <= 'Z') c |= 0x20;
    if (c != (uint8_t)lit[i]) return 0;
  }
  return 1;
}

/* contentLength(): -1 when not a length this analyzer takes */
static int64_t content_length(const uint8_t *b, size_t n) {
  int64_t value = -1;
  size_t i = 0;
  while (i < n) {
    while (i < n && space_or_tab(b[i])) i++;
    int64_t v = 0;
    int digits = 0;
    while (i < n && b[i] >= '0' && b[i] <= '9') {
      v = v * 10 + (b[i] - '0');
      i++;
      if (++digits > 15) return -1;
    }
    if (digits == 0) return -1;
    while (i < n && space_or_tab(b[i])) i++;
    if (i < n && b[i] != ',') return -1;
    i++;
    if (value >= 0 && v != value) return -1;
    value = v;
  }
  return value;
}

/* isChunked() */
static int is_chunked(const uint8_t *b, size_t n) {
  size_t e = n;
  while (e > 0 && space_or_tab(b[e - 1])) e--;
  size_t s = e;
  while (s > 0 && b[s - 1] != ',') s--;
  while (s < e && space_or_tab(b[s])) s++;
  return name_is(b + s, e - s, "chunked");
}

/* chunkSize(): -1 when malformed */
static int64_t chunk_size(const uint8_t *b, size_t n) {
  size_t i = 0;
  while (i < n && space_or_tab(b[i])) i++;
  int64_t v = 0;
  int digits = 0;
  for (; i < n; i++) {
    uint8_t c = b[i];
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (d < 0) break;
    v = v * 16 + d;
    if (++digits > 12) return -1;
  }
  if (digits == 0) return -1;
  while (i < n && space_or_tab(b[i])) i++;
  if (i < n && b[i] != ';') return -1;
  return v;
}

/* ------------------------------------------------------------------ transactions (analyzer.ts) */

static void set_field(http_analyzer_t *a, tx_t *t, int k, const uint8_t *b, size_t n, size_t max) {
  if (n > max) n = max;
  t->f[k].off = (uint32_t)t->text.len;
  t->f[k].len = (uint32_t)n;
  t->f[k].set = 1;
  zb_mem(&t->text, b, n);
  if (t->text.failed) a->handover = 1;
}

/* The length of a field as a JavaScript string (what the backlog's size counts). */
static size_t units_of(const tx_t *t, const field_t *f, size_t max) {
  if (!f->set) return 0;
  uint16_t u[L_URI];
  ustr_t s = { u, 0, L_URI };
  us_wire(&s, t->text.p + f->off, f->len, max);
  return s.n;
}

static const size_t LIMIT_OF[T_FIELDS] = { L_METHOD, L_HOST, L_URI, L_REFERRER, L_VERSION, L_VERSION, L_USER_AGENT, L_ORIGIN, L_STATUS_MSG, L_STATUS_MSG };

static void tab(zbuf_t *o) { zb_byte(o, '\t'); }

static void str_field(zbuf_t *o, const tx_t *t, int k) {
  const field_t *f = &t->f[k];
  if (!f->set) {
    zb_byte(o, '-');
    return;
  }
  uint16_t u[L_URI];
  ustr_t s = { u, 0, L_URI };
  us_wire(&s, t->text.p + f->off, f->len, LIMIT_OF[k]);
  zb_zeek_units(o, s.u, s.n, 0);
}

static void count_field(zbuf_t *o, int v) {
  if (v >= 0) zb_uint(o, (uint64_t)v);
  else zb_byte(o, '-');
}

/* writeHttpRow() */
static void write_row(zbuf_t *o, const tx_t *t) {
  zb_time(o, t->ts);
  tab(o);
  zb_uint(o, t->depth);
  const int cols[] = { T_METHOD, T_HOST, T_URI, T_REFERRER };
  for (int i = 0; i < 4; i++) {
    tab(o);
    str_field(o, t, cols[i]);
  }
  tab(o);
  str_field(o, t, t->f[T_RESP_VERSION].set ? T_RESP_VERSION : T_REQ_VERSION); /* Zeek ends with the reply's version */
  tab(o);
  str_field(o, t, T_USER_AGENT);
  tab(o);
  str_field(o, t, T_ORIGIN);
  tab(o);
  zb_uint(o, t->req_body);
  tab(o);
  zb_uint(o, t->resp_body);
  tab(o);
  count_field(o, t->status_code);
  tab(o);
  str_field(o, t, T_STATUS_MSG);
  tab(o);
  count_field(o, t->info_code);
  tab(o);
  str_field(o, t, T_INFO_MSG);
  /* tags (none), username, password, proxied (handed over when there are any), the six file columns */
  zb_cstr(o, "\t(empty)\t-\t-\t-\t-\t-\t-\t-\t-\t-\n");
}

/* finish(): into the bounded backlog as its row; the slot is free after (nothing refers to it then). */
static void finish(http_analyzer_t *a, int slot) {
  tx_t *t = &a->slots[slot];
  if (!t->live) return; /* logged already */
  size_t size = 160;
  const int counted[] = { T_METHOD, T_HOST, T_URI, T_REFERRER, T_USER_AGENT, T_ORIGIN, T_STATUS_MSG, T_INFO_MSG };
  for (size_t i = 0; i < sizeof counted / sizeof counted[0]; i++) size += units_of(t, &t->f[counted[i]], LIMIT_OF[counted[i]]);
  if (a->n_rows >= MAX_DONE || a->rows_bytes + size > MAX_DONE_BYTES) {
    a->handover = 1; /* http_transactions_dropped */
    return;
  }
  write_row(&a->rows, t);
  a->n_rows++;
  a->rows_bytes += size;
  if (a->rows.failed) a->handover = 1;
  t->live = 0;
  t->text.len = 0;
}

/* newTx(): a slot for a new transaction, or -1 (handed over). */
static int new_tx(http_analyzer_t *a) {
  size_t k = 0;
  while (k < a->n_slots && a->slots[k].live) k++;
  if (k == a->n_slots) {
    tx_t *s = realloc(a->slots, (a->n_slots + 1) * sizeof *s);
    if (!s) {
      a->handover = 1;
      return -1;
    }
    a->slots = s;
    memset(&a->slots[a->n_slots++], 0, sizeof *s);
  }
  tx_t *t = &a->slots[k];
  zbuf_t text = t->text;
  memset(t, 0, sizeof *t);
  t->text = text;
  t->text.len = 0;
  t->text.failed = 0;
  t->live = 1;
  t->ts = a->ts;
  t->depth = ++a->depth;
  t->status_code = t->info_code = -1;
  return (int)k;
}

/* The request side's handler: startLine() */
static int request_line(http_analyzer_t *a, const uint8_t *b, size_t n) {
  size_t mlen = method_length(b, n);
  if (mlen == 0) return 0; /* http_bad_request_line (or not HTTP) */
  size_t i = mlen;
  while (i < n && b[i] == ' ') i++;
  /* The URI runs to the last space before "HTTP/" (URIs should not hold spaces, but do). */
  size_t uri_end = n, vs = 0;
  long vlen = -1;
  for (size_t j = n; j-- > i + 1;) {
    if (b[j] == ' ') {
      long v = version_at(b + j + 1, n - j - 1);
      if (v >= 0) {
        vlen = v;
        vs = j + 6;
        uri_end = j;
        while (uri_end > i && b[uri_end - 1] == ' ') uri_end--;
      }
      break;
    }
  }
  if (uri_end <= i || uri_end - i > L_URI) return 0; /* not a request line; a URI too long (http_uri_too_long) */
  a->confirmed = 1;
  int k = new_tx(a);
  if (k < 0) return 1;
  tx_t *t = &a->slots[k];
  set_field(a, t, T_METHOD, b, mlen, L_METHOD);
  set_field(a, t, T_URI, b + i, uri_end - i, L_URI);
  if (vlen >= 0) set_field(a, t, T_REQ_VERSION, b + vs, (size_t)vlen, L_VERSION);
  a->req_tx = k;
  a->req_framing = (framing_t){ 0 };
  if (a->n_pending >= MAX_PENDING) {
    a->handover = 1; /* http_too_many_pending_requests */
    return 1;
  }
  a->pending[a->n_pending++] = k;
  return 1;
}

/* The response side's handler: startLine() */
static int status_line(http_analyzer_t *a, const uint8_t *b, size_t n) {
  size_t sp = 0;
  while (sp < n && b[sp] != ' ') sp++;
  long vlen = version_at(b, sp);
  if (vlen < 0) return 0;
  size_t i = sp;
  while (i < n && b[i] == ' ') i++;
  if (i + 3 > n) return 0;
  int code = 0;
  for (int k = 0; k < 3; k++) {
    uint8_t c = b[i + k];
    if (c < '0' || c > '9') return 0;
    code = code * 10 + (c - '0');
  }
  i += 3;
  if (i < n && b[i] != ' ') return 0;
  while (i < n && b[i] == ' ') i++;
  a->confirmed = 1;
  a->resp_framing = (framing_t){ 0 };
  a->interim = code >= 100 && code < 200 && code != 101;
  if (a->n_pending == 0) {
    a->handover = 1; /* unmatched_HTTP_reply */
    return 1;
  }
  int k = a->pending[0];
  if (!a->interim) memmove(a->pending, a->pending + 1, --a->n_pending * sizeof a->pending[0]);
  a->resp_tx = k;
  tx_t *t = &a->slots[k];
  set_field(a, t, T_RESP_VERSION, b + 5, (size_t)vlen, L_VERSION);
  if (a->interim) {
    t->info_code = code;
    set_field(a, t, T_INFO_MSG, b + i, n - i, L_STATUS_MSG);
  } else {
    t->status_code = code;
    set_field(a, t, T_STATUS_MSG, b + i, n - i, L_STATUS_MSG);
  }
  return 1;
}

/* framingHeader(): 1 when the header was Content-Length or Transfer-Encoding */
static int framing_header(http_analyzer_t *a, const uint8_t *name, size_t name_len, const uint8_t *v, size_t vn, framing_t *f) {
  if (name_is(name, name_len, "content-length")) {
    int64_t n = content_length(v, vn);
    if (n < 0 || (f->has_length && (uint64_t)n != f->length)) a->handover = 1; /* http_bad_content_length */
    f->has_length = 1;
    f->length = (uint64_t)n;
    return 1;
  }
  if (name_is(name, name_len, "transfer-encoding")) {
    f->chunked = is_chunked(v, vn);
    if (f->has_length) a->handover = 1; /* http_te_and_cl */
    return 1;
  }
  return 0;
}

static const char *const PROXY_HEADERS[] = { "forwarded", "x-forwarded-for", "x-forwarded-from", "client-ip", "via", "xroxy-connection", "proxy-connection" };

/* header() of either side; line b[0, n) with its colon at `colon`. */
static void header(http_analyzer_t *a, int dir, const uint8_t *b, size_t colon, size_t n) {
  size_t vs = colon + 1, ve = n;
  while (vs < ve && space_or_tab(b[vs])) vs++;
  while (ve > vs && space_or_tab(b[ve - 1])) ve--;
  if (dir == 1) {
    framing_header(a, b, colon, b + vs, ve - vs, &a->resp_framing);
    return;
  }
  if (a->req_tx < 0) return;
  if (framing_header(a, b, colon, b + vs, ve - vs, &a->req_framing)) return;
  tx_t *t = &a->slots[a->req_tx];
  static const struct {
    const char *name;
    int field;
    size_t max;
  } TEXT[] = { { "host", T_HOST, L_HOST }, { "user-agent", T_USER_AGENT, L_USER_AGENT }, { "referer", T_REFERRER, L_REFERRER }, { "origin", T_ORIGIN, L_ORIGIN } };
  for (size_t k = 0; k < sizeof TEXT / sizeof TEXT[0]; k++) {
    if (!name_is(b, colon, TEXT[k].name)) continue;
    if (ve - vs > TEXT[k].max) a->handover = 1; /* http_..._too_long */
    else if (!t->f[TEXT[k].field].set) set_field(a, t, TEXT[k].field, b + vs, ve - vs, TEXT[k].max);
    return;
  }
  /* The user of Basic authorization and the proxy headers are the JavaScript analyzer's. */
  if (name_is(b, colon, "authorization")) {
    a->handover = 1;
    return;
  }
  for (size_t k = 0; k < sizeof PROXY_HEADERS / sizeof PROXY_HEADERS[0]; k++)
    if (name_is(b, colon, PROXY_HEADERS[k])) {
      a->handover = 1;
      return;
    }
}

/* headersDone() of either side */
static int headers_done(http_analyzer_t *a, int dir) {
  if (dir == 0) {
    const framing_t *f = &a->req_framing;
    if (f->chunked) return F_CHUNKED;
    if (f->has_length && f->length > 0) return F_LENGTH;
    return F_NONE; /* a request without framing headers has no body (RFC 9112 §6.3) */
  }
  if (a->interim) return F_NONE;
  const tx_t *t = a->resp_tx >= 0 ? &a->slots[a->resp_tx] : NULL;
  int code = t && t->status_code >= 0 ? t->status_code : 0;
  int connect = t && t->f[T_METHOD].set && t->f[T_METHOD].len == 7 && memcmp(t->text.p + t->f[T_METHOD].off, "CONNECT", 7) == 0;
  int head = t && t->f[T_METHOD].set && t->f[T_METHOD].len == 4 && memcmp(t->text.p + t->f[T_METHOD].off, "HEAD", 4) == 0;
  if (code == 101 || (connect && code >= 200 && code < 300)) return F_TUNNEL;
  if (head || code == 204 || code == 304) return F_NONE;
  const framing_t *f = &a->resp_framing;
  if (f->chunked) return F_CHUNKED;
  if (f->has_length) return F_LENGTH;
  return F_CLOSE;
}

static void body(http_analyzer_t *a, int dir, uint64_t n) {
  int k = dir == 0 ? a->req_tx : a->resp_tx;
  if (k < 0) return;
  if (dir == 0) a->slots[k].req_body += n;
  else a->slots[k].resp_body += n;
}

/* messageDone() of either side */
static void message_done(http_analyzer_t *a, int dir) {
  if (dir == 0) {
    int k = a->req_tx;
    a->req_tx = -1;
    if (k < 0) return;
    a->slots[k].req_complete = 1;
    if (a->slots[k].resp_complete) finish(a, k);
    return;
  }
  int k = a->resp_tx;
  if (k < 0 || a->interim) return;
  a->resp_tx = -1;
  a->slots[k].resp_complete = 1;
  /* A response can finish before its request's body did (an early error); log when both are done. */
  if (a->slots[k].req_complete || k != a->req_tx) finish(a, k);
}

/* ------------------------------------------------------------------ framing (message.ts, lines.ts) */

static void end_message(http_analyzer_t *a, int dir) {
  a->rd[dir].state = S_START;
  message_done(a, dir);
}

/* bodyStarts() */
static void body_starts(http_analyzer_t *a, int dir) {
  reader_t *r = &a->rd[dir];
  switch (headers_done(a, dir)) {
    case F_NONE:
      end_message(a, dir);
      return;
    case F_LENGTH: {
      uint64_t len = dir == 0 ? a->req_framing.length : a->resp_framing.length;
      if (len == 0) {
        end_message(a, dir);
        return;
      }
      r->remaining = len;
      r->state = S_BODY;
      return;
    }
    case F_CHUNKED:
      r->state = S_CHUNK_SIZE;
      return;
    case F_CLOSE:
      r->state = S_CLOSE;
      return;
    default: /* tunnel */
      message_done(a, dir);
      r->state = S_TUNNEL;
  }
}

/* onLine(): a whole line b[0, n) without its CR LF. */
static void on_line(http_analyzer_t *a, int dir, const uint8_t *b, size_t n) {
  reader_t *r = &a->rd[dir];
  switch (r->state) {
    case S_START:
      if (n == 0) return; /* stray CRLF between messages (RFC 9112 §2.2) */
      if (!(dir == 0 ? request_line(a, b, n) : status_line(a, b, n))) {
        a->handover = 1; /* a bad start line: not HTTP, or lost */
        return;
      }
      r->state = S_HEADERS;
      r->headers = 0;
      return;
    case S_HEADERS: {
      if (n == 0) {
        body_starts(a, dir);
        return;
      }
      if (b[0] == ' ' || b[0] == '\t' || ++r->headers > MAX_HEADERS) {
        a->handover = 1; /* http_obsolete_line_folding, http_too_many_headers */
        return;
      }
      size_t colon = 0;
      while (colon < n && b[colon] != ':' && b[colon] > 0x20 && b[colon] < 0x7f) colon++;
      if (colon == 0 || colon >= n || b[colon] != ':') {
        a->handover = 1; /* http_bad_header_line */
        return;
      }
      header(a, dir, b, colon, n);
      return;
    }
    case S_CHUNK_END:
      r->state = S_CHUNK_SIZE;
      if (n != 0) a->handover = 1; /* http_chunk_missing_crlf */
      return;
    case S_CHUNK_SIZE: {
      int64_t v = chunk_size(b, n);
      if (v < 0) a->handover = 1; /* http_bad_chunk_size */
      else if (v == 0) r->state = S_TRAILERS;
      else {
        r->remaining = (uint64_t)v;
        r->state = S_CHUNK_DATA;
      }
      return;
    }
    case S_TRAILERS:
      if (n == 0) end_message(a, dir);
      return;
  }
}

/* LineReader.next(): one line from b[off, n) when it ends there; the offset after its LF, else n. A line longer than MAX_LINE is handed over. */
static size_t next_line(http_analyzer_t *a, int dir, const uint8_t *b, size_t off, size_t n) {
  reader_t *r = &a->rd[dir];
  const uint8_t *lf = memchr(b + off, '\n', n - off);
  size_t stop = lf ? (size_t)(lf - b) : n;
  /* (a line too long, or no memory for it: its weird, and its truncation, are the JavaScript analyzer's) */
  if (r->carry.len + (stop - off) > MAX_LINE || ((!lf || r->carry.len > 0) && !zb_append_max(&r->carry, b + off, stop - off, MAX_LINE))) {
    a->handover = 1;
    return n;
  }
  if (!lf) return n;
  if (r->carry.len > 0) {
    size_t e = r->carry.len;
    if (e > 0 && r->carry.p[e - 1] == '\r') e--;
    r->carry.len = 0;
    on_line(a, dir, r->carry.p, e);
  } else {
    size_t e = stop;
    if (e > off && b[e - 1] == '\r') e--;
    on_line(a, dir, b + off, e - off);
  }
  return stop + 1;
}

/* MessageReader.feed() */
static void feed(http_pool_t *p, http_analyzer_t *a, int dir, const uint8_t *b, size_t n) {
  reader_t *r = &a->rd[dir];
  size_t off = 0;
  while (off < n && !a->handover) {
    switch (r->state) {
      case S_TUNNEL:
        return;
      case S_BODY:
      case S_CHUNK_DATA: {
        uint64_t k = r->remaining < n - off ? r->remaining : n - off;
        body(a, dir, k);
        if (!skips_add(&p->skips, (uint32_t)off, (uint32_t)k)) a->handover = 1;
        r->remaining -= k;
        off += k;
        if (r->remaining == 0) {
          if (r->state == S_BODY) end_message(a, dir);
          else r->state = S_CHUNK_END;
        }
        break;
      }
      case S_CLOSE:
        body(a, dir, n - off);
        if (!skips_add(&p->skips, (uint32_t)off, (uint32_t)(n - off))) a->handover = 1;
        return;
      default:
        off = next_line(a, dir, b, off, n);
    }
  }
}

/*
 * A delivery into the replay log. One that is body only, after another such of the same
 * direction, lengthens that entry instead: a body costs one entry however many segments
 * carry it (to the JavaScript analyzer a body is its length; its bytes' times are never read).
 */
static void record_data(http_pool_t *p, http_analyzer_t *a, int dir, int64_t ts, const uint8_t *b, uint32_t n) {
  int whole = skips_all(&p->skips, n);
  if (whole && a->last_skipped >= 0 && a->last_skipped_dir == dir && replay_extend_skipped(&a->recorded, (size_t)a->last_skipped, n)) return;
  size_t at = a->recorded.len;
  if (!replay_append(&a->recorded, MAX_RECORDED, &p->budget, REPLAY_DATA, dir, ts, b, n, &p->skips)) {
    a->handover = 1;
    return;
  }
  a->last_skipped = whole ? (long)at : -1;
  a->last_skipped_dir = dir;
}

/* HttpAnalyzer.onData() */
int http_data(http_pool_t *p, uint32_t h, int dir, const uint8_t *b, size_t n, int64_t ts) {
  http_analyzer_t *a = get(p, h);
  if (!a) return -1;
  if (a->done || a->handover || n == 0) return flags_of(a);
  if (n > MAX_RECORDED) {
    a->handover = 1;
    return flags_of(a);
  }
  dir &= 1;
  a->ts = ts;
  p->skips.n = 0;
  feed(p, a, dir, b, n);
  if (a->handover) return flags_of(a);
  if (a->rd[1].state == S_TUNNEL) a->done = 1;
  /* (recorded when done too: the final http_rows can still hand over, with dropped rows) */
  record_data(p, a, dir, ts, b, (uint32_t)n);
  return flags_of(a);
}

/* The most counted bytes one call takes: an entry's length is 32 bits. */
#define MAX_COUNTED ((uint32_t)1 << 31)

int http_counted(http_pool_t *p, uint32_t h, int dir, uint32_t n) {
  http_analyzer_t *a = get(p, h);
  if (!a) return -1;
  if (a->handover) return 0;
  if (a->done || n == 0) return 1; /* (the JavaScript analyzer takes nothing once done either) */
  dir &= 1;
  reader_t *r = &a->rd[dir];
  int counted = r->state == S_BODY || r->state == S_CHUNK_DATA;
  if (n > MAX_COUNTED || !(r->state == S_CLOSE || (counted && n <= r->remaining))) {
    a->handover = 1; /* (more than http_skippable allowed: not the caller's to count) */
    return 0;
  }
  /* Recorded first: what the body's end then sets off (a finished transaction, a drop) the replay sets off too. */
  p->skips.n = 0;
  if (!skips_add(&p->skips, 0, n)) {
    a->handover = 1;
    return 0;
  }
  record_data(p, a, dir, a->ts, NULL, n);
  if (a->handover) return 0;
  body(a, dir, n);
  if (counted) {
    r->remaining -= n;
    if (r->remaining == 0) {
      if (r->state == S_BODY) end_message(a, dir);
      else r->state = S_CHUNK_END;
    }
  }
  return 1;
}

void http_skippable(http_pool_t *p, uint32_t h, double out[2]) {
  http_analyzer_t *a = get(p, h);
  for (int d = 0; d < 2; d++) {
    out[d] = 0;
    if (!a || a->done || a->handover) continue;
    const reader_t *r = &a->rd[d];
    if (r->state == S_BODY || r->state == S_CHUNK_DATA) out[d] = (double)(r->remaining < MAX_COUNTED ? r->remaining : MAX_COUNTED);
    else if (r->state == S_CLOSE) out[d] = MAX_COUNTED;
  }
}

/* MessageReader.gap(): inside a counted body the bytes are skipped; elsewhere, handed over (http_content_gap). */
int http_gap(http_pool_t *p, uint32_t h, int dir, uint64_t bytes) {
  http_analyzer_t *a = get(p, h);
  if (!a) return -1;
  if (a->done || a->handover || bytes == 0) return flags_of(a);
  dir &= 1;
  reader_t *r = &a->rd[dir];
  if (r->state == S_TUNNEL) return flags_of(a);
  if (bytes > 0xffffffffu) {
    a->handover = 1;
    return flags_of(a);
  }
  if (r->state == S_CLOSE) body(a, dir, bytes);
  else if ((r->state == S_BODY || r->state == S_CHUNK_DATA) && bytes <= r->remaining) {
    body(a, dir, bytes);
    r->remaining -= bytes;
    if (r->remaining == 0) {
      if (r->state == S_BODY) end_message(a, dir);
      else r->state = S_CHUNK_END;
    }
  } else {
    a->handover = 1;
    return flags_of(a);
  }
  a->last_skipped = -1;
  if (!a->handover && !replay_append(&a->recorded, MAX_RECORDED, &p->budget, REPLAY_GAP, dir, 0, NULL, (uint32_t)bytes, NULL)) a->handover = 1;
  return flags_of(a);
}

/* onMetadata() */
long http_rows(http_pool_t *p, uint32_t h, int final, zbuf_t *out) {
  http_analyzer_t *a = get(p, h);
  if (!a) return -1;
  if (a->handover) return -1;
  if (final) {
    if (a->rd[1].state == S_CLOSE) end_message(a, 1); /* response.end() */
    /* Unanswered requests are logged as they are, as Zeek does at connection end. */
    for (size_t i = 0; i < a->n_pending; i++) finish(a, a->pending[i]);
    if (a->resp_tx >= 0) finish(a, a->resp_tx);
    if (a->req_tx >= 0) finish(a, a->req_tx);
    a->n_pending = 0;
    a->req_tx = a->resp_tx = -1;
  } else {
    a->last_skipped = -1;
    if (!replay_append(&a->recorded, MAX_RECORDED, &p->budget, REPLAY_METADATA, 0, 0, NULL, 0, NULL)) a->handover = 1;
  }
  if (a->handover) return -2; /* handed over here: a final call's finishing dropped rows, or the record is full */
  long n = (long)a->n_rows;
  zb_mem(out, a->rows.p, a->rows.len);
  a->rows.len = 0;
  a->n_rows = 0;
  a->rows_bytes = 0;
  if (final) close_analyzer(p, h);
  return n;
}

int http_recorded(http_pool_t *p, uint32_t h, zbuf_t *out) {
  http_analyzer_t *a = get(p, h);
  if (!a) return -1;
  zb_mem(out, a->recorded.p, a->recorded.len);
  close_analyzer(p, h);
  return 0;
}

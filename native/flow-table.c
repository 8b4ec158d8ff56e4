/*
 * The flow table, step for step as sensor/flow/table.ts: a hash of connections with
 * collision chains, grown with the number of live connections; the timeout lists
 * (timeouts.ts), in which appending at the tail keeps each list in deadline order;
 * interim records from a start-ordered list and a heap; eviction of the connection
 * due first when full; reuse of a connection's addresses and ports by a new SYN; and
 * records, made as conn.log rows. test/sensor/flow-native-table.test.ts holds its
 * conn.log and weird.log to the JavaScript table's, byte for byte.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "flow-table.h"

struct conn {
  flow_conn_t f;
  uint32_t hash;
  uint32_t gen;
  uint32_t handle;
  conn_t *next; /* hash chain, or the free list */
  int list;
  double deadline;
  conn_t *lprev, *lnext;
  conn_t *sprev, *snext;
  int in_start_list;
  double interim_due;
  int interim_lapsed;
  uint64_t reported_pkts;
  int evicted, recorded, live;
  int32_t vlan, inner_vlan;
  uint8_t n_mpls;
  uint32_t mpls[16];
  char *parents; /* the tunnel parents' uids, innermost first, joined by ',' (NULL: none) */
  char uid[17];
  uint64_t weirds_logged; /* a bit per FW_* */
  int app_state; /* APP_* */
  int has_app; /* the host made an analyzer for it */
};

typedef struct {
  double due;
  conn_t *c;
  uint32_t gen;
} interim_t;

#define CHUNK 8192
#define MIN_BUCKETS 4096

struct flow_table {
  flow_config_t cfg;
  flow_events_t ev;
  flow_host_t host; /* first: the TCP analysis's callbacks find the table from it */
  double base_sec;
  int64_t active;
  conn_t **buckets;
  uint32_t mask;
  conn_t **chunks;
  uint32_t n_chunks, cap_chunks, used_in_last;
  conn_t *free_list;
  conn_t *head[LIST_COUNT], *tail[LIST_COUNT];
  double next_check;
  conn_t *s_head, *s_tail;
  interim_t *heap;
  size_t heap_n, heap_cap;
  uint32_t uid_state;
  uint64_t uid_counter;
  int created_flipped;
  double now_ns;
  zbuf_t rows;
  flow_stats_t stats;
  double weird_counts[FW_ALL];
};

static const char *const extra_weirds[] = { "bad_TCP_checksum", "bad_UDP_checksum", "bad_ICMP_checksum" };

const char *flow_table_weird_name(int weird) { return weird >= FW_COUNT && weird < FW_ALL ? extra_weirds[weird - FW_COUNT] : flow_weird_name(weird); }

/* ------------------------------------------------------------------ likely server ports (key.ts) */

static const uint16_t TCP_SERVER_PORTS[] = {
  21, 22, 23, 25, 53, 80, 81, 88, 110, 111, 135, 139, 143, 179, 389, 443, 445, 465, 502, 513, 514, 563, 585, 587, 614, 631, 636, 873,
  989, 990, 992, 993, 995, 1080, 1433, 1521, 1723, 1883, 2049, 2811, 3128, 3268, 3306, 3389, 5060, 5061, 5222, 5223, 5269, 5432,
  5671, 5672, 5900, 6379, 6443, 6666, 6667, 6668, 6669, 8000, 8080, 8443, 8883, 8888, 9200, 20000, 27017,
};
static const uint16_t UDP_SERVER_PORTS[] = {
  53, 67, 68, 69, 88, 111, 123, 137, 138, 161, 162, 389, 443, 500, 514, 520, 546, 547, 1194, 1812, 1813, 1900, 3478, 4500, 4789,
  5060, 5353, 5355, 6081, 10001,
};

static int likely_server_port(int proto, uint32_t port) {
  const uint16_t *ports = proto == 6 ? TCP_SERVER_PORTS : UDP_SERVER_PORTS;
  size_t n = proto == 6 ? sizeof TCP_SERVER_PORTS / 2 : proto == 17 ? sizeof UDP_SERVER_PORTS / 2 : 0;
  for (size_t i = 0; i < n; i++)
    if (ports[i] == port) return 1;
  return 0;
}

/* ------------------------------------------------------------------ ICMP (decode/icmp.ts) */

static uint32_t icmp4_counterpart(uint32_t type, uint32_t code) {
  switch (type) {
    case 8: return 0;
    case 0: return 8;
    case 13: return 14;
    case 14: return 13;
    case 15: return 16;
    case 16: return 15;
    case 17: return 18;
    case 18: return 17;
    case 10: return 9;
    case 9: return 10;
    default: return 0x10000 | code;
  }
}

static uint32_t icmp6_counterpart(uint32_t type, uint32_t code) {
  switch (type) {
    case 128: return 129;
    case 129: return 128;
    case 133: return 134;
    case 134: return 133;
    case 135: return 136;
    case 136: return 135;
    case 130: return 131;
    case 131: return 130;
    case 139: return 140;
    case 140: return 139;
    default: return 0x10000 | code;
  }
}

/* ------------------------------------------------------------------ timeout lists */

static void list_unlink(flow_table_t *t, conn_t *c) {
  int l = c->list;
  if (l < 0) return;
  if (c->lprev) c->lprev->lnext = c->lnext;
  else t->head[l] = c->lnext;
  if (c->lnext) c->lnext->lprev = c->lprev;
  else t->tail[l] = c->lprev;
  c->lprev = c->lnext = NULL;
  c->list = -1;
}

static void list_put(flow_table_t *t, conn_t *c, int l, double from) {
  if (c->list >= 0) list_unlink(t, c);
  c->list = l;
  c->deadline = from + t->cfg.delay_ns[l];
  c->lprev = t->tail[l];
  c->lnext = NULL;
  if (t->tail[l]) t->tail[l]->lnext = c;
  else t->head[l] = c;
  t->tail[l] = c;
}

static void list_touch(flow_table_t *t, conn_t *c) {
  int l = c->list;
  if (l == LIST_ATTEMPT || l == LIST_CLOSED) return;
  c->deadline = t->now_ns + t->cfg.delay_ns[l];
  if (t->tail[l] == c) return;
  conn_t *n = c->lnext, *pr = c->lprev;
  n->lprev = pr;
  if (pr) pr->lnext = n;
  else t->head[l] = n;
  t->tail[l]->lnext = c;
  c->lprev = t->tail[l];
  c->lnext = NULL;
  t->tail[l] = c;
}

static conn_t *list_due(flow_table_t *t, double now) {
  conn_t *best = NULL;
  for (int l = 0; l < LIST_COUNT; l++) {
    conn_t *h = t->head[l];
    if (h && h->deadline <= now && (!best || h->deadline < best->deadline)) best = h;
  }
  return best;
}

static conn_t *list_oldest(flow_table_t *t) {
  conn_t *best = NULL;
  for (int l = 0; l < LIST_COUNT; l++) {
    conn_t *h = t->head[l];
    if (h && (!best || h->deadline < best->deadline)) best = h;
  }
  return best;
}

/* ------------------------------------------------------------------ the interim heap (as table.ts's, so that ties come out in the same order) */

static int heap_push(flow_table_t *t, interim_t e) {
  if (t->heap_n == t->heap_cap) {
    size_t cap = t->heap_cap ? t->heap_cap * 2 : 1024;
    interim_t *h = realloc(t->heap, cap * sizeof *h);
    if (!h) return 0;
    t->heap = h;
    t->heap_cap = cap;
  }
  interim_t *h = t->heap;
  size_t i = t->heap_n++;
  while (i > 0) {
    size_t p = (i - 1) >> 1;
    if (h[p].due <= e.due) break;
    h[i] = h[p];
    i = p;
  }
  h[i] = e;
  return 1;
}

static interim_t heap_pop(flow_table_t *t) {
  interim_t *h = t->heap;
  interim_t top = h[0];
  interim_t last = h[--t->heap_n];
  if (t->heap_n == 0) return top;
  size_t i = 0, n = t->heap_n;
  for (;;) {
    size_t l = 2 * i + 1;
    if (l >= n) break;
    size_t r = l + 1;
    size_t m = r < n && h[r].due < h[l].due ? r : l;
    if (h[m].due >= last.due) break;
    h[i] = h[m];
    i = m;
  }
  h[i] = last;
  return top;
}

/* ------------------------------------------------------------------ uids (table.ts's newUid, the same sequence for the same seed) */

static const char B62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static void base62(char *o, uint64_t n, int width) {
  for (int i = 0; i < width; i++) {
    o[i] = B62[n % 62];
    n /= 62;
  }
}

static const char *uid_of(flow_table_t *t, conn_t *c) {
  if (c->uid[0]) return c->uid;
  uint32_t counter = (uint32_t)++t->uid_counter;
  uint32_t x = t->uid_state ^ (counter * 0x9e3779b1u);
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  t->uid_state = x;
  uint32_t y = ((x ^ (x >> 15)) * 0x2c1b3c6du) ^ counter;
  c->uid[0] = 'C';
  base62(c->uid + 1, x, 6);
  base62(c->uid + 7, y, 6);
  base62(c->uid + 13, t->uid_counter % 238328, 3);
  c->uid[16] = 0;
  return c->uid;
}

/* ------------------------------------------------------------------ addresses (key.ts's formatAddr) */

static size_t format_addr(char *o, const uint32_t *w, int v4) {
  char *p = o;
  if (v4) {
    uint32_t a = w[3];
    for (int i = 3; i >= 0; i--) {
      uint32_t v = (a >> (8 * i)) & 255;
      if (v >= 100) *p++ = (char)('0' + v / 100);
      if (v >= 10) *p++ = (char)('0' + v / 10 % 10);
      *p++ = (char)('0' + v % 10);
      if (i) *p++ = '.';
    }
    return (size_t)(p - o);
  }
  uint32_t g[8];
  for (int i = 0; i < 4; i++) {
    g[2 * i] = w[i] >> 16;
    g[2 * i + 1] = w[i] & 0xffff;
  }
  int best = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (g[i]) {
      i++;
      continue;
    }
    int j = i;
    while (j < 8 && g[j] == 0) j++;
    if (j - i > best_len && j - i >= 2) {
      best = i;
      best_len = j - i;
    }
    i = j;
  }
  static const char HEX[] = "0123456789abcdef";
  for (int i = 0; i < 8; i++) {
    if (i == best) {
      *p++ = ':';
      *p++ = ':';
      i += best_len - 1;
      continue;
    }
    if (i > 0 && i != best + best_len) *p++ = ':';
    uint32_t v = g[i];
    int started = 0;
    for (int s = 12; s >= 0; s -= 4) {
      uint32_t d = (v >> s) & 15;
      if (d || started || s == 0) {
        *p++ = HEX[d];
        started = 1;
      }
    }
  }
  return (size_t)(p - o);
}

/* ------------------------------------------------------------------ community_id (community-id.ts) */

static void put32(uint8_t *m, size_t *o, uint32_t v) {
  m[(*o)++] = (uint8_t)(v >> 24);
  m[(*o)++] = (uint8_t)(v >> 16);
  m[(*o)++] = (uint8_t)(v >> 8);
  m[(*o)++] = (uint8_t)v;
}

static void community_id(const flow_table_t *t, const conn_t *c, zbuf_t *b) {
  const flow_conn_t *f = &c->f;
  const uint32_t *sa = f->oa, *da = f->ra;
  uint32_t sp = f->op, dp = f->rp;
  int has_ports = f->proto == 6 || f->proto == 17 || f->proto == 1 || f->proto == 58 || f->proto == 132;
  if (!f->one_way) {
    int cmp = 0;
    for (int i = 0; i < 4 && !cmp; i++) cmp = sa[i] < da[i] ? -1 : sa[i] > da[i] ? 1 : 0;
    if (cmp > 0 || (cmp == 0 && has_ports && sp > dp)) {
      const uint32_t *ta = sa;
      sa = da;
      da = ta;
      uint32_t tp = sp;
      sp = dp;
      dp = tp;
    }
  }
  uint8_t m[48];
  size_t o = 0;
  m[o++] = (uint8_t)(t->cfg.community_seed >> 8);
  m[o++] = (uint8_t)t->cfg.community_seed;
  if (f->ip_version == 4) {
    put32(m, &o, sa[3]);
    put32(m, &o, da[3]);
  } else {
    for (int i = 0; i < 4; i++) put32(m, &o, sa[i]);
    for (int i = 0; i < 4; i++) put32(m, &o, da[i]);
  }
  m[o++] = (uint8_t)f->proto;
  m[o++] = 0;
  if (has_ports) {
    m[o++] = (uint8_t)(sp >> 8);
    m[o++] = (uint8_t)sp;
    m[o++] = (uint8_t)(dp >> 8);
    m[o++] = (uint8_t)dp;
  }
  uint8_t d[21];
  sha1(m, o, d);
  d[20] = 0;
  static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  char text[30];
  text[0] = '1';
  text[1] = ':';
  int k = 2;
  for (int i = 0; i < 21; i += 3) {
    uint32_t v = ((uint32_t)d[i] << 16) | ((uint32_t)d[i + 1] << 8) | d[i + 2];
    text[k++] = B64[v >> 18];
    text[k++] = B64[(v >> 12) & 63];
    text[k++] = B64[(v >> 6) & 63];
    text[k++] = i + 3 <= 20 ? B64[v & 63] : '=';
  }
  zb_mem(b, text, 30);
}

/* ------------------------------------------------------------------ records */

static void col_uint(zbuf_t *b, uint64_t v) {
  zb_byte(b, '\t');
  zb_uint(b, v);
}

static const char *transport(int proto) { return proto == 6 ? "tcp" : proto == 17 ? "udp" : proto == 1 || proto == 58 ? "icmp" : "unknown_transport"; }

static void row(flow_table_t *t, conn_t *c, int interim) {
  flow_conn_t *f = &c->f;
  zbuf_t *b = &t->rows;
  flow_ep_t *o = flow_orig(f), *r = flow_resp(f);
  char a[48];
  double sec = floor(f->start / 1e9);
  zb_time_parts(b, t->base_sec + sec, f->start - sec * 1e9);
  zb_byte(b, '\t');
  zb_mem(b, uid_of(t, c), 16);
  zb_byte(b, '\t');
  zb_mem(b, a, format_addr(a, f->oa, f->ip_version == 4));
  col_uint(b, f->op);
  zb_byte(b, '\t');
  zb_mem(b, a, format_addr(a, f->ra, f->ip_version == 4));
  col_uint(b, f->rp);
  zb_byte(b, '\t');
  zb_cstr(b, transport(f->proto));
  zb_byte(b, '\t');
  size_t service_at = b->len;
  if (c->has_app && t->ev.metadata) {
    char oh[48], rh[48];
    const char *uid;
    uint32_t op, rp;
    flow_conn_identity(t, c, &uid, oh, &op, rh, &rp);
    t->ev.metadata(t->ev.ctx, c, !interim, uid, oh, op, rh, rp, b);
  }
  /* The final call is the analyzer's end: what arrives after the record is not analyzed, nor starts an analyzer no record would ask. */
  if (!interim) c->app_state = APP_NONE;
  if (b->len == service_at) zb_byte(b, '-');
  zb_byte(b, '\t');
  double duration = f->last - f->start;
  if (duration > 0) {
    zb_interval_d(b, duration);
    col_uint(b, f->proto == 6 ? (uint64_t)flow_tcp_size(o, r) : o->bytes);
    col_uint(b, f->proto == 6 ? (uint64_t)flow_tcp_size(r, o) : r->bytes);
  } else zb_cstr(b, "-\t-\t-");
  zb_byte(b, '\t');
  zb_cstr(b, flow_conn_state_names[flow_conn_state(f)]);
  zb_cstr(b, "\t-\t-\t");
  zb_uint(b, (uint64_t)f->missed);
  zb_byte(b, '\t');
  if (f->hist_len == 0) zb_byte(b, '-');
  else zb_mem(b, f->hist, f->hist_len);
  col_uint(b, o->pkts);
  col_uint(b, o->ip_bytes);
  col_uint(b, r->pkts);
  col_uint(b, r->ip_bytes);
  zb_byte(b, '\t');
  if (c->parents) zb_cstr(b, c->parents);
  else zb_byte(b, '-');
  col_uint(b, (uint64_t)f->proto);
  zb_byte(b, '\t');
  if (c->vlan >= 0) zb_uint(b, (uint64_t)c->vlan);
  else zb_byte(b, '-');
  zb_byte(b, '\t');
  if (c->inner_vlan >= 0) zb_uint(b, (uint64_t)c->inner_vlan);
  else zb_byte(b, '-');
  zb_byte(b, '\t');
  if (t->cfg.community_id) community_id(t, c, b);
  else zb_byte(b, '-');
  zb_byte(b, '\t');
  if (c->n_mpls == 0) zb_byte(b, '-');
  for (int i = 0; i < c->n_mpls; i++) {
    if (i) zb_byte(b, ',');
    zb_uint(b, c->mpls[i]);
  }
  zb_byte(b, '\t');
  zb_byte(b, interim ? 'T' : 'F');
  zb_cstr(b, "\t-\t-\t-\t-\t-\t-\n");
}

/* ------------------------------------------------------------------ weirds and the TCP analysis's host */

void flow_conn_identity(flow_table_t *t, conn_t *c, const char **uid, char orig_h[48], uint32_t *orig_p, char resp_h[48], uint32_t *resp_p) {
  *uid = uid_of(t, c);
  orig_h[format_addr(orig_h, c->f.oa, c->f.ip_version == 4)] = 0;
  resp_h[format_addr(resp_h, c->f.ra, c->f.ip_version == 4)] = 0;
  *orig_p = c->f.op;
  *resp_p = c->f.rp;
}

void flow_conn_ports(const conn_t *c, int *proto, uint32_t *orig_p, uint32_t *resp_p) {
  *proto = c->f.proto;
  *orig_p = c->f.op;
  *resp_p = c->f.rp;
}

double flow_table_now(const flow_table_t *t) { return t->now_ns; }
double flow_table_base(const flow_table_t *t) { return t->base_sec; }

static void conn_weird(flow_table_t *t, conn_t *c, int id) {
  t->weird_counts[id] += 1;
  uint64_t bit = 1ull << id;
  if (c->weirds_logged & bit) return;
  c->weirds_logged |= bit;
  if (!t->ev.conn_weird) return;
  char oh[48], rh[48];
  const char *uid;
  uint32_t op, rp;
  flow_conn_identity(t, c, &uid, oh, &op, rh, &rp);
  double sec = floor(t->now_ns / 1e9);
  t->ev.conn_weird(t->ev.ctx, flow_table_weird_name(id), t->base_sec + sec, t->now_ns - sec * 1e9, uid, oh, op, rh, rp);
}

static flow_table_t *table_of(flow_host_t *h) { return (flow_table_t *)((char *)h - offsetof(flow_table_t, host)); }
static conn_t *conn_of(flow_conn_t *f) { return (conn_t *)f; }

static void h_weird(flow_host_t *h, flow_conn_t *f, int id) { conn_weird(table_of(h), conn_of(f), id); }

static void h_closed(flow_host_t *h, flow_conn_t *f) {
  flow_table_t *t = table_of(h);
  conn_t *c = conn_of(f);
  list_put(t, c, LIST_CLOSED, f->last);
  if (c->deadline < t->next_check) t->next_check = c->deadline;
}

static void h_attempt(flow_host_t *h, flow_conn_t *f) {
  flow_table_t *t = table_of(h);
  conn_t *c = conn_of(f);
  list_put(t, c, LIST_ATTEMPT, t->now_ns);
  if (c->deadline < t->next_check) t->next_check = c->deadline;
}

static int h_wants(flow_host_t *h, flow_conn_t *f) { return conn_of(f)->app_state != APP_NONE && table_of(h)->cfg.app; }

static void h_deliver(flow_host_t *h, flow_conn_t *f, flow_ep_t *ep, const uint8_t *data, uint32_t len) {
  flow_table_t *t = table_of(h);
  conn_t *c = conn_of(f);
  if (len == 0 || c->app_state == APP_NONE || !t->ev.deliver) return;
  int r = t->ev.deliver(t->ev.ctx, c, ep == flow_orig(f) ? 0 : 1, data, len);
  /* APP_ENDED: an analyzer was made (it has a record to give) but wants no more. */
  if (r == APP_ACTIVE || r == APP_ENDED) c->has_app = 1;
  c->app_state = r == APP_ACTIVE ? APP_ACTIVE : APP_NONE;
}

static void h_gap(flow_host_t *h, flow_conn_t *f, flow_ep_t *ep, int64_t len) {
  flow_table_t *t = table_of(h);
  conn_t *c = conn_of(f);
  if (!c->has_app) {
    /* No analyzer chose this stream yet: with a hole at its start, content detection cannot work. */
    if (c->app_state == APP_UNDECIDED) c->app_state = APP_NONE;
    return;
  }
  if (c->app_state == APP_NONE || !t->ev.gap) return;
  c->app_state = t->ev.gap(t->ev.ctx, c, ep == flow_orig(f) ? 0 : 1, len);
}

/* ------------------------------------------------------------------ the table */

flow_table_t *flow_table_new(const flow_config_t *cfg, flow_events_t ev) {
  flow_table_t *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->cfg = *cfg;
  if (t->cfg.max_flows < 16) t->cfg.max_flows = 16;
  for (int l = 0; l < LIST_COUNT; l++)
    if (!(t->cfg.delay_ns[l] >= 0)) t->cfg.delay_ns[l] = 0;
  if (!(t->cfg.interim_ns >= 0)) t->cfg.interim_ns = 0;
  t->ev = ev;
  t->host = (flow_host_t){ h_weird, h_closed, h_attempt, h_wants, h_deliver, h_gap, 5e9 };
  t->buckets = calloc(MIN_BUCKETS, sizeof *t->buckets);
  if (!t->buckets) {
    free(t);
    return NULL;
  }
  t->mask = MIN_BUCKETS - 1;
  t->next_check = INFINITY;
  t->uid_state = cfg->uid_seed | 1;
  t->now_ns = -0.0;
  return t;
}

void flow_table_free(flow_table_t *t) {
  if (!t) return;
  for (uint32_t i = 0; i < t->n_chunks; i++) {
    uint32_t n = i + 1 == t->n_chunks ? t->used_in_last : CHUNK;
    for (uint32_t k = 0; k < n; k++) {
      flow_conn_free(&t->chunks[i][k].f);
      free(t->chunks[i][k].parents);
    }
    free(t->chunks[i]);
  }
  free(t->chunks);
  free(t->buckets);
  free(t->heap);
  zb_free(&t->rows);
  free(t);
}

void flow_table_set_base(flow_table_t *t, double base_sec) { t->base_sec = base_sec; }
zbuf_t *flow_table_rows(flow_table_t *t) { return &t->rows; }
const flow_stats_t *flow_table_stats(const flow_table_t *t) { return &t->stats; }
const double *flow_table_weird_counts(const flow_table_t *t) { return t->weird_counts; }
int64_t flow_table_size(const flow_table_t *t) { return t->active; }
double flow_table_next_due(const flow_table_t *t) { return t->next_check; }

uint32_t flow_conn_handle(const flow_table_t *t, const conn_t *c, uint32_t *gen) {
  (void)t;
  *gen = c->gen;
  return c->handle;
}

conn_t *flow_conn_by_handle(const flow_table_t *t, uint32_t handle, uint32_t gen) {
  uint32_t ci = handle / CHUNK, k = handle % CHUNK;
  if (ci >= t->n_chunks || (ci + 1 == t->n_chunks && k >= t->used_in_last)) return NULL;
  conn_t *c = &t->chunks[ci][k];
  return c->live && c->gen == gen ? c : NULL;
}

static conn_t *alloc_conn(flow_table_t *t) {
  if (t->free_list) {
    conn_t *c = t->free_list;
    t->free_list = c->next;
    return c;
  }
  if (t->n_chunks == 0 || t->used_in_last == CHUNK) {
    if (t->n_chunks == t->cap_chunks) {
      uint32_t cap = t->cap_chunks ? t->cap_chunks * 2 : 16;
      conn_t **ch = realloc(t->chunks, cap * sizeof *ch);
      if (!ch) return NULL;
      t->chunks = ch;
      t->cap_chunks = cap;
    }
    conn_t *chunk = calloc(CHUNK, sizeof *chunk);
    if (!chunk) return NULL;
    t->chunks[t->n_chunks++] = chunk;
    t->used_in_last = 0;
  }
  conn_t *c = &t->chunks[t->n_chunks - 1][t->used_in_last];
  c->handle = (t->n_chunks - 1) * CHUNK + t->used_in_last++;
  return c;
}

static void unlink_start(flow_table_t *t, conn_t *c) {
  if (!c->in_start_list) return;
  if (c->sprev) c->sprev->snext = c->snext;
  else t->s_head = c->snext;
  if (c->snext) c->snext->sprev = c->sprev;
  else t->s_tail = c->sprev;
  c->sprev = c->snext = NULL;
  c->in_start_list = 0;
}

static void record_final(flow_table_t *t, conn_t *c) {
  row(t, c, 0);
  t->stats.records++;
}

static void finish(flow_table_t *t, conn_t *c) {
  uint64_t pkts = flow_orig(&c->f)->pkts + flow_resp(&c->f)->pkts;
  if (c->recorded) t->stats.after_record += (double)(pkts - c->reported_pkts);
  else record_final(t, c);
  conn_t **pp = &t->buckets[c->hash & t->mask];
  while (*pp && *pp != c) pp = &(*pp)->next;
  if (*pp == c) *pp = c->next;
  list_unlink(t, c);
  unlink_start(t, c);
  c->live = 0;
  t->active--;
  flow_conn_free(&c->f);
  /* (its uid and tunnel parents stay until the slot is reused: a connection made next may name it as parent) */
  c->next = t->free_list;
  t->free_list = c;
}

static void record_now(flow_table_t *t, conn_t *c) {
  record_final(t, c);
  c->recorded = 1;
  c->reported_pkts = flow_orig(&c->f)->pkts + flow_resp(&c->f)->pkts;
  unlink_start(t, c);
}

static int grow_buckets(flow_table_t *t) {
  uint32_t size = (t->mask + 1) * 2;
  conn_t **b = calloc(size, sizeof *b);
  if (!b) return 0;
  for (uint32_t i = 0; i <= t->mask; i++) {
    conn_t *c = t->buckets[i];
    while (c) {
      conn_t *next = c->next;
      uint32_t j = c->hash & (size - 1);
      c->next = b[j];
      b[j] = c;
      c = next;
    }
  }
  free(t->buckets);
  t->buckets = b;
  t->mask = size - 1;
  return 1;
}

static uint32_t mix(uint32_t h) {
  h ^= h >> 16;
  h *= 0x7feb352du;
  h ^= h >> 15;
  h *= 0x846ca68bu;
  h ^= h >> 16;
  return h;
}

static uint32_t endpoint_hash(const uint32_t *a, uint32_t port) {
  return (a[3] * 0x9e3779b1u) ^ ((port + 0x7f4a7c15u) * 0x85ebca6bu) ^ (a[2] * 0xc2b2ae35u) ^ (a[1] * 0x27d4eb2fu) ^ (a[0] * 0x165667b1u);
}

static int same(const uint32_t *x, const uint32_t *y) { return x[3] == y[3] && x[2] == y[2] && x[1] == y[1] && x[0] == y[0]; }

static conn_t *create(flow_table_t *t, const flow_pkt_t *p, uint32_t h, uint32_t sport, uint32_t dport, int one_way, conn_t *parent) {
  if (t->active >= t->cfg.max_flows) {
    conn_t *victim = list_oldest(t);
    if (victim) {
      victim->evicted = 1;
      t->stats.evicted++;
      finish(t, victim);
    }
  }
  /* The parent's uid is made before the connection (as the JavaScript table makes it), so uids come in the same order. */
  char *parents = NULL;
  if (parent) {
    const char *pu = uid_of(t, parent);
    size_t pl = parent->parents ? strlen(parent->parents) : 0;
    parents = malloc(16 + (pl ? pl + 1 : 0) + 1);
    if (parents) {
      memcpy(parents, pu, 16);
      if (pl) {
        parents[16] = ',';
        memcpy(parents + 17, parent->parents, pl);
      }
      parents[16 + (pl ? pl + 1 : 0)] = 0;
    }
  }
  conn_t *c = alloc_conn(t);
  if (!c) {
    free(parents);
    return NULL;
  }
  uint32_t handle = c->handle, gen = c->gen + 1;
  free(c->parents);
  memset(c, 0, sizeof *c);
  c->handle = handle;
  c->gen = gen;
  flow_conn_t *f = &c->f;
  flow_conn_init(f);
  c->live = 1;
  c->hash = h;
  c->list = -1;
  f->proto = p->proto;
  f->ip_version = p->ip_version;
  f->one_way = one_way;
  memcpy(f->oa, p->s, sizeof f->oa);
  memcpy(f->ra, p->d, sizeof f->ra);
  f->op = sport;
  f->rp = dport;
  f->start = f->last = p->l4.now;
  c->vlan = p->vlan0;
  c->inner_vlan = p->vlan1;
  c->parents = parents;
  c->app_state = t->cfg.app && (p->proto == 6 || p->proto == 17) ? APP_UNDECIDED : APP_NONE;
  int flip = 0;
  if (p->proto == 6) {
    uint32_t fl = p->l4.flags;
    if ((!(fl & TH_SYN) || fl & TH_ACK) && likely_server_port(6, sport)) flip = likely_server_port(6, dport) ? !(fl & TH_SYN) && sport < dport : 1;
  } else if (p->proto == 17) {
    flip = likely_server_port(17, sport) && !likely_server_port(17, dport);
  }
  if (flip) flow_conn_flip(f);
  t->created_flipped = flip;
  if (t->active >= (int64_t)t->mask + 1) grow_buckets(t);
  uint32_t i = h & t->mask;
  c->next = t->buckets[i];
  t->buckets[i] = c;
  t->active++;
  t->stats.created++;
  list_put(t, c, p->proto == 6 ? LIST_TCP : p->proto == 17 ? LIST_UDP : p->proto == 1 || p->proto == 58 ? LIST_ICMP : LIST_OTHER, p->l4.now);
  if (c->deadline < t->next_check) t->next_check = c->deadline;
  if (t->cfg.interim_ns > 0) {
    c->interim_due = p->l4.now + t->cfg.interim_ns;
    c->in_start_list = 1;
    c->sprev = t->s_tail;
    c->snext = NULL;
    if (t->s_tail) t->s_tail->snext = c;
    else t->s_head = c;
    t->s_tail = c;
    if (c->interim_due < t->next_check) t->next_check = c->interim_due;
  }
  return c;
}

static void emit_interim(flow_table_t *t, conn_t *c, double due) {
  if (c->recorded) return;
  uint64_t pkts = flow_orig(&c->f)->pkts + flow_resp(&c->f)->pkts;
  if (pkts == c->reported_pkts || c->f.last < due - t->cfg.interim_ns / 2) return;
  c->reported_pkts = pkts;
  t->stats.interims++;
  row(t, c, 1);
}

static void checkpoint(flow_table_t *t, conn_t *c, double due) {
  int idle = c->f.last < due - t->cfg.interim_ns / 2;
  emit_interim(t, c, due);
  if (idle) {
    c->interim_due = -1;
    c->interim_lapsed = 1;
    return;
  }
  c->interim_due = due + t->cfg.interim_ns;
  heap_push(t, (interim_t){ c->interim_due, c, c->gen });
}

static void resume_interims(flow_table_t *t, conn_t *c, double now) {
  c->interim_lapsed = 0;
  double k = floor((now - c->f.start) / t->cfg.interim_ns) + 1;
  c->interim_due = c->f.start + k * t->cfg.interim_ns;
  heap_push(t, (interim_t){ c->interim_due, c, c->gen });
  if (c->interim_due < t->next_check) t->next_check = c->interim_due;
}

static void advance(flow_table_t *t, double now) {
  for (;;) {
    conn_t *c = list_due(t, now);
    if (!c) break;
    flow_ep_t *o = flow_orig(&c->f), *r = flow_resp(&c->f);
    if (c->list == LIST_ATTEMPT && !((o->state == TCP_SYN_SENT || o->state == TCP_SYN_ACK_SENT) && r->state == TCP_INACTIVE)) {
      list_put(t, c, LIST_TCP, c->f.last);
      continue;
    }
    t->stats.expired++;
    finish(t, c);
  }
  if (t->cfg.interim_ns > 0) {
    while (t->s_head && t->s_head->interim_due <= now) {
      conn_t *c = t->s_head;
      unlink_start(t, c);
      checkpoint(t, c, c->interim_due);
    }
    while (t->heap_n > 0 && t->heap[0].due <= now) {
      interim_t e = heap_pop(t);
      if (e.c->gen != e.gen || !e.c->live) continue;
      checkpoint(t, e.c, e.due);
    }
  }
  double next = INFINITY;
  for (int l = 0; l < LIST_COUNT; l++)
    if (t->head[l] && t->head[l]->deadline < next) next = t->head[l]->deadline;
  if (t->s_head && t->s_head->interim_due < next) next = t->s_head->interim_due;
  if (t->heap_n > 0 && t->heap[0].due < next) next = t->heap[0].due;
  t->next_check = next;
}

void flow_table_tick(flow_table_t *t, double now) {
  if (now >= t->next_check) advance(t, now);
}

static void note_mpls(conn_t *c, const flow_pkt_t *p) {
  int n = p->mpls_count < 8 ? p->mpls_count : 8;
  for (int i = 0; i < n; i++) {
    uint32_t label = (uint32_t)p->mpls[i];
    int seen = 0;
    for (int k = 0; k < c->n_mpls && !seen; k++) seen = c->mpls[k] == label;
    if (!seen && c->n_mpls < 16) c->mpls[c->n_mpls++] = label;
  }
}

conn_t *flow_table_process(flow_table_t *t, const flow_pkt_t *p, conn_t *parent) {
  if (p->l4.now >= t->next_check) advance(t, p->l4.now);
  t->now_ns = p->l4.now;
  int proto = p->proto;
  uint32_t sport = p->sport, dport = p->dport;
  int one_way = 0;
  if (proto == 1 || proto == 58) {
    uint32_t cp = proto == 1 ? icmp4_counterpart(p->icmp_type, p->icmp_code) : icmp6_counterpart(p->icmp_type, p->icmp_code);
    sport = p->icmp_type;
    dport = cp & 0xffff;
    one_way = cp > 0xffff;
  } else if (proto != 6 && proto != 17) {
    sport = 0;
    dport = 0;
  }
  uint32_t hs = endpoint_hash(p->s, sport), hd = endpoint_hash(p->d, dport);
  uint32_t h = mix((one_way ? hs ^ (hd * 31u) : hs + hd) ^ (uint32_t)proto);

  conn_t *c = t->buckets[h & t->mask];
  int is_orig = 1;
  for (; c; c = c->next) {
    if (c->hash != h || c->f.proto != proto) continue;
    if (c->f.op == sport && c->f.rp == dport && same(c->f.oa, p->s) && same(c->f.ra, p->d)) {
      is_orig = 1;
      break;
    }
    if (!c->f.one_way && c->f.op == dport && c->f.rp == sport && same(c->f.oa, p->d) && same(c->f.ra, p->s)) {
      is_orig = 0;
      break;
    }
  }
  if (c && proto == 6 && p->l4.flags & TH_SYN) {
    if (flow_is_reuse(&c->f, &p->l4, &t->host)) {
      t->stats.reused++;
      finish(t, c);
      c = NULL;
    }
  }
  if (!c) {
    c = create(t, p, h, sport, dport, one_way, parent);
    if (!c) return NULL; /* out of memory: the packet is not accounted */
    is_orig = !t->created_flipped;
  }
  flow_conn_t *f = &c->f;
  flow_ep_t *ep = is_orig ? flow_orig(f) : flow_resp(f);
  if (p->l4_bad) {
    conn_weird(t, c, proto == 6 ? FW_bad_TCP_checksum : proto == 17 ? FW_bad_UDP_checksum : FW_bad_ICMP_checksum);
    if (proto == 6 || proto == 17) flow_checksum_error(f, ep);
    return c;
  }
  ep->pkts++;
  ep->ip_bytes += p->ip_len;
  if (p->mpls_count) note_mpls(c, p);
  if (proto == 6) {
    flow_process_tcp(f, is_orig, &p->l4, &t->host);
    if (t->cfg.record_at_close && c->list == LIST_CLOSED && !c->recorded && flow_close_complete(f)) record_now(t, c);
  } else {
    f->last = p->l4.now;
    ep->bytes += p->l4.pay_len;
    if (proto == 17) {
      flow_check_history(f, ep, HIST_UDP_DATA, 'D');
      if (p->l4.pay_cap > 0 && t->cfg.app && c->app_state != APP_NONE) h_deliver(&t->host, f, ep, p->l4.pay, p->l4.pay_cap);
    }
  }
  if (c->list >= 0) list_touch(t, c);
  if (c->interim_lapsed) resume_interims(t, c, p->l4.now);
  return c;
}

static int by_start(const void *a, const void *b) {
  const conn_t *x = *(conn_t *const *)a, *y = *(conn_t *const *)b;
  if (x->f.start != y->f.start) return x->f.start < y->f.start ? -1 : 1;
  /* Array.prototype.sort is stable: equal starts keep their order (of the lists). */
  return x->handle < y->handle ? -1 : x->handle > y->handle;
}

void flow_table_flush(flow_table_t *t) {
  size_t n = (size_t)t->active, k = 0;
  conn_t **all = malloc((n ? n : 1) * sizeof *all);
  uint32_t *order = malloc((n ? n : 1) * sizeof *order);
  if (!all || !order) {
    /* Out of memory: each list in turn, unsorted, rather than records lost. */
    free(all);
    free(order);
    for (int l = 0; l < LIST_COUNT; l++)
      while (t->head[l]) finish(t, t->head[l]);
    return;
  }
  for (int l = 0; l < LIST_COUNT; l++)
    for (conn_t *c = t->head[l]; c && k < n; c = c->lnext) all[k++] = c;
  /* Stable by start: the list order kept in handle's stead while sorting. */
  for (size_t i = 0; i < k; i++) {
    order[i] = all[i]->handle;
    all[i]->handle = (uint32_t)i;
  }
  qsort(all, k, sizeof *all, by_start);
  for (size_t i = 0; i < k; i++) {
    conn_t *c = all[i];
    c->handle = order[c->handle];
  }
  for (size_t i = 0; i < k; i++) finish(t, all[i]);
  free(all);
  free(order);
}

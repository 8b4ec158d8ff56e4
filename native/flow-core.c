/*
 * The native flow core's Node-API face: sensor/flow/ in C (flow-table.c, flow-tcp.c,
 * flow-history.c, flow-reasm.c), which `sensor read --format zeek --no-app` runs instead
 * of the JavaScript flow table (sensor/flow/native-table.ts drives it). The packets the
 * native reader decoded go through it a block at a time, with no call per packet; the
 * rest are decoded in JavaScript, as always, and handed over one at a time.
 *
 * tcpReplay, besides: a sequence of TCP packets of one connection through the C
 * analysis, with the state after each one as text, which
 * test/sensor/flow-native-tcp.test.ts compares with the JavaScript analysis's.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define NAPI_VERSION 8
#include <node_api.h>

#include "descriptor.h"
#include "flow-conn.h"
#include "flow-table.h"

/* ------------------------------------------------------------------ text */

typedef struct {
  char *b;
  size_t len, cap;
  int failed;
} text_t;

static void put(text_t *t, const char *fmt, ...) {
  if (t->failed) return;
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->b + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    if (n < 0) {
      t->failed = 1;
      return;
    }
    if ((size_t)n < t->cap - t->len) {
      t->len += (size_t)n;
      return;
    }
    size_t cap = (t->cap + (size_t)n + 1) * 2;
    char *b = realloc(t->b, cap);
    if (b == NULL) {
      t->failed = 1;
      return;
    }
    t->b = b;
    t->cap = cap;
  }
}

/* ------------------------------------------------------------------ the replay's host */

typedef struct {
  flow_host_t host;
  int wants;
  text_t *out;
} replay_host_t;

static int dir_of(flow_conn_t *c, flow_ep_t *ep) { return ep == flow_orig(c) ? 0 : 1; }

static void r_weird(flow_host_t *h, flow_conn_t *c, int weird) {
  (void)c;
  put(((replay_host_t *)h)->out, " weird:%s", flow_weird_name(weird));
}
static void r_closed(flow_host_t *h, flow_conn_t *c) {
  (void)c;
  put(((replay_host_t *)h)->out, " closed");
}
static void r_attempt(flow_host_t *h, flow_conn_t *c) {
  (void)c;
  put(((replay_host_t *)h)->out, " attempt");
}
static int r_wants(flow_host_t *h, flow_conn_t *c) {
  (void)c;
  return ((replay_host_t *)h)->wants;
}
static void r_deliver(flow_host_t *h, flow_conn_t *c, flow_ep_t *ep, const uint8_t *data, uint32_t len) {
  uint32_t sum = 0;
  for (uint32_t i = 0; i < len; i++) sum = sum * 31 + data[i];
  put(((replay_host_t *)h)->out, " deliver:%d:%u:%u", dir_of(c, ep), len, sum);
}
static void r_gap(flow_host_t *h, flow_conn_t *c, flow_ep_t *ep, int64_t len) {
  put(((replay_host_t *)h)->out, " gap:%d:%lld", dir_of(c, ep), (long long)len);
}

static void state_line(text_t *t, flow_conn_t *c) {
  flow_ep_t *o = flow_orig(c), *r = flow_resp(c);
  put(t, " | h=%s o=%d,%d r=%d,%d size=%lld,%lld missed=%lld cs=%s cc=%d partial=%d first=%d reasm=%lld,%lld ooo=%d,%d last=%.0f\n", c->hist, o->state, o->prev_state, r->state, r->prev_state, (long long)flow_tcp_size(o, r), (long long)flow_tcp_size(r, o), (long long)c->missed, flow_conn_state_names[flow_conn_state(c)], flow_close_complete(c), c->is_partial, c->first_seen, (long long)o->reasm, (long long)r->reasm, o->ooo ? o->ooo->n : 0, r->ooo ? r->ooo->n : 0, c->last);
}

/* Fields per packet in tcpReplay's input. */
enum { P_FROM, P_FLAGS, P_SEQ, P_ACK, P_WIN, P_PAY_LEN, P_PAY_CAP, P_PAY_OFF, P_NOW, P_STRIDE };

static napi_value fail(napi_env env, const char *msg) {
  napi_throw_type_error(env, NULL, msg);
  return NULL;
}

/* Whether v is a typed array of the type; its data and length (in elements) then. */
static int typed(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *len) {
  napi_typedarray_type ty;
  return napi_get_typedarray_info(env, v, &ty, len, data, NULL, NULL) == napi_ok && ty == want;
}

/*
 * tcpReplay(packets: Float64Array, payload: Uint8Array, wants: boolean, lingerNs: number): string.
 * Each packet is from host 0 or 1; the host whose packet made the connection is its
 * first originator (a flip makes the other one originator). One line per packet: a SYN
 * that reuses the connection starts a new one from its sender (as the flow table does),
 * then the events of the packet, then the state after it.
 */
static napi_value js_tcp_replay(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4) return fail(env, "tcpReplay(packets, payload, wants, lingerNs)");
  size_t n_fields, pool_len;
  void *fields_p, *pool_p;
  if (!typed(env, argv[0], napi_float64_array, &fields_p, &n_fields)) return fail(env, "tcpReplay: packets must be a Float64Array");
  if (!typed(env, argv[1], napi_uint8_array, &pool_p, &pool_len)) return fail(env, "tcpReplay: payload must be a Uint8Array");
  bool wants;
  double linger;
  if (napi_get_value_bool(env, argv[2], &wants) != napi_ok || napi_get_value_double(env, argv[3], &linger) != napi_ok) return fail(env, "tcpReplay: wants must be a boolean, lingerNs a number");
  const double *f = fields_p;
  const uint8_t *pool = pool_p;
  text_t t = { 0 };
  replay_host_t h = { .host = { r_weird, r_closed, r_attempt, r_wants, r_deliver, r_gap, linger }, .wants = wants, .out = &t };
  flow_conn_t c;
  memset(&c, 0, sizeof c);
  c.proto = 6;
  flow_conn_init(&c);
  int fresh = 1;
  int base = 0; /* the host whose packet made the connection: its endpoint is ep[0] */
  for (size_t i = 0; i + P_STRIDE <= n_fields; i += P_STRIDE) {
    flow_tcp_pkt_t p = {
      .flags = (uint32_t)f[i + P_FLAGS], .seq = (uint32_t)f[i + P_SEQ], .ack = (uint32_t)f[i + P_ACK], .win = (uint32_t)f[i + P_WIN],
      .pay_len = (uint32_t)f[i + P_PAY_LEN], .pay_cap = (uint32_t)f[i + P_PAY_CAP], .now = f[i + P_NOW],
    };
    size_t off = (size_t)f[i + P_PAY_OFF];
    if (off > pool_len || p.pay_cap > pool_len - off) {
      free(t.b);
      return fail(env, "tcpReplay: a packet's payload is outside the payload array");
    }
    p.pay = pool + off;
    put(&t, "%zu:", i / P_STRIDE);
    if (!fresh && flow_is_reuse(&c, &p, &h.host)) {
      put(&t, " reuse");
      flow_conn_free(&c);
      flow_conn_init(&c);
      fresh = 1;
    }
    int from = f[i + P_FROM] != 0;
    if (fresh) {
      c.start = c.last = p.now;
      base = from;
      fresh = 0;
    }
    flow_process_tcp(&c, (from ^ base) == c.oi, &p, &h.host);
    state_line(&t, &c);
  }
  flow_conn_free(&c);
  if (t.failed) {
    free(t.b);
    napi_throw_error(env, "ENOMEM", "tcpReplay: out of memory");
    return NULL;
  }
  napi_value s;
  napi_create_string_latin1(env, t.b ? t.b : "", t.len, &s);
  free(t.b);
  return s;
}


/* ------------------------------------------------------------------ the flow table */

/* The state shared with the pipeline (sensor/flow/native-table.ts's IO_*): its clock, its counters, why a call stopped. */
enum {
  IO_BASE_SEC, IO_LAST_NOW, IO_LAST_SWEEP, IO_CUR_SEC, IO_CUR_NSEC, IO_PACKETS, IO_BYTES,
  IO_RECEIVED, IO_TRUNCATED, IO_DECODED, IO_FRAGS_PENDING, IO_STOP, IO_ROWS, IO_GEN,
  /* A callback's numbers (one Node-API value each would cost more than the call): the connection, and deliver's and metadata's own. */
  IO_CB_HANDLE, IO_CB_GEN, IO_CB_DIR, IO_CB_OFF, IO_CB_LEN, IO_CB_AT, IO_CB_NOW, IO_CB_BASE, IO_CB_PROTO, IO_CB_RESP_P, IO_CB_ORIG_P, IO_CB_FINAL,
  IO_COUNT
};
/* IO_STOP: the packet at the returned index is JavaScript's; fragments are due for expiry (the packet before it was the last processed); the block is done. */
enum { STOP_JS = 0, STOP_SWEEP = 1, STOP_END = 2 };

typedef struct {
  flow_table_t *t;
  napi_env env; /* of the call in progress */
  napi_ref on_weird, on_deliver, on_gap, on_metadata;
  double rows_taken;
  double *io;
  /* The buffer of the call in progress (a block's data, or one packet's), whose bytes JavaScript holds already; the packet in hand's payload and descriptor offset. */
  const uint8_t *cur_base;
  size_t cur_len;
  const uint8_t *cur_pay;
  uint32_t cur_pay_len;
  int32_t cur_at;
} core_t;

static void core_free(napi_env env, void *data, void *hint) {
  (void)hint;
  core_t *c = data;
  napi_ref refs[] = { c->on_weird, c->on_deliver, c->on_gap, c->on_metadata };
  for (size_t i = 0; i < sizeof refs / sizeof refs[0]; i++)
    if (refs[i]) napi_delete_reference(env, refs[i]);
  flow_table_free(c->t);
  free(c);
}

static void on_conn_weird(void *ctx, const char *name, double ts_sec, double ts_nsec, const char *uid, const char *orig_h, uint32_t orig_p, const char *resp_h, uint32_t resp_p) {
  core_t *c = ctx;
  napi_env env = c->env;
  napi_value fn, undef, argv[8], ret;
  if (!env || napi_get_reference_value(env, c->on_weird, &fn) != napi_ok || !fn) return;
  napi_get_undefined(env, &undef);
  napi_create_string_latin1(env, name, NAPI_AUTO_LENGTH, &argv[0]);
  napi_create_double(env, ts_sec, &argv[1]);
  napi_create_double(env, ts_nsec, &argv[2]);
  napi_create_string_latin1(env, uid, NAPI_AUTO_LENGTH, &argv[3]);
  napi_create_string_latin1(env, orig_h, NAPI_AUTO_LENGTH, &argv[4]);
  napi_create_uint32(env, orig_p, &argv[5]);
  napi_create_string_latin1(env, resp_h, NAPI_AUTO_LENGTH, &argv[6]);
  napi_create_uint32(env, resp_p, &argv[7]);
  /* The callback catches its own errors (native-table.ts); one that escaped would stay pending and surface when this call returns. */
  napi_call_function(env, undef, fn, 8, argv, &ret);
}

static napi_value callback(core_t *c, napi_ref ref) {
  napi_value fn;
  return ref && napi_get_reference_value(c->env, ref, &fn) == napi_ok ? fn : NULL;
}

/* A JavaScript callback's number result, or dflt when it threw or gave none (the callbacks catch their own errors: native-table.ts). */
static int call_int(core_t *c, napi_value fn, size_t argc, napi_value *argv, int dflt) {
  napi_value undef, ret;
  int32_t v;
  napi_get_undefined(c->env, &undef);
  if (napi_call_function(c->env, undef, fn, argc, argv, &ret) != napi_ok || napi_get_value_int32(c->env, ret, &v) != napi_ok) return dflt;
  return v;
}

/* The connection a callback is about, into io. */
static void cb_conn(core_t *c, conn_t *conn) {
  uint32_t gen, op, rp;
  int proto;
  c->io[IO_CB_HANDLE] = flow_conn_handle(c->t, conn, &gen);
  c->io[IO_CB_GEN] = gen;
  flow_conn_ports(conn, &proto, &op, &rp);
  c->io[IO_CB_PROTO] = proto;
  c->io[IO_CB_RESP_P] = rp;
  c->io[IO_CB_ORIG_P] = op;
}

/*
 * deliver(buf): buf null for bytes of the call's own buffer (at io[IO_CB_OFF]), else a
 * copy; io holds the connection, dir, len, the packet's descriptor offset (or -1), the
 * time and its base. Returns the APP_* state after it.
 */
static int on_deliver(void *ctx, conn_t *conn, int dir, const uint8_t *data, uint32_t len) {
  core_t *c = ctx;
  napi_env env = c->env;
  napi_value fn = callback(c, c->on_deliver), argv[1];
  if (!fn) return APP_NONE;
  double *io = c->io;
  cb_conn(c, conn);
  io[IO_CB_DIR] = dir;
  io[IO_CB_LEN] = len;
  if (c->cur_base && data >= c->cur_base && data + len <= c->cur_base + c->cur_len) {
    napi_get_null(env, &argv[0]);
    io[IO_CB_OFF] = (double)(data - c->cur_base);
  } else {
    /* (bytes kept while a hole was open: a copy of its own) */
    void *copy;
    if (napi_create_buffer_copy(env, len, data, &copy, &argv[0]) != napi_ok) return APP_NONE;
    io[IO_CB_OFF] = 0;
  }
  io[IO_CB_AT] = c->cur_pay && data >= c->cur_pay && data + len <= c->cur_pay + c->cur_pay_len ? c->cur_at : -1;
  io[IO_CB_NOW] = flow_table_now(c->t);
  io[IO_CB_BASE] = flow_table_base(c->t);
  return call_int(c, fn, 1, argv, APP_NONE);
}

/* gap(len): io holds the connection and dir. Returns the APP_* state after it. */
static int on_gap(void *ctx, conn_t *conn, int dir, int64_t len) {
  core_t *c = ctx;
  napi_value fn = callback(c, c->on_gap), argv[1];
  if (!fn) return APP_NONE;
  cb_conn(c, conn);
  c->io[IO_CB_DIR] = dir;
  napi_create_double(c->env, (double)len, &argv[0]);
  return call_int(c, fn, 1, argv, APP_NONE);
}

/* metadata(uid, origH, respH): io holds the connection (its ports too) and whether this is its final record. Returns the service column's text (escaped), or undefined for none. */
static void on_metadata(void *ctx, conn_t *conn, int final, const char *uid, const char *orig_h, uint32_t orig_p, const char *resp_h, uint32_t resp_p, zbuf_t *service) {
  core_t *c = ctx;
  napi_env env = c->env;
  napi_value fn = callback(c, c->on_metadata), argv[3], undef, ret;
  if (!fn) return;
  (void)orig_p, (void)resp_p; /* (in io, from the connection) */
  cb_conn(c, conn);
  c->io[IO_CB_FINAL] = final;
  napi_create_string_latin1(env, uid, NAPI_AUTO_LENGTH, &argv[0]);
  napi_create_string_latin1(env, orig_h, NAPI_AUTO_LENGTH, &argv[1]);
  napi_create_string_latin1(env, resp_h, NAPI_AUTO_LENGTH, &argv[2]);
  napi_get_undefined(env, &undef);
  napi_valuetype vt;
  size_t n;
  if (napi_call_function(env, undef, fn, 3, argv, &ret) != napi_ok || napi_typeof(env, ret, &vt) != napi_ok || vt != napi_string) return;
  if (napi_get_value_string_utf8(env, ret, NULL, 0, &n) != napi_ok || !zb_reserve(service, n + 1)) return;
  napi_get_value_string_utf8(env, ret, (char *)service->p + service->len, n + 1, &n);
  service->len += n;
}

static double num_prop(napi_env env, napi_value o, const char *name, double dflt) {
  napi_value v;
  double d;
  bool has = false;
  if (napi_has_named_property(env, o, name, &has) != napi_ok || !has) return dflt;
  if (napi_get_named_property(env, o, name, &v) != napi_ok || napi_get_value_double(env, v, &d) != napi_ok) return dflt;
  return d;
}

/* tableNew({ maxFlows, delays: [6 × s], interimSec, recordAtClose, communityId, communitySeed, uidSeed, app }, { connWeird, deliver, gap, metadata }, io: Float64Array) */
static napi_value js_table_new(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], delays;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3) return fail(env, "tableNew(config, callbacks, io)");
  napi_valuetype vt;
  if (napi_typeof(env, argv[0], &vt) != napi_ok || vt != napi_object) return fail(env, "tableNew: config must be an object");
  napi_value fns[4];
  const char *fn_names[4] = { "connWeird", "deliver", "gap", "metadata" };
  for (int i = 0; i < 4; i++)
    if (napi_get_named_property(env, argv[1], fn_names[i], &fns[i]) != napi_ok || napi_typeof(env, fns[i], &vt) != napi_ok || vt != napi_function) return fail(env, "tableNew: callbacks must have the functions connWeird, deliver, gap and metadata");
  size_t n_io;
  void *io;
  if (!typed(env, argv[2], napi_float64_array, &io, &n_io) || n_io < IO_COUNT) return fail(env, "tableNew: io must be a Float64Array of IO_COUNT numbers");
  flow_config_t cfg = { 0 };
  /* As FlowTable takes them: at least 16 connections (a fraction rounds up: it compares active >= max), the seed's low 16 bits. */
  double max_flows = ceil(num_prop(env, argv[0], "maxFlows", 1000000));
  cfg.max_flows = max_flows >= 16 && max_flows <= 1e12 ? (int64_t)max_flows : max_flows > 1e12 ? (int64_t)1e12 : 16;
  if (napi_get_named_property(env, argv[0], "delays", &delays) != napi_ok) return fail(env, "tableNew: config.delays missing");
  for (uint32_t i = 0; i < LIST_COUNT; i++) {
    napi_value v;
    double d;
    if (napi_get_element(env, delays, i, &v) != napi_ok || napi_get_value_double(env, v, &d) != napi_ok) return fail(env, "tableNew: config.delays must be six numbers (seconds)");
    cfg.delay_ns[i] = d * 1e9;
  }
  cfg.interim_ns = num_prop(env, argv[0], "interimSec", 60) * 1e9;
  cfg.record_at_close = num_prop(env, argv[0], "recordAtClose", 0) != 0;
  cfg.community_id = num_prop(env, argv[0], "communityId", 1) != 0;
  double seed = num_prop(env, argv[0], "communitySeed", 0);
  cfg.community_seed = isfinite(seed) && fabs(seed) < 9e15 ? (uint32_t)(int64_t)seed & 0xffff : 0;
  double uid_seed = num_prop(env, argv[0], "uidSeed", 1);
  cfg.uid_seed = isfinite(uid_seed) && fabs(uid_seed) < 9e15 ? (uint32_t)(int64_t)uid_seed : 1;
  cfg.app = num_prop(env, argv[0], "app", 0) != 0;
  core_t *c = calloc(1, sizeof *c);
  if (!c) {
    napi_throw_error(env, "ENOMEM", "tableNew: out of memory");
    return NULL;
  }
  c->io = io;
  c->t = flow_table_new(&cfg, (flow_events_t){ c, on_conn_weird, on_deliver, on_gap, on_metadata });
  if (!c->t) {
    free(c);
    napi_throw_error(env, "ENOMEM", "tableNew: out of memory");
    return NULL;
  }
  napi_create_reference(env, fns[0], 1, &c->on_weird);
  napi_create_reference(env, fns[1], 1, &c->on_deliver);
  napi_create_reference(env, fns[2], 1, &c->on_gap);
  napi_create_reference(env, fns[3], 1, &c->on_metadata);
  napi_value ext;
  /* The io array is kept alive by the JavaScript object that holds both. */
  if (napi_create_external(env, c, core_free, NULL, &ext) != napi_ok) {
    core_free(env, c, NULL);
    return fail(env, "tableNew: could not make its handle");
  }
  return ext;
}

static core_t *core_arg(napi_env env, napi_value v) {
  core_t *c = NULL;
  napi_valuetype vt;
  if (napi_typeof(env, v, &vt) != napi_ok || vt != napi_external || napi_get_value_external(env, v, (void **)&c) != napi_ok) return NULL;
  c->env = env;
  return c;
}

/* After every call: how many rows wait (IO_ROWS). */
static void note_rows(core_t *c) {
  const flow_stats_t *s = flow_table_stats(c->t);
  c->io[IO_ROWS] = s->records + s->interims - c->rows_taken;
}

static void packet_from(flow_pkt_t *p, const int32_t *d, const uint8_t *data, size_t data_len) {
  p->proto = d[D_PROTO];
  p->ip_version = d[D_IPV];
  for (int i = 0; i < 4; i++) {
    p->s[i] = (uint32_t)d[D_S0 + i];
    p->d[i] = (uint32_t)d[D_D0 + i];
  }
  p->sport = (uint32_t)d[D_SPORT];
  p->dport = (uint32_t)d[D_DPORT];
  p->icmp_type = (uint32_t)d[D_ICMP_TYPE];
  p->icmp_code = (uint32_t)d[D_ICMP_CODE];
  p->l4.flags = (uint32_t)d[D_FLAGS];
  p->l4.seq = (uint32_t)d[D_SEQ];
  p->l4.ack = (uint32_t)d[D_ACK];
  p->l4.win = (uint32_t)d[D_WIN];
  p->ip_len = (uint32_t)d[D_IP_LEN];
  p->l4.pay_len = (uint32_t)d[D_PAY_LEN];
  uint32_t off = (uint32_t)d[D_PAY_OFF], cap = (uint32_t)d[D_PAY_CAP];
  /* The payload is only read for an application analyzer; a descriptor pointing outside its buffer gives none. */
  if (off <= data_len && cap <= data_len - off) {
    p->l4.pay = data + off;
    p->l4.pay_cap = cap;
  } else {
    p->l4.pay = data;
    p->l4.pay_cap = 0;
  }
  p->vlan0 = d[D_VLAN0];
  p->vlan1 = d[D_VLAN1];
  p->mpls_count = d[D_MPLS_COUNT] < 0 ? 0 : d[D_MPLS_COUNT];
  p->mpls = d + D_MPLS0;
  p->l4_bad = 0;
}

/* tableBlock(h, data: Uint8Array, desc: Int32Array, from, count, mult): the index of the first packet not processed (IO_STOP says why). */
static napi_value js_table_block(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 6) return fail(env, "tableBlock(h, data, desc, from, count, mult)");
  core_t *c = core_arg(env, argv[0]);
  size_t data_len, n_desc;
  void *data, *desc;
  uint32_t from, count;
  double mult;
  if (!c) return fail(env, "tableBlock: not a flow table");
  if (!typed(env, argv[1], napi_uint8_array, &data, &data_len)) return fail(env, "tableBlock: data must be a Uint8Array");
  if (!typed(env, argv[2], napi_int32_array, &desc, &n_desc)) return fail(env, "tableBlock: desc must be an Int32Array");
  if (napi_get_value_uint32(env, argv[3], &from) != napi_ok || napi_get_value_uint32(env, argv[4], &count) != napi_ok || napi_get_value_double(env, argv[5], &mult) != napi_ok) return fail(env, "tableBlock: from, count and mult must be numbers");
  if ((size_t)count > n_desc / D_STRIDE) return fail(env, "tableBlock: count is past the descriptors");
  double *io = c->io;
  flow_pkt_t p;
  uint32_t k = from;
  io[IO_STOP] = STOP_END;
  c->cur_base = data;
  c->cur_len = data_len;
  for (; k < count; k++) {
    const int32_t *d = (const int32_t *)desc + (size_t)k * D_STRIDE;
    if (d[D_KIND] != KIND_DECODED || d[D_TSRAW] != 0) {
      io[IO_STOP] = STOP_JS;
      break;
    }
    double sec = (double)(uint32_t)d[D_SEC];
    double nsec = (double)(uint32_t)d[D_FRAC] * mult;
    if (io[IO_BASE_SEC] < 0) {
      io[IO_BASE_SEC] = sec;
      flow_table_set_base(c->t, sec);
    }
    double now = (sec - io[IO_BASE_SEC]) * 1e9 + nsec;
    if (now < io[IO_LAST_NOW]) {
      /* Time running backwards: a weird of the packet's, which JavaScript writes. */
      io[IO_STOP] = STOP_JS;
      break;
    }
    uint32_t wirelen = (uint32_t)d[D_WIRELEN];
    io[IO_RECEIVED]++;
    if (wirelen > (uint32_t)d[D_CAPLEN]) io[IO_TRUNCATED]++;
    io[IO_DECODED]++;
    io[IO_PACKETS]++;
    io[IO_BYTES] += wirelen;
    io[IO_LAST_NOW] = now;
    io[IO_CUR_SEC] = sec;
    io[IO_CUR_NSEC] = nsec;
    packet_from(&p, d, data, data_len);
    p.l4.now = now;
    c->cur_pay = p.l4.pay;
    c->cur_pay_len = p.l4.pay_cap;
    c->cur_at = (int32_t)(k * D_STRIDE);
    flow_table_process(c->t, &p, NULL);
    if (now - io[IO_LAST_SWEEP] > 1e9) {
      io[IO_LAST_SWEEP] = now;
      if (io[IO_FRAGS_PENDING] != 0) {
        io[IO_STOP] = STOP_SWEEP;
        k++;
        break;
      }
    }
  }
  c->cur_base = c->cur_pay = NULL;
  note_rows(c);
  napi_value r;
  napi_create_uint32(env, k, &r);
  return r;
}

/* tableOne(h, desc: Int32Array (one descriptor, D_L4_BAD set), buf: Uint8Array, now, parentHandle (-1: none), parentGen): the connection's handle (IO_GEN its generation), or -1. */
static napi_value js_table_one(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 6) return fail(env, "tableOne(h, desc, buf, now, parentHandle, parentGen)");
  core_t *c = core_arg(env, argv[0]);
  size_t n_desc, buf_len;
  void *desc, *buf;
  double now;
  int32_t parent_handle;
  uint32_t parent_gen;
  if (!c) return fail(env, "tableOne: not a flow table");
  if (!typed(env, argv[1], napi_int32_array, &desc, &n_desc) || n_desc < D_STRIDE) return fail(env, "tableOne: desc must be an Int32Array of one descriptor");
  if (!typed(env, argv[2], napi_uint8_array, &buf, &buf_len)) return fail(env, "tableOne: buf must be a Uint8Array");
  if (napi_get_value_double(env, argv[3], &now) != napi_ok || napi_get_value_int32(env, argv[4], &parent_handle) != napi_ok || napi_get_value_uint32(env, argv[5], &parent_gen) != napi_ok) return fail(env, "tableOne: now, parentHandle and parentGen must be numbers");
  flow_pkt_t p;
  const int32_t *d = desc;
  packet_from(&p, d, buf, buf_len);
  p.l4_bad = d[D_L4_BAD] != 0;
  p.l4.now = now;
  conn_t *parent = parent_handle >= 0 ? flow_conn_by_handle(c->t, (uint32_t)parent_handle, parent_gen) : NULL;
  c->cur_base = buf;
  c->cur_len = buf_len;
  c->cur_pay = NULL; /* (its hello, if any, the pipeline armed already) */
  conn_t *conn = flow_table_process(c->t, &p, parent);
  c->cur_base = NULL;
  note_rows(c);
  int32_t handle = -1;
  if (conn) {
    uint32_t gen;
    handle = (int32_t)flow_conn_handle(c->t, conn, &gen);
    c->io[IO_GEN] = gen;
  }
  napi_value r;
  napi_create_int32(env, handle, &r);
  return r;
}

/* The arguments (h) or (h, number) of the calls below; NULL (an error thrown) when they are not that. */
static core_t *core_call(napi_env env, napi_callback_info info, double *num, const char *usage) {
  size_t argc = 2;
  napi_value argv[2];
  core_t *c;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < (num ? 2u : 1u) || !(c = core_arg(env, argv[0])) || (num && napi_get_value_double(env, argv[1], num) != napi_ok)) {
    fail(env, usage);
    return NULL;
  }
  return c;
}

/* tableBase(h, baseSec) */
static napi_value js_table_base(napi_env env, napi_callback_info info) {
  double base;
  core_t *c = core_call(env, info, &base, "tableBase(h, baseSec)");
  if (c) flow_table_set_base(c->t, base);
  return NULL;
}

/* tableTick(h, now): the timers due (returns when the next one is due, ns). */
static napi_value js_table_tick(napi_env env, napi_callback_info info) {
  double now;
  core_t *c = core_call(env, info, &now, "tableTick(h, now)");
  if (!c) return NULL;
  flow_table_tick(c->t, now);
  note_rows(c);
  napi_value r;
  napi_create_double(env, flow_table_next_due(c->t), &r);
  return r;
}

/* tableFlush(h): every connection ended. */
static napi_value js_table_flush(napi_env env, napi_callback_info info) {
  core_t *c = core_call(env, info, NULL, "tableFlush(h)");
  if (!c) return NULL;
  flow_table_flush(c->t);
  note_rows(c);
  return NULL;
}

/* tableRows(h): the conn.log rows waiting, as a Buffer (emptied here). */
static napi_value js_table_rows(napi_env env, napi_callback_info info) {
  core_t *c = core_call(env, info, NULL, "tableRows(h)");
  if (!c) return NULL;
  zbuf_t *b = flow_table_rows(c->t);
  if (b->failed) {
    b->len = 0;
    b->failed = 0;
    const flow_stats_t *st = flow_table_stats(c->t);
    c->rows_taken = st->records + st->interims;
    c->io[IO_ROWS] = 0;
    napi_throw_error(env, "ENOMEM", "tableRows: out of memory (conn.log rows were lost)");
    return NULL;
  }
  napi_value out;
  void *copy;
  if (napi_create_buffer_copy(env, b->len, b->p ? (const void *)b->p : "", &copy, &out) != napi_ok) return fail(env, "tableRows: could not make the buffer");
  b->len = 0;
  const flow_stats_t *s = flow_table_stats(c->t);
  c->rows_taken = s->records + s->interims;
  c->io[IO_ROWS] = 0;
  return out;
}

/* tableIdentity(h, handle, gen): [uid, origH, origP, respH, respP, tsSec, tsNsec] of a live connection at the time in hand (an application weird's row), or undefined. */
static napi_value js_table_identity(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], out, v;
  uint32_t handle, gen;
  core_t *c;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3 || !(c = core_arg(env, argv[0])) || napi_get_value_uint32(env, argv[1], &handle) != napi_ok || napi_get_value_uint32(env, argv[2], &gen) != napi_ok) return fail(env, "tableIdentity(h, handle, gen)");
  conn_t *conn = flow_conn_by_handle(c->t, handle, gen);
  if (!conn) return NULL;
  char oh[48], rh[48];
  const char *uid;
  uint32_t op, rp;
  flow_conn_identity(c->t, conn, &uid, oh, &op, rh, &rp);
  double now = flow_table_now(c->t), sec = floor(now / 1e9);
  napi_create_array_with_length(env, 7, &out);
  napi_create_string_latin1(env, uid, NAPI_AUTO_LENGTH, &v);
  napi_set_element(env, out, 0, v);
  napi_create_string_latin1(env, oh, NAPI_AUTO_LENGTH, &v);
  napi_set_element(env, out, 1, v);
  napi_create_uint32(env, op, &v);
  napi_set_element(env, out, 2, v);
  napi_create_string_latin1(env, rh, NAPI_AUTO_LENGTH, &v);
  napi_set_element(env, out, 3, v);
  napi_create_uint32(env, rp, &v);
  napi_set_element(env, out, 4, v);
  napi_create_double(env, flow_table_base(c->t) + sec, &v);
  napi_set_element(env, out, 5, v);
  napi_create_double(env, now - sec * 1e9, &v);
  napi_set_element(env, out, 6, v);
  return out;
}

static void set_num(napi_env env, napi_value o, const char *name, double v) {
  napi_value x;
  napi_create_double(env, v, &x);
  napi_set_named_property(env, o, name, x);
}

/* tableStats(h): { created, expired, evicted, reused, records, interims, afterRecord, size, weirds: { name: count } } */
static napi_value js_table_stats(napi_env env, napi_callback_info info) {
  core_t *c = core_call(env, info, NULL, "tableStats(h)");
  if (!c) return NULL;
  const flow_stats_t *s = flow_table_stats(c->t);
  napi_value o, w;
  napi_create_object(env, &o);
  set_num(env, o, "created", s->created);
  set_num(env, o, "expired", s->expired);
  set_num(env, o, "evicted", s->evicted);
  set_num(env, o, "reused", s->reused);
  set_num(env, o, "records", s->records);
  set_num(env, o, "interims", s->interims);
  set_num(env, o, "afterRecord", s->after_record);
  set_num(env, o, "size", (double)flow_table_size(c->t));
  napi_create_object(env, &w);
  const double *counts = flow_table_weird_counts(c->t);
  for (int i = 0; i < FW_ALL; i++)
    if (counts[i] > 0) set_num(env, w, flow_table_weird_name(i), counts[i]);
  napi_set_named_property(env, o, "weirds", w);
  return o;
}

static napi_value init(napi_env env, napi_value exports) {
  struct {
    const char *name;
    napi_callback fn;
  } fns[] = {
    { "tcpReplay", js_tcp_replay }, { "tableNew", js_table_new }, { "tableBlock", js_table_block }, { "tableOne", js_table_one }, { "tableBase", js_table_base },
    { "tableTick", js_table_tick }, { "tableFlush", js_table_flush }, { "tableRows", js_table_rows }, { "tableStats", js_table_stats }, { "tableIdentity", js_table_identity },
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value f;
    napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &f);
    napi_set_named_property(env, exports, fns[i].name, f);
  }
  napi_value n;
  napi_create_uint32(env, IO_COUNT, &n);
  napi_set_named_property(env, exports, "ioCount", n);
  napi_create_uint32(env, D_STRIDE, &n);
  napi_set_named_property(env, exports, "stride", n);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)

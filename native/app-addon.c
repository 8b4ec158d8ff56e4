/*
 * The native application analyzers' Node-API surface (sensor/app/native.ts uses it).
 * Each analyzer is a handle; every call returns the analyzer's flags (its
 * DNS_CONFIRMED/DNS_DONE), or, when it reported weirds, an array of the flags and
 * then the weirds' numbers (indexes of weirdNames) in the order they happened.
 *
 *   dnsNew(tcp) -> handle (a number)
 *   dnsData(handle, dir, bytes: Uint8Array, start, end, tsNs: bigint) -> flags | [flags, ...weirds]
 *   dnsGap(handle, dir) -> flags | [flags, ...weirds]
 *   dnsRows(handle, final) -> rows: string | undefined, or [rows, ...weirds]
 *       (dns.log rows, each "<ts>\t<the columns after id.resp_p>\n", one character per
 *       byte of the log's UTF-8; a final call closes the handle)
 *   weirdNames: string[]
 *
 *   tlsNames(cipherNumbers, cipherNames, curveNumbers, curveNames): ssl.log's names, sorted by number
 *   tlsCertDecoder(decode): decode(der: Buffer) -> { subject, issuer, row, names } | undefined, for a
 *       certificate seen for the first time (see tls.h's tls_cert_t: row as latin1, names null
 *       when not all ASCII); undefined (or a throw) leaves every connection showing it to JavaScript
 *   x509Decode(der) -> { subject, issuer, row, names } as decode's, or null: native/x509.c alone
 *       (the decoder the TLS analyzer tries first; for tests)
 *   certStats() -> { native, js }: the leaf certificates x509.c decoded, and those left to decode
 *   replayBudget(max?) -> { tls, http }: the bytes the open TLS and HTTP analyzers keep for
 *       handovers (replay-log.h); with max, each pool's most from now on (64 MB by default)
 *   tlsNew() -> handle
 *   tlsData(handle, dir, bytes, start, end, tsNs) -> flags (TLS_CONFIRMED 1, TLS_DONE 2, TLS_HANDOVER 4)
 *   tlsGap(handle, dir, bytes) -> flags
 *   tlsRow(handle, final) -> the ssl.log row (as dnsRows' rows) | undefined; a final call closes the handle
 *   tlsRecorded(handle) -> Buffer: after TLS_HANDOVER, what the analyzer was given before the
 *       input that caused it (see tls.h); closes the handle
 *
 *   httpNew() -> handle
 *   httpShared(out: Float64Array of 3): after each HTTP call, out[0] and out[1] are the bytes of each
 *       direction that are body only from there (the caller may count them itself, see http.h), out[2]
 *       1 when the call took the counted bytes it brought, 0 when it handed over first
 *   httpData(handle, dir, bytes, start, end, tsNs, counted?, countedDir?) -> flags (HTTP_CONFIRMED 1,
 *       HTTP_DONE 2, HTTP_HANDOVER 4); counted bytes of countedDir are taken as body before the data
 *   httpGap(handle, dir, bytes, counted?, countedDir?) -> flags
 *   httpRows(handle, final, counted?, countedDir?) -> http.log rows (as dnsRows' rows) | undefined, or null when the
 *       analyzer handed over there (see http.h); a final call that does not hand over closes the handle
 *   httpRecorded(handle) -> Buffer, as tlsRecorded
 *
 * Handles are numbers into a pool rather than objects with finalizers: an analyzer is made
 * for every DNS connection, and a finalizer each cost more than the analysis. The flow
 * table always ends an analyzer with a final dnsRows; whatever it would not end, the
 * pool frees with the thread's addon instance.
 */
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>

#include <string.h>

#include "app-weirds.h"
#include "dns.h"
#include "http.h"
#include "tls.h"
#include "x509.h"

/* Per thread that loads the addon (the main thread, each worker). */
typedef struct {
  dns_pool_t *dns;
  tls_pool_t *tls;
  http_pool_t *http;
  weirds_t weirds;
  zbuf_t out;
  /* The JavaScript function that decodes a certificate for the TLS analyzer, and the env of
   * the call under way (the decoder is only ever called during one). */
  napi_ref cert_decoder;
  napi_env env;
  /* Leaf certificates decoded natively, and by the JavaScript decoder. */
  double certs_native, certs_js;
  /* httpShared's array: after each HTTP call, the bytes of each direction the caller may count itself, and whether it had counted ones taken. */
  double *http_shared;
  napi_ref http_shared_ref;
} instance_t;

#define APP_WEIRD_NAME(name) #name,
static const char *const WEIRD_NAMES[] = { APP_WEIRD_LIST(APP_WEIRD_NAME) };
#undef APP_WEIRD_NAME

static void instance_free(napi_env env, void *data, void *hint) {
  (void)hint;
  instance_t *in = data;
  dns_pool_free(in->dns);
  tls_pool_free(in->tls);
  http_pool_free(in->http);
  if (in->cert_decoder) napi_delete_reference(env, in->cert_decoder);
  if (in->http_shared_ref) napi_delete_reference(env, in->http_shared_ref);
  free(in->weirds.codes);
  zb_free(&in->out);
  free(in);
}

static napi_value fail(napi_env env, const char *msg) {
  napi_throw_type_error(env, NULL, msg);
  return NULL;
}

/* The flags, or [flags, ...weirds] when there were any (then forgotten here). */
static napi_value outcome(napi_env env, instance_t *in, napi_value first) {
  if (in->weirds.n == 0) return first;
  napi_value arr, v;
  napi_create_array_with_length(env, in->weirds.n + 1, &arr);
  napi_set_element(env, arr, 0, first);
  for (size_t i = 0; i < in->weirds.n; i++) {
    napi_create_int32(env, in->weirds.codes[i], &v);
    napi_set_element(env, arr, (uint32_t)i + 1, v);
  }
  in->weirds.n = 0;
  return arr;
}

static napi_value flags_outcome(napi_env env, instance_t *in, int flags) {
  napi_value v;
  napi_create_int32(env, flags, &v);
  return outcome(env, in, v);
}

static instance_t *instance(napi_env env) {
  instance_t *in = NULL;
  return napi_get_instance_data(env, (void **)&in) == napi_ok ? in : NULL;
}

/* The arguments every analyzer's data call starts with: (handle, dir, bytes: Uint8Array, start, end, tsNs: bigint), the range clamped rather than trusted (as GuardedAnalyzer does). */
typedef struct {
  uint32_t h;
  int32_t dir;
  int64_t start;
  const uint8_t *b;
  size_t n;
  ns128_t ts; /* exact, within ±2^127 */
  int fits64; /* ts fits an int64 (TLS and HTTP keep it in one) */
} data_args_t;

/* The seconds of DNS times, as a JavaScript number prints them exactly: 2^52 s, so that an rtt's are within 2^53 too. */
#define DNS_MAX_NS ((ns128_t)((int64_t)1 << 52) * 1000000000)

static int data_args(napi_env env, napi_value *argv, size_t argc, data_args_t *a) {
  napi_typedarray_type type;
  size_t len, words = 2;
  void *data;
  double start, end;
  int sign;
  uint64_t w[2] = { 0, 0 };
  if (argc < 6 || napi_get_value_uint32(env, argv[0], &a->h) != napi_ok || napi_get_value_int32(env, argv[1], &a->dir) != napi_ok ||
      napi_get_typedarray_info(env, argv[2], &type, &len, &data, NULL, NULL) != napi_ok || type != napi_uint8_array ||
      napi_get_value_double(env, argv[3], &start) != napi_ok || napi_get_value_double(env, argv[4], &end) != napi_ok ||
      napi_get_value_bigint_words(env, argv[5], &sign, &words, w) != napi_ok)
    return 0;
  if (a->dir != 0 && a->dir != 1) return 0;
  /* A time past 2^127 ns (5 x 10^21 years): none that a capture's can be. */
  if (words > 2 || w[1] >> 63) return 0;
  unsigned __int128 mag = ((unsigned __int128)w[1] << 64) | w[0];
  a->ts = sign ? -(ns128_t)mag : (ns128_t)mag;
  a->fits64 = a->ts >= INT64_MIN && a->ts <= INT64_MAX;
  /* Clamped as GuardedAnalyzer clamps them, in doubles (a range past 2^31 or infinite included); NaN: nothing. */
  if (!(start >= 0)) start = start != start ? (double)len : 0;
  if (!(end <= (double)len)) end = end != end ? 0 : (double)len;
  a->start = (int64_t)start;
  int64_t e = (int64_t)end;
  a->n = a->start < e ? (size_t)(e - a->start) : 0;
  a->b = a->n ? (const uint8_t *)data + a->start : NULL;
  return 1;
}

/* A new analyzer's handle for JavaScript, or (0: its pool could not grow) the error. */
static napi_value handle_value(napi_env env, uint32_t h, const char *what) {
  napi_value out;
  if (!h) {
    napi_throw_error(env, "ENOMEM", what);
    return NULL;
  }
  napi_create_uint32(env, h, &out);
  return out;
}

/* The one argument of a call that takes a handle. */
static int handle_arg(napi_env env, napi_callback_info info, uint32_t *h) {
  size_t argc = 1;
  napi_value argv[1];
  return napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc >= 1 && napi_get_value_uint32(env, argv[0], h) == napi_ok;
}

static napi_value js_dns_new(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  bool tcp = false;
  instance_t *in = instance(env);
  if (!in || napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || napi_get_value_bool(env, argv[0], &tcp) != napi_ok) return fail(env, "dnsNew(tcp): a boolean");
  return handle_value(env, dns_open(in->dns, tcp), "dnsNew: out of memory");
}

static napi_value closed(napi_env env) { return fail(env, "not an open DNS analyzer handle"); }

static napi_value js_dns_data(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  data_args_t a;
  instance_t *in = instance(env);
  if (!in || napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || !data_args(env, argv, argc, &a))
    return fail(env, "dnsData(handle, dir: 0 or 1, bytes: Uint8Array, start, end, tsNs: bigint)");
  if (a.ts > DNS_MAX_NS || a.ts < -DNS_MAX_NS) return fail(env, "dnsData: tsNs past 2^52 seconds from 1970");
  int flags = dns_data(in->dns, a.h, a.dir, a.b, a.n, a.ts, &in->weirds);
  if (flags < 0) return closed(env);
  return flags_outcome(env, in, flags);
}

static napi_value js_dns_gap(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  uint32_t h;
  int32_t dir;
  instance_t *in = instance(env);
  if (!in || napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 || napi_get_value_uint32(env, argv[0], &h) != napi_ok ||
      napi_get_value_int32(env, argv[1], &dir) != napi_ok || (dir != 0 && dir != 1))
    return fail(env, "dnsGap(handle, dir: 0 or 1)");
  int flags = dns_gap(in->dns, h, dir, &in->weirds);
  if (flags < 0) return closed(env);
  return flags_outcome(env, in, flags);
}

static napi_value js_dns_rows(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], out;
  uint32_t h;
  bool final = false;
  instance_t *in = instance(env);
  if (!in || napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 || napi_get_value_uint32(env, argv[0], &h) != napi_ok ||
      napi_get_value_bool(env, argv[1], &final) != napi_ok)
    return fail(env, "dnsRows(handle, final: boolean)");
  zbuf_t *rows;
  long n = dns_rows(in->dns, h, final, &rows, &in->weirds);
  if (n < 0) return closed(env);
  int failed = rows->failed;
  napi_status s = n == 0 || failed ? napi_get_undefined(env, &out) : napi_create_string_latin1(env, (const char *)rows->p, rows->len, &out);
  dns_rows_taken(in->dns, h, final);
  if (failed) {
    in->weirds.n = 0;
    napi_throw_error(env, "ENOMEM", "dnsRows: out of memory");
    return NULL;
  }
  if (s != napi_ok) {
    in->weirds.n = 0; /* (this call's: never reported with another's) */
    return fail(env, "dnsRows: cannot make the rows");
  }
  return outcome(env, in, out);
}

/* A table of names sorted by number, copied: numbers (an array) and names (an array of strings). */
static int names_arg(napi_env env, napi_value nums, napi_value names, uint16_t **out_nums, char ***out_names, size_t *out_n) {
  uint32_t n = 0, m = 0;
  if (napi_get_array_length(env, nums, &n) != napi_ok || napi_get_array_length(env, names, &m) != napi_ok || n != m || n > 65536) return 0;
  uint16_t *v = calloc(n ? n : 1, sizeof *v);
  char **t = calloc(n ? n : 1, sizeof *t);
  if (!v || !t) {
    free(v);
    free(t);
    return 0;
  }
  int ok = 1;
  for (uint32_t i = 0; i < n && ok; i++) {
    napi_value x, y;
    uint32_t num;
    size_t len;
    ok = napi_get_element(env, nums, i, &x) == napi_ok && napi_get_value_uint32(env, x, &num) == napi_ok && num <= 0xffff && (i == 0 || num > v[i - 1]) &&
         napi_get_element(env, names, i, &y) == napi_ok && napi_get_value_string_latin1(env, y, NULL, 0, &len) == napi_ok && (t[i] = malloc(len + 1)) != NULL &&
         napi_get_value_string_latin1(env, y, t[i], len + 1, &len) == napi_ok;
    if (ok) v[i] = (uint16_t)num;
  }
  if (!ok) {
    for (uint32_t i = 0; i < n; i++) free(t[i]);
    free(t);
    free(v);
    return 0;
  }
  *out_nums = v;
  *out_names = t;
  *out_n = n;
  return 1;
}

static napi_value js_tls_names(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  instance_t *in = instance(env);
  uint16_t *cn = NULL, *gn = NULL;
  char **cs = NULL, **gs = NULL;
  size_t nc = 0, ng = 0;
  if (!in || napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4 || !names_arg(env, argv[0], argv[1], &cn, &cs, &nc))
    return fail(env, "tlsNames(cipherNumbers, cipherNames, curveNumbers, curveNames): numbers in increasing order and as many names");
  if (!names_arg(env, argv[2], argv[3], &gn, &gs, &ng)) {
    for (size_t i = 0; i < nc; i++) free(cs[i]);
    free(cs);
    free(cn);
    return fail(env, "tlsNames(cipherNumbers, cipherNames, curveNumbers, curveNames): numbers in increasing order and as many names");
  }
  tls_names(in->tls, cn, cs, nc, gn, gs, ng);
  return NULL;
}

static napi_value closed_tls(napi_env env) { return fail(env, "not an open TLS analyzer handle"); }

/* A string property as UTF-16 (malloc'd), or as latin1 bytes. */
static int utf16_prop(napi_env env, napi_value obj, const char *name, uint16_t **out, size_t *n) {
  napi_value v;
  size_t len;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok || napi_get_value_string_utf16(env, v, NULL, 0, &len) != napi_ok) return 0;
  if (!(*out = malloc((len + 1) * sizeof **out))) return 0;
  return napi_get_value_string_utf16(env, v, (char16_t *)*out, len + 1, n) == napi_ok;
}

static int latin1_value(napi_env env, napi_value v, char **out, size_t *n) {
  size_t len;
  if (napi_get_value_string_latin1(env, v, NULL, 0, &len) != napi_ok || !(*out = malloc(len + 1))) return 0;
  return napi_get_value_string_latin1(env, v, *out, len + 1, n) == napi_ok;
}

static int decode_cert(void *ctx, const uint8_t *der, size_t n, tls_cert_t *out) {
  instance_t *in = ctx;
  /* Natively where x509.c takes the certificate; else as JavaScript decodes it. */
  if (x509_decode(der, n, out)) {
    in->certs_native++;
    return 1;
  }
  in->certs_js++;
  napi_env env = in->env;
  napi_value fn, buf, undef, result, names, v;
  napi_valuetype type;
  if (!env || !in->cert_decoder || napi_get_reference_value(env, in->cert_decoder, &fn) != napi_ok || !fn) return 0;
  if (napi_create_buffer_copy(env, n, n ? (const void *)der : (const void *)"", NULL, &buf) != napi_ok) return 0;
  napi_get_undefined(env, &undef);
  if (napi_call_function(env, undef, fn, 1, &buf, &result) != napi_ok) {
    napi_value e;
    napi_get_and_clear_last_exception(env, &e);
    return 0;
  }
  if (napi_typeof(env, result, &type) != napi_ok || type != napi_object) return 0;
  size_t len;
  if (!utf16_prop(env, result, "subject", &out->subject, &out->subject_n) || !utf16_prop(env, result, "issuer", &out->issuer, &out->issuer_n) ||
      napi_get_named_property(env, result, "row", &v) != napi_ok || !latin1_value(env, v, (char **)&out->row, &out->row_len) ||
      napi_get_named_property(env, result, "names", &names) != napi_ok || napi_typeof(env, names, &type) != napi_ok)
    return 0;
  if (type != napi_object) return 1; /* (names null: not all ASCII) */
  uint32_t count;
  if (napi_get_array_length(env, names, &count) != napi_ok || !(out->names = calloc(count ? count : 1, sizeof *out->names))) return 0;
  for (uint32_t i = 0; i < count; i++) {
    out->n_names = i + 1; /* (counted first: a name made before a failure is freed with the rest) */
    if (napi_get_element(env, names, i, &v) != napi_ok || !latin1_value(env, v, &out->names[i], &len)) return 0;
  }
  out->names_ascii = 1;
  return 1;
}

static napi_value js_tls_cert_decoder(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_valuetype type;
  instance_t *in = instance(env);
  if (!in || napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || napi_typeof(env, argv[0], &type) != napi_ok || type != napi_function)
    return fail(env, "tlsCertDecoder(decode): a function");
  if (in->cert_decoder) napi_delete_reference(env, in->cert_decoder);
  if (in->http_shared_ref) napi_delete_reference(env, in->http_shared_ref);
  napi_create_reference(env, argv[0], 1, &in->cert_decoder);
  tls_cert_decoder(in->tls, decode_cert, in);
  return NULL;
}

/* x509Decode(der): what x509.c makes of a certificate, as decodeForNative gives it, or null when it leaves it to JavaScript. */
static napi_value js_x509_decode(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out, v, names;
  napi_typedarray_type type;
  size_t len;
  void *data;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || napi_get_typedarray_info(env, argv[0], &type, &len, &data, NULL, NULL) != napi_ok ||
      type != napi_uint8_array)
    return fail(env, "x509Decode(der: Uint8Array)");
  tls_cert_t c = { 0 };
  if (!x509_decode(len ? data : (const void *)"", len, &c)) {
    napi_get_null(env, &out);
    return out;
  }
  napi_create_object(env, &out);
  napi_create_string_utf16(env, (const char16_t *)c.subject, c.subject_n, &v);
  napi_set_named_property(env, out, "subject", v);
  napi_create_string_utf16(env, (const char16_t *)c.issuer, c.issuer_n, &v);
  napi_set_named_property(env, out, "issuer", v);
  napi_create_string_latin1(env, (const char *)c.row, c.row_len, &v);
  napi_set_named_property(env, out, "row", v);
  if (c.names_ascii) {
    napi_create_array_with_length(env, c.n_names, &names);
    for (size_t i = 0; i < c.n_names; i++) {
      napi_create_string_latin1(env, c.names[i], NAPI_AUTO_LENGTH, &v);
      napi_set_element(env, names, (uint32_t)i, v);
    }
  } else napi_get_null(env, &names);
  napi_set_named_property(env, out, "names", names);
  free(c.subject);
  free(c.issuer);
  free(c.row);
  for (size_t i = 0; i < c.n_names; i++) free(c.names[i]);
  free(c.names);
  return out;
}

/* replayBudget(max?): { tls, http }, the bytes each pool's open analyzers keep for handovers; with max, each pool's most from now on. */
static napi_value js_replay_budget(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out, v;
  double max = 0;
  instance_t *in = instance(env);
  if (!in || napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || (argc >= 1 && (napi_get_value_double(env, argv[0], &max) != napi_ok || !(max >= 0))))
    return fail(env, "replayBudget(max?: bytes)");
  size_t tls_used, http_used;
  tls_replay_budget(in->tls, (size_t)max, &tls_used);
  http_replay_budget(in->http, (size_t)max, &http_used);
  napi_create_object(env, &out);
  napi_create_double(env, (double)tls_used, &v);
  napi_set_named_property(env, out, "tls", v);
  napi_create_double(env, (double)http_used, &v);
  napi_set_named_property(env, out, "http", v);
  return out;
}

/* certStats(): { native, js }, the leaf certificates each decoder took. */
static napi_value js_cert_stats(napi_env env, napi_callback_info info) {
  (void)info;
  instance_t *in = instance(env);
  napi_value out, v;
  napi_create_object(env, &out);
  napi_create_double(env, in ? in->certs_native : 0, &v);
  napi_set_named_property(env, out, "native", v);
  napi_create_double(env, in ? in->certs_js : 0, &v);
  napi_set_named_property(env, out, "js", v);
  return out;
}

static napi_value js_tls_new(napi_env env, napi_callback_info info) {
  (void)info;
  instance_t *in = instance(env);
  return handle_value(env, in ? tls_open(in->tls) : 0, "tlsNew: out of memory");
}

static napi_value int_value(napi_env env, int v) {
  napi_value out;
  napi_create_int32(env, v, &out);
  return out;
}

/* Where capture-decode.c's descriptors hold a hello's kind, offsets and fingerprints (predecoded.ts). */
enum { D_HELLO = 52, D_HELLO_START = 53, D_HELLO_END = 54, D_HELLO_TEXT = 56, D_HELLO_LAST = 73 };

static napi_value js_tls_data(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  data_args_t a;
  instance_t *in = instance(env);
  if (!in || napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || !data_args(env, argv, argc, &a))
    return fail(env, "tlsData(handle, dir: 0 or 1, bytes: Uint8Array, start, end, tsNs: bigint)");
  if (!a.fits64) return fail(env, "tlsData: tsNs outside 64 bits (the caller hands such a connection over)");
  tls_ahead_t ahead, *with = NULL;
  if (argc >= 8) {
    napi_typedarray_type dt;
    size_t dlen;
    void *dp;
    int32_t at;
    if (napi_get_typedarray_info(env, argv[6], &dt, &dlen, &dp, NULL, NULL) != napi_ok || dt != napi_int32_array || napi_get_value_int32(env, argv[7], &at) != napi_ok || at < 0 ||
        (size_t)at + D_HELLO_LAST >= dlen)
      return fail(env, "tlsData(..., desc: Int32Array, at): a descriptor of the packet");
    const int32_t *d = (const int32_t *)dp + at;
    ahead.kind = d[D_HELLO];
    ahead.start = d[D_HELLO_START];
    ahead.end = d[D_HELLO_END];
    ahead.ja3 = (const char *)(d + D_HELLO_TEXT);
    ahead.ja4 = ahead.ja3 + 32;
    with = &ahead;
  }
  in->env = env;
  int flags = tls_data(in->tls, a.h, a.dir, a.b, a.n, (int64_t)a.ts, with, a.start);
  in->env = NULL;
  return flags < 0 ? closed_tls(env) : int_value(env, flags);
}

/* (handle, dir: 0 or 1, bytes) of a gap call; bytes as given (a count of bytes, so whole up to 2^53). */
static int gap_args(napi_env env, napi_callback_info info, uint32_t *h, int32_t *dir, double *bytes) {
  size_t argc = 3;
  napi_value argv[3];
  return napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc >= 3 && napi_get_value_uint32(env, argv[0], h) == napi_ok &&
         napi_get_value_int32(env, argv[1], dir) == napi_ok && (*dir == 0 || *dir == 1) && napi_get_value_double(env, argv[2], bytes) == napi_ok;
}

static napi_value js_tls_gap(napi_env env, napi_callback_info info) {
  uint32_t h;
  int32_t dir;
  double bytes;
  instance_t *in = instance(env);
  if (!in || !gap_args(env, info, &h, &dir, &bytes)) return fail(env, "tlsGap(handle, dir: 0 or 1, bytes)");
  /* (a gap of 4 GB or more cannot fall inside a TLS record, 64 KB at most: its size only has to stay that large) */
  int flags = tls_gap(in->tls, h, dir, !(bytes > 0) ? 0 : bytes >= 4294967295.0 ? 0xffffffffu : (uint32_t)bytes);
  return flags < 0 ? closed_tls(env) : int_value(env, flags);
}

/* (handle, final: boolean) of a rows call. */
static int rows_args(napi_env env, napi_callback_info info, uint32_t *h, bool *final) {
  size_t argc = 2;
  napi_value argv[2];
  return napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc >= 2 && napi_get_value_uint32(env, argv[0], h) == napi_ok &&
         napi_get_value_bool(env, argv[1], final) == napi_ok;
}

/* in->out as a Buffer (what an analyzer recorded for its handover). */
static napi_value recorded_buffer(napi_env env, instance_t *in, const char *what) {
  napi_value out;
  if (in->out.failed) {
    napi_throw_error(env, "ENOMEM", what);
    return NULL;
  }
  if (napi_create_buffer_copy(env, in->out.len, in->out.len ? in->out.p : (const void *)"", NULL, &out) != napi_ok) return fail(env, what);
  return out;
}

static napi_value js_tls_row(napi_env env, napi_callback_info info) {
  napi_value out;
  uint32_t h;
  bool final = false;
  instance_t *in = instance(env);
  if (!in || !rows_args(env, info, &h, &final)) return fail(env, "tlsRow(handle, final: boolean)");
  in->out.len = 0;
  in->out.failed = 0;
  int r = tls_row(in->tls, h, final, &in->out);
  if (r < 0) return closed_tls(env);
  if (in->out.failed) {
    napi_throw_error(env, "ENOMEM", "tlsRow: out of memory");
    return NULL;
  }
  if (r == 0) napi_get_undefined(env, &out);
  else if (napi_create_string_latin1(env, (const char *)in->out.p, in->out.len, &out) != napi_ok) return fail(env, "tlsRow: cannot make the row");
  return out;
}

static napi_value js_tls_recorded(napi_env env, napi_callback_info info) {
  uint32_t h;
  instance_t *in = instance(env);
  if (!in || !handle_arg(env, info, &h)) return fail(env, "tlsRecorded(handle)");
  in->out.len = 0;
  in->out.failed = 0;
  if (tls_recorded(in->tls, h, &in->out) < 0) return closed_tls(env);
  return recorded_buffer(env, in, "tlsRecorded: out of memory");
}

static napi_value closed_http(napi_env env) { return fail(env, "not an open HTTP analyzer handle"); }

static napi_value js_http_new(napi_env env, napi_callback_info info) {
  (void)info;
  instance_t *in = instance(env);
  return handle_value(env, in ? http_open(in->http) : 0, "httpNew: out of memory");
}

/* httpShared(out: Float64Array of 3): where the HTTP calls say what the caller may count itself (see http.h). */
static napi_value js_http_shared(napi_env env, napi_callback_info info) {
  size_t argc = 1, len;
  napi_value argv[1];
  napi_typedarray_type type;
  void *data;
  instance_t *in = instance(env);
  if (!in || napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || napi_get_typedarray_info(env, argv[0], &type, &len, &data, NULL, NULL) != napi_ok ||
      type != napi_float64_array || len < 3)
    return fail(env, "httpShared(out: Float64Array of 3)");
  if (in->http_shared_ref) napi_delete_reference(env, in->http_shared_ref);
  napi_create_reference(env, argv[0], 1, &in->http_shared_ref);
  in->http_shared = data;
  return NULL;
}

/* The counted body bytes a call brings (its arguments at `at`: count, direction), taken before its own input: 1 taken (or none), 0 not (handed over), -1 a handle not open, -2 bad arguments. */
static int take_counted(napi_env env, instance_t *in, uint32_t h, napi_value *argv, size_t argc, size_t at) {
  double n = 0;
  int32_t dir = 0;
  if (argc < at + 2) return 1;
  if (napi_get_value_double(env, argv[at], &n) != napi_ok || napi_get_value_int32(env, argv[at + 1], &dir) != napi_ok) return -2;
  if (!(n > 0)) return 1;
  if ((dir != 0 && dir != 1) || n > 2147483648.0 || n != (double)(uint32_t)n) return -2;
  return http_counted(in->http, h, dir, (uint32_t)n);
}

/* After a call on handle h: what may be counted next, and whether the counted bytes were taken. */
static void report_skippable(instance_t *in, uint32_t h, int taken) {
  if (!in->http_shared) return;
  http_skippable(in->http, h, in->http_shared);
  in->http_shared[2] = taken;
}

static napi_value js_http_data(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  data_args_t a;
  instance_t *in = instance(env);
  if (!in || napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || !data_args(env, argv, argc, &a))
    return fail(env, "httpData(handle, dir: 0 or 1, bytes: Uint8Array, start, end, tsNs: bigint, counted?, countedDir?)");
  if (!a.fits64) return fail(env, "httpData: tsNs outside 64 bits (the caller hands such a connection over)");
  int taken = take_counted(env, in, a.h, argv, argc, 6);
  if (taken == -2) return fail(env, "httpData(..., counted: a whole number of bytes to 2^31, countedDir: 0 or 1)");
  if (taken < 0) return closed_http(env);
  int flags = taken ? http_data(in->http, a.h, a.dir, a.b, a.n, (int64_t)a.ts) : HTTP_HANDOVER;
  if (flags < 0) return closed_http(env);
  report_skippable(in, a.h, taken);
  return int_value(env, flags);
}

static napi_value js_http_gap(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  uint32_t h;
  int32_t dir;
  double bytes;
  instance_t *in = instance(env);
  if (!in || napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3 || napi_get_value_uint32(env, argv[0], &h) != napi_ok ||
      napi_get_value_int32(env, argv[1], &dir) != napi_ok || (dir != 0 && dir != 1) || napi_get_value_double(env, argv[2], &bytes) != napi_ok)
    return fail(env, "httpGap(handle, dir: 0 or 1, bytes, counted?, countedDir?)");
  int taken = take_counted(env, in, h, argv, argc, 3);
  if (taken == -2) return fail(env, "httpGap(..., counted: a whole number of bytes to 2^31, countedDir: 0 or 1)");
  if (taken < 0) return closed_http(env);
  /* (bodies are counted exactly, to 15 digits: the size is passed whole, and one past 32 bits hands over) */
  int flags = taken ? http_gap(in->http, h, dir, !(bytes > 0) ? 0 : bytes >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)bytes) : HTTP_HANDOVER;
  if (flags < 0) return closed_http(env);
  report_skippable(in, h, taken);
  return int_value(env, flags);
}

static napi_value js_http_rows(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4], out;
  uint32_t h;
  bool final = false;
  instance_t *in = instance(env);
  if (!in || napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 || napi_get_value_uint32(env, argv[0], &h) != napi_ok ||
      napi_get_value_bool(env, argv[1], &final) != napi_ok)
    return fail(env, "httpRows(handle, final: boolean, counted?, countedDir?)");
  int taken = take_counted(env, in, h, argv, argc, 2);
  if (taken == -2) return fail(env, "httpRows(..., counted: a whole number of bytes to 2^31, countedDir: 0 or 1)");
  if (taken < 0) return closed_http(env);
  in->out.len = 0;
  in->out.failed = 0;
  long n = taken ? http_rows(in->http, h, final, &in->out) : -2;
  if (n == -1) return closed_http(env);
  if (in->out.failed) {
    napi_throw_error(env, "ENOMEM", "httpRows: out of memory");
    return NULL;
  }
  /* (after a final call or a handover, nothing more to count: the handle is closed, or handed over) */
  report_skippable(in, h, taken);
  if (n == -2) napi_get_null(env, &out); /* handed over: the caller replays httpRecorded */
  else if (n == 0) napi_get_undefined(env, &out);
  else if (napi_create_string_latin1(env, (const char *)in->out.p, in->out.len, &out) != napi_ok) return fail(env, "httpRows: cannot make the rows");
  return out;
}

static napi_value js_http_recorded(napi_env env, napi_callback_info info) {
  uint32_t h;
  instance_t *in = instance(env);
  if (!in || !handle_arg(env, info, &h)) return fail(env, "httpRecorded(handle)");
  in->out.len = 0;
  in->out.failed = 0;
  if (http_recorded(in->http, h, &in->out) < 0) return closed_http(env);
  return recorded_buffer(env, in, "httpRecorded: out of memory");
}

static napi_value init(napi_env env, napi_value exports) {
  instance_t *in = calloc(1, sizeof *in);
  if (!in || !(in->dns = dns_pool_new()) || !(in->tls = tls_pool_new()) || !(in->http = http_pool_new()) || napi_set_instance_data(env, in, instance_free, NULL) != napi_ok) {
    napi_throw_error(env, "ENOMEM", "app analyzers: out of memory");
    return NULL;
  }
  struct {
    const char *name;
    napi_callback fn;
  } fns[] = {
    { "dnsNew", js_dns_new }, { "dnsData", js_dns_data }, { "dnsGap", js_dns_gap }, { "dnsRows", js_dns_rows },
    { "tlsNames", js_tls_names }, { "tlsCertDecoder", js_tls_cert_decoder }, { "tlsNew", js_tls_new }, { "tlsData", js_tls_data }, { "tlsGap", js_tls_gap }, { "tlsRow", js_tls_row }, { "tlsRecorded", js_tls_recorded }, { "x509Decode", js_x509_decode }, { "certStats", js_cert_stats }, { "replayBudget", js_replay_budget },
    { "httpNew", js_http_new }, { "httpData", js_http_data }, { "httpGap", js_http_gap }, { "httpRows", js_http_rows }, { "httpRecorded", js_http_recorded }, { "httpShared", js_http_shared },
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value f;
    napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &f);
    napi_set_named_property(env, exports, fns[i].name, f);
  }
  napi_value names, s;
  napi_create_array_with_length(env, APP_WEIRD_COUNT, &names);
  for (int i = 0; i < APP_WEIRD_COUNT; i++) {
    napi_create_string_latin1(env, WEIRD_NAMES[i], NAPI_AUTO_LENGTH, &s);
    napi_set_element(env, names, (uint32_t)i, s);
  }
  napi_set_named_property(env, exports, "weirdNames", names);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)

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
 * Handles are numbers into a pool rather than objects with finalizers: an analyzer is made
 * for every DNS connection, and a finalizer each cost more than the analysis. The flow
 * table always ends an analyzer with a final dnsRows; whatever it would not end, the
 * pool frees with the thread's addon instance.
 */
#include <node_api.h>
#include <stdlib.h>

#include "app-weirds.h"
#include "dns.h"

/* Per thread that loads the addon (the main thread, each worker). */
typedef struct {
  dns_pool_t *dns;
  weirds_t weirds;
} instance_t;

#define APP_WEIRD_NAME(name) #name,
static const char *const WEIRD_NAMES[] = { APP_WEIRD_LIST(APP_WEIRD_NAME) };
#undef APP_WEIRD_NAME

static void instance_free(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  instance_t *in = data;
  dns_pool_free(in->dns);
  free(in->weirds.codes);
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

static napi_value js_dns_new(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], handle;
  bool tcp = false;
  instance_t *in = instance(env);
  if (!in || napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || napi_get_value_bool(env, argv[0], &tcp) != napi_ok) return fail(env, "dnsNew(tcp): a boolean");
  uint32_t h = dns_open(in->dns, tcp);
  if (!h) {
    napi_throw_error(env, "ENOMEM", "dnsNew: out of memory");
    return NULL;
  }
  napi_create_uint32(env, h, &handle);
  return handle;
}

static napi_value closed(napi_env env) { return fail(env, "not an open DNS analyzer handle"); }

static napi_value js_dns_data(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  uint32_t h;
  int32_t dir, start, end;
  napi_typedarray_type type;
  size_t len;
  void *data;
  int64_t ts;
  bool lossless;
  instance_t *in = instance(env);
  if (!in || napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 6 || napi_get_value_uint32(env, argv[0], &h) != napi_ok ||
      napi_get_value_int32(env, argv[1], &dir) != napi_ok || napi_get_typedarray_info(env, argv[2], &type, &len, &data, NULL, NULL) != napi_ok ||
      type != napi_uint8_array || napi_get_value_int32(env, argv[3], &start) != napi_ok || napi_get_value_int32(env, argv[4], &end) != napi_ok ||
      napi_get_value_bigint_int64(env, argv[5], &ts, &lossless) != napi_ok)
    return fail(env, "dnsData(handle, dir, bytes: Uint8Array, start, end, tsNs: bigint)");
  /* Ranges are clamped rather than trusted, as GuardedAnalyzer does. */
  if (start < 0) start = 0;
  if ((size_t)end > len) end = (int32_t)len;
  size_t n = start < end ? (size_t)(end - start) : 0;
  int flags = dns_data(in->dns, h, dir, n ? (const uint8_t *)data + start : NULL, n, ts, &in->weirds);
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
      napi_get_value_int32(env, argv[1], &dir) != napi_ok)
    return fail(env, "dnsGap(handle, dir)");
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
  if (s != napi_ok) return fail(env, "dnsRows: cannot make the rows");
  return outcome(env, in, out);
}

static napi_value init(napi_env env, napi_value exports) {
  instance_t *in = calloc(1, sizeof *in);
  if (!in || !(in->dns = dns_pool_new()) || napi_set_instance_data(env, in, instance_free, NULL) != napi_ok) {
    napi_throw_error(env, "ENOMEM", "app analyzers: out of memory");
    return NULL;
  }
  struct {
    const char *name;
    napi_callback fn;
  } fns[] = { { "dnsNew", js_dns_new }, { "dnsData", js_dns_data }, { "dnsGap", js_dns_gap }, { "dnsRows", js_dns_rows } };
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

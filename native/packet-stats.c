/*
 * The kernel's counters of a Linux packet socket (PACKET_STATISTICS): what libpcap's
 * pcap_stats reports as ps_recv and ps_drop. The capture library the sensor uses (cap)
 * exposes no pcap_stats, so the sensor reads them from cap's socket itself.
 *
 * The kernel zeroes the counters on every read: the caller accumulates. Nothing else in
 * the process reads them (libpcap does only inside pcap_stats, which cap never calls).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/if_packet.h>
#include <node_api.h>

#ifndef SOL_PACKET
#define SOL_PACKET 263
#endif

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, err == EBADF || err == ENOTSOCK || err == ENOPROTOOPT ? "EINVAL" : "ESYSCALL", msg);
  return NULL;
}

/* socketStatistics(fd) -> { packets, drops }: counts since the previous read, then zeroed. */
static napi_value socket_statistics(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok) {
    napi_throw_type_error(env, NULL, "socketStatistics(fd): fd must be a number");
    return NULL;
  }
  struct tpacket_stats_v3 st;
  memset(&st, 0, sizeof st);
  socklen_t len = sizeof st;
  if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) != 0) return throw_errno(env, "getsockopt(PACKET_STATISTICS)", errno);
  napi_value out, packets, drops;
  napi_create_object(env, &out);
  /* The kernel adds its drops into tp_packets before handing them out: received = delivered + dropped. */
  napi_create_double(env, (double)st.tp_packets, &packets);
  napi_create_double(env, (double)st.tp_drops, &drops);
  napi_set_named_property(env, out, "packets", packets);
  napi_set_named_property(env, out, "drops", drops);
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "socketStatistics", NAPI_AUTO_LENGTH, socket_statistics, NULL, &fn);
  napi_set_named_property(env, exports, "socketStatistics", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)

/*
 * The flow table in C: sensor/flow/table.ts's connections, timers, interim records and
 * records, for `sensor read --format zeek` without application analyzers. Its records
 * are conn.log rows, written as sensor/output/conn-log.ts writes them; its weirds go to
 * the host as they happen, for weird.log and the weird counters.
 */
#ifndef CHOT_FLOW_TABLE_H
#define CHOT_FLOW_TABLE_H

#include <stdint.h>

#include "flow-conn.h"
#include "zeek-text.h"

/* Timeout lists (sensor/flow/timeouts.ts). */
enum { LIST_TCP, LIST_UDP, LIST_ICMP, LIST_OTHER, LIST_ATTEMPT, LIST_CLOSED, LIST_COUNT };

/* Connection weirds beyond the TCP analysis's (flow-conn.h numbers those from 0). */
enum { FW_bad_TCP_checksum = FW_COUNT, FW_bad_UDP_checksum, FW_bad_ICMP_checksum, FW_ALL };
const char *flow_table_weird_name(int weird);

typedef struct {
  int64_t max_flows;
  double delay_ns[LIST_COUNT];
  double interim_ns; /* 0: no interim records */
  int record_at_close;
  int community_id;
  uint32_t community_seed;
  uint32_t uid_seed; /* the JavaScript table's uidState at its start (odd) */
  int app; /* application analyzers run (in the host): TCP and UDP payload goes to it */
} flow_config_t;

/* A connection's application analysis (FlowTable's APP_*); deliver's APP_ENDED: an analyzer exists but wants no more (APP_NONE: none was made). */
enum { APP_UNDECIDED, APP_ACTIVE, APP_NONE, APP_ENDED };

/* A decoded packet (the native reader's descriptor, or a Packet the JavaScript decoders filled). */
typedef struct {
  int proto, ip_version;
  uint32_t s[4], d[4];
  uint32_t sport, dport;
  uint32_t icmp_type, icmp_code;
  uint32_t ip_len;
  int32_t vlan0, vlan1;
  int mpls_count;
  const int32_t *mpls; /* up to 8 */
  int l4_bad;
  /* What the TCP analysis reads, in its own form (UDP's payload and every packet's time too). */
  flow_tcp_pkt_t l4;
} flow_pkt_t;

typedef struct conn conn_t;
typedef struct flow_table flow_table_t;

/*
 * What the table tells its host: a weird.log row for a connection (the first of each
 * name per connection); and, with config.app, a connection's payload in order, its gaps,
 * and its records, for the application analyzers the host runs. deliver and gap return
 * the connection's APP_* state after them (deliver: APP_ENDED for an analyzer that wants
 * no more); metadata writes the service column's text.
 */
typedef struct {
  void *ctx;
  void (*conn_weird)(void *ctx, const char *name, double ts_sec, double ts_nsec, const char *uid, const char *orig_h, uint32_t orig_p, const char *resp_h, uint32_t resp_p);
  int (*deliver)(void *ctx, conn_t *c, int dir, const uint8_t *data, uint32_t len);
  int (*gap)(void *ctx, conn_t *c, int dir, int64_t len);
  void (*metadata)(void *ctx, conn_t *c, int final, const char *uid, const char *orig_h, uint32_t orig_p, const char *resp_h, uint32_t resp_p, zbuf_t *service);
} flow_events_t;

typedef struct {
  double created, expired, evicted, reused, records, interims, after_record;
} flow_stats_t;

flow_table_t *flow_table_new(const flow_config_t *cfg, flow_events_t ev);
void flow_table_free(flow_table_t *t);
void flow_table_set_base(flow_table_t *t, double base_sec);
/* Accounts one packet (p->now: ns after the base) to its connection, made if need be; parent: the tunnel it came out of. */
conn_t *flow_table_process(flow_table_t *t, const flow_pkt_t *p, conn_t *parent);
/* Lets time pass: the timers due at now. */
void flow_table_tick(flow_table_t *t, double now);
double flow_table_next_due(const flow_table_t *t);
/* Ends every connection (end of input), in order of their start. */
void flow_table_flush(flow_table_t *t);
/* conn.log rows made so far (complete lines); the host takes them and empties the buffer. */
zbuf_t *flow_table_rows(flow_table_t *t);
const flow_stats_t *flow_table_stats(const flow_table_t *t);
/* Every occurrence of each weird (FW_*), since the start. */
const double *flow_table_weird_counts(const flow_table_t *t);
int64_t flow_table_size(const flow_table_t *t);
/* A live connection's handle and generation, for a tunnel's contents to name it as parent; and back. */
uint32_t flow_conn_handle(const flow_table_t *t, const conn_t *c, uint32_t *gen);
conn_t *flow_conn_by_handle(const flow_table_t *t, uint32_t handle, uint32_t gen);
/* The connection's uid (made now if it has none), addresses, ports and protocol numbers, as a weird.log row and an analyzer's factory want them. */
void flow_conn_identity(flow_table_t *t, conn_t *c, const char **uid, char orig_h[48], uint32_t *orig_p, char resp_h[48], uint32_t *resp_p);
void flow_conn_ports(const conn_t *c, int *proto, uint32_t *orig_p, uint32_t *resp_p);
/* The time of the packet in hand (ns after the base) and the base (s). */
double flow_table_now(const flow_table_t *t);
double flow_table_base(const flow_table_t *t);

#endif

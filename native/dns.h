/*
 * The DNS analyzer in native code, for `sensor read`'s Zeek logs: the same messages,
 * transactions, weirds and dns.log rows as sensor/app/dns/ (analyzer.ts, parse.ts,
 * name.ts, log.ts), which stays the reference and the analyzer of every other output.
 * Instead of transaction objects it keeps what dns.log shows, and writes the rows.
 */
#ifndef CHOT_DNS_H
#define CHOT_DNS_H
#include <stddef.h>
#include <stdint.h>

#include "app-weirds.h"
#include "zeek-text.h"

/*
 * The analyzers of one thread. Each is a handle (1 and up) into its pool; a closed one is
 * reused, buffers and all.
 */
typedef struct dns_pool dns_pool_t;

/* What a call leaves the analyzer: the protocol recognised (Zeek's confirmation), no more bytes wanted. */
enum { DNS_CONFIRMED = 1, DNS_DONE = 2 };

dns_pool_t *dns_pool_new(void);
void dns_pool_free(dns_pool_t *p);
/* A new analyzer: its handle, or 0 when out of memory. */
uint32_t dns_open(dns_pool_t *p, int tcp);
/*
 * In-order bytes b[0, n) of one direction (UDP: one datagram) seen at ts (ns). Returns
 * the DNS_ flags, or -1 for a handle that is not open.
 */
int dns_data(dns_pool_t *p, uint32_t h, int dir, const uint8_t *b, size_t n, ns128_t ts, weirds_t *w);
/* A gap in a TCP direction. Returns the DNS_ flags, or -1. */
int dns_gap(dns_pool_t *p, uint32_t h, int dir, weirds_t *w);
/*
 * The transactions finished since the last call (with final, every pending query too) as
 * dns.log rows in *rows: each "<ts>\t<the columns after id.resp_p>\n" (the caller puts the
 * connection's id columns between). Returns how many, or -1. The caller then calls
 * dns_rows_taken, which with final closes the analyzer.
 */
long dns_rows(dns_pool_t *p, uint32_t h, int final, zbuf_t **rows, weirds_t *w);
void dns_rows_taken(dns_pool_t *p, uint32_t h, int final);

#endif

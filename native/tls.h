/*
 * The TLS analyzer's common path in native code, for `sensor read`'s Zeek logs: the
 * record layer, handshake framing and session of sensor/app/tls/ (record.ts,
 * handshake.ts, session.ts, hello.ts, analyzer.ts) for handshakes that give that code
 * nothing unusual to report, and their ssl.log rows (log.ts).
 *
 * Everything else is left to that code, which stays the reference: at the first thing
 * this one does not follow (a weird, a certificate, an alert, an SSLv2 hello, a gap it
 * cannot skip), a call returns TLS_HANDOVER and the caller replays what the analyzer was
 * given (tls_recorded) into the JavaScript analyzer, which goes on from there. Until then
 * nothing has been reported, so nothing is reported twice.
 */
#ifndef CHOT_TLS_H
#define CHOT_TLS_H
#include <stddef.h>
#include <stdint.h>

#include "zeek-text.h"

typedef struct tls_pool tls_pool_t;

/*
 * A leaf certificate as the JavaScript analyzer decodes it (x509.ts, through cert-memo.ts),
 * for the rows it appears in. The decoder fills it for a certificate it decodes without a
 * weird and returns 1; else 0 (the connection is then handed over, and that analyzer
 * reports what it finds). Every pointer is malloc'd and owned by the pool from then on.
 */
typedef struct {
  uint16_t *subject, *issuer; /* the names as JavaScript strings (UTF-16) */
  size_t subject_n, issuer_n;
  uint8_t *row; /* x509.log's columns from fingerprint to basic_constraints.path_len, written */
  size_t row_len;
  /* hostMatchesCert's names (the SAN DNS names, else the CN), lowercased, a trailing dot
   * dropped; only when every one is ASCII (names_ascii), as the SNI must be to compare here. */
  int names_ascii;
  char **names;
  size_t n_names;
} tls_cert_t;

typedef int (*tls_cert_decoder_t)(void *ctx, const uint8_t *der, size_t n, tls_cert_t *out);

enum { TLS_CONFIRMED = 1, TLS_DONE = 2, TLS_HANDOVER = 4 };

tls_pool_t *tls_pool_new(void);
void tls_pool_free(tls_pool_t *p);
/*
 * The names ssl.log gives cipher suites and groups (consts.ts's tables, handed over
 * once so they are not written twice): n entries of number and NUL-terminated name,
 * sorted by number. The pool keeps the pointers. Returns 0 when out of memory.
 */
int tls_names(tls_pool_t *p, const uint16_t *cipher_nums, char **cipher_names, size_t n_ciphers, const uint16_t *curve_nums, char **curve_names, size_t n_curves);
/* Where certificates not seen before are decoded (without one, every certificate is handed over). */
void tls_cert_decoder(tls_pool_t *p, tls_cert_decoder_t decode, void *ctx);
/* A new analyzer: its handle, or 0 when out of memory. */
uint32_t tls_open(tls_pool_t *p);
/*
 * A hello the reading thread fingerprinted (native/capture-decode.c's descriptor): its
 * kind (tls-hello.h's), its body's offsets in the packet's buffer, and the fingerprints.
 */
typedef struct {
  int kind;
  int64_t start, end;
  const char *ja3, *ja4;
} tls_ahead_t;

/*
 * In-order bytes b[0, n) of one direction seen at ts (ns), which are bytes [at, at + n) of
 * a buffer that ahead, when not NULL, describes a hello in. Returns the TLS_ flags, or -1
 * for a handle not open.
 */
int tls_data(tls_pool_t *p, uint32_t h, int dir, const uint8_t *b, size_t n, int64_t ts, const tls_ahead_t *ahead, int64_t at);
/* A gap of `bytes` in one direction: the TLS_ flags, or -1. */
int tls_gap(tls_pool_t *p, uint32_t h, int dir, uint32_t bytes);
/*
 * The ssl.log row, once, when metadata() would give the TLS summary: appended to out as
 * "<ts>\t<the columns after id.resp_p>\n", then, when the handshake showed certificates,
 * a form feed and their x509.log rows ("<ts>\t<the other columns>\n" each). Returns 1 when
 * written, 0 when not (yet), -1 for a handle not open. A final call closes the analyzer.
 */
int tls_row(tls_pool_t *p, uint32_t h, int final, zbuf_t *out);
/* What the analyzer was given, for the JavaScript analyzer to be given the same (replay-log.h), and closes it. */
int tls_recorded(tls_pool_t *p, uint32_t h, zbuf_t *out);
/* The bytes the open analyzers keep for handovers together (*used); with max, the most they may from now on (replay-log.h). */
void tls_replay_budget(tls_pool_t *p, size_t max, size_t *used);

#endif

/*
 * What a native analyzer was given, kept so that it can hand its connection over to the
 * JavaScript analyzer by replaying it (tls.h, http.h). Entries: kind (0 data, 1 gap,
 * 2 a metadata call), direction, ts (int64), length (uint32: of the data, or the size of
 * a gap) and the number of skipped runs (uint32), little-endian; for data, then each run's
 * offset and length (uint32 each) and the data's other bytes in order. A skipped run is
 * body the analyzer only counted: the replay gives zeros there, which is all they are to it.
 */
#ifndef CHOT_REPLAY_LOG_H
#define CHOT_REPLAY_LOG_H
#include <stddef.h>
#include <stdint.h>

#include "zeek-text.h"

enum { REPLAY_DATA = 0, REPLAY_GAP = 1, REPLAY_METADATA = 2 };

/* The runs of one delivery its analyzer skipped, in order. */
typedef struct {
  uint32_t *runs; /* offset, length pairs */
  size_t n, cap;
} skips_t;

/* Notes bytes [off, off + len) as skipped (joined to the run before when they follow it); 0 when out of memory. */
int skips_add(skips_t *s, uint32_t off, uint32_t len);
void skips_free(skips_t *s);
/*
 * What the logs of one pool hold together, and the most they may: a pool's analyzers keep
 * their logs for as long as they might hand over, and many connections at once must not
 * add up to more than a bounded amount (past it, an analyzer hands over instead: the
 * JavaScript one keeps far less).
 */
typedef struct {
  size_t used, max;
} replay_budget_t;

/* Each pool's, by default. */
#define REPLAY_BUDGET ((size_t)64 * 1024 * 1024)

/*
 * Appends an entry (for data: b[0, n) with the runs of s skipped; s may be NULL). Returns 0,
 * appending nothing, when the log would pass max bytes, the budget would pass its own, or
 * memory runs out.
 */
int replay_append(zbuf_t *log, size_t max, replay_budget_t *budget, int kind, int dir, int64_t ts, const uint8_t *b, uint32_t n, const skips_t *s);
/* Empties a log, its bytes given back to the budget. */
void replay_clear(zbuf_t *log, replay_budget_t *budget);
/* Whether s skips all of a delivery of n bytes. */
int skips_all(const skips_t *s, uint32_t n);
/*
 * Lengthens by n the data entry at offset `at` of the log, one that its analyzer skipped
 * whole, as if its delivery had held n more skipped bytes: 0 (nothing changed) when the
 * length would pass 4 GB. For analyzers to which consecutive skipped deliveries are one
 * (HTTP bodies: only their length counts), so that a long body costs one entry.
 */
int replay_extend_skipped(zbuf_t *log, size_t at, uint32_t n);

#endif

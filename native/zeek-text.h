/*
 * Zeek log text, written by native analyzers byte for byte as the JavaScript writer
 * (sensor/output/line-buffer.ts, zeek-log.ts) writes it. A value that came off the
 * wire is first made the string JavaScript would hold (wireString: ASCII, UTF-8 when
 * valid, else one character per byte) as UTF-16 code units, so that lengths, limits
 * and cuts count what JavaScript counts; then it is escaped and encoded as the writer
 * does.
 */
#ifndef CHOT_ZEEK_TEXT_H
#define CHOT_ZEEK_TEXT_H
#include <stddef.h>
#include <stdint.h>

/* A growable byte buffer. On allocation failure it sets failed and drops the write. */
typedef struct {
  uint8_t *p;
  size_t len, cap;
  int failed;
} zbuf_t;

void zb_free(zbuf_t *b);
/* Makes room for n more bytes (zb_reserve's slow path); 0 when out of memory. */
int zb_grow(zbuf_t *b, size_t n);
/* Inline: rows are written a byte or a few at a time. */
static inline int zb_reserve(zbuf_t *b, size_t n) { return b->len + n <= b->cap ? !b->failed : zb_grow(b, n); }
static inline void zb_byte(zbuf_t *b, uint8_t c) {
  if (zb_reserve(b, 1)) b->p[b->len++] = c;
}
void zb_mem(zbuf_t *b, const void *s, size_t n);
/* zb_mem while the buffer stays within max bytes: 0, appending nothing, past it or out of memory (the buffer stays usable). */
int zb_append_max(zbuf_t *b, const void *s, size_t n, size_t max);
void zb_cstr(zbuf_t *b, const char *s);
/* a / d rounded down (C's division rounds towards zero). */
static inline int64_t floor_div(int64_t a, int64_t d) {
  int64_t q = a / d;
  return (a % d != 0 && (a < 0) != (d < 0)) ? q - 1 : q;
}

/* A non-negative integer's digits. */
void zb_uint(zbuf_t *b, uint64_t v);
/* The same digits into o (room for 20), returning how many. */
size_t dec_digits(char *o, uint64_t v);
/* A time column from ns since the epoch (ZeekRowWriter.time). */
void zb_time(zbuf_t *b, int64_t ns);
/* A time column from ms since the epoch, as zb_time(ms * 10^6) without its overflow (certificates' validity, to year 9999). */
void zb_time_ms(zbuf_t *b, int64_t ms);
/* An interval column from ns (ZeekRowWriter.interval). */
void zb_interval(zbuf_t *b, int64_t ns);
/* Nanoseconds past what an int64 holds: DNS keeps times as BigInt holds them (the JavaScript analyzer's). */
typedef __int128 ns128_t;
/* zb_time for a time whose seconds a JavaScript number holds exactly (|seconds| <= 2^53). */
void zb_time128(zbuf_t *b, ns128_t ns);
/* An interval column from ns as a double (Number(ns) of the exact BigInt: a correctly rounded conversion). */
void zb_interval_d(zbuf_t *b, double n);
/* LineBuffer.time(sec, nsec) for whole seconds (a safe integer) and ns as doubles (the flow table's times). */
void zb_time_parts(zbuf_t *b, double sec, double nsec);
/* A string field, or with in_set a list element (LineBuffer.zeek), from UTF-16 code units. */
void zb_zeek_units(zbuf_t *b, const uint16_t *u, size_t n, int in_set);

/* A JavaScript string under construction, as UTF-16 code units, with a fixed capacity. */
typedef struct {
  uint16_t *u;
  size_t n, cap;
} ustr_t;

void us_ascii(ustr_t *s, const char *a);
void us_uint(ustr_t *s, uint64_t v);
/* Appends what wireString(b, 0, n, max) decodes. */
void us_wire(ustr_t *s, const uint8_t *b, size_t n, size_t max);

/* True when b[0, n) is well-formed UTF-8 (as Node's isUtf8). */
int utf8_valid(const uint8_t *b, size_t n);

#endif

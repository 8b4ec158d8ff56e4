/* See replay-log.h. */
#include "replay-log.h"

#include <stdlib.h>
#include <string.h>

int skips_add(skips_t *s, uint32_t off, uint32_t len) {
  if (len == 0) return 1;
  if (s->n > 0 && s->runs[2 * s->n - 2] + s->runs[2 * s->n - 1] == off) {
    s->runs[2 * s->n - 1] += len;
    return 1;
  }
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 16;
    uint32_t *r = realloc(s->runs, cap * 2 * sizeof *r);
    if (!r) return 0;
    s->runs = r;
    s->cap = cap;
  }
  s->runs[2 * s->n] = off;
  s->runs[2 * s->n + 1] = len;
  s->n++;
  return 1;
}

void skips_free(skips_t *s) {
  free(s->runs);
  *s = (skips_t){ 0 };
}

static void put_u32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

int replay_append(zbuf_t *log, size_t max, replay_budget_t *budget, int kind, int dir, int64_t ts, const uint8_t *b, uint32_t n, const skips_t *s) {
  size_t runs = kind == REPLAY_DATA && s ? s->n : 0, skipped = 0;
  for (size_t i = 0; i < runs; i++) skipped += s->runs[2 * i + 1];
  size_t size = 18 + (kind == REPLAY_DATA ? 8 * runs + (n - skipped) : 0);
  if (log->len + size > max || budget->used + size > budget->max || !zb_reserve(log, size)) return 0;
  budget->used += size;
  uint8_t *o = log->p + log->len;
  o[0] = (uint8_t)kind;
  o[1] = (uint8_t)dir;
  for (int i = 0; i < 8; i++) o[2 + i] = (uint8_t)((uint64_t)ts >> (8 * i));
  put_u32(o + 10, n);
  put_u32(o + 14, (uint32_t)runs);
  o += 18;
  if (kind == REPLAY_DATA) {
    for (size_t i = 0; i < runs; i++, o += 8) {
      put_u32(o, s->runs[2 * i]);
      put_u32(o + 4, s->runs[2 * i + 1]);
    }
    uint32_t at = 0;
    for (size_t i = 0; i <= runs; i++) {
      uint32_t to = i < runs ? s->runs[2 * i] : n;
      if (to > at) memcpy(o, b + at, to - at);
      o += to - at;
      if (i < runs) at = to + s->runs[2 * i + 1];
    }
  }
  log->len += size;
  return 1;
}

int skips_all(const skips_t *s, uint32_t n) { return n > 0 && s->n == 1 && s->runs[0] == 0 && s->runs[1] == n; }

static uint32_t get_u32(const uint8_t *p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24); }

int replay_extend_skipped(zbuf_t *log, size_t at, uint32_t n) {
  uint8_t *e = log->p + at;
  uint32_t len = get_u32(e + 10);
  if (len > 0xffffffffu - n) return 0;
  put_u32(e + 10, len + n);
  put_u32(e + 18 + 4, len + n); /* its one run, from 0 */
  return 1;
}

void replay_clear(zbuf_t *log, replay_budget_t *budget) {
  budget->used -= log->len;
  log->len = 0;
}

/* Zeek log text as the JavaScript writer makes it: see zeek-text.h. */
#include "zeek-text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char HEX[] = "0123456789abcdef";

void zb_free(zbuf_t *b) {
  free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
}

int zb_grow(zbuf_t *b, size_t n) {
  if (b->failed) return 0;
  if (b->len + n <= b->cap) return 1;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + n) cap *= 2;
  uint8_t *p = realloc(b->p, cap);
  if (!p) {
    b->failed = 1;
    return 0;
  }
  b->p = p;
  b->cap = cap;
  return 1;
}

void zb_mem(zbuf_t *b, const void *s, size_t n) {
  if (n && zb_reserve(b, n)) {
    memcpy(b->p + b->len, s, n);
    b->len += n;
  }
}

int zb_append_max(zbuf_t *b, const void *s, size_t n, size_t max) {
  if (b->len + n > max) return 0;
  zb_mem(b, s, n);
  if (!b->failed) return 1;
  b->failed = 0;
  return 0;
}

void zb_cstr(zbuf_t *b, const char *s) { zb_mem(b, s, strlen(s)); }

size_t dec_digits(char *o, uint64_t v) {
  char d[20];
  size_t n = 0, k = 0;
  do {
    d[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n) o[k++] = d[--n];
  return k;
}

void zb_uint(zbuf_t *b, uint64_t v) {
  char d[20];
  size_t n = dec_digits(d, v);
  zb_mem(b, d, n);
}

/* LineBuffer.num for a safe integer. */
static void zb_int(zbuf_t *b, int64_t v) {
  if (v < 0) {
    zb_byte(b, '-');
    zb_uint(b, (uint64_t)0 - (uint64_t)v);
  } else zb_uint(b, (uint64_t)v);
}

/* LineBuffer.time(sec, nsec) for whole seconds and a whole number of microseconds us. */
static void zb_sec_us(zbuf_t *b, int64_t sec, int64_t us) {
  zb_int(b, sec);
  zb_byte(b, '.');
  if (us >= 0 && us < 1000000) {
    if (!zb_reserve(b, 6)) return;
    for (int i = 5; i >= 0; i--) {
      b->p[b->len + i] = (uint8_t)('0' + us % 10);
      us /= 10;
    }
    b->len += 6;
    return;
  }
  /* String(us).padStart(6, '0'), as the writer falls back to for values out of range. */
  char d[32];
  int n = snprintf(d, sizeof d, "%lld", (long long)us);
  for (int i = n; i < 6; i++) zb_byte(b, '0');
  zb_mem(b, d, (size_t)n);
}

void zb_time(zbuf_t *b, int64_t ns) {
  /* Both of the writer's branches come to this for any int64: seconds towards zero, the rest floored to µs. */
  int64_t sec = ns / 1000000000;
  int64_t rest = ns - sec * 1000000000;
  zb_sec_us(b, sec, floor_div(rest, 1000));
}

void zb_time_ms(zbuf_t *b, int64_t ms) {
  /* As zb_time: seconds towards zero, the rest (a whole number of µs here) after them. */
  int64_t sec = ms / 1000;
  zb_sec_us(b, sec, (ms - sec * 1000) * 1000);
}

void zb_time128(zbuf_t *b, ns128_t ns) {
  ns128_t sec = ns / 1000000000;
  ns128_t rest = ns - sec * 1000000000;
  zb_sec_us(b, (int64_t)sec, floor_div((int64_t)rest, 1000));
}

void zb_interval(zbuf_t *b, int64_t ns) { zb_interval_d(b, (double)ns); }

void zb_time_parts(zbuf_t *b, double sec, double nsec) { zb_sec_us(b, (int64_t)sec, (int64_t)floor(nsec / 1000)); }

void zb_interval_d(zbuf_t *b, double n) {
  /* In doubles, as the writer computes it from Number(ns). */
  double sec = floor(n / 1e9);
  double nsec = n - sec * 1e9;
  zb_sec_us(b, (int64_t)sec, (int64_t)floor(nsec / 1000));
}

static void zb_hex_escape(zbuf_t *b, unsigned c) {
  if (!zb_reserve(b, 4)) return;
  b->p[b->len++] = '\\';
  b->p[b->len++] = 'x';
  b->p[b->len++] = (uint8_t)HEX[(c >> 4) & 15];
  b->p[b->len++] = (uint8_t)HEX[c & 15];
}

void zb_zeek_units(zbuf_t *b, const uint16_t *u, size_t n, int in_set) {
  if (n == 0) return;
  static const uint16_t EMPTY[] = { '(', 'e', 'm', 'p', 't', 'y', ')' };
  if ((n == 1 && u[0] == '-') || (n == 7 && memcmp(u, EMPTY, sizeof EMPTY) == 0)) {
    zb_hex_escape(b, u[0]);
    for (size_t i = 1; i < n; i++) zb_byte(b, (uint8_t)u[i]);
    return;
  }
  if (!zb_reserve(b, n * 3)) return;
  for (size_t i = 0; i < n; i++) {
    unsigned c = u[i];
    if (c < 0x80) {
      if (c >= 0x20 && c != 0x7f && c != '\\' && !(in_set && c == ',')) zb_byte(b, (uint8_t)c);
      else zb_hex_escape(b, c);
      continue;
    }
    uint8_t e[4];
    size_t k;
    if (c < 0x800) {
      e[0] = (uint8_t)(0xc0 | (c >> 6));
      e[1] = (uint8_t)(0x80 | (c & 0x3f));
      k = 2;
    } else if (c >= 0xd800 && c < 0xdc00 && i + 1 < n && u[i + 1] >= 0xdc00 && u[i + 1] < 0xe000) {
      unsigned cp = 0x10000 + ((c - 0xd800) << 10) + (u[i + 1] - 0xdc00u);
      i++;
      e[0] = (uint8_t)(0xf0 | (cp >> 18));
      e[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
      e[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
      e[3] = (uint8_t)(0x80 | (cp & 0x3f));
      k = 4;
    } else if (c >= 0xd800 && c < 0xe000) {
      /* A lone surrogate: UTF-8 encoding in Node writes the replacement character. */
      e[0] = 0xef;
      e[1] = 0xbf;
      e[2] = 0xbd;
      k = 3;
    } else {
      e[0] = (uint8_t)(0xe0 | (c >> 12));
      e[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
      e[2] = (uint8_t)(0x80 | (c & 0x3f));
      k = 3;
    }
    zb_mem(b, e, k);
  }
}

static void us_unit(ustr_t *s, uint16_t c) {
  if (s->n < s->cap) s->u[s->n++] = c;
}

void us_ascii(ustr_t *s, const char *a) {
  while (*a) us_unit(s, (uint8_t)*a++);
}

void us_uint(ustr_t *s, uint64_t v) {
  char d[21];
  d[dec_digits(d, v)] = 0;
  us_ascii(s, d);
}

int utf8_valid(const uint8_t *b, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t k;
    uint32_t cp, min;
    if (c >= 0xc2 && c <= 0xdf) k = 1, cp = c & 0x1f, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef) k = 2, cp = c & 0x0f, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4) k = 3, cp = c & 0x07, min = 0x10000;
    else return 0;
    if (i + k >= n) return 0; /* fewer continuation bytes left than the lead byte announces */
    for (size_t j = 1; j <= k; j++) {
      if ((b[i + j] & 0xc0) != 0x80) return 0;
      cp = (cp << 6) | (b[i + j] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) return 0;
    i += k + 1;
  }
  return 1;
}

void us_wire(ustr_t *s, const uint8_t *b, size_t n, size_t max) {
  if (n > max) n = max;
  int ascii = 1;
  for (size_t i = 0; i < n; i++)
    if (b[i] >= 0x80) {
      ascii = 0;
      break;
    }
  if (ascii || !utf8_valid(b, n)) {
    for (size_t i = 0; i < n; i++) us_unit(s, b[i]);
    return;
  }
  for (size_t i = 0; i < n;) {
    uint8_t c = b[i];
    uint32_t cp;
    if (c < 0x80) cp = c, i += 1;
    else if (c < 0xe0) cp = ((uint32_t)(c & 0x1f) << 6) | (b[i + 1] & 0x3f), i += 2;
    else if (c < 0xf0) cp = ((uint32_t)(c & 0x0f) << 12) | ((uint32_t)(b[i + 1] & 0x3f) << 6) | (b[i + 2] & 0x3f), i += 3;
    else cp = ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(b[i + 1] & 0x3f) << 12) | ((uint32_t)(b[i + 2] & 0x3f) << 6) | (b[i + 3] & 0x3f), i += 4;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      us_unit(s, (uint16_t)(0xd800 + (cp >> 10)));
      us_unit(s, (uint16_t)(0xdc00 + (cp & 0x3ff)));
    } else us_unit(s, (uint16_t)cp);
  }
}

/*
 * See tls-hello.h. The parsing follows sensor/app/tls/hello.ts step for step (the same
 * bounds, the same silent caps, later duplicate extensions replacing earlier ones),
 * and gives up wherever that code reports a weird or finds the hello malformed.
 */
#include "tls-hello.h"

#include <stdlib.h>
#include <string.h>

#include "digest.h"

#define MAX_LIST 512
/* Point formats accumulate over repeated extensions; more than this is left to JavaScript. */
#define MAX_POINTS 1024
/* Room for the longest JA3 text: three lists of 512 five-digit values and the point formats. */
#define MAX_TEXT (3 * MAX_LIST * 6 + MAX_POINTS * 4 + 64)

enum { EXT_SERVER_NAME = 0, EXT_GROUPS = 10, EXT_POINT_FORMATS = 11, EXT_SIG_ALGS = 13, EXT_ALPN = 16, EXT_VERSIONS = 43 };

typedef struct {
  uint16_t v[MAX_LIST];
  int n;
} list_t;

typedef struct {
  uint32_t version;
  list_t ciphers, exts, groups, sigs, versions;
  uint8_t points[MAX_POINTS];
  int npoints;
  int alpn; /* a first ALPN value was read (alpnFirst defined) */
  uint32_t alpn_len;
  uint8_t alpn_first, alpn_last;
} client_t;

typedef struct {
  char *p;
  size_t n;
} text_t;

static const char HEX[] = "0123456789abcdef";

static inline uint32_t u16(const uint8_t *b) { return ((uint32_t)b[0] << 8) | b[1]; }
static inline uint32_t min32(uint32_t a, uint32_t b) { return a < b ? a : b; }
static inline int is_grease(uint32_t v) { return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff); }

/* Two-byte values of b[s, e); 0 where hello.ts's u16list reports tls_hello_list_too_long. */
static int u16list(const uint8_t *b, uint32_t s, uint32_t e, list_t *out) {
  out->n = 0;
  for (uint32_t i = s; i + 1 < e; i += 2) {
    if (out->n >= MAX_LIST) return 0;
    out->v[out->n++] = (uint16_t)u16(b + i);
  }
  return 1;
}

static void put_ext(list_t *exts, uint32_t type) {
  if (exts->n < MAX_LIST) exts->v[exts->n++] = (uint16_t)type;
}

/* ------------------------------------------------------------------ text */

static void put_char(text_t *t, char c) { t->p[t->n++] = c; }

static void put_dec(text_t *t, uint32_t v) {
  char d[10];
  int k = 0;
  do {
    d[k++] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (k > 0) t->p[t->n++] = d[--k];
}

static void put_hex4(text_t *t, uint32_t v) {
  t->p[t->n++] = HEX[(v >> 12) & 15];
  t->p[t->n++] = HEX[(v >> 8) & 15];
  t->p[t->n++] = HEX[(v >> 4) & 15];
  t->p[t->n++] = HEX[v & 15];
}

/* ja3.ts's join: the values without GREASE, '-' between. */
static void put_join(text_t *t, const list_t *l) {
  int first = 1;
  for (int i = 0; i < l->n; i++) {
    if (is_grease(l->v[i])) continue;
    if (!first) put_char(t, '-');
    first = 0;
    put_dec(t, l->v[i]);
  }
}

static int cmp_u16(const void *a, const void *b) { return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b; }

/* The values of l without GREASE (and without skip_a/skip_b, when not -1), in order. */
static void filtered(const list_t *l, list_t *out, int skip_a, int skip_b) {
  out->n = 0;
  for (int i = 0; i < l->n; i++) {
    uint32_t v = l->v[i];
    if (is_grease(v) || (int)v == skip_a || (int)v == skip_b) continue;
    out->v[out->n++] = (uint16_t)v;
  }
}

static int contains(const list_t *l, uint32_t v) {
  for (int i = 0; i < l->n; i++)
    if (l->v[i] == v) return 1;
  return 0;
}

/* ja4.ts's hash12: the first 12 hex digits of the SHA-256, or twelve zeros for nothing. */
static void hash12(const char *s, size_t n, char out[12]) {
  if (n == 0) {
    memset(out, '0', 12);
    return;
  }
  char h[64];
  sha256_hex((const uint8_t *)s, n, h);
  memcpy(out, h, 12);
}

/* ------------------------------------------------------------------ hellos */

/* hello.ts's extensions(): each(type, s, e) per extension; 0 where it reports a length mismatch (or each() gives up). */
typedef int (*ext_fn)(void *ctx, const uint8_t *b, uint32_t type, uint32_t s, uint32_t e);

static int walk_extensions(const uint8_t *b, uint32_t off, uint32_t end, ext_fn each, void *ctx) {
  uint32_t limit = off + 2 + u16(b + off);
  off += 2;
  if (limit > end) return 0; /* tls_extensions_length_mismatch */
  while (off + 4 <= limit) {
    uint32_t type = u16(b + off), len = u16(b + off + 2);
    off += 4;
    if (off + len > limit) return 0; /* tls_extension_length_mismatch */
    if (!each(ctx, b, type, off, off + len)) return 0;
    off += len;
  }
  return 1;
}

static int client_ext(void *ctx, const uint8_t *b, uint32_t type, uint32_t s, uint32_t e) {
  client_t *ch = ctx;
  put_ext(&ch->exts, type);
  switch (type) {
    case EXT_GROUPS:
      if (e - s >= 2) return u16list(b, s + 2, min32(e, s + 2 + u16(b + s)), &ch->groups);
      return 1;
    case EXT_POINT_FORMATS:
      if (e - s >= 1) {
        uint32_t to = min32(e, s + 1 + b[s]);
        for (uint32_t i = s + 1; i < to; i++) {
          if (ch->npoints >= MAX_POINTS) return 0;
          ch->points[ch->npoints++] = b[i];
        }
      }
      return 1;
    case EXT_SIG_ALGS:
      if (e - s >= 2) return u16list(b, s + 2, min32(e, s + 2 + u16(b + s)), &ch->sigs);
      return 1;
    case EXT_VERSIONS:
      if (e - s >= 1) return u16list(b, s + 1, min32(e, s + 1 + b[s]), &ch->versions);
      return 1;
    case EXT_ALPN: {
      /* Only the first protocol name counts (JA4's alpnFirst); a later ALPN extension replaces it. */
      ch->alpn = 0;
      if (e - s < 2) return 1;
      uint32_t limit = min32(e, s + 2 + u16(b + s)), off = s + 2;
      if (off < limit) {
        uint32_t len = b[off++];
        if (off + len <= limit) {
          ch->alpn = 1;
          ch->alpn_len = len;
          if (len > 0) {
            ch->alpn_first = b[off];
            ch->alpn_last = b[off + len - 1];
          }
        }
      }
      return 1;
    }
    case EXT_SERVER_NAME: /* (its weirds leave the fingerprints alone: they depend on the extension's presence only) */
    default:
      return 1;
  }
}

static int is_alnum(uint32_t c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

static const char *ja4_version(uint32_t v) {
  switch (v) {
    case 0x0304: return "13";
    case 0x0303: return "12";
    case 0x0302: return "11";
    case 0x0301: return "10";
    case 0x0300: return "s3";
    case 0x0002: return "s2";
    case 0xfeff: return "d1";
    case 0xfefd: return "d2";
    case 0xfefc: return "d3";
    default: return "00";
  }
}

static void put_count(char *p, int n) {
  if (n > 99) n = 99;
  p[0] = (char)('0' + n / 10);
  p[1] = (char)('0' + n % 10);
}

static void client_prints(const client_t *ch, hello_prints_t *out, char *buf) {
  text_t t = {buf, 0};
  put_dec(&t, ch->version);
  put_char(&t, ',');
  put_join(&t, &ch->ciphers);
  put_char(&t, ',');
  put_join(&t, &ch->exts);
  put_char(&t, ',');
  put_join(&t, &ch->groups);
  put_char(&t, ',');
  for (int i = 0; i < ch->npoints; i++) {
    if (i > 0) put_char(&t, '-');
    put_dec(&t, ch->points[i]);
  }
  md5_hex((const uint8_t *)t.p, t.n, out->ja3);

  list_t ciphers, exts, sigs, offered, sorted;
  filtered(&ch->ciphers, &ciphers, -1, -1);
  filtered(&ch->exts, &exts, -1, -1);
  filtered(&ch->sigs, &sigs, -1, -1);
  uint32_t version = ch->version;
  if (contains(&exts, EXT_VERSIONS)) {
    filtered(&ch->versions, &offered, -1, -1);
    if (offered.n > 0) {
      version = 0;
      for (int i = 0; i < offered.n; i++)
        if (offered.v[i] > version) version = offered.v[i];
    }
  }
  char *a = out->ja4;
  a[0] = 't';
  memcpy(a + 1, ja4_version(version), 2);
  a[3] = contains(&exts, EXT_SERVER_NAME) ? 'd' : 'i';
  put_count(a + 4, ciphers.n);
  put_count(a + 6, exts.n);
  if (!ch->alpn || ch->alpn_len == 0) {
    a[8] = '0';
    a[9] = '0';
  } else if (is_alnum(ch->alpn_first) && is_alnum(ch->alpn_last)) {
    a[8] = (char)ch->alpn_first;
    a[9] = (char)ch->alpn_last;
  } else {
    a[8] = HEX[ch->alpn_first >> 4];
    a[9] = HEX[ch->alpn_last & 15];
  }
  a[10] = '_';
  a[23] = '_';

  qsort(ciphers.v, (size_t)ciphers.n, sizeof ciphers.v[0], cmp_u16);
  t.n = 0;
  for (int i = 0; i < ciphers.n; i++) {
    if (i > 0) put_char(&t, ',');
    put_hex4(&t, ciphers.v[i]);
  }
  hash12(t.p, t.n, a + 11);

  filtered(&ch->exts, &sorted, EXT_SERVER_NAME, EXT_ALPN);
  qsort(sorted.v, (size_t)sorted.n, sizeof sorted.v[0], cmp_u16);
  t.n = 0;
  if (sorted.n > 0) {
    for (int i = 0; i < sorted.n; i++) {
      if (i > 0) put_char(&t, ',');
      put_hex4(&t, sorted.v[i]);
    }
    if (sigs.n > 0) {
      put_char(&t, '_');
      for (int i = 0; i < sigs.n; i++) {
        if (i > 0) put_char(&t, ',');
        put_hex4(&t, sigs.v[i]);
      }
    }
  }
  hash12(t.p, t.n, a + 24);
}

/* hello.ts's parseClientHello, as far as the fingerprints read it. (About 19 KB of stack: the reading thread has megabytes.) */
static int client_hello(const uint8_t *b, uint32_t end, hello_prints_t *out) {
  client_t ch;
  ch.ciphers.n = ch.exts.n = ch.groups.n = ch.sigs.n = ch.versions.n = 0;
  ch.npoints = 0;
  ch.alpn = 0;
  uint32_t off = 0;
  if (off + 2 + 32 + 1 > end) return HELLO_NONE;
  ch.version = u16(b);
  off += 34;
  uint32_t sid = b[off];
  if (sid > 32 || off + 1 + sid + 2 > end) return HELLO_NONE;
  off += 1 + sid;
  uint32_t cs = u16(b + off);
  off += 2;
  if (cs % 2 != 0 || off + cs + 1 > end) return HELLO_NONE;
  if (!u16list(b, off, off + cs, &ch.ciphers)) return HELLO_NONE;
  off += cs;
  off += 1 + b[off];
  if (off > end) return HELLO_NONE;
  if (off + 2 <= end && !walk_extensions(b, off, end, client_ext, &ch)) return HELLO_NONE;
  char text[MAX_TEXT];
  client_prints(&ch, out, text);
  return HELLO_CLIENT;
}

static int server_ext(void *ctx, const uint8_t *b, uint32_t type, uint32_t s, uint32_t e) {
  (void)b;
  (void)s;
  (void)e;
  put_ext(ctx, type);
  return 1;
}

/* hello.ts's parseServerHello, as far as JA3S reads it. */
static int server_hello(const uint8_t *b, uint32_t end, hello_prints_t *out) {
  list_t exts = {.n = 0};
  if (2 + 32 + 1 > end) return HELLO_NONE;
  uint32_t version = u16(b), off = 34;
  uint32_t sid = b[off];
  if (sid > 32 || off + 1 + sid + 3 > end) return HELLO_NONE;
  off += 1 + sid;
  uint32_t cipher = u16(b + off);
  off += 3;
  if (off + 2 <= end && !walk_extensions(b, off, end, server_ext, &exts)) return HELLO_NONE;
  char buf[MAX_LIST * 6 + 32];
  text_t t = {buf, 0};
  put_dec(&t, version);
  put_char(&t, ',');
  put_dec(&t, cipher);
  put_char(&t, ',');
  put_join(&t, &exts);
  md5_hex((const uint8_t *)t.p, t.n, out->ja3);
  return HELLO_SERVER;
}

int hello_message_prints(int type, const uint8_t *b, uint32_t n, hello_prints_t *out) {
  if (type == 1) return client_hello(b, n, out);
  if (type == 2) return server_hello(b, n, out);
  return HELLO_NONE;
}

int hello_prints(const uint8_t *seg, uint32_t len, hello_prints_t *out) {
  /* A handshake record (22, version 3.x) whose body starts with a hello complete in this segment and in its record. */
  if (len < 9 || seg[0] != 22 || seg[1] != 3) return HELLO_NONE;
  uint32_t record = u16(seg + 3);
  uint32_t type = seg[5];
  uint32_t n = ((uint32_t)seg[6] << 16) | ((uint32_t)seg[7] << 8) | seg[8];
  if ((type != 1 && type != 2) || 4 + n > record || 9 + n > len) return HELLO_NONE;
  out->start = 9;
  out->end = 9 + n;
  return hello_message_prints((int)type, seg + 9, n, out);
}

int hello_fixed_part(int type, const uint8_t *b, uint32_t n) {
  if (n < 35) return 0;
  uint32_t sid = b[34], off = 35 + sid;
  if (sid > 32) return 0;
  if (type == HELLO_SERVER) return off + 3 <= n;
  if (off + 2 > n) return 0;
  uint32_t cs = u16(b + off);
  off += 2;
  if (cs % 2 != 0 || off + cs + 1 > n) return 0;
  off += cs;
  return off + 1 + b[off] <= n;
}

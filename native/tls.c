/*
 * TLS handshakes as sensor/app/tls/ reads them, on the common path only (see tls.h).
 * Each function names the JavaScript it follows; wherever that code would report a
 * weird or take a path this one does not have, this one hands over instead.
 */
#include "tls.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "replay-log.h"
#include "slots.h"
#include "tls-hello.h"

#define MAX_RECORD (16384 + 2048)
#define MAX_HANDSHAKE (64 * 1024)
#define MAX_HISTORY 100
#define MAX_SNI 1024
/* What is kept for a handover at most; a handshake longer than this is handed over when it gets there. */
#define MAX_RECORDED (256 * 1024)

enum { BODY_SKIP = 0, BODY_HANDSHAKE = 1 };
enum { CT_CCS = 20, CT_ALERT = 21, CT_HANDSHAKE = 22, CT_APPDATA = 23, CT_HEARTBEAT = 24 };
enum { CLIENT_UNKNOWN = 0, CLIENT_ABSENT = 1, CLIENT_PRESENT = 2, CLIENT_EMPTY = 3 };
#define MAX_CHAIN 10
/* Certificates remembered (fingerprint and decoding), as cert-memo.ts remembers them; when full, it starts over. */
#define CERT_SLOTS 8192
#define CERT_MAX 4096

static const uint8_t HRR_RANDOM[32] = {
  0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
  0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

static inline uint32_t u16(const uint8_t *b) { return ((uint32_t)b[0] << 8) | b[1]; }
static inline uint32_t u24(const uint8_t *b) { return ((uint32_t)b[0] << 16) | ((uint32_t)b[1] << 8) | b[2]; }
static inline uint32_t min32(uint32_t a, uint32_t b) { return a < b ? a : b; }

/* One direction's record layer (RecordReader) and handshake framing (HandshakeReader). */
typedef struct {
  uint8_t h[5];
  int header_len, body, first;
  uint32_t remaining;
  zbuf_t carry; /* a handshake message split across deliveries: at most 4 + MAX_HANDSHAKE bytes */
} side_t;

/* What the ssl.log and x509.log rows show of one side's Certificate message, written. */
typedef struct {
  zbuf_t fps, subject, issuer, x509;
  int has_list, has_cert;
} certs_t;

typedef struct {
  /* Buffers, kept when the analyzer is reused. */
  zbuf_t recorded; /* what it was given, until it is done */
  zbuf_t text;     /* the SNI's bytes, then the chosen ALPN protocol's */
  side_t side[2];
  certs_t certs[2]; /* the server's, the client's */
  /* The rest is cleared for each connection. */
  int in_use, done, confirmed, handover, reported;
  int64_t ts; /* the analyzer's tsNs: the delivery in which the session began */
  int session;
  /* TlsSession */
  int recognised, complete, client_dir, saw_client_hello, have_client, have_server_hello, server_hrr, tls13, encrypted[2], client_key_exchange;
  uint8_t sid[32];
  uint32_t sid_len;
  int ticket, psk;
  /* TlsInfo, as far as this path sets it */
  int32_t version, cipher, curve; /* -1: unset */
  int resumed, established, client_cert, cert_requested; /* cert_requested -1: unset */
  int has_sni, has_next_protocol, has_ja3, has_ja3s, sni_matches; /* sni_matches -1: unset */
  uint32_t sni_len, next_protocol_off, next_protocol_len, history_len;
  char history[MAX_HISTORY + 8];
  char ja3[32], ja3s[32], ja4[36];
  /* The delivery being read, for the reader's fingerprints: its bytes, their offset in the packet's buffer. */
  const uint8_t *in;
  size_t in_len;
  int64_t in_at;
  const tls_ahead_t *ahead;
} tls_analyzer_t;

typedef struct {
  const uint16_t *nums;
  char **names;
  size_t n;
} names_t;

typedef struct {
  uint8_t *der;
  size_t n;
  uint32_t hash;
  char sha256[64];
  int asked, ok; /* the decoder was asked; it decoded the certificate cleanly */
  tls_cert_t info;
} cert_entry_t;

struct tls_pool {
  tls_analyzer_t *a;
  slots_t slots;
  names_t ciphers, curves;
  /* The bodies a delivery skipped: a handover replays them as zeros, which is all they are to the reader. */
  skips_t skips;
  replay_budget_t budget; /* the analyzers' recorded inputs together */
  cert_entry_t *certs; /* CERT_SLOTS, open addressing */
  uint32_t n_certs;
  tls_cert_decoder_t decode;
  void *decode_ctx;
};

tls_pool_t *tls_pool_new(void) {
  tls_pool_t *p = calloc(1, sizeof(tls_pool_t));
  if (p) p->budget.max = REPLAY_BUDGET;
  return p;
}

void tls_replay_budget(tls_pool_t *p, size_t max, size_t *used) {
  if (max) p->budget.max = max;
  *used = p->budget.used;
}

void tls_cert_decoder(tls_pool_t *p, tls_cert_decoder_t decode, void *ctx) {
  p->decode = decode;
  p->decode_ctx = ctx;
}

static void free_cert_info(tls_cert_t *c) {
  free(c->subject);
  free(c->issuer);
  free(c->row);
  for (size_t i = 0; i < c->n_names; i++) free(c->names[i]);
  free(c->names);
  memset(c, 0, sizeof *c);
}

static void clear_certs(tls_pool_t *p) {
  if (!p->certs) return;
  for (uint32_t i = 0; i < CERT_SLOTS; i++)
    if (p->certs[i].der) {
      free(p->certs[i].der);
      free_cert_info(&p->certs[i].info);
      memset(&p->certs[i], 0, sizeof p->certs[i]);
    }
  p->n_certs = 0;
}

/* Certificates kept under one key (length and tail) at most: past it (certificates made to collide, each one compared whole) the connection is handed over. */
#define MAX_SAME_KEY 8

/* The remembered certificate with these bytes, made (with its fingerprint) when new; NULL when out of memory or past MAX_SAME_KEY. */
static cert_entry_t *known_certificate(tls_pool_t *p, const uint8_t *der, size_t n) {
  if (!p->certs && !(p->certs = calloc(CERT_SLOTS, sizeof *p->certs))) return NULL;
  /* (the last bytes lie in the signature, which differs between certificates; memcmp confirms) */
  uint32_t h = (0x811c9dc5u ^ (uint32_t)n) * 0x01000193u;
  for (size_t i = n > 24 ? n - 24 : 0; i < n; i++) h = (h ^ der[i]) * 0x01000193u;
  uint32_t i = h & (CERT_SLOTS - 1);
  for (int same_key = 0;; i = (i + 1) & (CERT_SLOTS - 1)) {
    cert_entry_t *e = &p->certs[i];
    if (!e->der) break;
    if (e->hash != h || e->n != n) continue;
    if (memcmp(e->der, der, n) == 0) return e;
    if (++same_key >= MAX_SAME_KEY) return NULL;
  }
  cert_entry_t *e = &p->certs[i];
  if (!(e->der = malloc(n ? n : 1))) return NULL;
  memcpy(e->der, der, n);
  e->n = n;
  e->hash = h;
  sha256_hex(der, n, e->sha256);
  p->n_certs++;
  return e;
}

static void free_names(names_t *t) {
  for (size_t i = 0; i < t->n; i++) free(t->names[i]);
  free(t->names);
  free((void *)t->nums);
  *t = (names_t){ 0 };
}

static void free_certs_bufs(certs_t *c) {
  zb_free(&c->fps);
  zb_free(&c->subject);
  zb_free(&c->issuer);
  zb_free(&c->x509);
}

void tls_pool_free(tls_pool_t *p) {
  if (!p) return;
  clear_certs(p);
  free(p->certs);
  skips_free(&p->skips);
  for (uint32_t i = 0; i < p->slots.n; i++) {
    free_certs_bufs(&p->a[i].certs[0]);
    free_certs_bufs(&p->a[i].certs[1]);
    zb_free(&p->a[i].recorded);
    zb_free(&p->a[i].text);
    zb_free(&p->a[i].side[0].carry);
    zb_free(&p->a[i].side[1].carry);
  }
  free(p->a);
  slots_free(&p->slots);
  free_names(&p->ciphers);
  free_names(&p->curves);
  free(p);
}

int tls_names(tls_pool_t *p, const uint16_t *cipher_nums, char **cipher_names, size_t n_ciphers, const uint16_t *curve_nums, char **curve_names, size_t n_curves) {
  free_names(&p->ciphers);
  free_names(&p->curves);
  p->ciphers = (names_t){ cipher_nums, cipher_names, n_ciphers };
  p->curves = (names_t){ curve_nums, curve_names, n_curves };
  return 1;
}

static const char *name_of(const names_t *t, uint32_t v) {
  size_t lo = 0, hi = t->n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (t->nums[mid] == v) return t->names[mid];
    if (t->nums[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return NULL;
}

uint32_t tls_open(tls_pool_t *p) {
  void *array = p->a;
  long i = slots_take(&p->slots, &array, sizeof *p->a);
  p->a = array;
  if (i < 0) return 0;
  tls_analyzer_t *a = &p->a[i];
  memset((char *)a + offsetof(tls_analyzer_t, in_use), 0, sizeof *a - offsetof(tls_analyzer_t, in_use));
  a->recorded.len = a->text.len = 0;
  a->recorded.failed = a->text.failed = 0;
  for (int k = 0; k < 2; k++) {
    certs_t *c = &a->certs[k];
    c->fps.len = c->subject.len = c->issuer.len = c->x509.len = 0;
    c->fps.failed = c->subject.failed = c->issuer.failed = c->x509.failed = 0;
    c->has_list = c->has_cert = 0;
  }
  a->sni_matches = -1;
  for (int d = 0; d < 2; d++) {
    side_t *s = &a->side[d];
    s->header_len = s->body = 0;
    s->remaining = 0;
    s->carry.len = 0;
    s->first = 1;
  }
  a->version = a->cipher = a->curve = -1;
  a->cert_requested = -1;
  a->client_cert = CLIENT_UNKNOWN;
  a->in_use = 1;
  return i + 1;
}

static tls_analyzer_t *get(tls_pool_t *p, uint32_t h) { return h >= 1 && h <= p->slots.n && p->a[h - 1].in_use ? &p->a[h - 1] : NULL; }

/* Buffers grown past these by one connection are given back rather than kept for the next. */
static void shrink(tls_analyzer_t *a) {
  if (a->recorded.cap > 16384) zb_free(&a->recorded);
  if (a->text.cap > 4096) zb_free(&a->text);
  for (int k = 0; k < 2; k++)
    if (a->certs[k].fps.cap + a->certs[k].subject.cap + a->certs[k].issuer.cap + a->certs[k].x509.cap > 16384) free_certs_bufs(&a->certs[k]);
}

static void close_analyzer(tls_pool_t *p, uint32_t h) {
  tls_analyzer_t *a = &p->a[h - 1];
  a->in_use = 0;
  replay_clear(&a->recorded, &p->budget);
  shrink(a);
  for (int d = 0; d < 2; d++)
    if (a->side[d].carry.cap > 4096) zb_free(&a->side[d].carry);
  slots_give(&p->slots, h - 1);
}

/* ------------------------------------------------------------------ session (session.ts) */

static int is_client(const tls_analyzer_t *a, int dir) { return dir == a->client_dir; }

/* letter(): history letters, client upper case; the 100th is the JavaScript analyzer's (it reports it). */
static void letter(tls_analyzer_t *a, int client, char c) {
  if (a->handover || a->history_len >= MAX_HISTORY) return;
  if (a->history_len + 1 == MAX_HISTORY) {
    a->handover = 1;
    return;
  }
  a->history[a->history_len++] = client && c >= 'a' && c <= 'z' ? (char)(c - 32) : c;
}

static char letter_of(uint32_t type) {
  switch (type) {
    case 0: return 'h';
    case 1: return 'c';
    case 2: return 's';
    case 3: return 'v';
    case 4: return 't';
    case 5: return 'e';
    case 6: return 'j';
    case 8: return 'o';
    case 11: return 'x';
    case 12: return 'k';
    case 13: return 'r';
    case 14: return 'n';
    case 15: return 'y';
    case 16: return 'g';
    case 20: return 'f';
    case 21: return 'w';
    case 22: return 'u';
    case 23: return 'a';
    case 24: return 'p';
    case 254: return 'm';
    default: return 'z';
  }
}

static void ciphertext(tls_analyzer_t *a, int dir) {
  if (a->encrypted[dir] && a->encrypted[!dir] && !a->established) {
    a->established = 1;
    a->complete = 1;
  }
}

/* record(): what to do with a record's body; an alert in the clear or early data is handed over. */
static int session_record(tls_analyzer_t *a, int dir, uint32_t type) {
  int client = is_client(a, dir);
  switch (type) {
    case CT_CCS:
      letter(a, client, 'i');
      a->encrypted[dir] = 1;
      /* Ticket resumption (RFC 5077): the client's CCS comes without a key exchange. */
      if (client && !a->tls13 && a->have_client && a->ticket && a->sid_len == 0 && !a->client_key_exchange) a->resumed = 1;
      return BODY_SKIP;
    case CT_HEARTBEAT:
      letter(a, client, 'b');
      return BODY_SKIP;
    case CT_APPDATA:
      if (client && a->tls13) a->encrypted[dir] = 1;
      if (!a->encrypted[dir] && a->have_server_hello && !a->tls13) {
        a->handover = 1; /* ssl_early_application_data */
        return BODY_SKIP;
      }
      ciphertext(a, dir);
      return BODY_SKIP;
    case CT_HANDSHAKE:
      if (a->encrypted[dir]) {
        ciphertext(a, dir);
        return BODY_SKIP;
      }
      return BODY_HANDSHAKE;
    default: /* alert */
      if (a->encrypted[dir]) {
        ciphertext(a, dir);
        return BODY_SKIP;
      }
      a->handover = 1;
      return BODY_SKIP;
  }
}

/* hello.ts's extensions(): each(type, s, e); 0 where it reports a length mismatch or each() hands over. */
typedef int (*ext_fn)(tls_analyzer_t *a, const uint8_t *b, uint32_t type, uint32_t s, uint32_t e, void *ctx);

static int walk_extensions(tls_analyzer_t *a, const uint8_t *b, uint32_t off, uint32_t end, ext_fn each, void *ctx) {
  uint32_t limit = off + 2 + u16(b + off);
  off += 2;
  if (limit > end) return 0;
  while (off + 4 <= limit) {
    uint32_t type = u16(b + off), len = u16(b + off + 2);
    off += 4;
    if (off + len > limit) return 0;
    if (!each(a, b, type, off, off + len, ctx)) return 0;
    off += len;
  }
  return 1;
}

typedef struct {
  int has_sni;
  uint32_t sni_off, sni_len;
  int ticket, psk;
} client_ext_t;

/* serverName(): the first host_name entry; 0 where it reports a weird (a name too long, several names). */
static int server_name(const uint8_t *b, uint32_t s, uint32_t e, client_ext_t *c) {
  c->has_sni = 0;
  if (e - s < 2) return 1;
  uint32_t limit = min32(e, s + 2 + u16(b + s)), off = s + 2;
  int count = 0;
  while (off + 3 <= limit) {
    uint32_t type = b[off], len = u16(b + off + 1);
    off += 3;
    if (off + len > limit) break;
    if (type == 0) {
      count++;
      if (!c->has_sni) {
        if (len > MAX_SNI) return 0;
        c->has_sni = 1;
        c->sni_off = off;
        c->sni_len = len;
      }
    }
    off += len;
  }
  return count <= 1;
}

static int client_ext(tls_analyzer_t *a, const uint8_t *b, uint32_t type, uint32_t s, uint32_t e, void *ctx) {
  (void)a;
  client_ext_t *c = ctx;
  switch (type) {
    case 0: return server_name(b, s, e, c);
    case 35: c->ticket = e > s; return 1;
    case 41: c->psk = 1; return 1;
    default: return 1;
  }
}

/*
 * The fingerprints of the hello body b[0, n): the reader's when it computed them for these
 * very bytes (then the same function of them gave HELLO_CLIENT or HELLO_SERVER), else
 * computed here. The kind, or HELLO_NONE.
 */
static int prints_of(const tls_analyzer_t *a, int type, const uint8_t *b, uint32_t n, hello_prints_t *out) {
  const tls_ahead_t *h = a->ahead;
  /* (the reader's descriptor names these bytes; what this reads of them besides is checked here, whoever made it) */
  if (h && h->kind == type && b >= a->in && b + n <= a->in + a->in_len && a->in_at + (b - a->in) == h->start && a->in_at + (b - a->in) + n == h->end &&
      hello_fixed_part(type, b, n)) {
    memcpy(out->ja3, h->ja3, sizeof out->ja3);
    if (type == HELLO_CLIENT) memcpy(out->ja4, h->ja4, sizeof out->ja4);
    return type;
  }
  return hello_message_prints(type, b, n, out);
}

/* clientHello(): 0 to hand over (malformed, a weird, or fingerprints left to JavaScript). */
static int client_hello(tls_analyzer_t *a, const uint8_t *b, uint32_t end) {
  hello_prints_t prints;
  if (prints_of(a, HELLO_CLIENT, b, end, &prints) != HELLO_CLIENT) return 0;
  /* (the fixed part holds: hello_message_prints checked the same bounds) */
  uint32_t off = 34;
  uint32_t sid = b[off];
  memcpy(a->sid, b + off + 1, sid);
  a->sid_len = sid;
  off += 1 + sid;
  off += 2 + u16(b + off);
  off += 1 + b[off];
  client_ext_t c = { 0 };
  if (off + 2 <= end && !walk_extensions(a, b, off, end, client_ext, &c)) return 0;
  a->have_client = 1;
  a->recognised = 1;
  a->ticket = c.ticket;
  a->psk = c.psk;
  a->has_sni = c.has_sni;
  if (c.has_sni) {
    /* The text holds the SNI, then the ALPN protocol (a ServerHello may have come first). */
    uint8_t np[255];
    uint32_t np_len = a->has_next_protocol ? a->next_protocol_len : 0;
    if (np_len) memcpy(np, a->text.p + a->next_protocol_off, np_len);
    a->text.len = 0;
    zb_mem(&a->text, b + c.sni_off, c.sni_len);
    a->sni_len = c.sni_len;
    a->next_protocol_off = c.sni_len;
    zb_mem(&a->text, np, np_len);
    if (a->text.failed) return 0;
  }
  memcpy(a->ja3, prints.ja3, sizeof a->ja3);
  memcpy(a->ja4, prints.ja4, sizeof a->ja4);
  a->has_ja3 = 1;
  return 1;
}

typedef struct {
  int has_selected, has_key_share, has_alpn, psk;
  uint32_t selected, key_share, alpn_off, alpn_len;
} server_ext_t;

static int server_ext(tls_analyzer_t *a, const uint8_t *b, uint32_t type, uint32_t s, uint32_t e, void *ctx) {
  (void)a;
  server_ext_t *x = ctx;
  switch (type) {
    case 43:
      if (e - s >= 2) x->has_selected = 1, x->selected = u16(b + s);
      return 1;
    case 51:
      if (e - s >= 2) x->has_key_share = 1, x->key_share = u16(b + s);
      return 1;
    case 16: {
      /* alpnList(...).names[0]: the first name that fits, or none */
      x->has_alpn = 0;
      if (e - s < 2) return 1;
      uint32_t limit = min32(e, s + 2 + u16(b + s)), off = s + 2;
      if (off < limit) {
        uint32_t len = b[off++];
        if (off + len <= limit) x->has_alpn = 1, x->alpn_off = off, x->alpn_len = len;
      }
      return 1;
    }
    case 41:
      x->psk = 1;
      return 1;
    default:
      return 1;
  }
}

/* serverHelloMessage() */
static void server_hello(tls_analyzer_t *a, int client, const uint8_t *b, uint32_t end) {
  if (client) {
    letter(a, client, 's');
    return;
  }
  hello_prints_t prints;
  if (end < 35 || prints_of(a, HELLO_SERVER, b, end, &prints) != HELLO_SERVER) {
    a->handover = 1;
    return;
  }
  int hrr = memcmp(b + 2, HRR_RANDOM, 32) == 0;
  uint32_t version = u16(b), off = 34;
  uint32_t sid = b[off];
  const uint8_t *sh_sid = b + off + 1;
  off += 1 + sid;
  uint32_t cipher = u16(b + off);
  off += 3;
  server_ext_t x = { 0 };
  if (off + 2 <= end && !walk_extensions(a, b, off, end, server_ext, &x)) {
    a->handover = 1;
    return;
  }
  a->recognised = 1;
  letter(a, 0, hrr ? 'j' : 's');
  uint32_t v = x.has_selected ? x.selected : version;
  a->version = (int32_t)v;
  a->cipher = (int32_t)cipher;
  if (!a->have_server_hello || a->server_hrr) {
    memcpy(a->ja3s, prints.ja3, sizeof a->ja3s);
    a->has_ja3s = 1;
  }
  a->have_server_hello = 1;
  a->server_hrr = hrr;
  if (hrr) return; /* a second ClientHello and the real ServerHello follow in the clear */
  if (v == 0x0304 || v >> 8 == 0x7f) {
    a->tls13 = 1;
    a->encrypted[a->client_dir == 0 ? 1 : 0] = 1;
    if (x.has_key_share) a->curve = (int32_t)x.key_share;
    if (x.psk && a->have_client && a->psk) a->resumed = 1;
    return;
  }
  if (x.has_alpn) {
    a->has_next_protocol = 1;
    a->text.len = a->has_sni ? a->sni_len : 0;
    a->next_protocol_off = (uint32_t)a->text.len;
    zb_mem(&a->text, b + x.alpn_off, x.alpn_len);
    a->next_protocol_len = x.alpn_len;
    if (a->text.failed) a->handover = 1;
  }
  if (a->have_client && a->sid_len > 0 && a->sid_len == sid && memcmp(a->sid, sh_sid, sid) == 0) {
    int zeros = 1;
    for (uint32_t i = 0; i < sid; i++)
      if (a->sid[i]) zeros = 0;
    if (!zeros) a->resumed = 1;
  }
}

/* hostMatchesCert(): RFC 6125 §6.4, for an ASCII host; -1 when that is not this one to say (non-ASCII). */
static int host_matches(const tls_analyzer_t *a, const tls_cert_t *c) {
  if (!c->names_ascii) return -1;
  char h[MAX_SNI];
  size_t n = a->sni_len;
  for (size_t i = 0; i < n; i++) {
    uint8_t x = a->text.p[i];
    if (x >= 0x80) return -1;
    h[i] = (char)(x >= 'A' && x <= 'Z' ? x | 0x20 : x);
  }
  if (n > 0 && h[n - 1] == '.') n--;
  for (size_t k = 0; k < c->n_names; k++) {
    const char *name = c->names[k];
    size_t m = strlen(name);
    if (m == n && memcmp(name, h, n) == 0) return 1;
    if (m >= 2 && name[0] == '*' && name[1] == '.') {
      const char *dot = memchr(h, '.', n);
      size_t rest = dot ? n - (size_t)(dot - h) - 1 : 0;
      if (dot && dot > h && rest == m - 2 && memcmp(dot + 1, name + 2, rest) == 0 && memchr(name + 2, '.', m - 2)) return 1;
    }
  }
  return 0;
}

/* certificate(): the chain's fingerprints and the leaf's decoding, from the remembered certificates. */
static void certificate(tls_pool_t *p, tls_analyzer_t *a, int client, const uint8_t *b, uint32_t n) {
  if (n < 3) {
    a->handover = 1; /* tls_certificate_malformed */
    return;
  }
  uint32_t list_end = min32(n, 3 + u24(b)), off = 3;
  int count = 0;
  cert_entry_t *leaf = NULL;
  /* (made room for a whole chain first: the entries found below must stay while this runs) */
  if (p->n_certs + MAX_CHAIN > CERT_MAX) clear_certs(p);
  certs_t *c = &a->certs[client ? 1 : 0];
  c->fps.len = 0;
  while (off + 3 <= list_end) {
    uint32_t len = u24(b + off);
    off += 3;
    if (off + len > list_end || count >= MAX_CHAIN) {
      a->handover = 1; /* tls_certificate_malformed, tls_certificate_chain_too_long */
      return;
    }
    cert_entry_t *e = known_certificate(p, b + off, len);
    if (!e) {
      a->handover = 1;
      return;
    }
    if (count++ > 0) zb_byte(&c->fps, ',');
    zb_mem(&c->fps, e->sha256, 64);
    if (!leaf) leaf = e;
    off += len;
  }
  if (leaf && !leaf->asked) {
    leaf->asked = 1;
    leaf->ok = p->decode && p->decode(p->decode_ctx, leaf->der, leaf->n, &leaf->info);
    if (!leaf->ok) free_cert_info(&leaf->info);
  }
  if (leaf && !leaf->ok) {
    a->handover = 1; /* its weirds, or the decoding, are the JavaScript analyzer's */
    return;
  }
  int sni = -1;
  if (!client && leaf && a->has_sni && (sni = host_matches(a, &leaf->info)) < 0) {
    a->handover = 1;
    return;
  }
  c->has_list = count > 0;
  c->has_cert = leaf != NULL;
  c->subject.len = c->issuer.len = c->x509.len = 0;
  if (leaf) {
    zb_zeek_units(&c->subject, leaf->info.subject, leaf->info.subject_n, 0);
    zb_zeek_units(&c->issuer, leaf->info.issuer, leaf->info.issuer_n, 0);
    /* x509.log's row: its time is the session's, then the columns, then host_cert and client_cert */
    zb_time(&c->x509, a->ts);
    zb_byte(&c->x509, '\t');
    zb_mem(&c->x509, leaf->info.row, leaf->info.row_len);
    zb_cstr(&c->x509, client ? "\tF\tT\n" : "\tT\tF\n");
  }
  if (c->fps.failed || c->subject.failed || c->issuer.failed || c->x509.failed) {
    a->handover = 1;
    return;
  }
  if (client) a->client_cert = count > 0 ? CLIENT_PRESENT : CLIENT_EMPTY;
  else if (leaf && a->has_sni) a->sni_matches = sni;
}

/* isEcdheCipher() */
static int is_ecdhe(const tls_pool_t *p, uint32_t c) {
  const char *n = name_of(&p->ciphers, c);
  return n && strstr(n, "_ECDHE_") != NULL;
}

/* handshake(): one handshake message. */
static void message(tls_pool_t *p, tls_analyzer_t *a, int dir, uint32_t type, const uint8_t *b, uint32_t n) {
  if (type == 1 && !a->saw_client_hello) {
    a->saw_client_hello = 1;
    if (dir != a->client_dir) {
      a->client_dir = dir;
      if (a->history_len < sizeof a->history) a->history[a->history_len++] = '^';
    }
  }
  int client = is_client(a, dir);
  char l = letter_of(type);
  switch (type) {
    case 1:
      letter(a, client, l);
      if (client && !a->have_client && !client_hello(a, b, n)) a->handover = 1;
      return;
    case 2:
      server_hello(a, client, b, n);
      return;
    case 11:
      letter(a, client, l);
      if (!a->handover) certificate(p, a, client, b, n);
      return;
    case 12:
      letter(a, client, l);
      if (a->cipher >= 0 && is_ecdhe(p, (uint32_t)a->cipher) && n >= 3 && b[0] == 3) a->curve = (int32_t)u16(b + 1);
      return;
    case 13:
      letter(a, client, l);
      if (!client) a->cert_requested = 1;
      return;
    case 14:
      letter(a, client, l);
      if (!client && a->cert_requested < 0) a->cert_requested = 0;
      return;
    case 16:
      letter(a, client, l);
      if (client) {
        a->client_key_exchange = 1;
        if (a->client_cert == CLIENT_UNKNOWN) a->client_cert = CLIENT_ABSENT;
      }
      return;
    default:
      letter(a, client, l);
  }
}

/* ------------------------------------------------------------------ framing (handshake.ts, record.ts) */

static int carry_append(side_t *s, const uint8_t *b, uint32_t n) { return zb_append_max(&s->carry, b, n, 4 + MAX_HANDSHAKE); }

/* HandshakeReader.feed() (a message too large for it is handed over: its weird is the JavaScript analyzer's) */
static void handshake_bytes(tls_pool_t *p, tls_analyzer_t *a, int dir, const uint8_t *b, uint32_t n) {
  side_t *s = &a->side[dir];
  uint32_t off = 0;
  while (off < n && !a->handover) {
    if (s->carry.len > 0) {
      uint32_t held = (uint32_t)s->carry.len;
      uint32_t need = held < 4 ? 4 - held : 4 + u24(s->carry.p + 1) - held;
      uint32_t k = min32(need, n - off);
      if (!carry_append(s, b + off, k)) {
        a->handover = 1;
        return;
      }
      off += k;
      if (s->carry.len < 4) continue;
      uint32_t len = u24(s->carry.p + 1);
      if (len > MAX_HANDSHAKE) {
        a->handover = 1;
        return;
      }
      if (s->carry.len == 4 + len) {
        s->carry.len = 0;
        message(p, a, dir, s->carry.p[0], s->carry.p + 4, len);
      }
      continue;
    }
    if (n - off < 4) {
      if (!carry_append(s, b + off, n - off)) a->handover = 1;
      return;
    }
    uint32_t len = u24(b + off + 1);
    if (len > MAX_HANDSHAKE) {
      a->handover = 1;
      return;
    }
    if (off + 4 + len > n) {
      if (!carry_append(s, b + off, n - off)) a->handover = 1;
      return;
    }
    message(p, a, dir, b[off], b + off + 4, len);
    off += 4 + len;
  }
}

/* startRecord() */
static void start_record(tls_analyzer_t *a, int dir) {
  side_t *s = &a->side[dir];
  s->header_len = 0;
  s->first = 0;
  uint32_t type = s->h[0], length = ((uint32_t)s->h[3] << 8) | s->h[4];
  if (type < 20 || type > 24 || s->h[1] != 3 || length > MAX_RECORD) {
    a->handover = 1; /* a violation: its weird is the JavaScript analyzer's */
    return;
  }
  /* (the session begins with the first record: sess()) */
  a->session = 1;
  s->body = session_record(a, dir, type);
  if (a->handover) return;
  s->remaining = length;
  if (length == 0) s->body = BODY_SKIP;
}

/* RecordReader.feed() */
static void records(tls_pool_t *p, tls_analyzer_t *a, int dir, const uint8_t *b, uint32_t n) {
  side_t *s = &a->side[dir];
  uint32_t off = 0;
  while (off < n && !a->handover) {
    if (s->remaining > 0) {
      uint32_t k = min32(s->remaining, n - off);
      if (s->body == BODY_HANDSHAKE) handshake_bytes(p, a, dir, b + off, k);
      else if (!skips_add(&p->skips, off, k)) a->handover = 1;
      s->remaining -= k;
      off += k;
      if (s->remaining == 0) s->body = BODY_SKIP;
      continue;
    }
    if (s->first && s->header_len == 0 && (b[off] & 0x80)) {
      a->handover = 1; /* an SSLv2-format hello */
      return;
    }
    if (s->header_len == 0 && n - off >= 5) {
      memcpy(s->h, b + off, 5);
      off += 5;
      start_record(a, dir);
      continue;
    }
    s->h[s->header_len++] = b[off++];
    if (s->header_len == 5) start_record(a, dir);
  }
}

/* Keeps an input once it is taken: a handover replays these, and then the input that caused it. */
static void record_input(tls_pool_t *p, tls_analyzer_t *a, int kind, int dir, int64_t ts, const uint8_t *b, uint32_t n) {
  if (!replay_append(&a->recorded, MAX_RECORDED, &p->budget, kind, dir, ts, b, n, &p->skips)) a->handover = 1;
}

static int flags_of(const tls_analyzer_t *a) {
  if (a->handover) return TLS_HANDOVER;
  return (a->confirmed ? TLS_CONFIRMED : 0) | (a->done ? TLS_DONE : 0);
}

/* TlsAnalyzer.onData() and afterInput() */
int tls_data(tls_pool_t *p, uint32_t h, int dir, const uint8_t *b, size_t n, int64_t ts, const tls_ahead_t *ahead, int64_t at) {
  tls_analyzer_t *a = get(p, h);
  if (!a) return -1;
  if (a->done || a->handover || n == 0) return flags_of(a);
  dir &= 1;
  if (n > MAX_RECORDED) {
    a->handover = 1;
    return flags_of(a);
  }
  if (!a->session) a->ts = ts;
  p->skips.n = 0;
  a->in = b;
  a->in_len = n;
  a->in_at = at;
  a->ahead = ahead;
  records(p, a, dir, b, (uint32_t)n);
  a->ahead = NULL;
  if (a->handover) return flags_of(a);
  if (a->recognised) a->confirmed = 1;
  if (a->complete) {
    /* Nothing more comes (the flow stops delivering), so nothing more is handed over. */
    a->done = 1;
    replay_clear(&a->recorded, &p->budget);
    zb_free(&a->recorded); /* (for the connection's life: nothing is recorded any more) */
    shrink(a);
  } else record_input(p, a, REPLAY_DATA, dir, ts, b, (uint32_t)n);
  return flags_of(a);
}

/* TlsAnalyzer.onGap(): a gap inside a skipped body leaves the framing as it was; any other is handed over. */
int tls_gap(tls_pool_t *p, uint32_t h, int dir, uint32_t bytes) {
  tls_analyzer_t *a = get(p, h);
  if (!a) return -1;
  if (a->done || a->handover || bytes == 0) return flags_of(a);
  dir &= 1;
  side_t *s = &a->side[dir];
  if (s->header_len == 0 && s->body == BODY_SKIP && bytes <= s->remaining) {
    s->remaining -= bytes;
    record_input(p, a, REPLAY_GAP, dir, 0, NULL, bytes);
  } else a->handover = 1;
  return flags_of(a);
}

/* ------------------------------------------------------------------ the row (log.ts) */

static void tab(zbuf_t *o) { zb_byte(o, '\t'); }

static void wire_field(zbuf_t *o, const uint8_t *b, uint32_t n, size_t max) {
  uint16_t u[MAX_SNI];
  ustr_t s = { u, 0, MAX_SNI };
  us_wire(&s, b, n, max);
  zb_zeek_units(o, s.u, s.n, 0);
}

static void named(zbuf_t *o, const names_t *t, int32_t v) {
  if (v < 0) {
    zb_byte(o, '-');
    return;
  }
  const char *n = name_of(t, (uint32_t)v);
  if (n) zb_cstr(o, n);
  else {
    zb_cstr(o, "unknown-");
    zb_uint(o, (uint64_t)v);
  }
}

/* versionName() */
static void version_name(zbuf_t *o, int32_t v) {
  const char *n = NULL;
  switch (v) {
    case -1: zb_byte(o, '-'); return;
    case 0x0002: n = "SSLv2"; break;
    case 0x0300: n = "SSLv3"; break;
    case 0x0301: n = "TLSv10"; break;
    case 0x0302: n = "TLSv11"; break;
    case 0x0303: n = "TLSv12"; break;
    case 0x0304: n = "TLSv13"; break;
    case 0xfeff: n = "DTLSv10"; break;
    case 0xfefd: n = "DTLSv12"; break;
    case 0xfefc: n = "DTLSv13"; break;
  }
  if (n) zb_cstr(o, n);
  else if (v >> 8 == 0x7f) {
    zb_cstr(o, "TLSv13-draft");
    zb_uint(o, (uint64_t)(v & 0xff));
  } else {
    zb_cstr(o, "unknown-");
    zb_uint(o, (uint64_t)v);
  }
}

static void write_row(tls_pool_t *p, const tls_analyzer_t *a, zbuf_t *o) {
  zb_time(o, a->ts);
  tab(o);
  version_name(o, a->version);
  tab(o);
  named(o, &p->ciphers, a->cipher);
  tab(o);
  named(o, &p->curves, a->curve);
  tab(o);
  if (a->has_sni) wire_field(o, a->text.p, a->sni_len, MAX_SNI);
  else zb_byte(o, '-');
  tab(o);
  zb_byte(o, a->resumed ? 'T' : 'F');
  zb_cstr(o, "\t-\t"); /* last_alert: alerts are the JavaScript analyzer's */
  if (a->has_next_protocol) wire_field(o, a->text.p + a->next_protocol_off, a->next_protocol_len, 255);
  else zb_byte(o, '-');
  tab(o);
  zb_byte(o, a->established ? 'T' : 'F');
  tab(o);
  uint16_t u[sizeof a->history];
  for (uint32_t i = 0; i < a->history_len; i++) u[i] = (uint8_t)a->history[i];
  zb_zeek_units(o, u, a->history_len, 0);
  for (int k = 0; k < 2; k++) {
    tab(o);
    if (a->certs[k].has_list) zb_mem(o, a->certs[k].fps.p, a->certs[k].fps.len);
    else zb_byte(o, '-');
  }
  for (int k = 0; k < 2; k++) {
    const certs_t *c = &a->certs[k];
    tab(o);
    if (c->has_cert) zb_mem(o, c->subject.p, c->subject.len);
    else zb_byte(o, '-');
    tab(o);
    if (c->has_cert) zb_mem(o, c->issuer.p, c->issuer.len);
    else zb_byte(o, '-');
  }
  tab(o);
  zb_byte(o, a->sni_matches < 0 ? '-' : a->sni_matches ? 'T' : 'F');
  zb_cstr(o, "\t-\t"); /* validation_status */
  if (a->has_ja3) zb_mem(o, a->ja3, sizeof a->ja3);
  else zb_byte(o, '-');
  tab(o);
  if (a->has_ja3s) zb_mem(o, a->ja3s, sizeof a->ja3s);
  else zb_byte(o, '-');
  tab(o);
  if (a->has_ja3) zb_mem(o, a->ja4, sizeof a->ja4);
  else zb_byte(o, '-');
  tab(o);
  static const char *const CLIENT_CERT[] = { "unknown", "absent", "present", "empty" };
  zb_cstr(o, CLIENT_CERT[a->client_cert]);
  tab(o);
  zb_byte(o, a->cert_requested < 0 ? '-' : a->cert_requested ? 'T' : 'F');
  zb_byte(o, '\n');
  if (a->certs[0].has_cert || a->certs[1].has_cert) {
    zb_byte(o, '\f');
    for (int k = 0; k < 2; k++)
      if (a->certs[k].has_cert) zb_mem(o, a->certs[k].x509.p, a->certs[k].x509.len);
  }
}

/* onMetadata() */
int tls_row(tls_pool_t *p, uint32_t h, int final, zbuf_t *out) {
  tls_analyzer_t *a = get(p, h);
  if (!a || a->handover) return -1;
  int wrote = 0;
  if (!a->reported && a->recognised && (final || a->complete || a->done)) {
    a->reported = 1;
    write_row(p, a, out);
    wrote = 1;
  }
  if (final) close_analyzer(p, h);
  return wrote;
}

int tls_recorded(tls_pool_t *p, uint32_t h, zbuf_t *out) {
  tls_analyzer_t *a = get(p, h);
  if (!a) return -1;
  zb_mem(out, a->recorded.p, a->recorded.len);
  close_analyzer(p, h);
  return 0;
}

/*
 * DNS messages paired into transactions, as sensor/app/dns/ does it (see dns.h): each
 * function below names the JavaScript it follows, and every limit, weird and text is
 * that code's. Every length comes from the wire and is checked before it is used.
 */
#include "dns.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slots.h"

#define HEADER_LEN 12
#define MAX_ANSWERS 64
#define MAX_DATA 1024
#define MAX_PENDING 64
#define MAX_DONE 1024
#define MAX_DONE_BYTES (512 * 1024)
#define MAX_TCP_MESSAGE (65535 + 2)
#define MAX_NAME_WIRE 255
#define MAX_POINTERS 64
/* A name's presentation text: 255 wire bytes, each at most 4 characters, and the dots. */
#define MAX_NAME_TEXT (4 * MAX_NAME_WIRE + MAX_NAME_WIRE)
/* An answer's data text before its cut to MAX_DATA: at most a little over MAX_DATA plus one piece. */
#define DATA_UNITS 2048

static uint16_t u16(const uint8_t *b) { return (uint16_t)((b[0] << 8) | b[1]); }
static uint32_t u32(const uint8_t *b) { return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3]; }

/* ------------------------------------------------------------------ names for numbers (consts.ts) */

typedef struct {
  uint16_t n;
  const char *name;
} named_t;

static const named_t TYPES[] = {
  { 1, "A" }, { 2, "NS" }, { 3, "MD" }, { 4, "MF" }, { 5, "CNAME" }, { 6, "SOA" }, { 7, "MB" }, { 8, "MG" }, { 9, "MR" }, { 10, "NULL" },
  { 11, "WKS" }, { 12, "PTR" }, { 13, "HINFO" }, { 14, "MINFO" }, { 15, "MX" }, { 16, "TXT" }, { 17, "RP" }, { 18, "AFSDB" },
  { 19, "X25" }, { 20, "ISDN" }, { 21, "RT" }, { 22, "NSAP" }, { 23, "NSAP-PTR" }, { 24, "SIG" }, { 25, "KEY" }, { 26, "PX" },
  { 27, "GPOS" }, { 28, "AAAA" }, { 29, "LOC" }, { 30, "NXT" }, { 31, "EID" }, { 32, "NIMLOC" }, { 33, "SRV" }, { 34, "ATMA" },
  { 35, "NAPTR" }, { 36, "KX" }, { 37, "CERT" }, { 38, "A6" }, { 39, "DNAME" }, { 40, "SINK" }, { 41, "OPT" }, { 42, "APL" },
  { 43, "DS" }, { 44, "SSHFP" }, { 45, "IPSECKEY" }, { 46, "RRSIG" }, { 47, "NSEC" }, { 48, "DNSKEY" }, { 49, "DHCID" },
  { 50, "NSEC3" }, { 51, "NSEC3PARAM" }, { 52, "TLSA" }, { 53, "SMIMEA" }, { 55, "HIP" }, { 56, "NINFO" }, { 57, "RKEY" },
  { 58, "TALINK" }, { 59, "CDS" }, { 60, "CDNSKEY" }, { 61, "OPENPGPKEY" }, { 62, "CSYNC" }, { 63, "ZONEMD" }, { 64, "SVCB" },
  { 65, "HTTPS" }, { 99, "SPF" }, { 100, "UINFO" }, { 101, "UID" }, { 102, "GID" }, { 103, "UNSPEC" }, { 104, "NID" },
  { 105, "L32" }, { 106, "L64" }, { 107, "LP" }, { 108, "EUI48" }, { 109, "EUI64" }, { 249, "TKEY" }, { 250, "TSIG" },
  { 251, "IXFR" }, { 252, "AXFR" }, { 253, "MAILB" }, { 254, "MAILA" }, { 255, "*" }, { 256, "URI" }, { 257, "CAA" },
  { 258, "AVC" }, { 32768, "TA" }, { 32769, "DLV" }, { 0, NULL },
};
static const named_t CLASSES[] = { { 1, "C_INTERNET" }, { 2, "C_CSNET" }, { 3, "C_CHAOS" }, { 4, "C_HESIOD" }, { 254, "C_NONE" }, { 255, "C_ANY" }, { 0, NULL } };
static const named_t RCODES[] = {
  { 0, "NOERROR" }, { 1, "FORMERR" }, { 2, "SERVFAIL" }, { 3, "NXDOMAIN" }, { 4, "NOTIMP" }, { 5, "REFUSED" },
  { 6, "YXDOMAIN" }, { 7, "YXRRSET" }, { 8, "NXRRSet" }, { 9, "NOTAUTH" }, { 10, "NOTZONE" }, { 0, NULL },
};

static const char *lookup(const named_t *t, unsigned n) {
  for (; t->name; t++)
    if (t->n == n) return t->name;
  return NULL;
}

/* A name from a table, or the prefix and the number (qtypeName, qclassName, rcodeName, ecsTypeName). */
static void zb_named(zbuf_t *b, const named_t *t, unsigned n, const char *prefix) {
  const char *s = lookup(t, n);
  if (s) {
    zb_cstr(b, s);
    return;
  }
  zb_cstr(b, prefix);
  zb_uint(b, n);
}

/* ------------------------------------------------------------------ names (name.ts) */

static const int NAME_WEIRDS[] = { -1, W_DNS_label_len_gt_pkt, W_DNS_label_too_long, W_DNS_label_forward_compress_offset, W_DNS_NAME_too_long, W_DNS_name_too_many_pointers, W_DNS_label_bad_type };

/*
 * readName: the name at off in the message m[0, end). Returns 0 and sets *next (and, given
 * text, its presentation form and *text_len), or the error (an index of NAME_WEIRDS).
 */
static int read_name(const uint8_t *m, size_t off, size_t end, char *text, size_t *text_len, size_t *next) {
  size_t pos = off, limit = end, n = 0;
  long first_next = -1;
  int pointers = 0, wire = 0;
  for (;;) {
    if (pos >= limit) return 1;
    uint8_t len = m[pos];
    if (len == 0) {
      pos++;
      break;
    }
    unsigned kind = len & 0xc0;
    if (kind == 0xc0) {
      if (pos + 1 >= limit) return 1;
      size_t target = ((size_t)(len & 0x3f) << 8) | m[pos + 1];
      if (first_next < 0) first_next = (long)(pos + 2);
      if (target >= pos) return 3;
      if (++pointers > MAX_POINTERS) return 5;
      limit = pos;
      pos = target;
      continue;
    }
    if (kind != 0) return 6;
    if (pos + 1 + len > limit) return 1;
    wire += len + 1;
    if (wire + 1 > MAX_NAME_WIRE) return 4;
    if (text) {
      if (n > 0) text[n++] = '.';
      for (size_t i = pos + 1; i < pos + 1 + len; i++) {
        uint8_t c = m[i];
        if (c == '.' || c == '\\') {
          text[n++] = '\\';
          text[n++] = (char)c;
        } else if (c <= 0x20 || c >= 0x7f) {
          text[n++] = '\\';
          text[n++] = (char)('0' + c / 100);
          text[n++] = (char)('0' + (c / 10) % 10);
          text[n++] = (char)('0' + c % 10);
        } else text[n++] = (char)c;
      }
    }
    pos += 1 + len;
  }
  *next = first_next < 0 ? pos : (size_t)first_next;
  if (text_len) *text_len = n;
  return 0;
}

/* ------------------------------------------------------------------ messages (parse.ts) */

typedef struct {
  uint16_t id, qdcount, ancount, nscount, arcount;
  uint8_t qr, opcode, aa, tc, rd, ra, z, rcode;
  int has_q;
  char qname[MAX_NAME_TEXT];
  size_t qname_len;
  uint16_t qtype, qclass;
  /* The answers as dns.log writes them: the answers column (elements escaped, joined by
   * ','), the TTLs column, and the sizes that count towards the transaction's estimate. */
  zbuf_t answers, ttls;
  unsigned n_answers;
  size_t answer_units;
} dns_msg_t;

static void ascii_units(ustr_t *s, const char *t, size_t n) {
  for (size_t i = 0; i < n && s->n < s->cap; i++) s->u[s->n++] = (uint8_t)t[i];
}

/* name(): an rdata name, '' when it does not read. */
static void rdata_name(const uint8_t *m, size_t off, size_t end, ustr_t *out, weirds_t *w) {
  char text[MAX_NAME_TEXT];
  size_t len, next;
  int e = read_name(m, off, end, text, &len, &next);
  if (e) {
    weird(w, NAME_WEIRDS[e]);
    return;
  }
  if (next != end) weird(w, W_DNS_RR_length_mismatch);
  ascii_units(out, text, len);
}

/* bounded() */
static void bounded(ustr_t *s, weirds_t *w) {
  if (s->n <= MAX_DATA) return;
  weird(w, W_DNS_answer_data_truncated);
  s->n = MAX_DATA;
}

static void ipv4_units(ustr_t *s, const uint8_t *b) {
  char t[16];
  int n = snprintf(t, sizeof t, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
  ascii_units(s, t, (size_t)n);
}

/* ipv6() in bytes.ts: RFC 5952, the dotted tail for IPv4-mapped addresses. */
static void ipv6_units(ustr_t *s, const uint8_t *b) {
  uint16_t w[8];
  for (int i = 0; i < 8; i++) w[i] = u16(b + 2 * i);
  if (!w[0] && !w[1] && !w[2] && !w[3] && !w[4] && w[5] == 0xffff) {
    ascii_units(s, "::ffff:", 7);
    ipv4_units(s, b + 12);
    return;
  }
  int best_at = -1, best_len = 1;
  for (int i = 0; i < 8;) {
    if (w[i]) {
      i++;
      continue;
    }
    int j = i;
    while (j < 8 && !w[j]) j++;
    if (j - i > best_len) best_at = i, best_len = j - i;
    i = j;
  }
  char t[48];
  size_t n = 0;
  for (int i = 0; i < 8; i++) {
    if (best_at >= 0 && i == best_at) {
      t[n++] = ':';
      t[n++] = ':';
      i += best_len - 1;
      continue;
    }
    if (n > 0 && t[n - 1] != ':') t[n++] = ':';
    n += (size_t)snprintf(t + n, sizeof t - n, "%x", w[i]);
  }
  ascii_units(s, t, n);
}

static void type_tag(ustr_t *s, uint16_t type) {
  /* `<${ecsTypeName(type)}>` */
  char t[24];
  const char *name = lookup(TYPES, type);
  int n = name ? snprintf(t, sizeof t, "<%s>", name) : snprintf(t, sizeof t, "<TYPE%u>", type);
  ascii_units(s, t, (size_t)n);
}

/* rdata(): the record data as dns.log shows it. */
static void rdata(const uint8_t *m, uint16_t type, size_t off, size_t end, ustr_t *s, weirds_t *w) {
  size_t len = end - off;
  switch (type) {
    case 1:
      if (len == 4) { ipv4_units(s, m + off); return; }
      break;
    case 28:
      if (len == 16) { ipv6_units(s, m + off); return; }
      break;
    case 2: case 5: case 12: case 39: case 6:
      { rdata_name(m, off, end, s, w); return; }
    case 15:
      if (len >= 3) { rdata_name(m, off + 2, end, s, w); return; }
      break;
    case 33:
      if (len >= 7) { rdata_name(m, off + 6, end, s, w); return; }
      break;
    case 64: case 65:
      if (len >= 3) {
        us_uint(s, u16(m + off));
        us_ascii(s, " ");
        size_t at = s->n;
        rdata_name(m, off + 2, end, s, w);
        if (s->n == at) us_ascii(s, ".");
        return;
      }
      break;
    case 16: case 99: {
      /* txt(): each character-string as "TXT <len> <text>", space-separated */
      while (off < end && s->n < MAX_DATA) {
        uint8_t n = m[off];
        if (off + 1 + n > end) {
          weird(w, W_DNS_TXT_char_str_past_rdlen);
          break;
        }
        if (s->n) us_ascii(s, " ");
        us_ascii(s, "TXT ");
        us_uint(s, n);
        us_ascii(s, " ");
        us_wire(s, m + off + 1, n, 255);
        off += 1 + n;
      }
      { bounded(s, w); return; }
    }
    case 257:
      if (len >= 2 && 2 + (size_t)m[off + 1] <= len) {
        size_t tag_end = off + 2 + m[off + 1];
        us_uint(s, m[off]);
        us_ascii(s, " ");
        us_wire(s, m + off + 2, tag_end - (off + 2), 255);
        us_ascii(s, " ");
        us_wire(s, m + tag_end, end - tag_end, MAX_DATA);
        { bounded(s, w); return; }
      }
      break;
    default:
      { type_tag(s, type); return; }
  }
  weird(w, W_DNS_RR_bad_length);
  type_tag(s, type);
}

/* parseDnsMessage(): 0 when m[0, end) is not a DNS message (the caller's violation). */
static int parse_message(const uint8_t *m, size_t end, dns_msg_t *msg, weirds_t *w) {
  if (end < HEADER_LEN) {
    weird(w, W_DNS_truncated_len_lt_hdr_len);
    return 0;
  }
  uint16_t flags = u16(m + 2);
  msg->id = u16(m);
  msg->qr = (flags & 0x8000) != 0;
  msg->opcode = (flags >> 11) & 0xf;
  msg->aa = (flags & 0x0400) != 0;
  msg->tc = (flags & 0x0200) != 0;
  msg->rd = (flags & 0x0100) != 0;
  msg->ra = (flags & 0x0080) != 0;
  msg->z = (flags >> 4) & 0x7;
  msg->rcode = flags & 0xf;
  msg->qdcount = u16(m + 4);
  msg->ancount = u16(m + 6);
  msg->nscount = u16(m + 8);
  msg->arcount = u16(m + 10);
  msg->has_q = 0;
  msg->answers.len = msg->ttls.len = 0;
  msg->answers.failed = msg->ttls.failed = 0;
  msg->n_answers = 0;
  msg->answer_units = 0;
  size_t off = HEADER_LEN;
  for (unsigned q = 0; q < msg->qdcount; q++) {
    size_t next;
    int e = read_name(m, off, end, q == 0 ? msg->qname : NULL, q == 0 ? &msg->qname_len : NULL, &next);
    if (e) {
      weird(w, NAME_WEIRDS[e]);
      return 0;
    }
    off = next;
    if (off + 4 > end) {
      weird(w, W_DNS_truncated_quest_too_short);
      return 0;
    }
    if (q == 0) {
      msg->has_q = 1;
      msg->qtype = u16(m + off);
      msg->qclass = u16(m + off + 2);
    }
    off += 4;
  }
  if (msg->ancount > MAX_ANSWERS) weird(w, W_DNS_too_many_answers);
  unsigned keep = msg->ancount < MAX_ANSWERS ? msg->ancount : MAX_ANSWERS;
  uint16_t units[DATA_UNITS];
  for (unsigned i = 0; i < keep; i++) {
    /* (the owner's text counts only towards the transaction's size) */
    char owner[MAX_NAME_TEXT];
    size_t owner_len, next;
    int e = read_name(m, off, end, owner, &owner_len, &next);
    if (e) {
      weird(w, NAME_WEIRDS[e]);
      break;
    }
    off = next;
    if (off + 10 > end) {
      weird(w, W_DNS_truncated_ans_too_short);
      break;
    }
    uint16_t type = u16(m + off);
    uint32_t ttl = u32(m + off + 4);
    uint16_t rdlen = u16(m + off + 8);
    off += 10;
    if (off + rdlen > end) {
      weird(w, W_DNS_truncated_RR_rdlength_lt_len);
      break;
    }
    ustr_t data = { units, 0, DATA_UNITS };
    rdata(m, type, off, off + rdlen, &data, w);
    if (msg->n_answers > 0) {
      zb_byte(&msg->answers, ',');
      zb_byte(&msg->ttls, ',');
    }
    zb_zeek_units(&msg->answers, data.u, data.n, 1);
    zb_uint(&msg->ttls, ttl);
    zb_cstr(&msg->ttls, ".000000");
    msg->n_answers++;
    msg->answer_units += 48 + owner_len + data.n;
    off += rdlen;
  }
  return 1;
}

/* ------------------------------------------------------------------ transactions (analyzer.ts) */

/* A query waiting for its reply; its name is in the analyzer's text. */
typedef struct {
  ns128_t ts;
  size_t query_off, query_len;
  uint16_t trans_id, qtype, qclass;
  uint8_t has_query, opcode, tc, rd, z;
} dns_pending_t;

/* What one dns.log row shows. */
typedef struct {
  ns128_t ts;
  double rtt; /* Number() of the exact difference, as the JavaScript analyzer writes it */
  uint16_t trans_id, qtype, qclass;
  uint8_t has_rtt, has_query, saw_reply, rcode, aa, tc, rd, ra, z, rejected;
  const char *query;
  size_t query_len;
  const uint8_t *answers, *ttls; /* the two columns' text (n_answers > 0) */
  size_t answers_len, ttls_len;
  unsigned n_answers;
  size_t answer_units;
} dns_tx_t;


/*
 * One connection's analyzer. Analyzers live in a pool and are reused, buffers and all,
 * so a busy sensor allocates next to nothing per connection.
 */
typedef struct {
  int tcp, confirmed, done, lost[2], in_use;
  dns_pending_t *pending;
  size_t n_pending, cap_pending;
  zbuf_t text; /* pending queries' names */
  zbuf_t rows; /* finished transactions, as rows */
  size_t n_rows, rows_bytes;
  zbuf_t carry[2]; /* a TCP message split across deliveries, at most MAX_TCP_MESSAGE bytes */
} dns_analyzer_t;

struct dns_pool {
  dns_analyzer_t *a;
  slots_t slots;
  dns_msg_t msg;              /* the message being parsed */
};

dns_pool_t *dns_pool_new(void) { return calloc(1, sizeof(dns_pool_t)); }

static void release_buffers(dns_analyzer_t *a) {
  free(a->pending);
  zb_free(&a->text);
  zb_free(&a->rows);
  zb_free(&a->carry[0]);
  zb_free(&a->carry[1]);
}

void dns_pool_free(dns_pool_t *p) {
  if (!p) return;
  for (uint32_t i = 0; i < p->slots.n; i++) release_buffers(&p->a[i]);
  free(p->a);
  slots_free(&p->slots);
  zb_free(&p->msg.answers);
  zb_free(&p->msg.ttls);
  free(p);
}

/* Buffers grown past this by one large connection are given back when the analyzer is. */
#define KEEP_BYTES 4096

static void shrink(zbuf_t *b) {
  b->len = 0;
  b->failed = 0;
  if (b->cap > KEEP_BYTES) zb_free(b);
}

uint32_t dns_open(dns_pool_t *p, int tcp) {
  void *array = p->a;
  long i = slots_take(&p->slots, &array, sizeof *p->a);
  p->a = array;
  if (i < 0) return 0;
  dns_analyzer_t *a = &p->a[i];
  a->tcp = tcp;
  a->confirmed = a->done = a->lost[0] = a->lost[1] = 0;
  a->n_pending = a->n_rows = a->rows_bytes = 0;
  a->in_use = 1;
  return i + 1;
}

static dns_analyzer_t *get(dns_pool_t *p, uint32_t h) {
  return h >= 1 && h <= p->slots.n && p->a[h - 1].in_use ? &p->a[h - 1] : NULL;
}

static void close_analyzer(dns_pool_t *p, uint32_t h) {
  dns_analyzer_t *a = &p->a[h - 1];
  a->in_use = 0;
  shrink(&a->text);
  shrink(&a->rows);
  if (a->cap_pending > 16) {
    free(a->pending);
    a->pending = NULL;
    a->cap_pending = 0;
  }
  for (int d = 0; d < 2; d++) {
    a->carry[d].len = 0;
    if (a->carry[d].cap > KEEP_BYTES) {
      zb_free(&a->carry[d]);
    }
  }
  slots_give(&p->slots, h - 1);
}

static int flags_of(const dns_analyzer_t *a) { return (a->confirmed ? DNS_CONFIRMED : 0) | (a->done ? DNS_DONE : 0); }

/* ------------------------------------------------------------------ rows (log.ts) */

static void tab(zbuf_t *o) { zb_byte(o, '\t'); }
static void boolean(zbuf_t *o, int v) { zb_byte(o, v ? 'T' : 'F'); }

static void write_row(zbuf_t *o, int tcp, const dns_tx_t *t) {
  zb_time128(o, t->ts);
  tab(o);
  zb_cstr(o, tcp ? "tcp" : "udp");
  tab(o);
  zb_uint(o, t->trans_id);
  tab(o);
  if (t->has_rtt) zb_interval_d(o, t->rtt);
  else zb_byte(o, '-');
  tab(o);
  if (t->has_query) {
    /* lower(): ASCII letters only, then escaped as any string */
    uint16_t u[MAX_NAME_TEXT];
    size_t n = t->query_len < MAX_NAME_TEXT ? t->query_len : MAX_NAME_TEXT;
    for (size_t i = 0; i < n; i++) {
      uint8_t c = (uint8_t)t->query[i];
      u[i] = (c >= 'A' && c <= 'Z') ? (uint16_t)(c | 0x20) : c;
    }
    zb_zeek_units(o, u, n, 0);
    tab(o);
    zb_uint(o, t->qclass);
    tab(o);
    zb_named(o, CLASSES, t->qclass, "qclass-");
    tab(o);
    zb_uint(o, t->qtype);
    tab(o);
    zb_named(o, TYPES, t->qtype, "query-");
  } else zb_cstr(o, "-\t-\t-\t-\t-");
  tab(o);
  if (t->saw_reply) {
    zb_uint(o, t->rcode);
    tab(o);
    zb_named(o, RCODES, t->rcode, "?");
  } else zb_cstr(o, "-\t-");
  tab(o);
  boolean(o, t->aa);
  tab(o);
  boolean(o, t->tc);
  tab(o);
  boolean(o, t->rd);
  tab(o);
  boolean(o, t->ra);
  tab(o);
  zb_uint(o, t->z);
  tab(o);
  if (t->saw_reply && t->n_answers > 0) {
    zb_mem(o, t->answers, t->answers_len);
    tab(o);
    zb_mem(o, t->ttls, t->ttls_len);
  } else zb_cstr(o, "-\t-");
  tab(o);
  boolean(o, t->rejected);
  zb_byte(o, '\n');
}

/* finish(): into the bounded backlog of finished transactions (as its row), or dropped. */
static void finish(dns_analyzer_t *a, const dns_tx_t *t, weirds_t *w) {
  size_t size = 96 + (t->has_query ? t->query_len : 0) + t->answer_units;
  if (a->n_rows >= MAX_DONE || a->rows_bytes + size > MAX_DONE_BYTES) {
    weird(w, W_dns_transactions_dropped);
    return;
  }
  write_row(&a->rows, a->tcp, t);
  a->n_rows++;
  a->rows_bytes += size;
}

/* A pending query as the transaction it is when no reply comes. */
static dns_tx_t unanswered(const dns_analyzer_t *a, const dns_pending_t *q) {
  dns_tx_t t;
  memset(&t, 0, sizeof t);
  t.ts = q->ts;
  t.trans_id = q->trans_id;
  t.has_query = q->has_query;
  t.query = (const char *)a->text.p + q->query_off;
  t.query_len = q->query_len;
  t.qtype = q->qtype;
  t.qclass = q->qclass;
  t.tc = q->tc;
  t.rd = q->rd;
  t.z = q->z;
  return t;
}

static void drop_pending(dns_analyzer_t *a, size_t i) {
  memmove(a->pending + i, a->pending + i + 1, (a->n_pending - i - 1) * sizeof *a->pending);
  if (--a->n_pending == 0) {
    a->text.len = 0; /* (no query's name is needed any more) */
    return;
  }
  /* A connection that always has a query outstanding never empties its text: keep only the live names. */
  if (a->text.len <= 2 * MAX_PENDING * MAX_NAME_TEXT) return;
  size_t to = 0;
  for (size_t k = 0; k < a->n_pending; k++) {
    dns_pending_t *q = &a->pending[k];
    memmove(a->text.p + to, a->text.p + q->query_off, q->query_len);
    q->query_off = to;
    to += q->query_len;
  }
  a->text.len = to;
}

static void query(dns_analyzer_t *a, const dns_msg_t *m, ns128_t ts, weirds_t *w) {
  if (a->n_pending >= MAX_PENDING) {
    weird(w, W_dns_unmatched_msg_quantity);
    dns_tx_t t = unanswered(a, &a->pending[0]);
    finish(a, &t, w);
    drop_pending(a, 0);
  }
  if (a->n_pending == a->cap_pending) {
    size_t cap = a->cap_pending ? a->cap_pending * 2 : 2;
    dns_pending_t *p = realloc(a->pending, cap * sizeof *p);
    if (!p) return;
    a->pending = p;
    a->cap_pending = cap;
  }
  dns_pending_t *q = &a->pending[a->n_pending++];
  memset(q, 0, sizeof *q);
  q->ts = ts;
  q->trans_id = m->id;
  if (m->has_q) {
    q->has_query = 1;
    q->query_off = a->text.len;
    zb_mem(&a->text, m->qname, m->qname_len);
    q->query_len = a->text.failed ? 0 : m->qname_len;
    q->qtype = m->qtype;
    q->qclass = m->qclass;
  }
  q->opcode = m->opcode;
  q->tc = m->tc;
  q->rd = m->rd;
  q->z = m->z;
}

static void reply(dns_analyzer_t *a, const dns_msg_t *m, ns128_t ts, weirds_t *w) {
  dns_tx_t t;
  size_t i = 0;
  while (i < a->n_pending && a->pending[i].trans_id != m->id) i++;
  int matched = i < a->n_pending;
  if (matched) {
    t = unanswered(a, &a->pending[i]);
    t.rtt = (double)(ts - t.ts);
    t.has_rtt = 1;
  } else {
    weird(w, W_dns_unmatched_reply);
    memset(&t, 0, sizeof t);
    t.ts = ts;
    t.trans_id = m->id;
    t.rd = m->rd;
  }
  if (!t.has_query && m->has_q) {
    t.has_query = 1;
    t.query = m->qname;
    t.query_len = m->qname_len;
    t.qtype = m->qtype;
    t.qclass = m->qclass;
  }
  t.saw_reply = 1;
  t.rcode = m->rcode;
  t.aa = m->aa;
  t.tc = m->tc;
  t.ra = m->ra;
  t.z = m->z;
  t.n_answers = m->answers.failed || m->ttls.failed ? 0 : m->n_answers;
  t.answers = m->answers.p;
  t.answers_len = m->answers.len;
  t.ttls = m->ttls.p;
  t.ttls_len = m->ttls.len;
  t.answer_units = m->answer_units;
  t.rejected = m->ancount == 0 && m->nscount == 0 && m->arcount == 0;
  finish(a, &t, w);
  if (matched) drop_pending(a, i);
}

/* message() */
static void message(dns_analyzer_t *a, dns_msg_t *msg, const uint8_t *m, size_t n, ns128_t ts, weirds_t *w) {
  if (!parse_message(m, n, msg, w)) {
    /* Not DNS before we recognised it: a violation, stop. After: one bad message. */
    if (!a->confirmed) {
      weird(w, W_dns_protocol_violation);
      a->done = 1;
    }
    return;
  }
  a->confirmed = 1;
  if (msg->qr) reply(a, msg, ts, w);
  else query(a, msg, ts, w);
}

/* framed(): one TCP message with its length prefix. */
static void framed(dns_analyzer_t *a, dns_msg_t *msg, const uint8_t *m, size_t n, ns128_t ts, weirds_t *w) {
  if (n == 2) {
    weird(w, W_DNS_zero_length_tcp_message);
    return;
  }
  message(a, msg, m + 2, n - 2, ts, w);
}

int dns_data(dns_pool_t *p, uint32_t h, int dir, const uint8_t *b, size_t n, ns128_t ts, weirds_t *w) {
  dns_analyzer_t *a = get(p, h);
  if (!a) return -1;
  if (a->done || n == 0) return flags_of(a);
  if (!a->tcp) {
    message(a, &p->msg, b, n, ts, w);
    return flags_of(a);
  }
  dir &= 1;
  if (a->lost[dir]) return flags_of(a);
  zbuf_t *c = &a->carry[dir];
  size_t off = 0;
  while (off < n && !a->done) {
    if (c->len > 0) {
      /* Complete the carried message with just the bytes it lacks, then go on in place. */
      size_t need = c->len < 2 ? 2 - c->len : 2 + (size_t)u16(c->p) - c->len;
      size_t take = need < n - off ? need : n - off;
      if (!zb_append_max(c, b + off, take, MAX_TCP_MESSAGE)) return flags_of(a);
      off += take;
      if (c->len >= 2 && c->len == 2 + (size_t)u16(c->p)) {
        size_t len = c->len;
        c->len = 0;
        framed(a, &p->msg, c->p, len, ts, w);
      }
      continue;
    }
    if (n - off < 2 || off + 2 + u16(b + off) > n) {
      zb_append_max(c, b + off, n - off, MAX_TCP_MESSAGE); /* less than one message: at most 65537 bytes, always fits */
      return flags_of(a);
    }
    size_t len = 2 + (size_t)u16(b + off);
    framed(a, &p->msg, b + off, len, ts, w);
    off += len;
  }
  return flags_of(a);
}

int dns_gap(dns_pool_t *p, uint32_t h, int dir, weirds_t *w) {
  dns_analyzer_t *a = get(p, h);
  if (!a) return -1;
  if (a->done || !a->tcp) return flags_of(a);
  dir &= 1;
  /* Length prefixes give no way back into the byte stream: stop this direction. */
  weird(w, W_dns_tcp_content_gap);
  a->lost[dir] = 1;
  a->carry[dir].len = 0;
  if (a->lost[0] && a->lost[1]) a->done = 1;
  return flags_of(a);
}

long dns_rows(dns_pool_t *p, uint32_t h, int final, zbuf_t **rows, weirds_t *w) {
  dns_analyzer_t *a = get(p, h);
  if (!a) return -1;
  if (final && a->n_pending > 0) {
    weird(w, W_dns_unmatched_msg);
    for (size_t i = 0; i < a->n_pending; i++) {
      dns_tx_t t = unanswered(a, &a->pending[i]);
      finish(a, &t, w);
    }
    a->n_pending = 0;
    a->text.len = 0;
  }
  long n = (long)a->n_rows;
  *rows = &a->rows;
  a->n_rows = 0;
  a->rows_bytes = 0;
  return n;
}

void dns_rows_taken(dns_pool_t *p, uint32_t h, int final) {
  dns_analyzer_t *a = get(p, h);
  if (!a) return;
  a->rows.len = 0;
  a->rows.failed = 0;
  if (final) close_analyzer(p, h);
}

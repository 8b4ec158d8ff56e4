/*
 * Certificates as sensor/app/tls/x509.ts decodes them, on the common path only (see
 * x509.h). Each function names the JavaScript it follows; wherever that code would take a
 * path this one does not have, or report a weird, this one gives up (returns -1 or 0) and
 * the JavaScript decoder is asked instead.
 */
#include "x509.h"

#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "zeek-text.h"

enum {
  T_BOOLEAN = 0x01, T_INTEGER = 0x02, T_BIT_STRING = 0x03, T_OCTET_STRING = 0x04, T_OID = 0x06, T_UTF8 = 0x0c, T_NUMERIC = 0x12,
  T_PRINTABLE = 0x13, T_T61 = 0x14, T_IA5 = 0x16, T_UTC_TIME = 0x17, T_GENERALIZED_TIME = 0x18, T_VISIBLE = 0x1a, T_SEQUENCE = 0x30, T_SET = 0x31,
};

/* dn.ts MAX_DN, x509.ts MAX_SANS and MAX_SAN_LEN */
#define MAX_DN 1024
#define MAX_SANS 64
#define MAX_SAN_LEN 255
/* A name's text is built here; past MAX_DN the JavaScript reports a weird, so this gives up. */
#define DN_CAP (MAX_DN + 1)
#define OID_TEXT 1400

typedef struct {
  int tag;
  size_t at, start, end;
} tlv_t;

/* der.ts tlv() */
static int tlv(const uint8_t *b, size_t off, size_t limit, tlv_t *t) {
  if (off + 2 > limit) return 0;
  int tag = b[off];
  if ((tag & 0x1f) == 0x1f) return 0;
  size_t len = b[off + 1], start = off + 2;
  if (len & 0x80) {
    size_t n = len & 0x7f;
    if (n == 0 || n > 4 || start + n > limit) return 0;
    len = 0;
    for (size_t i = 0; i < n; i++) len = len * 256 + b[start + i];
    start += n;
  }
  if (start + len > limit) return 0;
  *t = (tlv_t){ tag, off, start, start + len };
  return 1;
}

/* der.ts children(): 0 when one is malformed or there are more than max. */
static int children(const uint8_t *b, const tlv_t *p, size_t max, tlv_t *out, size_t *n) {
  size_t k = 0;
  for (size_t off = p->start; off < p->end; off = out[k - 1].end) {
    if (k >= max || !tlv(b, off, p->end, &out[k])) return 0;
    k++;
  }
  *n = k;
  return 1;
}

static void put_dec(char *o, size_t *len, uint64_t v) { *len += dec_digits(o + *len, v); }

/* der.ts oid(): the dotted text (NUL-terminated, in o[OID_TEXT]); 0 when an arc would pass what a JavaScript number holds exactly. */
static int oid_text(const uint8_t *b, const tlv_t *t, char *o) {
  size_t len = 0;
  o[0] = 0;
  if (t->end <= t->start || t->end - t->start > 64) return 1;
  uint64_t v = 0;
  int first = 1;
  for (size_t i = t->start; i < t->end; i++) {
    if (v >= ((uint64_t)1 << 46)) return 0;
    v = v * 128 + (b[i] & 0x7f);
    if (b[i] & 0x80) continue;
    if (first) {
      uint64_t x = v < 40 ? 0 : v < 80 ? 1 : 2;
      put_dec(o, &len, x);
      o[len++] = '.';
      put_dec(o, &len, v - 40 * x);
      first = 0;
    } else {
      o[len++] = '.';
      put_dec(o, &len, v);
    }
    v = 0;
  }
  o[len] = 0;
  return 1;
}

typedef struct {
  const char *oid, *name;
} named_t;

static const named_t ALGS[] = {
  { "1.2.840.113549.1.1.1", "rsaEncryption" }, { "1.2.840.113549.1.1.4", "md5WithRSAEncryption" }, { "1.2.840.113549.1.1.5", "sha1WithRSAEncryption" },
  { "1.2.840.113549.1.1.10", "rsassaPss" }, { "1.2.840.113549.1.1.11", "sha256WithRSAEncryption" }, { "1.2.840.113549.1.1.12", "sha384WithRSAEncryption" },
  { "1.2.840.113549.1.1.13", "sha512WithRSAEncryption" }, { "1.2.840.113549.1.1.14", "sha224WithRSAEncryption" }, { "1.2.840.10045.2.1", "id-ecPublicKey" },
  { "1.2.840.10045.4.1", "ecdsa-with-SHA1" }, { "1.2.840.10045.4.3.1", "ecdsa-with-SHA224" }, { "1.2.840.10045.4.3.2", "ecdsa-with-SHA256" },
  { "1.2.840.10045.4.3.3", "ecdsa-with-SHA384" }, { "1.2.840.10045.4.3.4", "ecdsa-with-SHA512" }, { "1.2.840.10040.4.1", "dsaEncryption" },
  { "1.2.840.10040.4.3", "dsaWithSHA1" }, { "2.16.840.1.101.3.4.3.2", "dsa_with_SHA256" }, { "1.3.101.110", "X25519" }, { "1.3.101.111", "X448" },
  { "1.3.101.112", "ED25519" }, { "1.3.101.113", "ED448" }, { "1.2.643.7.1.1.1.1", "gost2012_256" },
  { "1.2.643.7.1.1.3.2", "GOST R 34.10-2012 with GOST R 34.11-2012 (256 bit)" },
};

static const struct {
  const char *oid, *name;
  int bits;
} CURVES[] = {
  { "1.2.840.10045.3.1.7", "prime256v1", 256 }, { "1.3.132.0.34", "secp384r1", 384 }, { "1.3.132.0.35", "secp521r1", 521 },
  { "1.3.132.0.10", "secp256k1", 256 }, { "1.3.132.0.33", "secp224r1", 224 }, { "1.2.840.10045.3.1.1", "prime192v1", 192 },
  { "1.3.36.3.3.2.8.1.1.7", "brainpoolP256r1", 256 }, { "1.3.36.3.3.2.8.1.1.11", "brainpoolP384r1", 384 }, { "1.3.36.3.3.2.8.1.1.13", "brainpoolP512r1", 512 },
};

/* dn.ts SHORT */
static const named_t SHORT[] = {
  { "2.5.4.3", "CN" }, { "2.5.4.4", "SN" }, { "2.5.4.5", "serialNumber" }, { "2.5.4.6", "C" }, { "2.5.4.7", "L" }, { "2.5.4.8", "ST" },
  { "2.5.4.9", "street" }, { "2.5.4.10", "O" }, { "2.5.4.11", "OU" }, { "2.5.4.12", "title" }, { "2.5.4.13", "description" },
  { "2.5.4.15", "businessCategory" }, { "2.5.4.17", "postalCode" }, { "2.5.4.42", "GN" }, { "2.5.4.43", "initials" },
  { "2.5.4.44", "generationQualifier" }, { "2.5.4.46", "dnQualifier" }, { "2.5.4.65", "pseudonym" }, { "2.5.4.97", "organizationIdentifier" },
  { "1.2.840.113549.1.9.1", "emailAddress" }, { "0.9.2342.19200300.100.1.25", "DC" }, { "0.9.2342.19200300.100.1.1", "UID" },
  { "1.3.6.1.4.1.311.60.2.1.1", "jurisdictionL" }, { "1.3.6.1.4.1.311.60.2.1.2", "jurisdictionST" }, { "1.3.6.1.4.1.311.60.2.1.3", "jurisdictionC" },
};

static const char *lookup(const named_t *t, size_t n, const char *oid) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(t[i].oid, oid) == 0) return t[i].name;
  return NULL;
}
#define LOOKUP(table, oid) lookup(table, sizeof table / sizeof table[0], oid)

/* A JavaScript string under construction; `over` once it would pass its capacity. */
typedef struct {
  uint16_t *u;
  size_t n, cap;
  int over;
} text_t;

static void put(text_t *t, uint16_t c) {
  if (t->n < t->cap) t->u[t->n++] = c;
  else t->over = 1;
}

static void put_cstr(text_t *t, const char *s) {
  while (*s) put(t, (uint8_t)*s++);
}

static const char HEX_LOWER[] = "0123456789abcdef";
static const char HEX_UPPER[] = "0123456789ABCDEF";

/*
 * dn.ts stringValue(): the value's text into v. 1 for a string, 0 for a value that is not
 * one, -1 to give up (UTF-8 that is not valid, BMP and universal strings: left to JavaScript).
 */
static int string_value(const uint8_t *b, const tlv_t *t, text_t *v) {
  const uint8_t *s = b + t->start;
  size_t n = t->end - t->start;
  switch (t->tag) {
    case T_UTF8: {
      if (!utf8_valid(s, n)) return -1;
      if (n > v->cap) return -1;
      ustr_t u = { v->u + v->n, 0, v->cap - v->n };
      us_wire(&u, s, n, n);
      if (u.n >= u.cap && n > 0) return -1; /* (perhaps cut: too long to be kept anyway) */
      v->n += u.n;
      return 1;
    }
    case T_PRINTABLE:
    case T_IA5:
    case T_NUMERIC:
    case T_VISIBLE:
    case T_T61: /* latin1 */
      for (size_t i = 0; i < n; i++) put(v, s[i]);
      return v->over ? -1 : 1;
    case 0x1e: /* BMP */
    case 0x1c: /* universal */
      return -1;
  }
  return 0;
}

/* dn.ts escape() (RFC 4514 §2.4) of v[0, n) onto o. */
static void escape_value(text_t *o, const uint16_t *v, size_t n) {
  for (size_t i = 0; i < n; i++) {
    uint16_t c = v[i];
    if (c < 0x20 || c == 0x7f) {
      put(o, '\\');
      put(o, (uint8_t)HEX_UPPER[c >> 4]);
      put(o, (uint8_t)HEX_UPPER[c & 15]);
    } else if (c == ',' || c == '+' || c == '"' || c == '\\' || c == '<' || c == '>' || c == ';' || (i == 0 && (c == '#' || c == ' ')) || (i == n - 1 && c == ' ')) {
      put(o, '\\');
      put(o, c);
    } else {
      put(o, c);
    }
  }
}

/* A decoded name: its text, and its (last) common name unescaped. */
typedef struct {
  uint16_t text[DN_CAP];
  size_t text_n;
  uint16_t cn[DN_CAP];
  size_t cn_n;
  int has_cn;
} dn_t;

#define MAX_RDNS 64
#define MAX_ATVS 16

/* dn.ts decodeName(): 1, or 0 to give up (malformed, or longer than MAX_DN: a weird). */
static int decode_name(const uint8_t *b, const tlv_t *name, dn_t *d) {
  if (name->tag != T_SEQUENCE) return 0;
  tlv_t rdns[MAX_RDNS], atvs[MAX_ATVS], kv[2];
  size_t n_rdns, n_atvs, n_kv;
  if (!children(b, name, MAX_RDNS, rdns, &n_rdns)) return 0;
  /* Each RDN's text, in DER order, kept in one buffer; joined in reverse after. */
  static const size_t PART_CAP = DN_CAP * 2;
  uint16_t *parts = malloc(PART_CAP * sizeof *parts);
  uint16_t *value = malloc(DN_CAP * sizeof *value);
  if (!parts || !value) {
    free(parts);
    free(value);
    return 0;
  }
  size_t part_at[MAX_RDNS + 1];
  text_t all = { parts, 0, PART_CAP, 0 };
  char oid[OID_TEXT];
  int ok = 1;
  d->has_cn = 0;
  for (size_t r = 0; r < n_rdns && ok; r++) {
    part_at[r] = all.n;
    if (rdns[r].tag != T_SET || !children(b, &rdns[r], MAX_ATVS, atvs, &n_atvs)) {
      ok = 0;
      break;
    }
    for (size_t k = 0; k < n_atvs; k++) {
      if (atvs[k].tag != T_SEQUENCE || !children(b, &atvs[k], 2, kv, &n_kv) || n_kv != 2 || kv[0].tag != T_OID || !oid_text(b, &kv[0], oid)) {
        ok = 0;
        break;
      }
      if (k > 0) put(&all, '+');
      const char *short_name = LOOKUP(SHORT, oid);
      put_cstr(&all, short_name ? short_name : oid);
      put(&all, '=');
      text_t v = { value, 0, DN_CAP, 0 };
      int is = string_value(b, &kv[1], &v);
      if (is < 0 || v.over) {
        ok = 0;
        break;
      }
      if (is) {
        if (strcmp(oid, "2.5.4.3") == 0) {
          memcpy(d->cn, v.u, v.n * sizeof *v.u);
          d->cn_n = v.n;
          d->has_cn = 1;
        }
        escape_value(&all, v.u, v.n);
      } else {
        put(&all, '#');
        for (size_t i = kv[1].at; i < kv[1].end && !all.over; i++) {
          put(&all, (uint8_t)HEX_LOWER[b[i] >> 4]);
          put(&all, (uint8_t)HEX_LOWER[b[i] & 15]);
        }
      }
      if (all.over) ok = 0;
    }
  }
  part_at[n_rdns] = all.n;
  if (ok) {
    text_t out = { d->text, 0, DN_CAP, 0 };
    for (size_t r = n_rdns; r-- > 0 && !out.over;) {
      for (size_t i = part_at[r]; i < part_at[r + 1]; i++) put(&out, parts[i]);
      if (r > 0) put(&out, ',');
    }
    /* (past MAX_DN: x509_name_truncated, the JavaScript's to report) */
    ok = !out.over && out.n <= MAX_DN;
    d->text_n = out.n;
  }
  free(parts);
  free(value);
  return ok;
}

/* Days from 1970-01-01 to the first of month m (1..12) of year y (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int64_t m) {
  y -= m <= 2;
  int64_t era = floor_div(y, 400);
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static int digits(const uint8_t *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9') return 0;
  return 1;
}

static int64_t num(const uint8_t *s, size_t n) {
  int64_t v = 0;
  for (size_t i = 0; i < n; i++) v = v * 10 + (s[i] - '0');
  return v;
}

/* der.ts time(): ms since the epoch as Date.UTC makes them (out-of-range fields roll over); 0 to give up. */
static int cert_time(const uint8_t *b, const tlv_t *t, int64_t *ms) {
  const uint8_t *s = b + t->start;
  size_t n = t->end - t->start;
  int64_t year, f[5] = { 0 };
  if (n > 31 || n < 11 || s[n - 1] != 'Z') return 0;
  if (t->tag == T_UTC_TIME) {
    if ((n != 11 && n != 13) || !digits(s, n - 1)) return 0;
    year = num(s, 2);
    year += year < 50 ? 2000 : 1900; /* RFC 5280 §4.1.2.5.1 */
    for (int i = 0; i < 5; i++) f[i] = 2 + 2 * i + 2 <= (int)n - 1 ? num(s + 2 + 2 * i, 2) : 0;
  } else if (t->tag == T_GENERALIZED_TIME) {
    if (n < 15 || !digits(s, 14)) return 0;
    if (n > 15 && (s[14] != '.' || n < 17 || !digits(s + 15, n - 16))) return 0;
    if (n == 15 && s[14] != 'Z') return 0;
    year = num(s, 4);
    if (year < 100) return 0; /* (Date.UTC would take it as 1900 + year) */
    for (int i = 0; i < 5; i++) f[i] = num(s + 4 + 2 * i, 2);
  } else {
    return 0;
  }
  int64_t month = f[0] - 1;
  int64_t ym = year + floor_div(month, 12), mn = month - 12 * floor_div(month, 12);
  int64_t days = days_from_civil(ym, mn + 1) + f[1] - 1;
  *ms = days * 86400000 + f[2] * 3600000 + f[3] * 60000 + f[4] * 1000;
  return 1;
}

/* x509.ts integerBits() */
static int64_t integer_bits(const uint8_t *b, const tlv_t *t) {
  size_t s = t->start;
  while (s < t->end && b[s] == 0) s++;
  if (s >= t->end) return 0;
  return (int64_t)(t->end - s - 1) * 8 + (32 - __builtin_clz((unsigned)b[s]));
}

/* What is logged of a certificate, while it is decoded. */
typedef struct {
  int version;
  char serial[129];
  dn_t *subject, *issuer;
  int64_t not_before, not_after;
  char key_alg[OID_TEXT], sig_alg[OID_TEXT], curve[OID_TEXT];
  const char *key_type;
  int64_t key_length; /* -1: unset */
  int has_curve, ca, path_len_set;
  int64_t path_len;
  text_t san[4]; /* dns, uri, email, ip: elements separated by a 0xffff unit (never in latin1 text) */
  size_t san_count[4];
} cert_t;

enum { SAN_DNS, SAN_URI, SAN_EMAIL, SAN_IP };

/* x509.ts algorithm() */
static int algorithm(const uint8_t *b, const tlv_t *id, char *out) {
  tlv_t parts[2];
  size_t n;
  out[0] = 0;
  if (id->tag != T_SEQUENCE || !children(b, id, 2, parts, &n) || n < 1 || parts[0].tag != T_OID) return 1;
  char oid[OID_TEXT];
  if (!oid_text(b, &parts[0], oid)) return 0;
  const char *name = LOOKUP(ALGS, oid);
  strcpy(out, name ? name : oid);
  return 1;
}

/* x509.ts publicKey() */
static int public_key(const uint8_t *b, const tlv_t *spki, cert_t *c) {
  tlv_t parts[2], alg[2];
  size_t n, n_alg;
  if (!children(b, spki, 2, parts, &n) || n != 2 || parts[0].tag != T_SEQUENCE) return 1;
  if (!children(b, &parts[0], 2, alg, &n_alg) || n_alg < 1 || alg[0].tag != T_OID) return 1;
  char oid[OID_TEXT];
  if (!oid_text(b, &alg[0], oid)) return 0;
  const char *name = LOOKUP(ALGS, oid);
  strcpy(c->key_alg, name ? name : oid);
  const tlv_t *key = &parts[1];
  if (strcmp(oid, "1.2.840.113549.1.1.1") == 0 || strcmp(oid, "1.2.840.113549.1.1.10") == 0) {
    c->key_type = "rsa";
    tlv_t rsa, ints[2];
    size_t k;
    if (key->tag == T_BIT_STRING && tlv(b, key->start + 1, key->end, &rsa) && rsa.tag == T_SEQUENCE && children(b, &rsa, 2, ints, &k) && k >= 1 && ints[0].tag == T_INTEGER)
      c->key_length = integer_bits(b, &ints[0]);
  } else if (strcmp(oid, "1.2.840.10045.2.1") == 0) {
    c->key_type = "ecdsa"; /* (ec, as Zeek names EC keys) */
    if (n_alg >= 2 && alg[1].tag == T_OID) {
      char curve[OID_TEXT];
      if (!oid_text(b, &alg[1], curve)) return 0;
      if (curve[0]) {
        c->has_curve = 1;
        strcpy(c->curve, curve);
        for (size_t i = 0; i < sizeof CURVES / sizeof CURVES[0]; i++)
          if (strcmp(CURVES[i].oid, curve) == 0) {
            strcpy(c->curve, CURVES[i].name);
            c->key_length = CURVES[i].bits;
          }
      }
    }
  } else if (strcmp(oid, "1.2.840.10040.4.1") == 0) {
    c->key_type = "dsa";
    tlv_t params[3];
    size_t k;
    if (n_alg >= 2 && alg[1].tag == T_SEQUENCE && children(b, &alg[1], 3, params, &k) && k >= 1 && params[0].tag == T_INTEGER) c->key_length = integer_bits(b, &params[0]);
  } else if (strcmp(oid, "1.3.101.112") == 0) {
    c->key_type = "ed25519", c->key_length = 253;
  } else if (strcmp(oid, "1.3.101.113") == 0) {
    c->key_type = "ed448", c->key_length = 456;
  } else if (strcmp(oid, "1.3.101.110") == 0) {
    c->key_type = "x25519", c->key_length = 253;
  } else if (strcmp(oid, "1.3.101.111") == 0) {
    c->key_type = "x448", c->key_length = 448;
  }
  return 1;
}

static void san_add(cert_t *c, int kind, const uint8_t *s, size_t n) {
  text_t *t = &c->san[kind];
  if (c->san_count[kind]++ > 0) put(t, 0xffff);
  for (size_t i = 0; i < n; i++) put(t, s[i]);
}

/* x509.ts subjectAltNames(): 0 to give up. */
static int subject_alt_names(const uint8_t *b, const tlv_t *seq, cert_t *c) {
  tlv_t *names = malloc(1024 * sizeof *names);
  size_t n;
  if (!names) return 0;
  if (!children(b, seq, 1024, names, &n)) {
    free(names);
    return 1; /* (no names at all, and no weird) */
  }
  int ok = n <= MAX_SANS; /* (more: x509_too_many_sans) */
  for (size_t i = 0; i < n && ok; i++) {
    const tlv_t *t = &names[i];
    size_t len = t->end - t->start;
    size_t cut = len < MAX_SAN_LEN ? len : MAX_SAN_LEN;
    switch (t->tag) {
      case 0x81:
        san_add(c, SAN_EMAIL, b + t->start, cut);
        break;
      case 0x82:
        san_add(c, SAN_DNS, b + t->start, cut);
        break;
      case 0x86:
        san_add(c, SAN_URI, b + t->start, cut);
        break;
      case 0x87:
        if (len == 4) {
          char ip[16];
          size_t k = 0;
          for (int j = 0; j < 4; j++) {
            if (j) ip[k++] = '.';
            put_dec(ip, &k, b[t->start + j]);
          }
          san_add(c, SAN_IP, (const uint8_t *)ip, k);
        } else if (len == 16) {
          ok = 0; /* (IPv6 text: left to JavaScript) */
        }
        break;
    }
  }
  free(names);
  for (int k = 0; k < 4; k++)
    if (c->san[k].over) ok = 0;
  return ok;
}

/* x509.ts extension(): 0 to give up. */
static int extension(const uint8_t *b, const tlv_t *ext, cert_t *c) {
  tlv_t parts[3], inner;
  size_t n;
  if (ext->tag != T_SEQUENCE || !children(b, ext, 3, parts, &n) || n < 1 || parts[0].tag != T_OID) return 1;
  const tlv_t *value = &parts[n - 1];
  if (value->tag != T_OCTET_STRING || !tlv(b, value->start, value->end, &inner) || inner.tag != T_SEQUENCE) return 1;
  char oid[OID_TEXT];
  if (!oid_text(b, &parts[0], oid)) return 0;
  if (strcmp(oid, "2.5.29.17") == 0) return subject_alt_names(b, &inner, c);
  if (strcmp(oid, "2.5.29.19") == 0) {
    tlv_t bc[2];
    size_t k;
    if (!children(b, &inner, 2, bc, &k)) k = 0;
    c->ca = 0;
    for (size_t i = 0; i < k; i++) {
      if (bc[i].tag == T_BOOLEAN && bc[i].end - bc[i].start == 1) c->ca = b[bc[i].start] != 0;
      if (bc[i].tag == T_INTEGER && bc[i].end - bc[i].start <= 4) {
        int64_t v = 0;
        for (size_t j = bc[i].start; j < bc[i].end; j++) v = v * 256 + b[j];
        c->path_len = v;
        c->path_len_set = 1;
      }
    }
  }
  return 1;
}

static void str_units(zbuf_t *o, const uint16_t *u, size_t n) { zb_zeek_units(o, u, n, 0); }

static void str_ascii(zbuf_t *o, const char *s) {
  uint16_t u[OID_TEXT];
  size_t n = 0;
  while (s[n] && n < OID_TEXT) u[n] = (uint8_t)s[n], n++;
  zb_zeek_units(o, u, n, 0);
}

/* A list column: '-' when empty, else the elements (separated by 0xffff in t) as set elements. */
static void san_column(zbuf_t *o, const text_t *t, size_t count) {
  if (count == 0) {
    zb_byte(o, '-');
    return;
  }
  size_t from = 0;
  for (size_t i = 0; i <= t->n; i++) {
    if (i < t->n && t->u[i] != 0xffff) continue;
    if (from > 0) zb_byte(o, ',');
    zb_zeek_units(o, t->u + from, i - from, 1);
    from = i + 1;
  }
}

/* log.ts writeX509Row(), from the fingerprint to basic_constraints.path_len. */
static void write_row(zbuf_t *o, const char *sha256, const cert_t *c) {
  zb_mem(o, sha256, 64);
  zb_byte(o, '\t');
  zb_uint(o, (uint64_t)c->version);
  zb_byte(o, '\t');
  str_ascii(o, c->serial);
  zb_byte(o, '\t');
  str_units(o, c->subject->text, c->subject->text_n);
  zb_byte(o, '\t');
  str_units(o, c->issuer->text, c->issuer->text_n);
  zb_byte(o, '\t');
  zb_time_ms(o, c->not_before);
  zb_byte(o, '\t');
  zb_time_ms(o, c->not_after);
  zb_byte(o, '\t');
  str_ascii(o, c->key_alg);
  zb_byte(o, '\t');
  str_ascii(o, c->sig_alg);
  zb_byte(o, '\t');
  if (c->key_type) str_ascii(o, c->key_type);
  else zb_byte(o, '-');
  zb_byte(o, '\t');
  if (c->key_length >= 0) zb_uint(o, (uint64_t)c->key_length);
  else zb_byte(o, '-');
  zb_byte(o, '\t');
  if (c->has_curve) str_ascii(o, c->curve);
  else zb_byte(o, '-');
  static const int ORDER[] = { SAN_DNS, SAN_URI, SAN_EMAIL, SAN_IP };
  for (int k = 0; k < 4; k++) {
    zb_byte(o, '\t');
    san_column(o, &c->san[ORDER[k]], c->san_count[ORDER[k]]);
  }
  zb_byte(o, '\t');
  zb_byte(o, c->ca < 0 ? '-' : c->ca ? 'T' : 'F');
  zb_byte(o, '\t');
  if (c->path_len_set) zb_uint(o, (uint64_t)c->path_len);
  else zb_byte(o, '-');
}

static uint16_t *units_dup(const uint16_t *u, size_t n) {
  uint16_t *d = malloc((n ? n : 1) * sizeof *d);
  if (d && n) memcpy(d, u, n * sizeof *d);
  return d;
}

/*
 * native-certs.ts decodeForNative()'s names: the DNS names, else the common name, lowercased,
 * one trailing dot dropped; only when all are ASCII (and hold no NUL, which C strings would cut).
 */
static int host_names(const cert_t *c, tls_cert_t *out) {
  const uint16_t *src;
  size_t n_src, count;
  /* (0xffff separates the DNS names, which are Latin-1 and never hold it; a common name may) */
  int separated = c->san_count[SAN_DNS] > 0;
  if (separated) src = c->san[SAN_DNS].u, n_src = c->san[SAN_DNS].n, count = c->san_count[SAN_DNS];
  else if (c->subject->has_cn) src = c->subject->cn, n_src = c->subject->cn_n, count = 1;
  else src = NULL, n_src = 0, count = 0;
  for (size_t i = 0; i < n_src; i++)
    if (!(separated && src[i] == 0xffff) && (src[i] == 0 || src[i] >= 0x80)) {
      out->names_ascii = 0;
      return 1;
    }
  char **names = calloc(count ? count : 1, sizeof *names);
  if (!names) return 0;
  size_t k = 0, from = 0;
  for (size_t i = 0; i <= n_src && k < count; i++) {
    if (i < n_src && !(separated && src[i] == 0xffff)) continue;
    size_t len = i - from;
    if (len > 0 && src[from + len - 1] == '.') len--;
    if (!(names[k] = malloc(len + 1))) {
      for (size_t j = 0; j < k; j++) free(names[j]);
      free(names);
      return 0;
    }
    for (size_t j = 0; j < len; j++) {
      uint16_t x = src[from + j];
      names[k][j] = (char)(x >= 'A' && x <= 'Z' ? x | 0x20 : x);
    }
    names[k][len] = 0;
    k++;
    from = i + 1;
  }
  out->names = names;
  out->n_names = k;
  out->names_ascii = 1;
  return 1;
}

/* x509.ts decode() */
static int decode(const uint8_t *der, size_t n, cert_t *c, char sha256[64]) {
  tlv_t cert, top[3], tbs[12], times[2], exts[64], v;
  size_t n_top, n_tbs, n_times, n_exts;
  if (!tlv(der, 0, n, &cert) || cert.tag != T_SEQUENCE) return 0;
  if (!children(der, &cert, 3, top, &n_top) || n_top != 3 || top[0].tag != T_SEQUENCE) return 0;
  if (!children(der, &top[0], 12, tbs, &n_tbs)) return 0;
  size_t i = 0;
  c->version = 1;
  if (n_tbs > 0 && tbs[0].tag == 0xa0) {
    if (!tlv(der, tbs[0].start, tbs[0].end, &v) || v.tag != T_INTEGER || v.end - v.start != 1) return 0;
    c->version = der[v.start] + 1;
    i++;
  }
  if (n_tbs < i + 6) return 0;
  const tlv_t *serial = &tbs[i], *issuer = &tbs[i + 2], *validity = &tbs[i + 3], *subject = &tbs[i + 4], *spki = &tbs[i + 5];
  if (serial->tag != T_INTEGER || validity->tag != T_SEQUENCE || spki->tag != T_SEQUENCE) return 0;
  if (!children(der, validity, 2, times, &n_times) || n_times != 2) return 0;
  if (!decode_name(der, issuer, c->issuer) || !decode_name(der, subject, c->subject)) return 0;
  /* serialHex(): sign-padding zero bytes dropped, uppercase, 64 bytes at most */
  size_t s = serial->start, k = 0;
  while (s + 1 < serial->end && der[s] == 0) s++;
  for (size_t j = s; j < serial->end && j < s + 64; j++) {
    c->serial[k++] = HEX_UPPER[der[j] >> 4];
    c->serial[k++] = HEX_UPPER[der[j] & 15];
  }
  c->serial[k] = 0;
  if (!cert_time(der, &times[0], &c->not_before) || !cert_time(der, &times[1], &c->not_after)) return 0;
  if (!algorithm(der, &top[1], c->sig_alg) || !public_key(der, spki, c)) return 0;
  for (size_t j = i + 6; j < n_tbs; j++) {
    if (tbs[j].tag != 0xa3) continue;
    tlv_t seq;
    if (!tlv(der, tbs[j].start, tbs[j].end, &seq) || seq.tag != T_SEQUENCE || !children(der, &seq, 64, exts, &n_exts)) return 0;
    for (size_t e = 0; e < n_exts; e++)
      if (!extension(der, &exts[e], c)) return 0;
  }
  sha256_hex(der + cert.at, cert.end - cert.at, sha256);
  return 1;
}

int x509_decode(const uint8_t *der, size_t n, tls_cert_t *out) {
  cert_t *c = calloc(1, sizeof *c);
  dn_t *subject = malloc(sizeof *subject), *issuer = malloc(sizeof *issuer);
  uint16_t *sans = malloc(4 * 2048 * sizeof *sans);
  int ok = 0;
  zbuf_t row = { 0 };
  tls_cert_t r = { 0 };
  if (!c || !subject || !issuer || !sans) goto done;
  c->subject = subject;
  c->issuer = issuer;
  c->key_length = -1;
  c->ca = -1;
  for (int k = 0; k < 4; k++) c->san[k] = (text_t){ sans + k * 2048, 0, 2048, 0 };
  char sha256[64];
  if (!decode(der, n, c, sha256)) goto done;
  write_row(&row, sha256, c);
  if (row.failed || !host_names(c, &r)) goto done;
  if (!(r.subject = units_dup(subject->text, subject->text_n)) || !(r.issuer = units_dup(issuer->text, issuer->text_n))) goto done;
  r.subject_n = subject->text_n;
  r.issuer_n = issuer->text_n;
  r.row = row.p;
  r.row_len = row.len;
  row.p = NULL;
  *out = r;
  ok = 1;
done:
  if (!ok) {
    free(r.subject);
    free(r.issuer);
    for (size_t k = 0; k < r.n_names; k++) free(r.names[k]);
    free(r.names);
  }
  zb_free(&row);
  free(sans);
  free(subject);
  free(issuer);
  free(c);
  return ok;
}

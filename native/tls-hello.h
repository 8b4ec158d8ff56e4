/*
 * The TLS fingerprints of a hello found at the start of a TCP segment, computed on the
 * reading thread so the JavaScript pipeline need not: JA3 and JA4 of a ClientHello,
 * JA3S of a ServerHello. sensor/app/tls/ja3.ts and ja4.ts define them; this computes
 * the same strings from the same message bytes, and says nothing about any hello the
 * JavaScript parser would find anything unusual in (a weird), so those stay its own.
 */
#ifndef CHOT_TLS_HELLO_H
#define CHOT_TLS_HELLO_H
#include <stdint.h>

enum { HELLO_NONE = 0, HELLO_CLIENT = 1, HELLO_SERVER = 2 };

typedef struct {
  /* The message body is seg[start, end) (after its 4-byte handshake header). */
  uint32_t start, end;
  char ja3[32]; /* JA3 or JA3S */
  char ja4[36]; /* JA4 (ClientHello only) */
} hello_prints_t;

/*
 * seg[0, len): a segment's captured payload. If it starts with a TLS handshake record
 * whose first message is a ClientHello or ServerHello complete in it, fills *out and
 * returns HELLO_CLIENT or HELLO_SERVER; else HELLO_NONE.
 */
int hello_prints(const uint8_t *seg, uint32_t len, hello_prints_t *out);

/* The fingerprints of a ClientHello (type 1) or ServerHello (type 2) body b[0, n): the kind, or HELLO_NONE. */
int hello_message_prints(int type, const uint8_t *b, uint32_t n, hello_prints_t *out);
/*
 * Whether a ClientHello (type 1) or ServerHello (type 2) body b[0, n) has its fixed part
 * where hello_message_prints reads it: version, random, a session id of 32 bytes at most,
 * then the cipher suites and compression methods (a ServerHello: its cipher and method).
 * Whoever takes fingerprints computed elsewhere checks this before reading those fields.
 */
int hello_fixed_part(int type, const uint8_t *b, uint32_t n);

#endif

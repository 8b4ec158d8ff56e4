/*
 * MD5 (RFC 1321) and SHA-256 (FIPS 180-4) of short byte strings, as lowercase hex:
 * what the TLS fingerprints hash (JA3 and JA3S are MD5s, JA4's lists SHA-256s); and
 * SHA-1 (FIPS 180-4) as bytes, for the community_id of a connection.
 * Written here rather than taken from Node's OpenSSL so the addon links against
 * nothing but Node-API (a Node built with a shared or FIPS-restricted OpenSSL
 * would otherwise fail to load it, and with it the whole native reader).
 */
#ifndef CHOT_DIGEST_H
#define CHOT_DIGEST_H
#include <stddef.h>
#include <stdint.h>

/* hex[0, 32): the MD5 of m[0, n). */
void md5_hex(const uint8_t *m, size_t n, char hex[32]);
/* hex[0, 64): the SHA-256 of m[0, n). */
void sha256_hex(const uint8_t *m, size_t n, char hex[64]);

/* out[0, 20): the SHA-1 of m[0, n). */
void sha1(const uint8_t *m, size_t n, uint8_t out[20]);

#endif

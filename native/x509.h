/*
 * Certificates decoded natively for the TLS analyzer (tls.h's tls_cert_t), as
 * sensor/app/tls/x509.ts, dn.ts and der.ts decode them and log.ts writes their x509.log
 * columns; sensor/app/tls/native-certs.ts is the JavaScript counterpart this must equal.
 *
 * Exact or leave it: this takes the certificates most networks show (names in ASCII,
 * Latin-1 or valid UTF-8 strings, known or plain OIDs, UTCTime and GeneralizedTime, RSA,
 * EC, DSA and EdDSA keys, DNS, URI, e-mail and IPv4 alternative names) and gives no answer
 * for anything else: then the JavaScript decoder is asked, as before. It never answers for
 * a certificate the JavaScript would report a weird for.
 */
#ifndef CHOT_X509_H
#define CHOT_X509_H
#include <stddef.h>
#include <stdint.h>

#include "tls.h"

/* 1 with out filled (every pointer malloc'd, the caller's), or 0 with out untouched. */
int x509_decode(const uint8_t *der, size_t n, tls_cert_t *out);

#endif

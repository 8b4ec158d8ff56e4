/*
 * The descriptor of a packet decoded ahead (capture-decode.c writes them, the flow
 * core and sensor/decode/predecoded.ts read them): Int32 fields in this order.
 */
#ifndef CHOT_DESCRIPTOR_H
#define CHOT_DESCRIPTOR_H

enum {
  D_KIND, D_OFF, D_CAPLEN, D_WIRELEN, D_SEC, D_FRAC,
  D_END, D_ETHERTYPE, D_VLAN0, D_VLAN1, D_VLANS, D_MPLS_COUNT, D_MPLS0,
  D_IPV = D_MPLS0 + 8, D_IP_OFF, D_IP_HLEN, D_IP_LEN, D_PROTO, D_TTL,
  D_S0, D_S1, D_S2, D_S3, D_D0, D_D1, D_D2, D_D3,
  D_L4_OFF, D_L4_LEN, D_SPORT, D_DPORT, D_FLAGS, D_SEQ, D_ACK, D_WIN, D_THLEN, D_ULEN,
  D_ICMP_TYPE, D_ICMP_CODE, D_PAY_OFF, D_PAY_LEN, D_PAY_CAP, D_PPPOE,
  D_LINK, D_TSRAW,
  /* A TLS hello at the start of the payload (tls-hello.h): its kind (HELLO_*), the message body's offsets, JA3 (or JA3S) and JA4 as bytes. */
  D_HELLO, D_HELLO_START, D_HELLO_END,
  D_HELLO_TEXT = 56, /* 32 bytes of JA3, then 36 of JA4: to int 73 */
  /* A packet the JavaScript decoders decoded, handed to the flow core: its transport checksum failed (1) or not (0). */
  D_L4_BAD = 74,
  D_STRIDE = 80
};
/* KIND_BAD: no packet, a record FileReader counts in badRecords (in file order, so a stopped read counts only those it passed). */
enum { KIND_JS = 0, KIND_DECODED = 1, KIND_BAD = 2 };

#endif

/*
 * Reads a pcap or pcapng file ahead of `chot sensor read`'s JavaScript pipeline and
 * decodes the common frames on its own thread: Ethernet, raw IP or Linux cooked captures,
 * 802.1Q/QinQ tags, MPLS label stacks, PPPoE sessions, IPv4 and IPv6 without extension
 * headers, TCP, UDP and ICMP, with the IPv4 header and transport checksums verified. Those are nearly every packet of a WAN link,
 * and reading, decoding and summing their bytes was about a third of the pipeline's
 * time; here it runs on another core while the pipeline works on the previous block.
 *
 * The rule that keeps records exact: this decoder only ever says "decoded, and nothing
 * about it was unusual". Any packet the JavaScript decoders would count a weird for, or
 * that needs state (fragments), or that they follow further (tunnels, extension headers,
 * pseudowires), or whose checksum fails, is marked for the JavaScript decoder,
 * which then handles it exactly as it handles every packet with `--reader js`. A test
 * decodes every packet both ways and compares every field.
 *
 * Blocks go round a ring of slots whose memory JavaScript owns (a data Buffer and a
 * descriptor Int32Array each): the thread fills a free slot, JavaScript takes it with
 * next() (blocking until it is ready), hands it back with release().
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#define NAPI_VERSION 8
#include <node_api.h>

#include "descriptor.h"
#include "tls-hello.h"

#define MAX_SLOTS 8
#define MAX_RECORD (256 * 1024)
#define MAX_VXLAN_PORTS 16
/* A pcapng block is at most a largest record and 64 KiB of options (as FileReader bounds it). */
#define MAX_BLOCK (MAX_RECORD + 64 * 1024)

enum { SLOT_FREE = 0, SLOT_READY = 1 };

typedef struct {
  uint8_t *data;
  size_t size;
  int32_t *desc;
  size_t max_packets;
  napi_ref data_ref, desc_ref;
  int state;
  int count;
} slot_t;

typedef struct {
  int32_t link_type;
  uint32_t snaplen;
  uint8_t tsresol; /* if_tsresol: 6 (µs) unless the block says otherwise */
} iface_t;

enum { FORMAT_PCAP = 0, FORMAT_PCAPNG = 1 };

typedef struct {
  int fd;
  off_t pos; /* where the next read starts */
  int format;
  int le; /* pcap: the file's byte order; pcapng: the current section's */
  int link_type; /* pcap */
  iface_t *ifaces; /* pcapng: the current section's interfaces */
  uint32_t n_ifaces, cap_ifaces;
  const char *format_error; /* a structural error that ends reading, as FileReader throws it */
  int verify_ip, verify_l4;
  int hello_prints; /* compute the fingerprints of TLS hellos (D_HELLO) */
  int vxlan_ports[MAX_VXLAN_PORTS];
  int n_vxlan;
  int n_slots;
  slot_t slots[MAX_SLOTS];
  uint8_t *carry; /* bytes of a record that did not fit the last slot */
  size_t carry_len;
  pthread_t thread;
  int thread_started;
  pthread_mutex_t mu;
  pthread_cond_t cond;
  int stop;
  int finished; /* the thread has published its last slot */
  int next_slot; /* the slot JavaScript takes next */
  double bytes_read; /* under the mutex */
  int error; /* errno of a failed read */
  int closed;
} reader_t;

/* ------------------------------------------------------------------ decoding */

static inline uint32_t rd16(const uint8_t *b) { return ((uint32_t)b[0] << 8) | b[1]; }
static inline uint32_t rd32(const uint8_t *b) { return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3]; }

/* The ones' complement sum of b[0, len) as big-endian 16-bit words (an odd last byte high), folded to 16 bits. */
static uint32_t sum_be(const uint8_t *b, size_t len) {
  uint64_t acc = 0;
  size_t i = 0;
  /* Native-order words summed wide; a ones' complement sum of byte-swapped words is the byte-swapped sum (RFC 1071). */
  for (; i + 16 <= len; i += 16) {
    uint32_t w[4];
    memcpy(w, b + i, 16);
    acc += (uint64_t)w[0] + w[1] + w[2] + w[3];
  }
  for (; i + 4 <= len; i += 4) {
    uint32_t w;
    memcpy(&w, b + i, 4);
    acc += w;
  }
  uint64_t tail = 0;
  for (; i + 2 <= len; i += 2) {
    uint16_t w;
    memcpy(&w, b + i, 2);
    tail += w;
  }
  if (i < len) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    tail += b[i];
#else
    tail += (uint32_t)b[i] << 8;
#endif
  }
  acc += tail;
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  uint32_t s = (uint32_t)acc;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  s = ((s & 0xff) << 8) | (s >> 8);
#endif
  return s;
}

static inline uint32_t fold(uint32_t s) {
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return s;
}

/* Pseudo-header (addresses from the IP header, protocol, length) plus the segment: all ones when right. */
static int transport_sum_ok(const uint8_t *ip, int ipv, const uint8_t *seg, uint32_t len, uint32_t proto) {
  uint32_t s = proto + len;
  s += ipv == 4 ? sum_be(ip + 12, 8) : sum_be(ip + 8, 32);
  s += sum_be(seg, len);
  return fold(s) == 0xffff;
}

static int is_vxlan_port(const reader_t *r, uint32_t port) {
  for (int i = 0; i < r->n_vxlan; i++)
    if ((uint32_t)r->vxlan_ports[i] == port) return 1;
  return 0;
}

/* The fingerprints of a hello starting the TCP payload b[pay, pay+len), into the descriptor (the pipeline hands them to the TLS analyzer). */
static void hello_ahead(const uint8_t *b, uint32_t pay, uint32_t len, int32_t *d) {
  hello_prints_t h;
  int kind = hello_prints(b + pay, len, &h);
  if (kind == HELLO_NONE) return;
  d[D_HELLO] = kind;
  d[D_HELLO_START] = (int32_t)(pay + h.start);
  d[D_HELLO_END] = (int32_t)(pay + h.end);
  char *text = (char *)(d + D_HELLO_TEXT);
  memcpy(text, h.ja3, sizeof h.ja3);
  /* (a ServerHello has no JA4: its bytes are cleared rather than left as an earlier packet's) */
  if (kind == HELLO_CLIENT) memcpy(text + sizeof h.ja3, h.ja4, sizeof h.ja4);
  else memset(text + sizeof h.ja3, 0, sizeof h.ja4);
}

/*
 * Decodes the frame b[off, off+caplen) into d. Returns KIND_DECODED when every layer was
 * one this decoder takes and nothing about it was unusual, else KIND_JS. Offsets are into
 * the slot's data, as the JavaScript decoders' are into the buffer they are given.
 */
static int decode(const reader_t *r, int32_t link_type, const uint8_t *b, uint32_t off, uint32_t caplen, uint32_t wirelen, int32_t *d) {
  uint32_t end = off + caplen;
  uint32_t wire_end = off + (wirelen > caplen ? wirelen : caplen);
  uint32_t o = off;
  uint32_t et;
  int vlans = 0, mpls = 0;
  int32_t vlan0 = -1, vlan1 = -1, pppoe = -1;
  switch (link_type) {
    case 1: /* Ethernet */
      if (end - o < 14) return KIND_JS;
      et = rd16(b + o + 12);
      if (et < 0x600) return KIND_JS;
      o += 14;
      break;
    case 101: case 12: case 14: case 228: case 229: /* raw IP */
      if (caplen < 1) return KIND_JS;
      et = (b[o] >> 4) == 6 ? 0x86dd : 0x0800;
      break;
    case 113: /* Linux cooked capture v1: the protocol last */
      if (end - o < 16) return KIND_JS;
      et = rd16(b + o + 14);
      o += 16;
      break;
    case 276: /* Linux cooked capture v2: the protocol first */
      if (end - o < 20) return KIND_JS;
      et = rd16(b + o);
      o += 20;
      break;
    default:
      return KIND_JS;
  }
  for (;;) {
    if (et == 0x0800 || et == 0x86dd) break;
    if (et == 0x8100 || et == 0x88a8 || et == 0x9100) {
      if (end - o < 4) return KIND_JS;
      int32_t vid = (int32_t)(((b[o] & 0x0f) << 8) | b[o + 1]);
      if (vlans == 0) vlan0 = vid;
      else if (vlans == 1) vlan1 = vid;
      if (++vlans > 4) return KIND_JS;
      et = rd16(b + o + 2);
      if (et < 0x600) return KIND_JS;
      o += 4;
    } else if (et == 0x8847 || et == 0x8848) {
      for (int n = 0;; n++) {
        if (end - o < 4 || n >= 16) return KIND_JS;
        int32_t label = (int32_t)(((uint32_t)b[o] << 12) | ((uint32_t)b[o + 1] << 4) | (b[o + 2] >> 4));
        int bottom = b[o + 2] & 1;
        if (mpls < 8) d[D_MPLS0 + mpls] = label;
        mpls++;
        o += 4;
        if (bottom) break;
      }
      if (o >= end) return KIND_JS;
      uint32_t nib = b[o] >> 4;
      if (nib == 4) et = 0x0800;
      else if (nib == 6) et = 0x86dd;
      else return KIND_JS; /* a pseudowire (or garbage): the JavaScript decoder follows it */
    } else if (et == 0x8864) { /* PPPoE session: IP over PPP only */
      if (end - o < 8) return KIND_JS;
      uint32_t ppp = rd16(b + o + 6);
      if (ppp == 0x0021) et = 0x0800;
      else if (ppp == 0x0057) et = 0x86dd;
      else return KIND_JS; /* pppoe_non_ip */
      pppoe = (int32_t)rd16(b + o + 2);
      o += 8;
    } else {
      return KIND_JS;
    }
  }
  d[D_ETHERTYPE] = (int32_t)et;
  d[D_VLAN0] = vlan0;
  d[D_VLAN1] = vlan1;
  d[D_VLANS] = vlans;
  d[D_MPLS_COUNT] = mpls;
  d[D_PPPOE] = pppoe;

  const uint8_t *ip = b + o;
  uint32_t ipv, hl, total, proto, l4, l4len;
  if (et == 0x0800) {
    if (end - o < 20) return KIND_JS;
    if ((ip[0] >> 4) != 4) return KIND_JS;
    hl = (uint32_t)(ip[0] & 0x0f) << 2;
    if (hl < 20) return KIND_JS;
    total = rd16(ip + 2);
    if (total < hl || wire_end - o < total || end - o < hl) return KIND_JS;
    if (r->verify_ip && fold(sum_be(ip, hl)) != 0xffff) return KIND_JS;
    uint32_t ff = rd16(ip + 6);
    if ((ff & 0x1fff) != 0 || (ff & 0x2000) != 0) return KIND_JS; /* a fragment */
    ipv = 4;
    proto = ip[9];
    d[D_TTL] = ip[8];
    d[D_S0] = 0;
    d[D_S1] = 0;
    d[D_S2] = 0xffff;
    d[D_S3] = (int32_t)rd32(ip + 12);
    d[D_D0] = 0;
    d[D_D1] = 0;
    d[D_D2] = 0xffff;
    d[D_D3] = (int32_t)rd32(ip + 16);
  } else {
    if (end - o < 40) return KIND_JS;
    if ((ip[0] >> 4) != 6) return KIND_JS;
    uint32_t plen = rd16(ip + 4);
    total = 40 + plen;
    proto = ip[6];
    if (wire_end - o < total) return KIND_JS;
    /* Only a transport header right after the fixed header: extension headers (and jumbograms) go to JavaScript. */
    if (proto != 6 && proto != 17 && proto != 58 && proto != 1) return KIND_JS;
    ipv = 6;
    hl = 40;
    d[D_TTL] = ip[7];
    for (int i = 0; i < 4; i++) {
      d[D_S0 + i] = (int32_t)rd32(ip + 8 + 4 * i);
      d[D_D0 + i] = (int32_t)rd32(ip + 24 + 4 * i);
    }
  }
  if (o + total < end) end = o + total; /* Ethernet padding is not the datagram's */
  l4 = o + hl;
  l4len = total - hl;
  d[D_IPV] = (int32_t)ipv;
  d[D_IP_OFF] = (int32_t)o;
  d[D_IP_HLEN] = (int32_t)hl;
  d[D_IP_LEN] = (int32_t)total;
  d[D_PROTO] = (int32_t)proto;
  d[D_END] = (int32_t)end;
  d[D_L4_OFF] = (int32_t)l4;
  d[D_L4_LEN] = (int32_t)l4len;
  const uint8_t *t = b + l4;
  uint32_t pay, paylen;
  int whole = end - l4 >= l4len; /* a segment cut by the snaplen is taken as it is, never judged */
  d[D_HELLO] = HELLO_NONE;
  if (proto == 6) {
    if (end - l4 < 20 || l4len < 20) return KIND_JS;
    uint32_t thl = (uint32_t)(t[12] >> 4) << 2;
    if (thl < 20 || thl > l4len) return KIND_JS;
    if (r->verify_l4 && whole && !transport_sum_ok(ip, (int)ipv, t, l4len, 6)) return KIND_JS;
    d[D_SPORT] = (int32_t)rd16(t);
    d[D_DPORT] = (int32_t)rd16(t + 2);
    d[D_SEQ] = (int32_t)rd32(t + 4);
    d[D_ACK] = (int32_t)rd32(t + 8);
    d[D_FLAGS] = t[13];
    d[D_WIN] = (int32_t)rd16(t + 14);
    d[D_THLEN] = (int32_t)thl;
    pay = l4 + thl;
    paylen = l4len - thl;
  } else if (proto == 17) {
    if (end - l4 < 8 || l4len < 8) return KIND_JS;
    uint32_t ulen = rd16(t + 4);
    if (ulen != l4len) return KIND_JS; /* UDP_datagram_length_mismatch */
    uint32_t dport = rd16(t + 2);
    if (is_vxlan_port(r, dport)) return KIND_JS;
    if (r->verify_l4 && whole) {
      int none = t[6] == 0 && t[7] == 0;
      if (none) {
        if (ipv != 4) return KIND_JS;
      } else if (!transport_sum_ok(ip, (int)ipv, t, l4len, 17)) {
        return KIND_JS;
      }
    }
    d[D_SPORT] = (int32_t)rd16(t);
    d[D_DPORT] = (int32_t)dport;
    d[D_ULEN] = (int32_t)ulen;
    pay = l4 + 8;
    paylen = ulen - 8;
  } else if (proto == 1 || proto == 58) {
    if (end - l4 < 8 || l4len < 8) return KIND_JS;
    if (r->verify_l4 && whole) {
      int ok = ipv == 4 ? fold(sum_be(t, l4len)) == 0xffff : transport_sum_ok(ip, 6, t, l4len, 58);
      if (!ok) return KIND_JS;
    }
    d[D_ICMP_TYPE] = t[0];
    d[D_ICMP_CODE] = t[1];
    pay = l4 + 8;
    paylen = l4len - 8;
  } else {
    return KIND_JS; /* tunnels and other protocols */
  }
  d[D_PAY_OFF] = (int32_t)pay;
  d[D_PAY_LEN] = (int32_t)paylen;
  int64_t cap = (int64_t)end - (int64_t)pay;
  d[D_PAY_CAP] = (int32_t)(cap <= 0 ? 0 : cap < (int64_t)paylen ? cap : (int64_t)paylen);
  if (proto == 6 && r->hello_prints && d[D_PAY_CAP] >= 9 && b[pay] == 22) hello_ahead(b, pay, (uint32_t)d[D_PAY_CAP], d);
  return KIND_DECODED;
}

/* ------------------------------------------------------------------ the reading thread */

static inline uint32_t u32(const uint8_t *b, int le) {
  return le ? ((uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24)) : rd32(b);
}

/*
 * Reads from the file at *pos until buf[0, want) is full, the file ends or a read fails
 * (errno in *err); returns the bytes now held. pread: the descriptor's offset is shared
 * with FileReader's, which reads on from it if this reader is given up.
 */
static size_t read_full(int fd, off_t *pos, uint8_t *buf, size_t have, size_t want, int *err) {
  while (have < want) {
    ssize_t n = pread(fd, buf + have, want - have, *pos);
    if (n < 0) {
      if (errno == EINTR) continue;
      *err = errno;
      break;
    }
    if (n == 0) break;
    have += (size_t)n;
    *pos += n;
  }
  return have;
}

/* One packet's descriptor: where it lies, its lengths and time, and what the decoder made of it. */
static void put_packet(reader_t *r, slot_t *s, int n, uint32_t off, int64_t caplen, uint32_t orig, int32_t link, uint32_t sec, uint32_t frac, int32_t tsraw) {
  int32_t *d = s->desc + (size_t)n * D_STRIDE;
  d[D_OFF] = (int32_t)off;
  d[D_CAPLEN] = (int32_t)caplen;
  d[D_WIRELEN] = (int32_t)orig;
  d[D_SEC] = (int32_t)sec;
  d[D_FRAC] = (int32_t)frac;
  d[D_LINK] = link;
  d[D_TSRAW] = tsraw;
  d[D_KIND] = caplen < 0 ? KIND_JS : decode(r, link, s->data, off, (uint32_t)caplen, orig, d);
}

static void put_bad(slot_t *s, int n) {
  s->desc[(size_t)n * D_STRIDE + D_KIND] = KIND_BAD;
}

/*
 * pcap records from data[*pos, len): as FileReader.readPcap walks them. Returns 1 when
 * the file is done; *pos is left at the first record not taken.
 */
static int walk_pcap(reader_t *r, slot_t *s, size_t len, int eof, size_t *pos, int *count) {
  size_t p = *pos;
  int n = *count, done = 0;
  for (;;) {
    if ((size_t)n >= s->max_packets) break;
    if (len - p < 16) {
      if (eof) {
        if (len > p) put_bad(s, n++);
        done = 1;
      }
      break;
    }
    const uint8_t *h = s->data + p;
    uint32_t sec = u32(h, r->le), frac = u32(h + 4, r->le), incl = u32(h + 8, r->le), orig = u32(h + 12, r->le);
    if (incl > MAX_RECORD) { /* a corrupt length: nothing after it can be located */
      put_bad(s, n++);
      done = 1;
      break;
    }
    if (len - p < 16 + (size_t)incl) {
      if (eof) {
        put_bad(s, n++);
        done = 1;
      }
      break;
    }
    put_packet(r, s, n++, (uint32_t)p + 16, incl, orig, r->link_type, sec, frac, 0);
    p += 16 + incl;
  }
  *pos = p;
  *count = n;
  return done;
}

/*
 * A pcapng timestamp in seconds and nanoseconds when its resolution is a power of ten
 * up to nanoseconds (then exact integer division equals FileReader's arithmetic); 0 for
 * the other resolutions and for seconds beyond 32 bits, which JavaScript converts.
 */
static int split_timestamp(uint32_t hi, uint32_t lo, uint8_t tsresol, uint32_t *sec, uint32_t *nsec) {
  if (tsresol & 0x80 || tsresol > 9) return 0;
  uint64_t u = 1, ns_per_unit = 1;
  for (int i = 0; i < tsresol; i++) u *= 10;
  for (int i = tsresol; i < 9; i++) ns_per_unit *= 10;
  uint64_t v = ((uint64_t)hi << 32) | lo;
  uint64_t q = v / u;
  if (q > 0xffffffffu) return 0;
  *sec = (uint32_t)q;
  *nsec = (uint32_t)((v % u) * ns_per_unit);
  return 1;
}

static int add_iface(reader_t *r, iface_t f) {
  if (r->n_ifaces == r->cap_ifaces) {
    if (r->cap_ifaces >= 0x40000000u) return 0;
    uint32_t cap = r->cap_ifaces ? r->cap_ifaces * 2 : 8;
    iface_t *more = realloc(r->ifaces, cap * sizeof *more);
    if (!more) return 0;
    r->ifaces = more;
    r->cap_ifaces = cap;
  }
  r->ifaces[r->n_ifaces++] = f;
  return 1;
}

/* pcapng blocks from data[*pos, len): as FileReader.readPcapng walks them. */
static int walk_pcapng(reader_t *r, slot_t *s, size_t len, int eof, size_t *pos, int *count) {
  size_t p = *pos;
  int n = *count, done = 0;
  for (;;) {
    if ((size_t)n >= s->max_packets) break;
    if (len - p < 12) {
      if (eof) {
        if (len > p) put_bad(s, n++);
        done = 1;
      }
      break;
    }
    const uint8_t *h = s->data + p;
    uint32_t type_be = rd32(h);
    if (type_be == 0x0a0d0d0a) {
      /* A new section: its byte-order magic decides the byte order until the next one. */
      int le = u32(h + 8, 1) == 0x1a2b3c4d;
      if (!le && rd32(h + 8) != 0x1a2b3c4d) {
        r->format_error = "bad pcapng byte-order magic";
        done = 1;
        break;
      }
      r->le = le;
      r->n_ifaces = 0;
    }
    uint32_t type = r->le ? u32(h, 1) : type_be;
    uint32_t total = u32(h + 4, r->le);
    if (total < 12 || total % 4 != 0 || total > MAX_BLOCK) {
      put_bad(s, n++);
      done = 1;
      break;
    }
    if (len - p < total) {
      if (eof) {
        put_bad(s, n++);
        done = 1;
      }
      break;
    }
    if (type == 6 || type == 2) { /* enhanced / obsolete packet block */
      if (total < 32) {
        put_bad(s, n++); /* (FileReader reads past such a block, and finds its length wrong) */
      } else {
        uint32_t id = type == 6 ? u32(h + 8, r->le) : (r->le ? (uint32_t)(h[8] | (h[9] << 8)) : rd16(h + 8));
        uint32_t hi = u32(h + 12, r->le), lo = u32(h + 16, r->le), cap = u32(h + 20, r->le), orig = u32(h + 24, r->le);
        if (id >= r->n_ifaces || (int64_t)cap > (int64_t)total - 32) {
          put_bad(s, n++);
        } else {
          const iface_t *f = &r->ifaces[id];
          uint32_t sec, nsec;
          if (split_timestamp(hi, lo, f->tsresol, &sec, &nsec)) put_packet(r, s, n++, (uint32_t)p + 28, cap, orig, f->link_type, sec, nsec, 0);
          else put_packet(r, s, n++, (uint32_t)p + 28, cap, orig, f->link_type, hi, lo, 0x100 | f->tsresol);
        }
      }
    } else if (type == 3) { /* simple packet block: interface 0, no time */
      if (r->n_ifaces == 0) {
        put_bad(s, n++);
      } else {
        uint32_t orig = u32(h + 8, r->le);
        int64_t cap = (int64_t)orig < (int64_t)total - 16 ? (int64_t)orig : (int64_t)total - 16;
        if (r->ifaces[0].snaplen > 0 && cap > (int64_t)r->ifaces[0].snaplen) cap = r->ifaces[0].snaplen;
        put_packet(r, s, n++, (uint32_t)p + 12, cap, orig, r->ifaces[0].link_type, 0, 0, 0);
      }
    } else if (type == 1) { /* interface description (one too short for its snaplen gets 0, where FileReader reads past it) */
      iface_t f = { (int32_t)(r->le ? (uint32_t)(h[8] | (h[9] << 8)) : rd16(h + 8)), total >= 16 ? u32(h + 12, r->le) : 0, 6 };
      /* Options: code(2) length(2) value padded to 4; if_tsresol is code 9. */
      size_t o = p + 16, opt_end = p + total - 4;
      while (o + 4 <= opt_end) {
        const uint8_t *q = s->data + o;
        uint32_t code = r->le ? (uint32_t)(q[0] | (q[1] << 8)) : rd16(q);
        uint32_t olen = r->le ? (uint32_t)(q[2] | (q[3] << 8)) : rd16(q + 2);
        if (code == 0) break;
        if (code == 9 && olen >= 1) f.tsresol = q[4];
        o += 4 + ((olen + 3) & ~3u);
      }
      if (!add_iface(r, f)) {
        r->format_error = "out of memory for the pcapng interfaces";
        done = 1;
        break;
      }
    }
    p += total;
  }
  *pos = p;
  *count = n;
  return done;
}

/*
 * Fills one slot: the carried bytes, then as much of the file as fits; walks whole
 * records, decoding each packet; keeps a record cut by the block's end for the next slot.
 * Returns 1 when the file is done (its end, a corrupt record, or a read error).
 */
static int fill_slot(reader_t *r, slot_t *s, size_t *got, int *err) {
  memcpy(s->data, r->carry, r->carry_len);
  size_t had = r->carry_len;
  size_t len = read_full(r->fd, &r->pos, s->data, had, s->size, err);
  *got = len - had;
  /* After a failed read the records read before it are still handed over, then reading ends. */
  int eof = !*err && len < s->size;
  size_t p = 0;
  int n = 0;
  int done = r->format == FORMAT_PCAPNG ? walk_pcapng(r, s, len, eof, &p, &n) : walk_pcap(r, s, len, eof, &p, &n);
  if (*err) done = 1;
  s->count = n;
  r->carry_len = done ? 0 : len - p;
  if (r->carry_len > 0) memcpy(r->carry, s->data + p, r->carry_len);
  return done;
}

static void *run(void *arg) {
  reader_t *r = arg;
  int i = 0;
  for (;;) {
    slot_t *s = &r->slots[i];
    pthread_mutex_lock(&r->mu);
    while (s->state != SLOT_FREE && !r->stop) pthread_cond_wait(&r->cond, &r->mu);
    int stop = r->stop;
    pthread_mutex_unlock(&r->mu);
    if (stop) break;
    int err = 0;
    size_t got = 0;
    int done = fill_slot(r, s, &got, &err);
    pthread_mutex_lock(&r->mu);
    r->bytes_read += (double)got;
    if (err) r->error = err;
    s->state = SLOT_READY;
    if (done || err) r->finished = 1;
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->mu);
    if (done || err) break;
    i = (i + 1) % r->n_slots;
  }
  pthread_mutex_lock(&r->mu);
  r->finished = 1;
  pthread_cond_broadcast(&r->cond);
  pthread_mutex_unlock(&r->mu);
  return NULL;
}

/* ------------------------------------------------------------------ Node-API */

static void shut(reader_t *r) {
  if (r->closed) return;
  r->closed = 1;
  if (r->thread_started) {
    pthread_mutex_lock(&r->mu);
    r->stop = 1;
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->thread, NULL);
  }
  if (r->fd >= 0) close(r->fd);
  r->fd = -1;
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)hint;
  reader_t *r = data;
  shut(r);
  for (int i = 0; i < r->n_slots; i++) {
    if (r->slots[i].data_ref) napi_delete_reference(env, r->slots[i].data_ref);
    if (r->slots[i].desc_ref) napi_delete_reference(env, r->slots[i].desc_ref);
  }
  pthread_mutex_destroy(&r->mu);
  pthread_cond_destroy(&r->cond);
  free(r->carry);
  free(r->ifaces);
  free(r);
}

static napi_value fail(napi_env env, const char *code, const char *msg) {
  napi_throw_error(env, code, msg);
  return NULL;
}

static int get_int_prop(napi_env env, napi_value obj, const char *name, int32_t *out) {
  napi_value v;
  return napi_get_named_property(env, obj, name, &v) == napi_ok && napi_get_value_int32(env, v, out) == napi_ok;
}

static int get_bool_prop(napi_env env, napi_value obj, const char *name, int *out) {
  napi_value v;
  bool b;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok || napi_get_value_bool(env, v, &b) != napi_ok) return 0;
  *out = b;
  return 1;
}

/* Marks this addon's handles, so that another addon's external is never taken for a reader. */
static const napi_type_tag READER_TAG = { 0x63686f7463617074ULL, 0x7572656465636f64ULL };

/*
 * open(fd, { offset, pcapng, littleEndian, linkType, verifyIp, verifyL4, vxlanPorts }, slots)
 * -> handle. fd: the file FileReader opened and read the header of (duplicated here, so
 * that both read the same file); slots: [{ data: Buffer, desc: Int32Array }, ...] (2..8),
 * kept alive by the handle.
 */
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3) return fail(env, "EINVAL", "open(fd, options, slots): three arguments");
  int32_t fd;
  if (napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) return fail(env, "EINVAL", "open: fd must be an open file descriptor");
  reader_t *r = calloc(1, sizeof *r);
  if (!r) return fail(env, "ENOMEM", "open: out of memory");
  r->fd = -1;
  pthread_mutex_init(&r->mu, NULL);
  pthread_cond_init(&r->cond, NULL);
  napi_value handle;
  /* From here on the finalizer owns r: every failure below leaves it to the garbage collector. */
  if (napi_create_external(env, r, finalize, NULL, &handle) != napi_ok) {
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cond);
    free(r);
    return fail(env, "ENOMEM", "open: cannot create the handle");
  }
  napi_type_tag_object(env, handle, &READER_TAG);
  int32_t offset, link_type;
  int pcapng;
  if (!get_int_prop(env, argv[1], "offset", &offset) || offset < 0 || !get_int_prop(env, argv[1], "linkType", &link_type) ||
      !get_bool_prop(env, argv[1], "littleEndian", &r->le) || !get_bool_prop(env, argv[1], "pcapng", &pcapng) ||
      !get_bool_prop(env, argv[1], "verifyIp", &r->verify_ip) || !get_bool_prop(env, argv[1], "verifyL4", &r->verify_l4))
    return fail(env, "EINVAL", "open: options need offset, pcapng, linkType, littleEndian, verifyIp and verifyL4");
  /* (optional: an older caller leaves it off) */
  if (!get_bool_prop(env, argv[1], "helloPrints", &r->hello_prints)) r->hello_prints = 0;
  r->link_type = link_type;
  r->format = pcapng ? FORMAT_PCAPNG : FORMAT_PCAP;
  napi_value ports;
  uint32_t nports = 0;
  if (napi_get_named_property(env, argv[1], "vxlanPorts", &ports) != napi_ok || napi_get_array_length(env, ports, &nports) != napi_ok || nports > MAX_VXLAN_PORTS)
    return fail(env, "EINVAL", "open: options.vxlanPorts must be an array of at most 16 ports");
  for (uint32_t i = 0; i < nports; i++) {
    napi_value v;
    int32_t port;
    if (napi_get_element(env, ports, i, &v) != napi_ok || napi_get_value_int32(env, v, &port) != napi_ok) return fail(env, "EINVAL", "open: vxlanPorts must hold numbers");
    r->vxlan_ports[r->n_vxlan++] = port;
  }
  uint32_t nslots = 0;
  if (napi_get_array_length(env, argv[2], &nslots) != napi_ok || nslots < 2 || nslots > MAX_SLOTS) return fail(env, "EINVAL", "open: slots must be an array of 2 to 8 slots");
  size_t size0 = 0;
  for (uint32_t i = 0; i < nslots; i++) {
    napi_value slot, data, desc;
    slot_t *s = &r->slots[i];
    if (napi_get_element(env, argv[2], i, &slot) != napi_ok || napi_get_named_property(env, slot, "data", &data) != napi_ok || napi_get_named_property(env, slot, "desc", &desc) != napi_ok)
      return fail(env, "EINVAL", "open: each slot needs data and desc");
    void *dp;
    if (napi_get_buffer_info(env, data, &dp, &s->size) != napi_ok) return fail(env, "EINVAL", "open: slot data must be a Buffer");
    s->data = dp;
    napi_typedarray_type type;
    size_t length;
    void *descp;
    if (napi_get_typedarray_info(env, desc, &type, &length, &descp, NULL, NULL) != napi_ok || type != napi_int32_array || length < D_STRIDE)
      return fail(env, "EINVAL", "open: slot desc must be an Int32Array of at least one descriptor (its stride)");
    s->desc = descp;
    s->max_packets = length / D_STRIDE;
    if (s->size < MAX_BLOCK) return fail(env, "EINVAL", "open: slot data must hold at least one largest record or block (327,680 bytes)");
    if (i == 0) size0 = s->size;
    else if (s->size != size0) return fail(env, "EINVAL", "open: slots must be the same size");
    napi_create_reference(env, data, 1, &s->data_ref);
    napi_create_reference(env, desc, 1, &s->desc_ref);
    r->n_slots = (int)i + 1; /* (the finalizer deletes the references of the slots taken so far) */
  }
  r->carry = malloc(size0);
  if (!r->carry) return fail(env, "ENOMEM", "open: out of memory");
  r->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (r->fd < 0) {
    char msg[256];
    snprintf(msg, sizeof msg, "open: cannot duplicate fd %d: %s", fd, strerror(errno));
    return fail(env, "EBADF", msg);
  }
  r->pos = offset;
#ifdef POSIX_FADV_SEQUENTIAL
  posix_fadvise(r->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  if (pthread_create(&r->thread, NULL, run, r) != 0) return fail(env, "EAGAIN", "open: cannot start the reading thread");
  r->thread_started = 1;
  return handle;
}

static reader_t *handle_of(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  napi_value args[2];
  void *data;
  bool tagged = false;
  if (napi_get_cb_info(env, info, &argc, args, NULL, NULL) != napi_ok || argc < want || napi_check_object_type_tag(env, args[0], &READER_TAG, &tagged) != napi_ok || !tagged ||
      napi_get_value_external(env, args[0], &data) != napi_ok) {
    napi_throw_type_error(env, NULL, "expected a reader handle");
    return NULL;
  }
  if (argv) argv[0] = args[1];
  return data;
}

/* next(handle) -> the index of the next filled slot, or -1 once the file is done. Blocks until one is ready. */
static napi_value js_next(napi_env env, napi_callback_info info) {
  reader_t *r = handle_of(env, info, 1, NULL);
  if (!r) return NULL;
  int32_t result = -1;
  if (!r->closed) {
    slot_t *s = &r->slots[r->next_slot];
    pthread_mutex_lock(&r->mu);
    while (s->state != SLOT_READY && !r->finished) pthread_cond_wait(&r->cond, &r->mu);
    if (s->state == SLOT_READY) {
      result = r->next_slot;
      r->next_slot = (r->next_slot + 1) % r->n_slots;
    }
    pthread_mutex_unlock(&r->mu);
  }
  napi_value out;
  napi_create_int32(env, result, &out);
  return out;
}

/* count(handle, slot) -> packets in a slot taken with next(). */
static napi_value js_count(napi_env env, napi_callback_info info) {
  napi_value arg;
  reader_t *r = handle_of(env, info, 2, &arg);
  if (!r) return NULL;
  int32_t i;
  if (napi_get_value_int32(env, arg, &i) != napi_ok || i < 0 || i >= r->n_slots) return fail(env, "EINVAL", "count: no such slot");
  napi_value out;
  napi_create_int32(env, r->slots[i].count, &out);
  return out;
}

/* release(handle, slot): the slot's packets are done with; the thread may fill it again. */
static napi_value js_release(napi_env env, napi_callback_info info) {
  napi_value arg;
  reader_t *r = handle_of(env, info, 2, &arg);
  if (!r) return NULL;
  int32_t i;
  if (napi_get_value_int32(env, arg, &i) != napi_ok || i < 0 || i >= r->n_slots) return fail(env, "EINVAL", "release: no such slot");
  pthread_mutex_lock(&r->mu);
  r->slots[i].state = SLOT_FREE;
  r->slots[i].count = 0;
  pthread_cond_broadcast(&r->cond);
  pthread_mutex_unlock(&r->mu);
  return NULL;
}

static void set_num(napi_env env, napi_value obj, const char *name, double v) {
  napi_value n;
  napi_create_double(env, v, &n);
  napi_set_named_property(env, obj, name, n);
}

/*
 * stats(handle) -> { bytes, readError?, formatError? }: bytes read so far, and why reading
 * ended early. (Packets, truncated and bad records are counted by JavaScript as it takes them.)
 */
static napi_value js_stats(napi_env env, napi_callback_info info) {
  reader_t *r = handle_of(env, info, 1, NULL);
  if (!r) return NULL;
  napi_value out;
  napi_create_object(env, &out);
  pthread_mutex_lock(&r->mu);
  double bytes = r->bytes_read;
  int error = r->error;
  const char *format_error = r->finished ? r->format_error : NULL;
  pthread_mutex_unlock(&r->mu);
  set_num(env, out, "bytes", bytes);
  napi_value e;
  if (error) {
    napi_create_string_utf8(env, strerror(error), NAPI_AUTO_LENGTH, &e);
    napi_set_named_property(env, out, "readError", e);
  }
  if (format_error) {
    napi_create_string_utf8(env, format_error, NAPI_AUTO_LENGTH, &e);
    napi_set_named_property(env, out, "formatError", e);
  }
  return out;
}

/* close(handle): stops and joins the thread and closes the file (also done when the handle is collected). */
static napi_value js_close(napi_env env, napi_callback_info info) {
  reader_t *r = handle_of(env, info, 1, NULL);
  if (!r) return NULL;
  shut(r);
  return NULL;
}

/*
 * helloPrints(type, body: Uint8Array) -> { ja3, ja4 } | undefined: the fingerprints this
 * addon computes for a ClientHello (type 1; ja3 and ja4) or ServerHello (type 2; ja3 is
 * its JA3S) body, as the decoder puts them in descriptors; undefined where it leaves the
 * hello to JavaScript. For the tests that hold these to sensor/app/tls's own.
 */
static napi_value js_hello_prints(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result;
  int32_t type;
  napi_typedarray_type t;
  size_t len;
  void *data;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 || napi_get_value_int32(env, argv[0], &type) != napi_ok ||
      napi_get_typedarray_info(env, argv[1], &t, &len, &data, NULL, NULL) != napi_ok || t != napi_uint8_array || len > 0xffffff)
    return fail(env, "EINVAL", "helloPrints(type, body): a handshake type and a Uint8Array of at most 2^24 - 1 bytes");
  hello_prints_t h;
  int kind = hello_message_prints(type, data, (uint32_t)len, &h);
  napi_get_undefined(env, &result);
  if (kind == HELLO_NONE) return result;
  napi_value ja3, ja4;
  napi_create_object(env, &result);
  napi_create_string_latin1(env, h.ja3, sizeof h.ja3, &ja3);
  napi_set_named_property(env, result, "ja3", ja3);
  if (kind == HELLO_CLIENT) {
    napi_create_string_latin1(env, h.ja4, sizeof h.ja4, &ja4);
    napi_set_named_property(env, result, "ja4", ja4);
  }
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  struct { const char *name; napi_callback fn; } fns[] = {
    { "open", js_open }, { "next", js_next }, { "count", js_count }, { "release", js_release }, { "stats", js_stats }, { "close", js_close },
    { "helloPrints", js_hello_prints },
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value f;
    napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &f);
    napi_set_named_property(env, exports, fns[i].name, f);
  }
  napi_value stride;
  napi_create_int32(env, D_STRIDE, &stride);
  napi_set_named_property(env, exports, "stride", stride);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)

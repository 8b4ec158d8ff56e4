/*
 * The analyzers of a pool (dns.c, tls.c, http.c): an array of them, whose slots are
 * reused through a free list, so that a handle (a slot + 1) is a small number and opening
 * one allocates nothing once the pool has grown.
 */
#ifndef CHOT_SLOTS_H
#define CHOT_SLOTS_H
#include <stddef.h>
#include <stdint.h>

typedef struct {
  uint32_t n, cap;    /* slots made, and the array's room */
  uint32_t free_head; /* 1 + a free slot, 0 for none */
  uint32_t *next;     /* per slot: the free list's next (1 + a slot, or 0) */
} slots_t;

/*
 * A slot for a new analyzer in *array (of elements of elem bytes): a freed one as it was
 * left, else a new one, zeroed, the array grown (and *array moved) as needed. -1 when out
 * of memory.
 */
long slots_take(slots_t *s, void **array, size_t elem);
/* Slot i is free again. */
void slots_give(slots_t *s, uint32_t i);
void slots_free(slots_t *s);

#endif

/* See slots.h. */
#include "slots.h"

#include <stdlib.h>
#include <string.h>

long slots_take(slots_t *s, void **array, size_t elem) {
  if (s->free_head) {
    uint32_t i = s->free_head - 1;
    s->free_head = s->next[i];
    return i;
  }
  if (s->n == s->cap) {
    uint32_t cap = s->cap ? s->cap * 2 : 64;
    void *a = realloc(*array, (size_t)cap * elem);
    if (!a) return -1;
    *array = a;
    uint32_t *next = realloc(s->next, (size_t)cap * sizeof *next);
    if (!next) return -1; /* (the array stays grown; cap says how far it was before) */
    s->next = next;
    s->cap = cap;
  }
  uint32_t i = s->n++;
  memset((char *)*array + (size_t)i * elem, 0, elem);
  return i;
}

void slots_give(slots_t *s, uint32_t i) {
  s->next[i] = s->free_head;
  s->free_head = i + 1;
}

void slots_free(slots_t *s) {
  free(s->next);
  *s = (slots_t){ 0 };
}

/* A hash map from 64-bit keys (page numbers, guest addresses) to
 * pointers. Open addressing with linear probing and backward-shift
 * deletion, so it has no tombstones and its memory follows the number of
 * live keys: it grows (doubling) as keys are added and shrinks when most
 * are removed. Not thread-safe; the owner serializes access. */
#ifndef SHOAL_DSM_U64MAP_H
#define SHOAL_DSM_U64MAP_H

#include <stddef.h>
#include <stdint.h>

struct u64map_slot {
    uint64_t key;
    void *val; /* NULL marks an empty slot, so values are never NULL */
};

struct u64map {
    struct u64map_slot *slots;
    size_t cap; /* 0 or a power of two */
    size_t n;
};

void u64map_init(struct u64map *m);
void u64map_fini(struct u64map *m);
/* The value for key, or NULL. */
void *u64map_get(const struct u64map *m, uint64_t key);
/* Sets key to val (val != NULL), replacing any value. 0 or -ENOMEM. */
int u64map_put(struct u64map *m, uint64_t key, void *val);
/* Removes key; returns its value or NULL if absent. */
void *u64map_del(struct u64map *m, uint64_t key);

/* Iteration: `for (size_t i = 0; u64map_next(m, &i, &k, &v);)`. The map
 * must not change during the walk. */
int u64map_next(const struct u64map *m, size_t *it, uint64_t *key, void **val);

#endif

#include "dsm/u64map.h"

#include <errno.h>
#include <stdlib.h>

/* Keys are page numbers and aligned addresses: the low bits carry little
 * entropy, so mix before masking (the murmur3 finalizer). */
static size_t hash(uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ull;
    k ^= k >> 33;
    return (size_t)k;
}

void u64map_init(struct u64map *m) {
    m->slots = NULL;
    m->cap = 0;
    m->n = 0;
}

void u64map_fini(struct u64map *m) {
    free(m->slots);
    u64map_init(m);
}

void *u64map_get(const struct u64map *m, uint64_t key) {
    if (!m->cap) return NULL;
    size_t mask = m->cap - 1;
    for (size_t i = hash(key) & mask;; i = (i + 1) & mask) {
        if (!m->slots[i].val) return NULL;
        if (m->slots[i].key == key) return m->slots[i].val;
    }
}

static void insert_fresh(struct u64map_slot *slots, size_t cap, uint64_t key, void *val) {
    size_t mask = cap - 1;
    size_t i = hash(key) & mask;
    while (slots[i].val)
        i = (i + 1) & mask;
    slots[i].key = key;
    slots[i].val = val;
}

static int resize(struct u64map *m, size_t cap) {
    struct u64map_slot *s = calloc(cap, sizeof *s);
    if (!s) return -ENOMEM;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].val) insert_fresh(s, cap, m->slots[i].key, m->slots[i].val);
    free(m->slots);
    m->slots = s;
    m->cap = cap;
    return 0;
}

int u64map_put(struct u64map *m, uint64_t key, void *val) {
    if (m->cap) {
        size_t mask = m->cap - 1;
        for (size_t i = hash(key) & mask; m->slots[i].val; i = (i + 1) & mask)
            if (m->slots[i].key == key) {
                m->slots[i].val = val;
                return 0;
            }
    }
    /* keep the load factor at or below 1/2: probes stay short */
    if ((m->n + 1) * 2 > m->cap) {
        int r = resize(m, m->cap ? m->cap * 2 : 16);
        if (r) return r;
    }
    insert_fresh(m->slots, m->cap, key, val);
    m->n++;
    return 0;
}

void *u64map_del(struct u64map *m, uint64_t key) {
    if (!m->cap) return NULL;
    size_t mask = m->cap - 1;
    size_t i = hash(key) & mask;
    while (m->slots[i].val && m->slots[i].key != key)
        i = (i + 1) & mask;
    if (!m->slots[i].val) return NULL;
    void *old = m->slots[i].val;
    /* backward shift: move later members of the probe run into the hole
     * when their home slot does not lie cyclically in (hole, j] */
    size_t hole = i;
    for (size_t j = (i + 1) & mask; m->slots[j].val; j = (j + 1) & mask) {
        size_t home = hash(m->slots[j].key) & mask;
        int stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
        if (stays) continue;
        m->slots[hole] = m->slots[j];
        hole = j;
    }
    m->slots[hole].val = NULL;
    m->n--;
    /* give memory back once the map is mostly empty */
    if (m->cap > 16 && m->n * 8 < m->cap) resize(m, m->cap / 2);
    return old;
}

int u64map_next(const struct u64map *m, size_t *it, uint64_t *key, void **val) {
    for (; *it < m->cap; (*it)++)
        if (m->slots[*it].val) {
            if (key) *key = m->slots[*it].key;
            if (val) *val = m->slots[*it].val;
            (*it)++;
            return 1;
        }
    return 0;
}

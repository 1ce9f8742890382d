#include "dbt/tb.h"

#include <stdlib.h>

#include "common/log.h"

static uint64_t hash_pc(uint64_t pc, uint64_t n) {
    return ((pc >> 2) * 0x9e3779b97f4a7c15ull >> 20) & (n - 1);
}

void tb_cache_init(struct tb_cache *c) {
    c->nbuckets = 1 << 12;
    c->count = 0;
    c->retired = NULL;
    c->buckets = calloc(c->nbuckets, sizeof *c->buckets);
    SHOAL_ASSERT(c->buckets);
}

void tb_free(struct tb *tb) {
    ir_block_free(&tb->ir);
    free(tb);
}

void tb_cache_fini(struct tb_cache *c) {
    for (uint64_t i = 0; i < c->nbuckets; i++) {
        for (struct tb *tb = c->buckets[i], *n; tb; tb = n) {
            n = tb->hnext;
            tb_free(tb);
        }
    }
    for (struct tb *tb = c->retired, *n; tb; tb = n) {
        n = tb->retired;
        tb_free(tb);
    }
    free(c->buckets);
    c->buckets = NULL;
}

struct tb *tb_cache_find(struct tb_cache *c, uint64_t pc) {
    for (struct tb *tb = c->buckets[hash_pc(pc, c->nbuckets)]; tb; tb = tb->hnext)
        if (tb->pc == pc) return tb;
    return NULL;
}

static void grow(struct tb_cache *c) {
    uint64_t n = c->nbuckets * 2;
    struct tb **nb = calloc(n, sizeof *nb);
    SHOAL_ASSERT(nb);
    for (uint64_t i = 0; i < c->nbuckets; i++) {
        for (struct tb *tb = c->buckets[i], *next; tb; tb = next) {
            next = tb->hnext;
            uint64_t h = hash_pc(tb->pc, n);
            tb->hnext = nb[h];
            nb[h] = tb;
        }
    }
    free(c->buckets);
    c->buckets = nb;
    c->nbuckets = n;
}

void tb_cache_insert(struct tb_cache *c, struct tb *tb) {
    if (c->count >= c->nbuckets) grow(c);
    uint64_t h = hash_pc(tb->pc, c->nbuckets);
    tb->hnext = c->buckets[h];
    c->buckets[h] = tb;
    c->count++;
}

void tb_cache_invalidate(struct tb_cache *c, uint64_t start, uint64_t len) {
    uint64_t end = start + len;
    for (uint64_t i = 0; i < c->nbuckets; i++) {
        struct tb **pp = &c->buckets[i];
        while (*pp) {
            struct tb *tb = *pp;
            if (tb->start < end && tb->end > start) {
                tb->invalid = true;
                *pp = tb->hnext;
                tb->retired = c->retired;
                c->retired = tb;
                c->count--;
            } else {
                pp = &tb->hnext;
            }
        }
    }
}

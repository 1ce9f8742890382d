#include "dbt/tb.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

static uint64_t hash_pc(uint64_t pc, uint64_t n) {
    return ((pc >> 2) * 0x9e3779b97f4a7c15ull >> 20) & (n - 1);
}

static uint64_t page_bit(uint64_t page) {
    return (page * 0x9e3779b97f4a7c15ull >> 32) & (TB_PAGE_BITS - 1);
}

/* Whether a page of [start, end) may hold a block (a clear bit: none). */
static bool may_hold_code(const struct tb_cache *c, uint64_t start, uint64_t end) {
    for (uint64_t p = start >> 12; p <= (end - 1) >> 12; p++) {
        uint64_t bit = page_bit(p);
        if (c->code_pages[bit / 64] >> (bit % 64) & 1) return true;
        if (p - (start >> 12) >= TB_PAGE_BITS) return true; /* every bit seen */
    }
    return false;
}

void tb_cache_init(struct tb_cache *c) {
    memset(c, 0, sizeof *c);
    c->nbuckets = 1 << 12;
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
    tb_free_list(c->retired);
    c->retired = NULL;
    c->nretired = 0;
    free(c->buckets);
    c->buckets = NULL;
}

void tb_free_list(struct tb *tb) {
    for (struct tb *n; tb; tb = n) {
        n = tb->retired;
        tb_free(tb);
    }
}

struct tb *tb_cache_take_retired(struct tb_cache *c) {
    struct tb *list = c->retired;
    c->retired = NULL;
    c->nretired = 0;
    return list;
}

void tb_cache_unlink_all(struct tb_cache *c) {
    for (uint64_t i = 0; i < c->nbuckets; i++)
        for (struct tb *tb = c->buckets[i]; tb; tb = tb->hnext) {
            atomic_store_explicit(&tb->link[0], NULL, memory_order_relaxed);
            atomic_store_explicit(&tb->link[1], NULL, memory_order_relaxed);
        }
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
    for (uint64_t p = tb->start >> 12; p <= (tb->end - 1) >> 12; p++) {
        uint64_t bit = page_bit(p);
        c->code_pages[bit / 64] |= 1ull << (bit % 64);
    }
    uint64_t h = hash_pc(tb->pc, c->nbuckets);
    tb->hnext = c->buckets[h];
    c->buckets[h] = tb;
    c->count++;
}

void tb_cache_invalidate(struct tb_cache *c, uint64_t start, uint64_t len) {
    uint64_t end = start + len;
    if (!len) return;
    c->recent[c->gen % TB_RECENT].start = start;
    c->recent[c->gen % TB_RECENT].end = end;
    c->gen++;
    if (!may_hold_code(c, start, end)) return;
    for (uint64_t i = 0; i < c->nbuckets; i++) {
        struct tb **pp = &c->buckets[i];
        while (*pp) {
            struct tb *tb = *pp;
            if (tb->start < end && tb->end > start) {
                tb->invalid = true;
                *pp = tb->hnext;
                tb->retired = c->retired;
                c->retired = tb;
                c->nretired++;
                c->count--;
            } else {
                pp = &tb->hnext;
            }
        }
    }
}

bool tb_cache_stale(const struct tb_cache *c, uint64_t gen, uint64_t start, uint64_t end) {
    if (c->gen - gen > TB_RECENT) return true;
    for (uint64_t k = gen; k < c->gen; k++)
        if (c->recent[k % TB_RECENT].start < end && c->recent[k % TB_RECENT].end > start)
            return true;
    return false;
}

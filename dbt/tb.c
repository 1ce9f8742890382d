#include "dbt/tb.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

static uint64_t hash_pc(uint64_t pc, uint64_t n) {
    return ((pc >> 2) * 0x9e3779b97f4a7c15ull >> 20) & (n - 1);
}

static uint64_t hash_page(uint64_t page, uint64_t n) {
    return (page * 0x9e3779b97f4a7c15ull >> 20) & (n - 1);
}

void tb_cache_init(struct tb_cache *c) {
    memset(c, 0, sizeof *c);
    c->nbuckets = 1 << 12;
    c->buckets = calloc(c->nbuckets, sizeof *c->buckets);
    c->pbuckets = calloc(c->nbuckets, sizeof *c->pbuckets);
    SHOAL_ASSERT(c->buckets && c->pbuckets);
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
    free(c->pbuckets);
    c->buckets = c->pbuckets = NULL;
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
    struct tb **nb = calloc(n, sizeof *nb), **np = calloc(n, sizeof *np);
    SHOAL_ASSERT(nb && np);
    for (uint64_t i = 0; i < c->nbuckets; i++) {
        for (struct tb *tb = c->buckets[i], *next; tb; tb = next) {
            next = tb->hnext;
            uint64_t h = hash_pc(tb->pc, n);
            tb->hnext = nb[h];
            nb[h] = tb;
            h = hash_page(tb->start >> 12, n);
            tb->pnext = np[h];
            np[h] = tb;
        }
    }
    free(c->buckets);
    free(c->pbuckets);
    c->buckets = nb;
    c->pbuckets = np;
    c->nbuckets = n;
}

void tb_cache_insert(struct tb_cache *c, struct tb *tb) {
    SHOAL_ASSERT(tb->start >> 12 == tb->pc >> 12 && tb->start < tb->end);
    if (c->count >= c->nbuckets) grow(c);
    uint64_t h = hash_pc(tb->pc, c->nbuckets);
    tb->hnext = c->buckets[h];
    c->buckets[h] = tb;
    h = hash_page(tb->start >> 12, c->nbuckets);
    tb->pnext = c->pbuckets[h];
    c->pbuckets[h] = tb;
    c->count++;
}

/* Where tb's code ends: a block stays in its page (followed branches
 * too), and `end` may name the instruction after it there, which it
 * does not hold. */
static uint64_t code_end(const struct tb *tb) {
    uint64_t page_end = (tb->pc | 0xfff) + 1; /* 0 for the 64-bit space's last page */
    return tb->end < page_end || !page_end ? tb->end : page_end;
}

/* Retires the blocks of page chain *pp whose code overlaps [start, end)
 * and, unless every page counts (all), lies in page `page`. */
static void retire_chain(struct tb_cache *c, struct tb **pp, uint64_t page, bool all,
                         uint64_t start, uint64_t end) {
    while (*pp) {
        struct tb *tb = *pp;
        if ((all || tb->start >> 12 == page) && tb->start < end && code_end(tb) > start) {
            *pp = tb->pnext;
            struct tb **hp = &c->buckets[hash_pc(tb->pc, c->nbuckets)];
            while (*hp != tb)
                hp = &(*hp)->hnext;
            *hp = tb->hnext;
            tb->invalid = true;
            tb->retired = c->retired;
            c->retired = tb;
            c->nretired++;
            c->count--;
        } else {
            pp = &tb->pnext;
        }
    }
}

void tb_cache_invalidate(struct tb_cache *c, uint64_t start, uint64_t len) {
    uint64_t end = start + len;
    if (!len) return;
    c->recent[c->gen % TB_RECENT].start = start;
    c->recent[c->gen % TB_RECENT].end = end;
    c->gen++;
    if (!c->count) return;
    uint64_t first = start >> 12, last = (end - 1) >> 12;
    if (last - first < c->nbuckets) { /* the pages' chains */
        for (uint64_t p = first; p <= last; p++)
            retire_chain(c, &c->pbuckets[hash_page(p, c->nbuckets)], p, false, start, end);
    } else { /* more pages than chains: every chain once */
        for (uint64_t i = 0; i < c->nbuckets; i++)
            retire_chain(c, &c->pbuckets[i], 0, true, start, end);
    }
}

bool tb_cache_stale(const struct tb_cache *c, uint64_t gen, uint64_t start, uint64_t end) {
    if (c->gen - gen > TB_RECENT) return true;
    for (uint64_t k = gen; k < c->gen; k++)
        if (c->recent[k % TB_RECENT].start < end && c->recent[k % TB_RECENT].end > start)
            return true;
    return false;
}

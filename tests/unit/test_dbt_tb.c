/* The translation cache (dbt/tb.h): invalidation by range through each
 * page's chain of blocks,
 * the staleness check of a block translated while code changed, and
 * what the dispatcher's reclaim takes from it (retired blocks, links). */
#include <CUnit/CUnit.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "dbt/tb.h"

static struct tb *block(uint64_t start, uint64_t end) {
    struct tb *tb = calloc(1, sizeof *tb);
    tb->pc = tb->start = start;
    tb->end = end;
    return tb;
}

static void test_invalidate_range(void) {
    struct tb_cache c;
    tb_cache_init(&c);
    struct tb *a = block(0x1000, 0x1040), *b = block(0x1040, 0x1080), *d = block(0x5000, 0x5010);
    tb_cache_insert(&c, a);
    tb_cache_insert(&c, b);
    tb_cache_insert(&c, d);
    /* one 64-byte line: the block in it, not its neighbour */
    tb_cache_invalidate(&c, 0x1000, 64);
    CU_ASSERT_TRUE(a->invalid);
    CU_ASSERT_FALSE(b->invalid);
    CU_ASSERT_PTR_NULL(tb_cache_find(&c, 0x1000));
    CU_ASSERT_PTR_EQUAL(tb_cache_find(&c, 0x1040), b);
    /* a page no block came from: nothing happens, the others stay */
    tb_cache_invalidate(&c, 0x9000, 4096);
    CU_ASSERT_PTR_EQUAL(tb_cache_find(&c, 0x5000), d);
    CU_ASSERT_EQUAL(c.count, 2);
    tb_cache_invalidate(&c, 0, 0x10000);
    CU_ASSERT_TRUE(b->invalid && d->invalid);
    CU_ASSERT_EQUAL(c.count, 0);
    tb_cache_fini(&c);
}

static void test_retired_taken(void) {
    struct tb_cache c;
    tb_cache_init(&c);
    struct tb *a = block(0x1000, 0x1040), *b = block(0x1040, 0x1080), *d = block(0x2000, 0x2040);
    tb_cache_insert(&c, a);
    tb_cache_insert(&c, b);
    tb_cache_insert(&c, d);
    atomic_store(&d->link[0], a); /* an interpreter link into a block that retires */
    atomic_store(&d->link[1], b);
    tb_cache_invalidate(&c, 0x1000, 0x80);
    CU_ASSERT_EQUAL(c.nretired, 2);
    struct tb *list = tb_cache_take_retired(&c);
    CU_ASSERT_EQUAL(c.nretired, 0);
    CU_ASSERT_PTR_NULL(c.retired);
    size_t n = 0;
    for (struct tb *tb = list; tb; tb = tb->retired) {
        CU_ASSERT_TRUE(tb == a || tb == b);
        n++;
    }
    CU_ASSERT_EQUAL(n, 2);
    /* the live block's links go, so none leads into the list freed */
    tb_cache_unlink_all(&c);
    CU_ASSERT_PTR_NULL(atomic_load(&d->link[0]));
    CU_ASSERT_PTR_NULL(atomic_load(&d->link[1]));
    CU_ASSERT_PTR_EQUAL(tb_cache_find(&c, 0x2000), d);
    tb_free_list(list);
    tb_cache_fini(&c);
}

/* Each page's blocks are chained: an invalidation finds them through
 * their page, also after the table has grown, and a huge range visits
 * every chain once. A block's `end` may name the instruction after its
 * page, which it does not hold. */
static void test_page_chains(void) {
    struct tb_cache c;
    tb_cache_init(&c);
    enum { N = 10000 }; /* more than the table's first 4096 buckets: it grows */
    static struct tb *v[N];
    for (int i = 0; i < N; i++) {
        uint64_t page = 0x100000 + (uint64_t)(i / 8) * 0x1000, off = (uint64_t)(i % 8) * 0x200;
        v[i] = block(page + off, page + off + 0x40);
        tb_cache_insert(&c, v[i]);
    }
    CU_ASSERT_EQUAL(c.count, N);
    /* the third page: its 8 blocks, nobody else's */
    tb_cache_invalidate(&c, 0x102000, 0x1000);
    for (int i = 0; i < N; i++)
        if (v[i]->invalid != (i >= 16 && i < 24)) {
            CU_FAIL("a block of another page retired, or one of the page kept");
            break;
        }
    CU_ASSERT_EQUAL(c.count, N - 8);
    CU_ASSERT_EQUAL(c.nretired, 8);
    /* one 64-byte line */
    tb_cache_invalidate(&c, 0x100200, 64);
    CU_ASSERT_TRUE(v[1]->invalid);
    CU_ASSERT_FALSE(v[0]->invalid || v[2]->invalid);
    /* a block whose end overshoots into the next page keeps it */
    struct tb *edge = block(0x900fc0, 0x901004);
    tb_cache_insert(&c, edge);
    tb_cache_invalidate(&c, 0x901000, 64);
    CU_ASSERT_FALSE(edge->invalid);
    tb_cache_invalidate(&c, 0x900fc0, 4);
    CU_ASSERT_TRUE(edge->invalid);
    /* a range of more pages than the table has chains */
    tb_cache_invalidate(&c, 0, 1ull << 40);
    CU_ASSERT_EQUAL(c.count, 0);
    CU_ASSERT_EQUAL(c.nretired, N + 1);
    CU_ASSERT_PTR_NULL(tb_cache_find(&c, 0x100000));
    tb_cache_fini(&c);
}

static void test_stale(void) {
    struct tb_cache c;
    tb_cache_init(&c);
    uint64_t gen = c.gen;
    CU_ASSERT_FALSE(tb_cache_stale(&c, gen, 0x2000, 0x2040));
    tb_cache_invalidate(&c, 0x3000, 64); /* elsewhere */
    CU_ASSERT_FALSE(tb_cache_stale(&c, gen, 0x2000, 0x2040));
    tb_cache_invalidate(&c, 0x2020, 4); /* inside the block's range */
    CU_ASSERT_TRUE(tb_cache_stale(&c, gen, 0x2000, 0x2040));
    CU_ASSERT_FALSE(tb_cache_stale(&c, c.gen, 0x2000, 0x2040));
    /* more invalidations than remembered: stale, to be safe */
    gen = c.gen;
    for (int i = 0; i <= TB_RECENT; i++)
        tb_cache_invalidate(&c, 0x100000 + 0x1000 * (uint64_t)i, 64);
    CU_ASSERT_TRUE(tb_cache_stale(&c, gen, 0x2000, 0x2040));
    tb_cache_fini(&c);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("tb_cache", NULL, NULL);
    CU_add_test(s, "invalidation by range and page filter", test_invalidate_range);
    CU_add_test(s, "blocks translated while code changed", test_stale);
    CU_add_test(s, "retired blocks taken, links dropped", test_retired_taken);
    CU_add_test(s, "each page's blocks found through their page", test_page_chains);
}

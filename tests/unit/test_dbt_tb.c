/* The translation cache (dbt/tb.h): invalidation by range, the page
 * filter that lets an invalidation of code-free pages skip the scan,
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
}

/* The translation cache (dbt/tb.h): invalidation by range, the page
 * filter that lets an invalidation of code-free pages skip the scan,
 * and the staleness check of a block translated while code changed. */
#include <CUnit/CUnit.h>
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
}

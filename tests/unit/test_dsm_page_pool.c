/* dsm/page_pool: page-sized buffers carved from chunks, reused after put. */
#include <CUnit/CUnit.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dsm/page_pool.h"

static int cmp_ptr(const void *a, const void *b) {
    uintptr_t x = (uintptr_t) * (void *const *)a, y = (uintptr_t) * (void *const *)b;
    return x < y ? -1 : x > y;
}

/* Pages from several chunks: aligned, disjoint, each keeps what was
 * written to it. */
static void test_distinct_pages(void) {
    struct page_pool p;
    page_pool_init(&p, 4);
    enum { N = 19 }; /* five chunks of four, the last one partly used */
    void *v[N];
    for (unsigned i = 0; i < N; i++) {
        v[i] = page_pool_get(&p);
        CU_ASSERT_PTR_NOT_NULL_FATAL(v[i]);
        CU_ASSERT_EQUAL((uintptr_t)v[i] % DSM_PAGE_SIZE, 0);
        memset(v[i], (int)i + 1, DSM_PAGE_SIZE);
    }
    for (unsigned i = 0; i < N; i++) {
        const uint8_t *b = v[i];
        CU_ASSERT_EQUAL(b[0], i + 1);
        CU_ASSERT_EQUAL(b[DSM_PAGE_SIZE - 1], i + 1);
    }
    qsort(v, N, sizeof v[0], cmp_ptr);
    for (unsigned i = 1; i < N; i++)
        CU_ASSERT((uintptr_t)v[i] - (uintptr_t)v[i - 1] >= DSM_PAGE_SIZE);
    CU_ASSERT_EQUAL(p.nchunks, 5);
    page_pool_fini(&p);
}

/* A page given back is the next one handed out, before any new chunk. */
static void test_reuse(void) {
    struct page_pool p;
    page_pool_init(&p, 2);
    void *a = page_pool_get(&p), *b = page_pool_get(&p);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    page_pool_put(&p, a);
    page_pool_put(&p, NULL); /* nothing */
    void *c = page_pool_get(&p);
    CU_ASSERT_PTR_EQUAL(c, a);
    page_pool_put(&p, b);
    page_pool_put(&p, c);
    void *d = page_pool_get(&p), *e = page_pool_get(&p);
    CU_ASSERT(d == c && e == b); /* last in, first out */
    CU_ASSERT_EQUAL(p.nchunks, 1);
    void *f = page_pool_get(&p); /* the free list is empty: a new chunk */
    CU_ASSERT_PTR_NOT_NULL(f);
    CU_ASSERT(f != d && f != e);
    CU_ASSERT_EQUAL(p.nchunks, 2);
    page_pool_fini(&p);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("dsm_page_pool", NULL, NULL);
    CU_add_test(s, "distinct pages across chunks", test_distinct_pages);
    CU_add_test(s, "freed pages reused first", test_reuse);
}

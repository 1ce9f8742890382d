/* common/array: growth, contents kept, overflow refused. */
#include <CUnit/CUnit.h>
#include <stdint.h>
#include <stdlib.h>

#include "common/array.h"

static void test_grows_and_keeps(void) {
    int *v = NULL;
    size_t cap = 0, n = 0;
    for (int i = 0; i < 1000; i++) {
        if (n == cap) {
            size_t before = cap;
            int *g = array_grow(v, &cap, n + 1, sizeof *v, 16);
            CU_ASSERT_FATAL(g != NULL);
            CU_ASSERT_EQUAL(cap, before ? before * 2 : 16);
            v = g;
        }
        v[n++] = i * 3;
    }
    CU_ASSERT_EQUAL(cap, 1024);
    for (int i = 0; i < 1000; i++)
        CU_ASSERT_EQUAL(v[i], i * 3);
    free(v);
}

static void test_room_already(void) {
    size_t cap = 8;
    char buf[8];
    CU_ASSERT_PTR_EQUAL(array_grow(buf, &cap, 8, 1, 4), buf);
    CU_ASSERT_EQUAL(cap, 8);
}

static void test_big_need(void) {
    size_t cap = 0;
    void *v = array_grow(NULL, &cap, 100, 8, 4);
    CU_ASSERT_FATAL(v != NULL);
    CU_ASSERT_EQUAL(cap, 128); /* 4 doubled until it holds 100 */
    free(v);
}

static void test_overflow(void) {
    size_t cap = 4;
    char *v = malloc(4);
    CU_ASSERT_FATAL(v != NULL);
    CU_ASSERT_PTR_NULL(array_grow(v, &cap, SIZE_MAX / 2 + 2, 1, 4));
    CU_ASSERT_PTR_NULL(array_grow(v, &cap, SIZE_MAX / 8, 16, 4));
    CU_ASSERT_EQUAL(cap, 4); /* unchanged, v still ours */
    free(v);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("array", NULL, NULL);
    CU_add_test(s, "grows and keeps", test_grows_and_keeps);
    CU_add_test(s, "room already", test_room_already);
    CU_add_test(s, "big need", test_big_need);
    CU_add_test(s, "overflow refused", test_overflow);
}

/* cluster/split_pins: the master's pinned ranges (a syscall's buffers the
 * kernel holds, which page splitting must leave whole): pins cover their
 * pages, a syscall's end drops exactly its thread's pins, equal pins of
 * two threads stay interchangeable, and a thread with more ranges than
 * SPLIT_PINS_PER_THREAD keeps every one of them covered (the nearest pin
 * widened) instead of letting an older one go. */
#include <CUnit/CUnit.h>

#include "cluster/split_pins.h"

static void test_cover_and_drop(void) {
    struct split_pin_set s = {0};
    struct split_pin_list a = {0}, b = {0};
    split_pins_add(&s, &a, 10, 12);
    split_pins_add(&s, &b, 100, 100);
    CU_ASSERT(split_pins_cover(&s, 10) && split_pins_cover(&s, 12) && split_pins_cover(&s, 100));
    CU_ASSERT(!split_pins_cover(&s, 9) && !split_pins_cover(&s, 13) && !split_pins_cover(&s, 99));
    split_pins_drop(&s, &a);
    CU_ASSERT_EQUAL(a.n, 0);
    CU_ASSERT(!split_pins_cover(&s, 11));
    CU_ASSERT(split_pins_cover(&s, 100));
    split_pins_drop(&s, &b);
    CU_ASSERT_EQUAL(s.n, 0);
    split_pins_fini(&s);
}

/* Two threads pin the same range: either one's end leaves the other's. */
static void test_equal_pins(void) {
    struct split_pin_set s = {0};
    struct split_pin_list a = {0}, b = {0};
    split_pins_add(&s, &a, 5, 6);
    split_pins_add(&s, &b, 5, 6);
    split_pins_drop(&s, &a);
    CU_ASSERT(split_pins_cover(&s, 5) && split_pins_cover(&s, 6));
    split_pins_drop(&s, &b);
    CU_ASSERT(!split_pins_cover(&s, 5));
    CU_ASSERT_EQUAL(s.n, 0);
    split_pins_fini(&s);
}

/* writev with 40 iovecs on pages 1000, 1010, ...: all 40 stay covered
 * while the syscall runs, the set holds at most 16 of this thread's
 * pins, another thread's pins are untouched, and the end drops them. */
static void test_more_than_a_thread_holds(void) {
    struct split_pin_set s = {0};
    struct split_pin_list mine = {0}, other = {0};
    split_pins_add(&s, &other, 5000, 5000);
    for (uint64_t i = 0; i < 40; i++) {
        split_pins_add(&s, &mine, 1000 + 10 * i, 1000 + 10 * i + 1);
        for (uint64_t j = 0; j <= i; j++)
            CU_ASSERT_FATAL(split_pins_cover(&s, 1000 + 10 * j) &&
                            split_pins_cover(&s, 1000 + 10 * j + 1));
    }
    CU_ASSERT_EQUAL(mine.n, SPLIT_PINS_PER_THREAD);
    CU_ASSERT_EQUAL(s.n, SPLIT_PINS_PER_THREAD + 1);
    /* the widening took the nearest pin: pages far below stay free */
    CU_ASSERT(!split_pins_cover(&s, 999));
    CU_ASSERT(!split_pins_cover(&s, 4999));
    split_pins_drop(&s, &mine);
    CU_ASSERT_EQUAL(s.n, 1);
    CU_ASSERT(split_pins_cover(&s, 5000));
    CU_ASSERT(!split_pins_cover(&s, 1000));
    split_pins_drop(&s, &other);
    split_pins_fini(&s);
}

/* A range inside or overlapping a full list's pin widens that one only. */
static void test_widen_nearest(void) {
    struct split_pin_set s = {0};
    struct split_pin_list mine = {0};
    for (uint64_t i = 0; i < SPLIT_PINS_PER_THREAD; i++)
        split_pins_add(&s, &mine, 100 * i, 100 * i);
    split_pins_add(&s, &mine, 705, 706); /* nearest: 700 */
    CU_ASSERT(split_pins_cover(&s, 703) && split_pins_cover(&s, 706));
    CU_ASSERT(!split_pins_cover(&s, 707) && !split_pins_cover(&s, 699));
    split_pins_add(&s, &mine, 1, 1); /* nearest: 0 */
    CU_ASSERT(split_pins_cover(&s, 1) && !split_pins_cover(&s, 2));
    CU_ASSERT_EQUAL(s.n, SPLIT_PINS_PER_THREAD);
    split_pins_drop(&s, &mine);
    CU_ASSERT_EQUAL(s.n, 0);
    split_pins_fini(&s);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("cluster/split_pins", NULL, NULL);
    CU_add_test(s, "pins cover their pages; a syscall's end drops its own", test_cover_and_drop);
    CU_add_test(s, "equal pins of two threads", test_equal_pins);
    CU_add_test(s, "more ranges than a thread holds: all stay covered",
                test_more_than_a_thread_holds);
    CU_add_test(s, "a full list widens its nearest pin", test_widen_nearest);
}

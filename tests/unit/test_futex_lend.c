/* Futex loans on the master (master/futex_lend.c): which ops lend a
 * word, that a loan is held by its node alone, that a FutexReturned for
 * a loan nobody recalled changes nothing, and that the use counts follow
 * the words in use rather than every word a run ever named. Recalls need
 * a cluster: tests/guest/futex_loan.sh covers them. */
#include <CUnit/CUnit.h>

#include "master/futex_lend.h"

#define W 0x4000ull

static struct futex_lend *l;

static int setup(void) {
    l = futex_lend_new(NULL, 3);
    return l ? 0 : 1;
}

static int teardown(void) {
    futex_lend_free(l);
    l = NULL;
    return 0;
}

static uint64_t words(void) {
    struct futex_lend_stats st;
    futex_lend_stats(l, &st);
    return st.words;
}

/* The third op in a row from node 1 that left nobody waiting lends the
 * word; nothing else does. */
static void test_lends_after_streak(void) {
    CU_ASSERT_EQUAL(futex_lend_use(l, W, 1, true, 0), 0);
    CU_ASSERT_EQUAL(futex_lend_use(l, W, 1, true, 0), 0);
    uint64_t seq = futex_lend_use(l, W, 1, true, 0);
    CU_ASSERT_NOT_EQUAL(seq, 0);
    CU_ASSERT(futex_lend_out(l, W));
    CU_ASSERT(futex_lend_held_by(l, W, 1));
    CU_ASSERT(!futex_lend_held_by(l, W, 2));
    CU_ASSERT(!futex_lend_out(l, W + 4));
    /* lent already: not again */
    for (int i = 0; i < 10; i++)
        CU_ASSERT_EQUAL(futex_lend_use(l, W, 1, true, 0), 0);
    struct futex_lend_stats st;
    futex_lend_stats(l, &st);
    CU_ASSERT_EQUAL(st.lent, 1);
    CU_ASSERT_EQUAL(st.recalled, 0);
}

static void test_what_does_not_lend(void) {
    const uint64_t a = W + 0x100;
    /* node 0 never borrows */
    for (int i = 0; i < 10; i++)
        CU_ASSERT_EQUAL(futex_lend_use(l, a, 0, true, 0), 0);
    /* an op that left waiters, or one that may not lend, never lends */
    const uint64_t b = a + 4;
    for (int i = 0; i < 10; i++)
        CU_ASSERT_EQUAL(futex_lend_use(l, b, 1, true, 1), 0);
    CU_ASSERT_EQUAL(futex_lend_use(l, b, 1, false, 0), 0);
    CU_ASSERT(!futex_lend_out(l, b));
    /* another node's op starts the streak again */
    const uint64_t c = b + 4;
    CU_ASSERT_EQUAL(futex_lend_use(l, c, 1, true, 0), 0);
    CU_ASSERT_EQUAL(futex_lend_use(l, c, 1, true, 0), 0);
    CU_ASSERT_EQUAL(futex_lend_use(l, c, 2, true, 0), 0);
    CU_ASSERT_EQUAL(futex_lend_use(l, c, 1, true, 0), 0);
    CU_ASSERT_EQUAL(futex_lend_use(l, c, 1, true, 0), 0);
    CU_ASSERT(!futex_lend_out(l, c));
    uint64_t seq = futex_lend_use(l, c, 1, true, 0);
    CU_ASSERT_NOT_EQUAL(seq, 0);
    CU_ASSERT(futex_lend_held_by(l, c, 1));
    /* a FutexReturned for a loan nobody recalled is ignored */
    futex_lend_returned(l, 1, c, seq, 0);
    CU_ASSERT(futex_lend_held_by(l, c, 1));
    /* and so is one from a node that does not hold it */
    futex_lend_returned(l, 2, c, seq, 0);
    CU_ASSERT(futex_lend_held_by(l, c, 1));
}

/* A program that waits on ever new words (a mutex in each freshly
 * allocated object) does not grow the use counts without bound, and a
 * word named all along keeps its count through the sweeps. */
static void test_use_counts_are_swept(void) {
    const uint64_t base = 0x10000000ull, hot = 0x8000ull;
    const unsigned n = 200000;
    uint64_t most = 0, hot_seq = 0, hot_ops = 0;
    for (unsigned i = 0; i < n; i++) {
        CU_ASSERT_EQUAL_FATAL(futex_lend_use(l, base + 4ull * i, 1, true, 1), 0);
        if (i % 1000 == 0 && !hot_seq) {
            /* named by node 1 every 1000 other words, by node 2 once
             * first: it is lent at its third op in a row from node 1 */
            hot_seq = futex_lend_use(l, hot, i == 0 ? 2 : 1, true, 0);
            hot_ops++;
        }
        uint64_t w = words();
        if (w > most) most = w;
    }
    CU_ASSERT(most < 20000);
    CU_ASSERT_NOT_EQUAL(hot_seq, 0);
    CU_ASSERT_EQUAL(hot_ops, 4);
    CU_ASSERT(futex_lend_held_by(l, hot, 1));
    /* a loan outlives the sweeps of the use counts */
    for (unsigned i = 0; i < n; i++)
        futex_lend_use(l, base + 4ull * (n + i), 1, true, 1);
    CU_ASSERT(futex_lend_held_by(l, hot, 1));
    CU_ASSERT(words() < 20000);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("futex_lend", setup, teardown);
    CU_add_test(s, "a streak of one node's ops lends the word", test_lends_after_streak);
    CU_add_test(s, "node 0, waiters and other nodes' ops do not lend", test_what_does_not_lend);
    CU_add_test(s, "use counts are swept", test_use_counts_are_swept);
}

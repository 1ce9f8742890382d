/* The master's futex table: wait/wake order and counts, bitsets, requeue
 * limits, the WAKE_OP encoding (checked against the host kernel),
 * deadlines, cancellation, PI lock waiters (deadlock detection through
 * the chain of owners, dead owners), the requeue-PI pair, and growth
 * without a fixed size. */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "master/futex_table.h"

#define A 0x1000ull
#define B 0x2000ull

static struct futex_table t;
static struct futex_woken out;
static struct futex_waiter w[8];

/* The guest as the table asks about it (struct futex_pi_env): the owner
 * in each PI word, by address (locks at CHAIN and above belong to
 * thread CHAIN_TID + their index), and the one tid that is no live
 * thread. */
#define CHAIN      0x100000ull
#define CHAIN_TID  1000u
#define LIVE_OWNER 999u
#define NO_THREAD  0x3ffffff0u
static struct fake_guest {
    uint64_t addr[8];
    uint32_t owner[8];
    size_t n;
    size_t owner_reads;
} g;

static uint32_t fake_owner(void *ctx, uint64_t addr) {
    struct fake_guest *f = ctx;
    f->owner_reads++;
    if (addr >= CHAIN) return CHAIN_TID + (uint32_t)((addr - CHAIN) / 4);
    for (size_t i = 0; i < f->n; i++)
        if (f->addr[i] == addr) return f->owner[i];
    return 0;
}

static bool fake_alive(void *ctx, uint32_t tid) {
    (void)ctx;
    return tid != NO_THREAD;
}

static const struct futex_pi_env env = {fake_owner, fake_alive, &g};

static void set_owner(uint64_t addr, uint32_t tid) {
    for (size_t i = 0; i < g.n; i++)
        if (g.addr[i] == addr) {
            g.owner[i] = tid;
            return;
        }
    g.addr[g.n] = addr;
    g.owner[g.n++] = tid;
}

static void reset(void) {
    futex_table_fini(&t);
    futex_table_init(&t);
    memset(&g, 0, sizeof g);
    memset(w, 0, sizeof w);
    for (int i = 0; i < 8; i++)
        w[i].id = (uint64_t)i;
    out.n = 0;
}
static int setup(void) {
    futex_table_init(&t);
    return 0;
}
static int teardown(void) {
    futex_table_fini(&t);
    futex_woken_fini(&out);
    return 0;
}

static int wait_on(int i, uint64_t addr, uint32_t bitset, uint64_t deadline) {
    return futex_wait(&t, &w[i], addr, bitset, deadline, true);
}
/* The ids in out, as a string like "0,2,3". */
static const char *woken_ids(void) {
    static char buf[256];
    size_t k = 0;
    buf[0] = 0;
    for (size_t i = 0; i < out.n && k < sizeof buf - 24; i++)
        k += (size_t)snprintf(buf + k, sizeof buf - k, i ? ",%lu" : "%lu",
                              (unsigned long)out.v[i]->id);
    return buf;
}

static void test_wait_wake_fifo(void) {
    reset();
    for (int i = 0; i < 5; i++)
        CU_ASSERT_EQUAL(wait_on(i, A, FUTEX_BITSET_ANY, FUTEX_NO_DEADLINE), 0);
    CU_ASSERT_EQUAL(futex_waiters(&t, A), 5);
    CU_ASSERT_EQUAL(futex_wake(&t, A, 2, FUTEX_BITSET_ANY, &out), 2);
    CU_ASSERT_STRING_EQUAL(woken_ids(), "0,1");
    CU_ASSERT_EQUAL(w[0].result, 0);
    CU_ASSERT_PTR_NULL(w[0].q);
    CU_ASSERT_EQUAL(futex_waiters(&t, A), 3);
    out.n = 0;
    CU_ASSERT_EQUAL(futex_wake(&t, A, INT_MAX, FUTEX_BITSET_ANY, &out), 3);
    CU_ASSERT_STRING_EQUAL(woken_ids(), "2,3,4");
    /* the queue is gone with its last waiter */
    CU_ASSERT_EQUAL(futex_waiters(&t, A), 0);
    CU_ASSERT_EQUAL(t.queues.n, 0);
    CU_ASSERT_EQUAL(t.nwaiters, 0);
    out.n = 0;
    CU_ASSERT_EQUAL(futex_wake(&t, A, 1, FUTEX_BITSET_ANY, &out), 0);
    CU_ASSERT_EQUAL(futex_wake(&t, B, 1, FUTEX_BITSET_ANY, &out), 0);
    CU_ASSERT_EQUAL(out.n, 0);
}

static void test_wake_counts_like_linux(void) {
    /* ++woken >= nr: zero and negative counts still wake one */
    reset();
    for (int i = 0; i < 3; i++)
        wait_on(i, A, FUTEX_BITSET_ANY, FUTEX_NO_DEADLINE);
    CU_ASSERT_EQUAL(futex_wake(&t, A, 0, FUTEX_BITSET_ANY, &out), 1);
    CU_ASSERT_EQUAL(futex_wake(&t, A, -5, FUTEX_BITSET_ANY, &out), 1);
    CU_ASSERT_STRING_EQUAL(woken_ids(), "0,1");
    CU_ASSERT_EQUAL(futex_waiters(&t, A), 1);
}

static void test_wait_errors(void) {
    reset();
    CU_ASSERT_EQUAL(futex_wait(&t, &w[0], A, FUTEX_BITSET_ANY, FUTEX_NO_DEADLINE, false), -EAGAIN);
    CU_ASSERT_EQUAL(futex_waiters(&t, A), 0);
    CU_ASSERT_EQUAL(t.queues.n, 0);
    CU_ASSERT_EQUAL(wait_on(0, A, 0, FUTEX_NO_DEADLINE), -EINVAL);
    CU_ASSERT_EQUAL(wait_on(0, A + 2, FUTEX_BITSET_ANY, FUTEX_NO_DEADLINE), -EINVAL);
    CU_ASSERT_EQUAL(wait_on(0, A, 1, FUTEX_NO_DEADLINE), 0);
    CU_ASSERT_EQUAL(wait_on(0, B, 1, FUTEX_NO_DEADLINE), -EINVAL); /* already waiting */
    CU_ASSERT_EQUAL(futex_wake(&t, A, 1, 0, &out), -EINVAL);
    CU_ASSERT_EQUAL(futex_wake(&t, A + 1, 1, 1, &out), -EINVAL);
    CU_ASSERT_EQUAL(futex_waiters(&t, A), 1);
}

static void test_bitsets(void) {
    reset();
    static const uint32_t bits[5] = {1, 2, 3, 4, FUTEX_BITSET_ANY};
    for (int i = 0; i < 5; i++)
        wait_on(i, A, bits[i], FUTEX_NO_DEADLINE);
    CU_ASSERT_EQUAL(futex_wake(&t, A, INT_MAX, 2, &out), 3);
    CU_ASSERT_STRING_EQUAL(woken_ids(), "1,2,4");
    out.n = 0;
    /* the count limits matches only, skipped waiters keep their place */
    CU_ASSERT_EQUAL(futex_wake(&t, A, 1, 4, &out), 1);
    CU_ASSERT_STRING_EQUAL(woken_ids(), "3");
    out.n = 0;
    CU_ASSERT_EQUAL(futex_wake(&t, A, INT_MAX, 8, &out), 0);
    /* plain FUTEX_WAKE matches every bitset */
    CU_ASSERT_EQUAL(futex_wake(&t, A, INT_MAX, FUTEX_BITSET_ANY, &out), 1);
    CU_ASSERT_STRING_EQUAL(woken_ids(), "0");
}

static void test_requeue(void) {
    reset();
    for (int i = 0; i < 6; i++)
        wait_on(i, A, 1u << i, FUTEX_NO_DEADLINE);
    wait_on(6, B, FUTEX_BITSET_ANY, FUTEX_NO_DEADLINE);
    /* the comparison failed: -EAGAIN and nothing moves */
    CU_ASSERT_EQUAL(futex_requeue(&t, A, B, 1, 2, false, &out), -EAGAIN);
    CU_ASSERT_EQUAL(futex_waiters(&t, A), 6);
    CU_ASSERT_EQUAL(futex_requeue(&t, A, B, -1, 2, true, &out), -EINVAL);
    CU_ASSERT_EQUAL(futex_requeue(&t, A, B, 1, -1, true, &out), -EINVAL);
    CU_ASSERT_EQUAL(futex_requeue(&t, A, B + 2, 1, 1, true, &out), -EINVAL);
    /* wake 1, move 2: returns 3; bitsets are ignored */
    CU_ASSERT_EQUAL(futex_requeue(&t, A, B, 1, 2, true, &out), 3);
    CU_ASSERT_STRING_EQUAL(woken_ids(), "0");
    CU_ASSERT_EQUAL(futex_waiters(&t, A), 3);
    CU_ASSERT_EQUAL(futex_waiters(&t, B), 3);
    CU_ASSERT_EQUAL(w[1].addr, B);
    CU_ASSERT_EQUAL(w[1].bitset, 2u); /* keeps its bitset */
    /* moved waiters queue behind B's own, in their order */
    out.n = 0;
    futex_wake(&t, B, INT_MAX, FUTEX_BITSET_ANY, &out);
    CU_ASSERT_STRING_EQUAL(woken_ids(), "6,1,2");
    /* nothing to wake or move: 0 */
    out.n = 0;
    CU_ASSERT_EQUAL(futex_requeue(&t, A, B, 0, 0, true, &out), 0);
    CU_ASSERT_EQUAL(futex_waiters(&t, A), 3);
    /* move all, wake none */
    CU_ASSERT_EQUAL(futex_requeue(&t, A, B, 0, INT_MAX, true, &out), 3);
    CU_ASSERT_EQUAL(out.n, 0);
    CU_ASSERT_EQUAL(futex_waiters(&t, A), 0);
    CU_ASSERT_EQUAL(futex_waiters(&t, B), 3);
    CU_ASSERT_EQUAL(t.queues.n, 1);
    /* onto the same address: counted, left in place */
    CU_ASSERT_EQUAL(futex_requeue(&t, B, B, 1, INT_MAX, true, &out), 3);
    CU_ASSERT_STRING_EQUAL(woken_ids(), "3");
    CU_ASSERT_EQUAL(futex_waiters(&t, B), 2);
    /* empty source */
    CU_ASSERT_EQUAL(futex_requeue(&t, A + 64, B, 5, 5, true, &out), 0);
}

static uint32_t enc(unsigned op, unsigned cmp, int oparg, int cmparg) {
    return (op & 15) << 28 | (cmp & 15) << 24 | ((unsigned)oparg & 0xfff) << 12 |
           ((unsigned)cmparg & 0xfff);
}

static void test_wake_op_eval(void) {
    uint32_t nv;
    bool c;
    CU_ASSERT_EQUAL(futex_op_eval(enc(FUTEX_OP_SET, FUTEX_OP_CMP_EQ, 7, 5), 5, &nv, &c), 0);
    CU_ASSERT(nv == 7 && c);
    futex_op_eval(enc(FUTEX_OP_ADD, FUTEX_OP_CMP_NE, 3, 5), 5, &nv, &c);
    CU_ASSERT(nv == 8 && !c);
    futex_op_eval(enc(FUTEX_OP_OR, FUTEX_OP_CMP_LT, 0x30, 0), 0x0f, &nv, &c);
    CU_ASSERT(nv == 0x3f && !c);
    futex_op_eval(enc(FUTEX_OP_ANDN, FUTEX_OP_CMP_LE, 0x3, 0xf), 0xf, &nv, &c);
    CU_ASSERT(nv == 0xc && c);
    futex_op_eval(enc(FUTEX_OP_XOR, FUTEX_OP_CMP_GT, 0xff, 1), 0x0f, &nv, &c);
    CU_ASSERT(nv == 0xf0 && c);
    /* glibc's old unlock: SET 0, wake the second if old > 1 */
    futex_op_eval(enc(FUTEX_OP_SET, FUTEX_OP_CMP_GT, 0, 1), 2, &nv, &c);
    CU_ASSERT(nv == 0 && c);
    futex_op_eval(enc(FUTEX_OP_SET, FUTEX_OP_CMP_GT, 0, 1), 1, &nv, &c);
    CU_ASSERT(nv == 0 && !c);
    /* shifted oparg */
    futex_op_eval(enc(FUTEX_OP_OR | FUTEX_OP_OPARG_SHIFT, FUTEX_OP_CMP_GE, 31, 0), 0, &nv, &c);
    CU_ASSERT(nv == 0x80000000u && c);
    /* sign-extended 12-bit arguments; comparisons are signed */
    futex_op_eval(enc(FUTEX_OP_ADD, FUTEX_OP_CMP_LT, -1, -2), 0xfffffffdu, &nv, &c);
    CU_ASSERT(nv == 0xfffffffcu && c); /* -3 < -2 */
    futex_op_eval(enc(FUTEX_OP_SET, FUTEX_OP_CMP_GE, -2048, 2047), 0x80000000u, &nv, &c);
    CU_ASSERT(nv == 0xfffff800u && !c); /* INT_MIN >= 2047 is false */
    /* unknown op / cmp */
    CU_ASSERT_EQUAL(futex_op_eval(enc(5, 0, 0, 0), 0, &nv, &c), -ENOSYS);
    CU_ASSERT_EQUAL(futex_op_eval(enc(0, 6, 9, 0), 0, &nv, &c), -ENOSYS);
    CU_ASSERT_EQUAL(nv, 9u); /* like Linux, the store has been made */
}

/* futex_op_eval agrees with the host kernel's FUTEX_WAKE_OP on the new
 * value of the word and on -ENOSYS, for random encodings and values. */
static void test_wake_op_vs_kernel(void) {
    uint32_t w1 = 0, w2;
    uint64_t x = 0x9e3779b97f4a7c15ull;
    int compared = 0;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        uint32_t e = (uint32_t)x;
        unsigned op = (e >> 28) & 7, cmp = (e >> 24) & 15;
        /* valid ops mostly; out-of-range shifts make the kernel log */
        if (i % 8) e = (e & 0x0fffffffu) | ((op % 5) << 28) | (e & 0x80000000u);
        if (i % 8) e = (e & 0xf0ffffffu) | ((cmp % 6) << 24);
        if ((e & 0x80000000u) && ((e >> 12 & 0xfff) > 31)) e &= ~(0xfe0u << 12);
        uint32_t old = (uint32_t)(x >> 32);
        w2 = old;
        long kr = syscall(SYS_futex, &w1, FUTEX_WAKE_OP | FUTEX_PRIVATE_FLAG, 0, (void *)0, &w2, e);
        uint32_t nv = old;
        bool c;
        int r = futex_op_eval(e, old, &nv, &c);
        if (kr < 0) {
            CU_ASSERT_EQUAL(-errno, r);
            if (-errno != r) break;
        } else {
            CU_ASSERT_EQUAL(r, 0);
            CU_ASSERT_EQUAL(nv, w2);
            if (r || nv != w2) break;
        }
        compared++;
    }
    CU_ASSERT_EQUAL(compared, 20000);
}

static void test_wake_op(void) {
    reset();
    for (int i = 0; i < 3; i++)
        wait_on(i, A, FUTEX_BITSET_ANY, FUTEX_NO_DEADLINE);
    for (int i = 3; i < 6; i++)
        wait_on(i, B, 1u << i, FUTEX_NO_DEADLINE);
    /* comparison false: only addr's waiters */
    CU_ASSERT_EQUAL(futex_wake_op(&t, A, B, 1, 5, false, &out), 1);
    CU_ASSERT_STRING_EQUAL(woken_ids(), "0");
    out.n = 0;
    /* true: nr_wake on addr, nr_wake2 on addr2, bitsets ignored */
    CU_ASSERT_EQUAL(futex_wake_op(&t, A, B, 1, 2, true, &out), 3);
    CU_ASSERT_STRING_EQUAL(woken_ids(), "1,3,4");
    out.n = 0;
    /* zero counts still wake one each */
    CU_ASSERT_EQUAL(futex_wake_op(&t, A, B, 0, 0, true, &out), 2);
    CU_ASSERT_STRING_EQUAL(woken_ids(), "2,5");
    CU_ASSERT_EQUAL(t.nwaiters, 0);
    CU_ASSERT_EQUAL(futex_wake_op(&t, A + 1, B, 1, 1, true, &out), -EINVAL);
}

static void test_timeouts(void) {
    reset();
    wait_on(0, A, FUTEX_BITSET_ANY, 30);
    wait_on(1, A, FUTEX_BITSET_ANY, 10);
    wait_on(2, B, FUTEX_BITSET_ANY, 20);
    wait_on(3, A, FUTEX_BITSET_ANY, FUTEX_NO_DEADLINE);
    CU_ASSERT_EQUAL(futex_next_deadline(&t), 10);
    CU_ASSERT_EQUAL(futex_expire(&t, 9, &out), 0);
    CU_ASSERT_EQUAL(futex_expire(&t, 10, &out), 1); /* deadline <= now */
    CU_ASSERT_STRING_EQUAL(woken_ids(), "1");
    CU_ASSERT_EQUAL(w[1].result, -ETIMEDOUT);
    CU_ASSERT_EQUAL(futex_next_deadline(&t), 20);
    /* a woken timed waiter leaves the heap */
    out.n = 0;
    futex_wake(&t, B, 1, FUTEX_BITSET_ANY, &out);
    CU_ASSERT_EQUAL(w[2].result, 0);
    CU_ASSERT_EQUAL(futex_next_deadline(&t), 30);
    /* a requeued timed waiter keeps its deadline */
    out.n = 0;
    CU_ASSERT_EQUAL(futex_requeue(&t, A, B, 0, 1, true, &out), 1);
    CU_ASSERT_EQUAL(w[0].addr, B);
    CU_ASSERT_EQUAL(futex_expire(&t, 1000, &out), 1);
    CU_ASSERT_STRING_EQUAL(woken_ids(), "0");
    CU_ASSERT_EQUAL(futex_waiters(&t, B), 0);
    CU_ASSERT_EQUAL(futex_next_deadline(&t), FUTEX_NO_DEADLINE);
    CU_ASSERT_EQUAL(futex_waiters(&t, A), 1); /* the untimed one stays */
}

/* PI locks: FIFO hand-off one waiter at a time, `more` while others
 * wait, timeouts and cancels leave the hand-off to the rest, and PI and
 * plain waiters of one word are never mixed (Linux's -EINVAL). */
static void test_pi(void) {
    reset();
    bool more = true;
    CU_ASSERT_PTR_NULL(futex_unlock_pi(&t, A, &out, &more)); /* nobody waits */
    CU_ASSERT_FALSE(more);
    for (int i = 0; i < 3; i++)
        CU_ASSERT_EQUAL(
            futex_lock_pi_wait(&t, &w[i], A, LIVE_OWNER, i == 1 ? 50 : FUTEX_NO_DEADLINE, &env), 0);
    CU_ASSERT_EQUAL(futex_lock_pi_wait(&t, &w[0], A, LIVE_OWNER, FUTEX_NO_DEADLINE, &env),
                    -EINVAL); /* waiting */
    CU_ASSERT_EQUAL(futex_lock_pi_wait(&t, &w[5], A + 2, LIVE_OWNER, FUTEX_NO_DEADLINE, &env),
                    -EINVAL);
    CU_ASSERT_EQUAL(futex_waiters(&t, A), 3);
    /* the PI words (a thread's exit looks there), not the plain ones */
    uint64_t words[4] = {0};
    CU_ASSERT_EQUAL(wait_on(6, B, FUTEX_BITSET_ANY, FUTEX_NO_DEADLINE), 0);
    CU_ASSERT_EQUAL(futex_pi_words(&t, NULL, 0), 1);
    CU_ASSERT_EQUAL(futex_pi_words(&t, words, 4), 1);
    CU_ASSERT_EQUAL(words[0], A);
    CU_ASSERT_TRUE(futex_cancel(&t, &w[6]));
    /* plain ops refuse a PI word's waiters, and a plain waiter its queue */
    CU_ASSERT_EQUAL(futex_wake(&t, A, 1, FUTEX_BITSET_ANY, &out), -EINVAL);
    CU_ASSERT_EQUAL(futex_requeue(&t, A, B, 1, 1, true, &out), -EINVAL);
    CU_ASSERT_EQUAL(wait_on(4, A, FUTEX_BITSET_ANY, FUTEX_NO_DEADLINE), -EINVAL);
    CU_ASSERT_EQUAL(out.n, 0);
    CU_ASSERT_EQUAL(futex_waiters(&t, A), 3);
    /* first come, first owner; one per unlock */
    CU_ASSERT_PTR_EQUAL(futex_unlock_pi(&t, A, &out, &more), &w[0]);
    CU_ASSERT_TRUE(more);
    CU_ASSERT_EQUAL(w[0].result, 0);
    CU_ASSERT_STRING_EQUAL(woken_ids(), "0");
    CU_ASSERT_EQUAL(futex_waiters(&t, A), 2);
    /* the timed one times out: the next unlock goes to the last */
    out.n = 0;
    CU_ASSERT_EQUAL(futex_expire(&t, 50, &out), 1);
    CU_ASSERT_EQUAL(w[1].result, -ETIMEDOUT);
    out.n = 0;
    CU_ASSERT_PTR_EQUAL(futex_unlock_pi(&t, A, &out, &more), &w[2]);
    CU_ASSERT_FALSE(more);
    CU_ASSERT_EQUAL(futex_waiters(&t, A), 0);
    CU_ASSERT_PTR_NULL(futex_unlock_pi(&t, A, &out, &more));
    /* a cancelled waiter is never handed the lock; the word's queue is
     * plain again once its PI waiters are gone */
    CU_ASSERT_EQUAL(futex_lock_pi_wait(&t, &w[3], A, LIVE_OWNER, FUTEX_NO_DEADLINE, &env), 0);
    CU_ASSERT_TRUE(futex_cancel(&t, &w[3]));
    CU_ASSERT_PTR_NULL(futex_unlock_pi(&t, A, &out, &more));
    CU_ASSERT_EQUAL(wait_on(4, A, FUTEX_BITSET_ANY, FUTEX_NO_DEADLINE), 0);
    CU_ASSERT_PTR_NULL(futex_unlock_pi(&t, A, &out, &more)); /* a plain waiter: no owner */
    CU_ASSERT_EQUAL(futex_lock_pi_wait(&t, &w[5], A, LIVE_OWNER, FUTEX_NO_DEADLINE, &env), -EINVAL);
    CU_ASSERT_EQUAL(futex_waiters(&t, A), 1);
}

#define C 0x3000ull

static int wait_rq(int i, uint64_t addr, uint64_t addr2, uint64_t deadline) {
    w[i].tid = 100u + (uint32_t)i;
    return futex_wait_requeue_pi(&t, &w[i], addr, addr2, deadline, true);
}

static void test_requeue_pi_errors(void) {
    reset();
    struct futex_waiter *top = &w[7];
    /* the wait's own checks */
    CU_ASSERT_EQUAL(futex_wait_requeue_pi(&t, &w[0], A, A, FUTEX_NO_DEADLINE, true), -EINVAL);
    CU_ASSERT_EQUAL(futex_wait_requeue_pi(&t, &w[0], A + 2, B, FUTEX_NO_DEADLINE, true), -EINVAL);
    CU_ASSERT_EQUAL(futex_wait_requeue_pi(&t, &w[0], A, B + 1, FUTEX_NO_DEADLINE, true), -EINVAL);
    CU_ASSERT_EQUAL(futex_wait_requeue_pi(&t, &w[0], A, B, FUTEX_NO_DEADLINE, false), -EAGAIN);
    CU_ASSERT_EQUAL(futex_lock_pi_wait(&t, &w[1], C, LIVE_OWNER, FUTEX_NO_DEADLINE, &env), 0);
    CU_ASSERT_EQUAL(futex_wait_requeue_pi(&t, &w[0], C, B, FUTEX_NO_DEADLINE, true), -EINVAL);
    CU_ASSERT_EQUAL(futex_waiters(&t, A), 0);
    /* CMP_REQUEUE_PI's checks, before any waiter is looked at */
    CU_ASSERT_EQUAL(futex_requeue_pi_top(&t, A, B, 0, 0, true, &top, &out), -EINVAL);
    CU_ASSERT_EQUAL(futex_requeue_pi_top(&t, A, B, 2, 0, true, &top, &out), -EINVAL);
    CU_ASSERT_EQUAL(futex_requeue_pi_top(&t, A, B, 1, -1, true, &top, &out), -EINVAL);
    CU_ASSERT_EQUAL(futex_requeue_pi_top(&t, A, A, 1, 0, true, &top, &out), -EINVAL);
    CU_ASSERT_EQUAL(futex_requeue_pi_top(&t, A, B + 2, 1, 0, true, &top, &out), -EINVAL);
    CU_ASSERT_EQUAL(futex_requeue_pi_top(&t, A, B, 1, 0, false, &top, &out), -EAGAIN);
    /* nobody waits: 0, no top */
    CU_ASSERT_EQUAL(futex_requeue_pi_top(&t, A, B, 1, INT_MAX, true, &top, &out), 0);
    CU_ASSERT_PTR_NULL(top);
    /* PI waiters on the condition word */
    CU_ASSERT_EQUAL(futex_requeue_pi_top(&t, C, B, 1, 0, true, &top, &out), -EINVAL);
    /* a plain waiter first, then a requeue-PI one: plain WAKE wakes the
     * first and stops at the second with EINVAL, as Linux */
    CU_ASSERT_EQUAL(wait_on(2, A, FUTEX_BITSET_ANY, FUTEX_NO_DEADLINE), 0);
    CU_ASSERT_EQUAL(wait_rq(3, A, B, FUTEX_NO_DEADLINE), 0);
    CU_ASSERT_EQUAL(futex_requeue_pi_top(&t, A, B, 1, 0, true, &top, &out), -EINVAL);
    CU_ASSERT_EQUAL(futex_wake(&t, A, INT_MAX, FUTEX_BITSET_ANY, &out), -EINVAL);
    CU_ASSERT_STRING_EQUAL(woken_ids(), "2");
    out.n = 0;
    CU_ASSERT_EQUAL(futex_waiters(&t, A), 1);
    /* and the other plain ops refuse it too */
    CU_ASSERT_EQUAL(futex_wake(&t, A, 1, FUTEX_BITSET_ANY, &out), -EINVAL);
    CU_ASSERT_EQUAL(futex_requeue(&t, A, B, 1, 1, true, &out), -EINVAL);
    CU_ASSERT_EQUAL(futex_wake_op(&t, A, B, 1, 1, true, &out), -EINVAL);
    CU_ASSERT_EQUAL(out.n, 0);
    /* a requeue to another lock than the one it waits for */
    CU_ASSERT_EQUAL(futex_requeue_pi_top(&t, A, C, 1, 0, true, &top, &out), -EINVAL);
    /* plain waiters on the lock word */
    CU_ASSERT_EQUAL(wait_on(4, B, FUTEX_BITSET_ANY, FUTEX_NO_DEADLINE), 0);
    CU_ASSERT_EQUAL(futex_requeue_pi_top(&t, A, B, 1, 0, true, &top, &out), -EINVAL);
    CU_ASSERT_TRUE(futex_cancel(&t, &w[4]));
    /* the right call finds it; waiting twice is refused */
    CU_ASSERT_EQUAL(futex_requeue_pi_top(&t, A, B, 1, 0, true, &top, &out), 0);
    CU_ASSERT_PTR_EQUAL(top, &w[3]);
    CU_ASSERT_EQUAL(futex_wait_requeue_pi(&t, &w[3], A, B, FUTEX_NO_DEADLINE, true), -EINVAL);
    CU_ASSERT_TRUE(futex_cancel(&t, &w[3]));
    CU_ASSERT_TRUE(futex_cancel(&t, &w[1]));
    CU_ASSERT_EQUAL(t.nwaiters, 0);
    CU_ASSERT_EQUAL(t.queues.n, 0);
}

static void test_requeue_pi(void) {
    reset();
    struct futex_waiter *top = NULL;
    bool more;
    for (int i = 0; i < 4; i++)
        CU_ASSERT_EQUAL(wait_rq(i, A, B, i == 1 ? 50 : FUTEX_NO_DEADLINE), 0);
    /* the lock was free: the first is woken owning it, two more move */
    CU_ASSERT_EQUAL(futex_requeue_pi_top(&t, A, B, 1, 2, true, &top, &out), 0);
    CU_ASSERT_PTR_EQUAL(top, &w[0]);
    CU_ASSERT_EQUAL(futex_requeue_pi(&t, A, B, 2, true, top->tid, &env, &out), 3);
    CU_ASSERT_STRING_EQUAL(woken_ids(), "0");
    CU_ASSERT_EQUAL(w[0].result, 0);
    CU_ASSERT_EQUAL(futex_waiters(&t, A), 1);
    CU_ASSERT_EQUAL(futex_waiters(&t, B), 2);
    CU_ASSERT_EQUAL(w[1].addr, B);
    CU_ASSERT_TRUE(w[1].pi && w[1].requeued && !w[1].requeue_pi);
    CU_ASSERT_TRUE(w[3].requeue_pi && !w[3].requeued);
    /* B is a PI lock's queue now: a thread's exit looks there, plain
     * waits are refused */
    uint64_t words[2] = {0};
    CU_ASSERT_EQUAL(futex_pi_words(&t, words, 2), 1);
    CU_ASSERT_EQUAL(words[0], B);
    CU_ASSERT_EQUAL(wait_on(4, B, FUTEX_BITSET_ANY, FUTEX_NO_DEADLINE), -EINVAL);
    /* the moved waiter keeps its deadline, on the lock now */
    out.n = 0;
    CU_ASSERT_EQUAL(futex_next_deadline(&t), 50);
    CU_ASSERT_EQUAL(futex_expire(&t, 50, &out), 1);
    CU_ASSERT_EQUAL(w[1].result, -ETIMEDOUT);
    /* the owner's unlock hands it to the next moved one */
    out.n = 0;
    CU_ASSERT_PTR_EQUAL(futex_unlock_pi(&t, B, &out, &more), &w[2]);
    CU_ASSERT_FALSE(more);
    CU_ASSERT_EQUAL(w[2].result, 0);
    /* a held lock: nobody woken, nr_requeue + 1 moved, behind the
     * lock's own waiters */
    out.n = 0;
    CU_ASSERT_EQUAL(futex_lock_pi_wait(&t, &w[5], B, LIVE_OWNER, FUTEX_NO_DEADLINE, &env), 0);
    CU_ASSERT_EQUAL(wait_rq(4, A, B, FUTEX_NO_DEADLINE), 0);
    CU_ASSERT_EQUAL(wait_rq(6, A, B, FUTEX_NO_DEADLINE), 0);
    CU_ASSERT_EQUAL(futex_requeue_pi_top(&t, A, B, 1, 1, true, &top, &out), 0);
    CU_ASSERT_PTR_EQUAL(top, &w[3]);
    CU_ASSERT_EQUAL(futex_requeue_pi(&t, A, B, 1, false, 999, &env, &out), 2);
    CU_ASSERT_EQUAL(out.n, 0);
    CU_ASSERT_EQUAL(futex_waiters(&t, A), 1);
    CU_ASSERT_EQUAL(futex_waiters(&t, B), 3);
    CU_ASSERT_PTR_EQUAL(futex_unlock_pi(&t, B, &out, &more), &w[5]);
    CU_ASSERT_PTR_EQUAL(futex_unlock_pi(&t, B, &out, &more), &w[3]);
    CU_ASSERT_PTR_EQUAL(futex_unlock_pi(&t, B, &out, &more), &w[4]);
    CU_ASSERT_FALSE(more);
    /* a waiter that owns the lock stops the requeue (EDEADLK) and stays */
    out.n = 0;
    CU_ASSERT_EQUAL(wait_rq(7, A, B, FUTEX_NO_DEADLINE), 0);
    CU_ASSERT_EQUAL(futex_requeue_pi(&t, A, B, INT_MAX, false, w[7].tid, &env, &out), -EDEADLK);
    CU_ASSERT_EQUAL(futex_waiters(&t, B), 1); /* w[6] moved first */
    CU_ASSERT_EQUAL(futex_waiters(&t, A), 1);
    CU_ASSERT_TRUE(w[7].requeue_pi);
    /* one for another lock stops it with EINVAL, what was done stays */
    CU_ASSERT_EQUAL(wait_rq(2, A, C, FUTEX_NO_DEADLINE), 0);
    CU_ASSERT_EQUAL(futex_requeue_pi(&t, A, B, INT_MAX, false, 999, &env, &out), -EINVAL);
    CU_ASSERT_EQUAL(futex_waiters(&t, B), 2);
    CU_ASSERT_EQUAL(futex_waiters(&t, A), 1);
    /* a cancelled moved waiter still says it was moved (a signal then
     * ends its wait with EAGAIN) */
    CU_ASSERT_TRUE(futex_cancel(&t, &w[7]));
    CU_ASSERT_TRUE(w[7].requeued);
    CU_ASSERT_TRUE(futex_cancel(&t, &w[6]));
    CU_ASSERT_TRUE(futex_cancel(&t, &w[2]));
    CU_ASSERT_EQUAL(t.nwaiters, 0);
    CU_ASSERT_EQUAL(t.queues.n, 0);
    /* a new wait starts clean */
    CU_ASSERT_EQUAL(wait_on(7, A, FUTEX_BITSET_ANY, FUTEX_NO_DEADLINE), 0);
    CU_ASSERT_FALSE(w[7].requeued || w[7].requeue_pi || w[7].pi);
    CU_ASSERT_TRUE(futex_cancel(&t, &w[7]));
}

#define D 0x4000ull

/* Thread tid, with record w[i], asks for the PI lock at addr, held by
 * the owner its word names. */
static int lock_as(int i, uint32_t tid, uint64_t addr) {
    w[i].tid = tid;
    return futex_lock_pi_wait(&t, &w[i], addr, fake_owner(&g, addr), FUTEX_NO_DEADLINE, &env);
}

/* Linux's deadlock detection: the waiter whose wait would close a cycle
 * of owners (two threads, three) gets -EDEADLK and is not queued;
 * nobody else does, and one at the end of a chain that does not come
 * back waits. */
static void test_pi_deadlock(void) {
    bool more;
    /* two: 1 holds A and waits for B, 2 holds B and asks for A */
    reset();
    set_owner(A, 1);
    set_owner(B, 2);
    CU_ASSERT_EQUAL(lock_as(0, 1, B), 0);
    CU_ASSERT_EQUAL(lock_as(1, 2, A), -EDEADLK);
    CU_ASSERT_PTR_NULL(w[1].q);
    CU_ASSERT_EQUAL(futex_waiters(&t, A), 0);
    CU_ASSERT_EQUAL(lock_as(2, 3, A), 0); /* a third thread only waits */
    CU_ASSERT_EQUAL(lock_as(3, 4, B), 0);
    CU_ASSERT_EQUAL(futex_waiters(&t, B), 2);
    /* once B is handed to 1, which waits no more, 2 may wait for A */
    CU_ASSERT_PTR_EQUAL(futex_unlock_pi(&t, B, &out, &more), &w[0]);
    set_owner(B, 1);
    CU_ASSERT_EQUAL(lock_as(1, 2, A), 0);

    /* three in a ring, closed by whoever comes last: 3 waits for A (1
     * holds it), 1 for B (2's), then 2 asks for C (3's) */
    reset();
    set_owner(A, 1);
    set_owner(B, 2);
    set_owner(C, 3);
    CU_ASSERT_EQUAL(lock_as(0, 3, A), 0);
    CU_ASSERT_EQUAL(lock_as(1, 1, B), 0);
    CU_ASSERT_EQUAL(lock_as(2, 2, C), -EDEADLK);
    CU_ASSERT_EQUAL(futex_waiters(&t, C), 0);
    CU_ASSERT_EQUAL(lock_as(3, 4, A), 0); /* a fourth thread waits for any */
    CU_ASSERT_EQUAL(lock_as(4, 5, B), 0);
    CU_ASSERT_EQUAL(lock_as(5, 6, C), 0);
    /* a wait that ends (a timeout, a signal) opens the ring */
    CU_ASSERT_TRUE(futex_cancel(&t, &w[0]));
    CU_ASSERT_EQUAL(lock_as(2, 2, C), 0);

    /* an open chain: 4 asks for A, 1 (its owner) waits for B, 2 for C,
     * and 3, C's owner, waits for nothing */
    reset();
    set_owner(A, 1);
    set_owner(B, 2);
    set_owner(C, 3);
    CU_ASSERT_EQUAL(lock_as(0, 1, B), 0);
    CU_ASSERT_EQUAL(lock_as(1, 2, C), 0);
    CU_ASSERT_EQUAL(lock_as(2, 4, A), 0);
    CU_ASSERT_EQUAL(futex_waiters(&t, A) + futex_waiters(&t, B) + futex_waiters(&t, C), 3);
    /* ... until 3 asks for a lock of one on it, anywhere along it */
    CU_ASSERT_EQUAL(lock_as(3, 3, A), -EDEADLK);
    set_owner(D, 4);
    CU_ASSERT_EQUAL(lock_as(3, 3, D), -EDEADLK);
    CU_ASSERT_EQUAL(futex_waiters(&t, A) + futex_waiters(&t, D), 1);
}

/* The walk ends on any input: a cycle the waiter is not on (words that
 * say so; Linux reports it too, as the lock asked for met again or past
 * its depth bound), and a chain longer than FUTEX_PI_MAX_DEPTH. */
static void test_pi_chain_bounded(void) {
    reset();
    /* 1 waits for B, whose word then names 1 itself */
    set_owner(B, 2);
    CU_ASSERT_EQUAL(lock_as(0, 1, B), 0);
    set_owner(B, 1);
    g.owner_reads = 0;
    CU_ASSERT_EQUAL(futex_pi_chain(&t, 9, A, 1, &env), -EDEADLK);
    CU_ASSERT_EQUAL(g.owner_reads, FUTEX_PI_MAX_DEPTH);
    /* the chain meets A again: 2 waits for A, whose word then names 1,
     * which waits for B of 2 */
    set_owner(B, 2);
    set_owner(A, 5);
    CU_ASSERT_EQUAL(lock_as(1, 2, A), 0);
    set_owner(A, 1);
    g.owner_reads = 0;
    CU_ASSERT_EQUAL(futex_pi_chain(&t, 9, A, 1, &env), -EDEADLK);
    CU_ASSERT_EQUAL(g.owner_reads, 1);

    /* thread CHAIN_TID + i holds the lock at CHAIN + 4 i and waits for
     * the next; the last one runs */
    reset();
    size_t n = FUTEX_PI_MAX_DEPTH + 1;
    struct futex_waiter *cw = calloc(n, sizeof *cw);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cw);
    int failed = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        cw[i].tid = CHAIN_TID + (uint32_t)i;
        uint64_t next = CHAIN + 4 * (i + 1);
        failed |=
            futex_lock_pi_wait(&t, &cw[i], next, fake_owner(&g, next), FUTEX_NO_DEADLINE, &env);
    }
    CU_ASSERT_EQUAL(failed, 0);
    CU_ASSERT_EQUAL(lock_as(0, 1, CHAIN + 4), 0);    /* FUTEX_PI_MAX_DEPTH owners */
    CU_ASSERT_EQUAL(lock_as(1, 2, CHAIN), -EDEADLK); /* one more */
    reset();
    free(cw);
}

/* Linux's attach_to_pi_owner: the first waiter of a lock whose word
 * names no live thread gets -ESRCH and is not queued; plain waiters on
 * the word are -EINVAL first. */
static void test_pi_owner_alive(void) {
    reset();
    CU_ASSERT_EQUAL(futex_pi_attach(&t, A, NO_THREAD, &env), -ESRCH);
    CU_ASSERT_EQUAL(futex_pi_attach(&t, A, LIVE_OWNER, &env), 0);
    w[0].tid = 1;
    CU_ASSERT_EQUAL(futex_lock_pi_wait(&t, &w[0], A, NO_THREAD, FUTEX_NO_DEADLINE, &env), -ESRCH);
    CU_ASSERT_PTR_NULL(w[0].q);
    CU_ASSERT_EQUAL(futex_waiters(&t, A), 0);
    CU_ASSERT_EQUAL(futex_lock_pi_wait(&t, &w[0], A, LIVE_OWNER, FUTEX_NO_DEADLINE, &env), 0);
    CU_ASSERT_EQUAL(wait_on(1, B, FUTEX_BITSET_ANY, FUTEX_NO_DEADLINE), 0);
    w[2].tid = 2;
    CU_ASSERT_EQUAL(futex_lock_pi_wait(&t, &w[2], B, NO_THREAD, FUTEX_NO_DEADLINE, &env), -EINVAL);
}

/* CMP_REQUEUE_PI's waiters: one whose wait for the lock would close a
 * cycle of owners stops the requeue with -EDEADLK and stays; those
 * before it are moved. */
static void test_requeue_pi_deadlock(void) {
    reset();
    /* 2 holds B and waits for C, held by w[0]'s thread (100) */
    set_owner(B, 2);
    set_owner(C, 100);
    CU_ASSERT_EQUAL(lock_as(5, 2, C), 0);
    CU_ASSERT_EQUAL(wait_rq(1, A, B, FUTEX_NO_DEADLINE), 0);
    CU_ASSERT_EQUAL(wait_rq(0, A, B, FUTEX_NO_DEADLINE), 0);
    CU_ASSERT_EQUAL(futex_requeue_pi(&t, A, B, INT_MAX, false, 2, &env, &out), -EDEADLK);
    CU_ASSERT_EQUAL(futex_waiters(&t, B), 1);
    CU_ASSERT_EQUAL(w[1].addr, B);
    CU_ASSERT_TRUE(w[0].requeue_pi && !w[0].requeued && w[0].addr == A);
    CU_ASSERT_EQUAL(out.n, 0);
    /* once 2 waits no more, it may be requeued too */
    CU_ASSERT_TRUE(futex_cancel(&t, &w[5]));
    CU_ASSERT_EQUAL(futex_requeue_pi(&t, A, B, INT_MAX, false, 2, &env, &out), 1);
    CU_ASSERT_EQUAL(futex_waiters(&t, B), 2);
}

static void test_deadline_heap_random(void) {
    futex_table_fini(&t);
    futex_table_init(&t);
    enum { N = 3000 };
    struct futex_waiter *ws = calloc(N, sizeof *ws);
    uint64_t x = 12345;
    for (int i = 0; i < N; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        ws[i].id = (uint64_t)i;
        CU_ASSERT_EQUAL_FATAL(futex_wait(&t, &ws[i], (x % 97) * 4, 1, x % 100000, true), 0);
    }
    /* cancel a third */
    int cancelled = 0;
    for (int i = 0; i < N; i += 3)
        cancelled += futex_cancel(&t, &ws[i]);
    CU_ASSERT_EQUAL(cancelled, N / 3);
    CU_ASSERT_FALSE(futex_cancel(&t, &ws[0]));
    /* expiring in steps yields each deadline once, never early, in order */
    size_t total = 0;
    uint64_t last = 0;
    int ok = 1;
    for (uint64_t now = 0; now <= 100000 + 777; now += 777) {
        out.n = 0;
        size_t n = futex_expire(&t, now, &out);
        total += n;
        for (size_t i = 0; i < out.n; i++) {
            if (out.v[i]->deadline > now || out.v[i]->deadline < last) ok = 0;
            last = out.v[i]->deadline;
            if (out.v[i]->result != -ETIMEDOUT) ok = 0;
        }
        if (futex_next_deadline(&t) <= now) ok = 0;
    }
    CU_ASSERT(ok);
    CU_ASSERT_EQUAL(total, (size_t)(N - N / 3));
    CU_ASSERT_EQUAL(t.nwaiters, 0);
    CU_ASSERT_EQUAL(t.queues.n, 0);
    free(ws);
    out.n = 0;
}

static void test_cancel_node(void) {
    reset();
    for (int i = 0; i < 6; i++) {
        w[i].node = (uint32_t)(i % 2);
        wait_on(i, i < 3 ? A : B, FUTEX_BITSET_ANY, i == 1 ? 50 : FUTEX_NO_DEADLINE);
    }
    CU_ASSERT_EQUAL(futex_cancel_node(&t, 1, &out), 3);
    CU_ASSERT_EQUAL(out.n, 3);
    for (size_t i = 0; i < out.n; i++) {
        CU_ASSERT_EQUAL(out.v[i]->node, 1u);
        CU_ASSERT_EQUAL(out.v[i]->result, -ECONNRESET);
    }
    CU_ASSERT_EQUAL(futex_next_deadline(&t), FUTEX_NO_DEADLINE);
    CU_ASSERT_EQUAL(t.nwaiters, 3);
    out.n = 0;
    futex_wake(&t, A, INT_MAX, FUTEX_BITSET_ANY, &out);
    CU_ASSERT_STRING_EQUAL(woken_ids(), "0,2");
}

static void test_no_fixed_size(void) {
    futex_table_fini(&t);
    futex_table_init(&t);
    enum { N = 200000 };
    struct futex_waiter *ws = calloc(N, sizeof *ws);
    for (int i = 0; i < N; i++)
        CU_ASSERT_EQUAL_FATAL(futex_wait(&t, &ws[i], 0x10000000ull + (uint64_t)(i / 2) * 64,
                                         FUTEX_BITSET_ANY, FUTEX_NO_DEADLINE, true),
                              0);
    CU_ASSERT_EQUAL(t.queues.n, N / 2);
    CU_ASSERT_EQUAL(t.nwaiters, N);
    size_t woken = 0;
    for (int i = 0; i < N / 2; i++) {
        out.n = 0;
        woken += (size_t)futex_wake(&t, 0x10000000ull + (uint64_t)i * 64, INT_MAX, FUTEX_BITSET_ANY,
                                    &out);
    }
    CU_ASSERT_EQUAL(woken, N);
    CU_ASSERT_EQUAL(t.queues.n, 0);
    CU_ASSERT(t.queues.cap <= 64); /* shrank back */
    free(ws);
    out.n = 0;
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("futex_table", setup, teardown);
    CU_add_test(s, "wait/wake in FIFO order", test_wait_wake_fifo);
    CU_add_test(s, "wake counts like Linux", test_wake_counts_like_linux);
    CU_add_test(s, "wait errors", test_wait_errors);
    CU_add_test(s, "bitset matching", test_bitsets);
    CU_add_test(s, "requeue / cmp_requeue limits", test_requeue);
    CU_add_test(s, "wake_op encoding", test_wake_op_eval);
    CU_add_test(s, "wake_op encoding vs host kernel", test_wake_op_vs_kernel);
    CU_add_test(s, "wake_op wakes", test_wake_op);
    CU_add_test(s, "timeouts", test_timeouts);
    CU_add_test(s, "PI locks: hand-off order, timeouts, no mixing", test_pi);
    CU_add_test(s, "requeue-PI: errors, and plain ops refuse its waiters", test_requeue_pi_errors);
    CU_add_test(s, "requeue-PI: take a free lock, requeue behind a held one", test_requeue_pi);
    CU_add_test(s, "PI deadlocks: the waiter closing a cycle of owners, nobody else",
                test_pi_deadlock);
    CU_add_test(s, "PI deadlocks: the chain walk ends on any input", test_pi_chain_bounded);
    CU_add_test(s, "PI owners: not a live thread is -ESRCH", test_pi_owner_alive);
    CU_add_test(s, "requeue-PI: a waiter closing a cycle stops the requeue",
                test_requeue_pi_deadlock);
    CU_add_test(s, "deadline heap, random", test_deadline_heap_random);
    CU_add_test(s, "cancel a lost node's waiters", test_cancel_node);
    CU_add_test(s, "no fixed size", test_no_fixed_size);
}

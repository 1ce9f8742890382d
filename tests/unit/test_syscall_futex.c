/* futex through the syscall layer on guest memory, across host threads. */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "syscall/futex_args.h"
#include "syscall/syscall.h"

#define WORD 0x10000ull
#define TS   0x10100ull

static struct process proc;

static int setup(void) {
    if (gs_init(&proc.mem, 1ull << 32)) return 1;
    proc.dbt = dbt_create(NULL);
    pthread_mutex_init(&proc.sig_lock, NULL);
    return gs_map_fixed(&proc.mem, WORD, 4096, PROT_READ | PROT_WRITE, GVMA_ANON) != 0;
}

static int teardown(void) {
    dbt_destroy(proc.dbt);
    gs_fini(&proc.mem);
    return 0;
}

static int64_t futex_call(struct task *t, uint64_t addr, int op, uint32_t val, uint64_t ts) {
    t->cpu.x[8] = 98;
    t->cpu.x[0] = addr;
    t->cpu.x[1] = (uint64_t)op;
    t->cpu.x[2] = val;
    t->cpu.x[3] = ts;
    t->cpu.x[4] = 0;
    t->cpu.x[5] = 0;
    syscall_dispatch(t);
    return (int64_t)t->cpu.x[0];
}

static _Atomic uint32_t *word(void) {
    return gs_host(&proc.mem, WORD);
}

static atomic_int waiter_result = 1;
static atomic_int waiter_started;

static void *waiter(void *arg) {
    struct task *t = task_new(&proc);
    atomic_store(&waiter_started, 1);
    int64_t r;
    /* Loop like a real lock: spurious wakeups and EAGAIN retry while 0. */
    while (atomic_load(word()) == 0) {
        r = futex_call(t, WORD, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, 0);
        if (r != 0 && r != -EAGAIN && r != -EINTR) {
            atomic_store(&waiter_result, (int)r);
            task_free(t);
            return NULL;
        }
    }
    atomic_store(&waiter_result, 0);
    task_free(t);
    return NULL;
}

static void test_wait_wake_two_threads(void) {
    atomic_store(word(), 0);
    pthread_t th;
    CU_ASSERT_FATAL(pthread_create(&th, NULL, waiter, NULL) == 0);
    while (!atomic_load(&waiter_started))
        usleep(1000);
    usleep(20000); /* let it block */
    struct task *t = task_new(&proc);
    atomic_store(word(), 1);
    int64_t woken = futex_call(t, WORD, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, 0);
    CU_ASSERT_TRUE(woken == 0 || woken == 1);
    pthread_join(th, NULL);
    CU_ASSERT_EQUAL(atomic_load(&waiter_result), 0);
    task_free(t);
}

static void test_wait_errors(void) {
    struct task *t = task_new(&proc);
    atomic_store(word(), 5);
    /* value mismatch */
    CU_ASSERT_EQUAL(futex_call(t, WORD, FUTEX_WAIT_PRIVATE, 4, 0), -EAGAIN);
    /* relative timeout */
    struct timespec ts = {0, 2000000};
    memcpy(gs_host(&proc.mem, TS), &ts, sizeof ts);
    CU_ASSERT_EQUAL(futex_call(t, WORD, FUTEX_WAIT_PRIVATE, 5, TS), -ETIMEDOUT);
    /* absolute CLOCK_MONOTONIC deadline with a bitset wait */
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_nsec += 2000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    memcpy(gs_host(&proc.mem, TS), &ts, sizeof ts);
    t->cpu.x[5] = 0;
    t->cpu.x[8] = 98;
    t->cpu.x[0] = WORD;
    t->cpu.x[1] = FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG;
    t->cpu.x[2] = 5;
    t->cpu.x[3] = TS;
    t->cpu.x[4] = 0;
    t->cpu.x[5] = FUTEX_BITSET_MATCH_ANY;
    syscall_dispatch(t);
    CU_ASSERT_EQUAL((int64_t)t->cpu.x[0], -ETIMEDOUT);
    /* bad addresses: unmapped, outside the space, bad timeout pointer */
    CU_ASSERT_EQUAL(futex_call(t, 0x20000, FUTEX_WAKE_PRIVATE, 1, 0), -EFAULT);
    CU_ASSERT_EQUAL(futex_call(t, 1ull << 40, FUTEX_WAKE_PRIVATE, 1, 0), -EFAULT);
    CU_ASSERT_EQUAL(futex_call(t, WORD, FUTEX_WAIT_PRIVATE, 5, 0x30000), -EFAULT);
    /* nobody waiting */
    CU_ASSERT_EQUAL(futex_call(t, WORD, FUTEX_WAKE_PRIVATE, 1, 0), 0);
    task_free(t);
}

/* What the cluster's futex table is told of each op: which ops it
 * decides, which may wait, how an interrupted wait restarts. */
static void test_args(void) {
    struct task *t = task_new(&proc);
    struct futex_args o;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += 10;
    memcpy(gs_host(&proc.mem, TS), &ts, sizeof ts);
    uint64_t a[6] = {WORD, FUTEX_WAIT_REQUEUE_PI | FUTEX_PRIVATE_FLAG, 0, TS, WORD + 4, 0};
    /* WAIT_REQUEUE_PI: a table wait with an absolute timeout, restarted
     * after a handler (ERESTARTNOINTR) even when timed */
    CU_ASSERT_EQUAL(futex_args_parse(t, a, true, &o), 0);
    CU_ASSERT_TRUE(o.table && o.wait && !o.pi && o.has_timeout && !o.realtime);
    CU_ASSERT_EQUAL(o.restart, GUEST_ERESTARTNOINTR);
    CU_ASSERT_EQUAL(o.uaddr2, WORD + 4);
    int64_t left = futex_args_left_ns(&o, &proc.clock);
    CU_ASSERT_TRUE(left > 9000000000ll && left <= 10000000000ll);
    /* a node whose clock is an hour behind the master's: the deadline is
     * on the master's clock, so an hour less is left */
    atomic_store(&proc.clock.monotonic_ns, 3600000000000ll);
    CU_ASSERT_EQUAL(futex_args_left_ns(&o, &proc.clock), 0);
    atomic_store(&proc.clock.monotonic_ns, -5000000000ll);
    left = futex_args_left_ns(&o, &proc.clock);
    CU_ASSERT_TRUE(left > 14000000000ll && left <= 15000000000ll);
    atomic_store(&proc.clock.monotonic_ns, 0);
    a[1] |= FUTEX_CLOCK_REALTIME; /* Linux takes the flag for it */
    CU_ASSERT_EQUAL(futex_args_parse(t, a, false, &o), 0);
    CU_ASSERT_TRUE(o.realtime && o.has_timeout);
    a[3] = 0;
    CU_ASSERT_EQUAL(futex_args_parse(t, a, true, &o), 0);
    CU_ASSERT_FALSE(o.has_timeout);
    CU_ASSERT_EQUAL(o.restart, GUEST_ERESTARTNOINTR);
    /* CMP_REQUEUE_PI: decided by the table, never waits, no clock flag */
    uint64_t c[6] = {WORD, FUTEX_CMP_REQUEUE_PI | FUTEX_PRIVATE_FLAG, 1, 5, WORD + 4, 0};
    CU_ASSERT_EQUAL(futex_args_parse(t, c, true, &o), 0);
    CU_ASSERT_TRUE(o.table && !o.wait && !o.has_timeout);
    CU_ASSERT_EQUAL(o.val2, 5u);
    c[1] |= FUTEX_CLOCK_REALTIME;
    CU_ASSERT_EQUAL(futex_args_parse(t, c, true, &o), -ENOSYS);
    /* the others as before: a timed WAIT restarts with a restart block */
    uint64_t w[6] = {WORD, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, TS, 0, 0};
    CU_ASSERT_EQUAL(futex_args_parse(t, w, false, &o), 0);
    CU_ASSERT_EQUAL(o.restart, GUEST_ERESTART_RESTARTBLOCK);
    w[1] = FUTEX_LOCK_PI | FUTEX_PRIVATE_FLAG;
    CU_ASSERT_EQUAL(futex_args_parse(t, w, false, &o), 0);
    CU_ASSERT_EQUAL(o.restart, GUEST_ERESTARTNOINTR);
    task_free(t);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("syscall_futex", setup, teardown);
    CU_add_test(s, "wait/wake across two host threads", test_wait_wake_two_threads);
    CU_add_test(s, "wait errors and timeouts", test_wait_errors);
    CU_add_test(s, "futex_args: the table's ops, waits and restarts", test_args);
}

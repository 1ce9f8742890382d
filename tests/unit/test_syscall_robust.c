/* Robust futex lists walked at thread exit (syscall/robust_list.h), on a
 * list built in guest memory as glibc builds it: entries whose word holds
 * the dying tid get FUTEX_OWNER_DIED with FUTEX_WAITERS kept, others are
 * left alone, list_op_pending is handled once, PI entries are marked, a
 * waiter asleep on an owned word is woken, and a cyclic list ends. */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "syscall/robust_list.h"
#include "syscall/syscall.h"

#define AREA   0x20000ull
#define HEAD   AREA           /* struct robust_list_head */
#define ENTRY0 (AREA + 0x100) /* entries 0x40 apart; futex word at +OFFSET */
#define OFFSET 0x10
#define TID    4321

static struct process proc;

static int setup(void) {
    if (gs_init(&proc.mem, 1ull << 32)) return 1;
    proc.dbt = dbt_create(NULL);
    pthread_mutex_init(&proc.sig_lock, NULL);
    return gs_map_fixed(&proc.mem, AREA, 4096, PROT_READ | PROT_WRITE, GVMA_ANON) != 0;
}

static int teardown(void) {
    dbt_destroy(proc.dbt);
    gs_fini(&proc.mem);
    return 0;
}

static void put64(uint64_t addr, uint64_t v) {
    CU_ASSERT_EQUAL(gs_copy_out(&proc.mem, addr, &v, sizeof v), 0);
}
static void put32(uint64_t addr, uint32_t v) {
    CU_ASSERT_EQUAL(gs_copy_out(&proc.mem, addr, &v, sizeof v), 0);
}
static uint32_t get32(uint64_t addr) {
    uint32_t v = 0;
    CU_ASSERT_EQUAL(gs_copy_in(&proc.mem, &v, addr, sizeof v), 0);
    return v;
}
static uint64_t entry(int i) {
    return ENTRY0 + 0x40 * (uint64_t)i;
}

/* A list HEAD -> entry 0 -> ... -> entry n-1 -> HEAD; pi marks bit 0 of
 * the pointer to entry i as glibc does for PI mutexes. */
static void build(int n, const bool *pi, uint64_t pending) {
    put64(HEAD, n ? entry(0) | (pi && pi[0]) : HEAD);
    put64(HEAD + 8, OFFSET);
    put64(HEAD + 16, pending);
    for (int i = 0; i < n; i++)
        put64(entry(i), i + 1 < n ? entry(i + 1) | (pi && pi[i + 1]) : HEAD);
}

static void walk(void) {
    struct task *t = task_new(&proc);
    t->tid = TID;
    t->robust_list = HEAD;
    t->robust_list_len = 24;
    robust_list_exit(t);
    CU_ASSERT_EQUAL(t->robust_list, 0);
    task_free(t);
}

static void test_marks_owned(void) {
    build(4, NULL, 0);
    put32(entry(0) + OFFSET, TID);                 /* owned, no waiters */
    put32(entry(1) + OFFSET, TID | FUTEX_WAITERS); /* owned, waiters */
    put32(entry(2) + OFFSET, 999 | FUTEX_WAITERS); /* another owner */
    put32(entry(3) + OFFSET, 0);                   /* unlocked */
    walk();
    CU_ASSERT_EQUAL(get32(entry(0) + OFFSET), FUTEX_OWNER_DIED);
    CU_ASSERT_EQUAL(get32(entry(1) + OFFSET), FUTEX_OWNER_DIED | FUTEX_WAITERS);
    CU_ASSERT_EQUAL(get32(entry(2) + OFFSET), 999 | FUTEX_WAITERS);
    CU_ASSERT_EQUAL(get32(entry(3) + OFFSET), 0);
}

static void test_pending_and_pi(void) {
    /* entry 1 is both on the list and pending: handled once, as pending */
    bool pi[3] = {false, false, true};
    build(3, pi, entry(1));
    put32(entry(0) + OFFSET, TID);
    put32(entry(1) + OFFSET, TID | FUTEX_WAITERS);
    put32(entry(2) + OFFSET, TID | FUTEX_WAITERS); /* PI: marked, no wake */
    walk();
    CU_ASSERT_EQUAL(get32(entry(0) + OFFSET), FUTEX_OWNER_DIED);
    CU_ASSERT_EQUAL(get32(entry(1) + OFFSET), FUTEX_OWNER_DIED | FUTEX_WAITERS);
    CU_ASSERT_EQUAL(get32(entry(2) + OFFSET), FUTEX_OWNER_DIED | FUTEX_WAITERS);
    /* a pending op on an unowned word leaves it as it is */
    build(0, NULL, entry(5));
    put32(entry(5) + OFFSET, FUTEX_WAITERS);
    walk();
    CU_ASSERT_EQUAL(get32(entry(5) + OFFSET), FUTEX_WAITERS);
}

static void test_cycle_ends(void) {
    build(2, NULL, 0);
    put64(entry(1), entry(0)); /* a cycle that never reaches HEAD */
    put32(entry(0) + OFFSET, TID);
    walk(); /* returns: at most 2048 entries */
    CU_ASSERT_EQUAL(get32(entry(0) + OFFSET), FUTEX_OWNER_DIED);
    /* a bad pointer ends the walk */
    put64(HEAD, 0x7000000000ull);
    walk();
}

struct waiter {
    _Atomic int tid, done;
    long ret;
};

static void *wait_word(void *arg) {
    struct waiter *w = arg;
    w->tid = (int)gettid();
    uint32_t *word = (uint32_t *)gs_host(&proc.mem, entry(0) + OFFSET);
    /* shared, as glibc's robust mutexes wait */
    w->ret = syscall(SYS_futex, word, FUTEX_WAIT, TID | FUTEX_WAITERS, NULL, NULL, 0);
    w->done = 1;
    return NULL;
}

/* Whether host thread tid sleeps in the kernel. */
static bool sleeping(int tid) {
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", tid);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f) fclose(f);
    buf[n] = 0;
    const char *rp = strrchr(buf, ')');
    return rp && rp[1] == ' ' && rp[2] == 'S';
}

static void test_wakes_waiter(void) {
    build(1, NULL, 0);
    put32(entry(0) + OFFSET, TID | FUTEX_WAITERS);
    struct waiter w = {0};
    pthread_t th;
    CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, wait_word, &w), 0);
    while (!w.tid || !sleeping(w.tid))
        sched_yield();
    walk();
    CU_ASSERT_EQUAL(pthread_join(th, NULL), 0); /* woken: no hang */
    CU_ASSERT_EQUAL(w.ret, 0);
    CU_ASSERT(w.done);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("syscall_robust", setup, teardown);
    CU_add_test(s, "owned entries marked, waiters kept", test_marks_owned);
    CU_add_test(s, "list_op_pending and PI entries", test_pending_and_pi);
    CU_add_test(s, "a cyclic list or a bad pointer ends the walk", test_cycle_ends);
    CU_add_test(s, "a sleeping waiter is woken", test_wakes_waiter);
}

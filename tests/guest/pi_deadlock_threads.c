/* PI futexes' deadlock detection and owner checks, through raw futex
 * calls between threads that a cluster places on different nodes (one
 * thread per node at -n 4). Linux walks the whole chain of lock owners
 * when FUTEX_LOCK_PI is about to block: a waiter that would close a
 * cycle (two threads each holding the lock the other wants, or three in
 * a ring) gets EDEADLK at once and nobody else does; a chain that does
 * not come back blocks as usual and ends with every lock handed over.
 * TRYLOCK_PI never walks the chain; CMP_REQUEUE_PI walks it for each
 * waiter it would move (EDEADLK, the waiter stays where it was). A lock word whose owner tid is no
 * live thread (a tid no thread can have, one that exited) is ESRCH for
 * LOCK_PI, LOCK_PI2, TRYLOCK_PI and CMP_REQUEUE_PI, which leave
 * FUTEX_WAITERS set in it, as Linux does. Timed locks keep a wrong
 * answer (a missed deadlock) from hanging the test. */
#include "guest.h"
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define PRIV  FUTEX_PRIVATE_FLAG
#define TIDS  0x3fffffffu
#define BOGUS 0x3ffffff0u /* above any pid_max: no thread has it */

static long futex(uint32_t *ua, int op, uint32_t val, const void *ts_or_val2, uint32_t *ua2,
                  uint32_t val3) {
    return syscall(SYS_futex, ua, op, val, ts_or_val2, ua2, val3);
}

static uint32_t my_tid(void) {
    return (uint32_t)syscall(SYS_gettid);
}

static uint32_t load(uint32_t *w) {
    return __atomic_load_n(w, __ATOMIC_ACQUIRE);
}

static void store(uint32_t *w, uint32_t v) {
    __atomic_store_n(w, v, __ATOMIC_RELEASE);
}

static void until_set(uint32_t *w, uint32_t bits) {
    while (!(load(w) & bits))
        usleep(1000);
}

static const char *ename(long r, int e) {
    if (r >= 0) return "0";
    switch (e) {
    case EINVAL: return "EINVAL";
    case EAGAIN: return "EAGAIN";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EDEADLK: return "EDEADLK";
    case ESRCH: return "ESRCH";
    case EPERM: return "EPERM";
    default: return "other";
    }
}

/* LOCK_PI with an absolute CLOCK_REALTIME deadline 5 s ahead: long
 * enough for any hand-over here, short enough that a missed deadlock
 * ends as ETIMEDOUT rather than a hang. */
static long lock_pi_timed(uint32_t *m) {
    struct timespec ts = g_in_ms(CLOCK_REALTIME, 5000);
    return futex(m, FUTEX_LOCK_PI | PRIV, 0, &ts, NULL, 0);
}

/* glibc's protocol: user space first, the kernel when contended. */
static void pi_lock(uint32_t *m) {
    uint32_t z = 0;
    if (__atomic_compare_exchange_n(m, &z, my_tid(), 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) return;
    CHECK(lock_pi_timed(m) == 0);
}

static void pi_unlock(uint32_t *m) {
    uint32_t tid = my_tid();
    if (__atomic_compare_exchange_n(m, &tid, 0, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED)) return;
    CHECK(futex(m, FUTEX_UNLOCK_PI | PRIV, 0, NULL, NULL, 0) == 0);
}

/* --- chains of owners -------------------------------------------------- */

/* One thread of a chain: takes own, then on go asks for want (NULL:
 * holds own until release), records how that went, and lets go of both. */
struct link {
    uint32_t *own, *want;
    int try_first; /* TRYLOCK_PI want before the LOCK_PI */
    uint32_t holding, go, release;
    /* results */
    uint32_t tid;
    long try_ret, ret;
    int try_err, err;
    uint32_t want_word; /* want as the LOCK_PI returned */
};

static void *link_main(void *arg) {
    struct link *l = arg;
    l->tid = my_tid();
    pi_lock(l->own);
    store(&l->holding, 1);
    while (!load(&l->go))
        usleep(1000);
    if (!l->want) {
        while (!load(&l->release))
            usleep(1000);
        pi_unlock(l->own);
        return NULL;
    }
    if (l->try_first) {
        l->try_ret = futex(l->want, FUTEX_TRYLOCK_PI | PRIV, 0, NULL, NULL, 0);
        l->try_err = l->try_ret ? errno : 0;
    }
    l->ret = lock_pi_timed(l->want);
    l->err = l->ret ? errno : 0;
    l->want_word = load(l->want);
    if (l->ret == 0) pi_unlock(l->want);
    pi_unlock(l->own);
    return NULL;
}

static void start_links(struct link *l, pthread_t *th, int n) {
    for (int i = 0; i < n; i++)
        CHECK(pthread_create(&th[i], NULL, link_main, &l[i]) == 0);
    for (int i = 0; i < n; i++)
        while (!load(&l[i].holding))
            usleep(1000);
}

/* Lets l ask for its lock and waits until it is queued there (the
 * kernel sets FUTEX_WAITERS first; the pause covers the rest of its way
 * into the wait, on Linux). */
static void block_on(struct link *l) {
    store(&l->go, 1);
    until_set(l->want, FUTEX_WAITERS);
    usleep(100000);
}

static void join_links(pthread_t *th, int n) {
    for (int i = 0; i < n; i++)
        pthread_join(th[i], NULL);
}

static void report(const char *what, struct link *l, int n) {
    for (int i = 0; i < n; i++) {
        if (!l[i].want) continue;
        printf("%s: thread %d: lock_pi %s", what, i + 1, ename(l[i].ret, l[i].err));
        if (l[i].try_first) printf(" (trylock before it %s)", ename(l[i].try_ret, l[i].try_err));
        printf("\n");
    }
}

static uint32_t A, B, C;

/* Two threads, each holding the lock the other wants: the second to ask
 * closes the cycle. */
static void abba(void) {
    struct link l[2] = {{.own = &A, .want = &B}, {.own = &B, .want = &A, .try_first = 1}};
    pthread_t th[2];
    start_links(l, th, 2);
    block_on(&l[0]);
    store(&l[1].go, 1);
    join_links(th, 2);
    report("abba", l, 2);
    printf("abba: the refused waiter found A owned by thread 1 %d, waiters bit %d\n",
           (l[1].want_word & TIDS) == l[0].tid, (l[1].want_word & FUTEX_WAITERS) != 0);
    printf("abba: thread 1 got B %d; both free at the end %d\n",
           (l[0].want_word & TIDS) == l[0].tid, load(&A) == 0 && load(&B) == 0);
}

/* Three in a ring: thread 1 waits for thread 2, 2 for 3, 3 for 1. */
static void ring(void) {
    struct link l[3] = {{.own = &A, .want = &B}, {.own = &B, .want = &C}, {.own = &C, .want = &A}};
    pthread_t th[3];
    start_links(l, th, 3);
    block_on(&l[0]);
    block_on(&l[1]);
    store(&l[2].go, 1);
    join_links(th, 3);
    report("ring of three", l, 3);
    printf("ring of three: all free at the end %d\n",
           load(&A) == 0 && load(&B) == 0 && load(&C) == 0);
}

/* Thread 3 waits for thread 1, which waits for thread 2, which waits
 * for nobody: no cycle, so each gets its lock in turn. */
static void chain(void) {
    struct link l[3] = {{.own = &A, .want = &B}, {.own = &B}, {.own = &C, .want = &A}};
    pthread_t th[3];
    start_links(l, th, 3);
    block_on(&l[0]);
    block_on(&l[2]);
    store(&l[1].go, 1);
    store(&l[1].release, 1);
    join_links(th, 3);
    report("open chain", l, 3);
    printf("open chain: each returned owning its lock %d, all free at the end %d\n",
           (l[0].want_word & TIDS) == l[0].tid && (l[2].want_word & TIDS) == l[2].tid,
           load(&A) == 0 && load(&B) == 0 && load(&C) == 0);
}

/* Until a requeue-PI waiter is first on cv (a plain wake of it is
 * refused). */
static void until_rq_queued(uint32_t *cv) {
    while (futex(cv, FUTEX_WAKE | PRIV, 1, NULL, NULL, 0) != -1 || errno != EINVAL)
        usleep(1000);
}

/* --- a requeue into a cycle -------------------------------------------- */

static uint32_t rcv;

struct rq_holder {
    uint32_t holding;
    struct timespec deadline; /* of its wait, set before holding */
    long ret;                 /* 0 or -errno */
};

/* Holds C, waits on rcv to be requeued to B (2 s at most), lets go. */
static void *rq_holder_main(void *arg) {
    struct rq_holder *h = arg;
    pi_lock(&C);
    struct timespec ts = g_in_ms(CLOCK_MONOTONIC, 2000);
    h->deadline = ts;
    store(&h->holding, 1);
    h->ret = futex(&rcv, FUTEX_WAIT_REQUEUE_PI | PRIV, 0, &ts, &B, 0) ? -errno : 0;
    if (h->ret == 0) pi_unlock(&B);
    pi_unlock(&C);
    return NULL;
}

/* CMP_REQUEUE_PI checks each waiter it moves as LOCK_PI would: thread 1
 * holds C and waits on rcv for B, thread 2 holds B and waits for C, so
 * moving thread 1 to B would close a cycle: EDEADLK, and thread 1 stays
 * on rcv (until its timeout). */
static void requeue_cycle(void) {
    struct rq_holder h;
    struct link l;
    long r, wr;
    int e, we;
    /* a round whose requeue came after thread 1's timeout (a loaded
     * machine) shows nothing: it is run again */
    for (int round = 0; round < 5; round++) {
        h = (struct rq_holder){0};
        l = (struct link){.own = &B, .want = &C};
        pthread_t th1, th2;
        CHECK(pthread_create(&th1, NULL, rq_holder_main, &h) == 0);
        while (!load(&h.holding))
            usleep(1000);
        until_rq_queued(&rcv);
        start_links(&l, &th2, 1);
        block_on(&l);
        r = futex(&rcv, FUTEX_CMP_REQUEUE_PI | PRIV, 1, (void *)1L, &B, 0);
        e = errno;
        wr = futex(&rcv, FUTEX_WAKE | PRIV, 1, NULL, NULL, 0);
        we = errno;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        pthread_join(th1, NULL);
        join_links(&th2, 1);
        if (g_ns(now) < g_ns(h.deadline)) break;
    }
    printf("requeue into a cycle: cmp_requeue_pi %s, the waiter still on its word (plain wake "
           "%s), its wait %s\n",
           ename(r, e), ename(wr, we), ename(h.ret, (int)-h.ret));
    printf("requeue into a cycle: thread 2 got C once thread 1 let go: %s\n", ename(l.ret, l.err));
    printf("requeue into a cycle: all free at the end %d\n", load(&B) == 0 && load(&C) == 0);
}

/* --- owners that are no live thread ------------------------------------ */

static uint32_t word, cv;

/* Timed as lock_pi_timed, LOCK_PI2 on CLOCK_MONOTONIC. */
static long lock_op(int op) {
    if (op == FUTEX_LOCK_PI) return lock_pi_timed(&word);
    struct timespec ts = g_in_ms(CLOCK_MONOTONIC, 5000);
    return futex(&word, op | PRIV, 0, op == FUTEX_LOCK_PI2 ? &ts : NULL, NULL, 0);
}

/* op on the word holding owner: its result and the word it leaves. */
static void try_owner(const char *who, const char *what, uint32_t owner, int op,
                      const char *opname) {
    store(&word, owner);
    long r = lock_op(op);
    int e = errno;
    uint32_t w = load(&word);
    printf("%s: %s on %s: %s, word kept its owner %d, waiters bit %d, owner died bit %d\n", who,
           opname, what, ename(r, e), (w & TIDS) == (owner & TIDS), (w & FUTEX_WAITERS) != 0,
           (w & FUTEX_OWNER_DIED) != 0);
    store(&word, 0);
}

static void owner_cases(const char *who, const char *what, uint32_t owner) {
    try_owner(who, what, owner, FUTEX_LOCK_PI, "lock_pi");
    try_owner(who, what, owner, FUTEX_LOCK_PI2, "lock_pi2");
    try_owner(who, what, owner, FUTEX_TRYLOCK_PI, "trylock_pi");
    try_owner(who, what, owner | FUTEX_OWNER_DIED, FUTEX_LOCK_PI, "lock_pi (owner died bit)");
}

/* Waits on cv to be requeued to the lock at word: 0 or -errno. */
static void *rq_waiter(void *arg) {
    long *ret = arg;
    struct timespec ts = g_in_ms(CLOCK_MONOTONIC, 5000);
    *ret = futex(&cv, FUTEX_WAIT_REQUEUE_PI | PRIV, 0, &ts, &word, 0) ? -errno : 0;
    if (*ret == 0) {
        CHECK((load(&word) & TIDS) == my_tid());
        pi_unlock(&word);
    }
    return NULL;
}

/* CMP_REQUEUE_PI tries the lock for its waiter as LOCK_PI would. */
static void requeue_to_bogus(const char *who) {
    long wret = 1;
    pthread_t th;
    CHECK(pthread_create(&th, NULL, rq_waiter, &wret) == 0);
    until_rq_queued(&cv);
    store(&word, BOGUS);
    long r = futex(&cv, FUTEX_CMP_REQUEUE_PI | PRIV, 1, (void *)1L, &word, 0);
    int e = errno;
    uint32_t w = load(&word);
    printf("%s: cmp_requeue_pi to a lock of no thread: %s, waiters bit %d\n", who, ename(r, e),
           (w & FUTEX_WAITERS) != 0);
    store(&word, 0);
    r = futex(&cv, FUTEX_CMP_REQUEUE_PI | PRIV, 1, (void *)1L, &word, 0);
    pthread_join(th, NULL);
    printf("%s: then to the freed lock: %ld, wait %s, unlocked %d\n", who, r,
           ename(wret, (int)-wret), load(&word) == 0);
}

static void *just_exit(void *arg) {
    *(uint32_t *)arg = my_tid();
    return NULL;
}

/* The tid of a thread that has exited: joined, and gone for tgkill. */
static uint32_t exited_tid(void) {
    uint32_t tid = 0;
    pthread_t th;
    CHECK(pthread_create(&th, NULL, just_exit, &tid) == 0);
    pthread_join(th, NULL);
    for (int i = 0; i < 5000 && syscall(SYS_tgkill, getpid(), tid, 0) == 0; i++)
        usleep(1000);
    return tid;
}

static void dead_owners(const char *who) {
    owner_cases(who, "a tid no thread has", BOGUS);
    owner_cases(who, "an exited thread's tid", exited_tid());
    requeue_to_bogus(who);
}

static void *dead_owners_thread(void *arg) {
    dead_owners((const char *)arg);
    return NULL;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    abba();
    ring();
    chain();
    requeue_cycle();
    dead_owners("main");
    pthread_t th;
    CHECK(pthread_create(&th, NULL, dead_owners_thread, "thread") == 0);
    pthread_join(th, NULL);
    G_DONE();
}

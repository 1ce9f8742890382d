/* The requeue-PI pair through raw futex calls, between threads that a
 * cluster places on different nodes: FUTEX_WAIT_REQUEUE_PI waits on a
 * plain word (a condition variable's sequence) and, once
 * FUTEX_CMP_REQUEUE_PI moves it, on a priority-inheritance lock, which
 * it returns holding (its tid in the word). The one to wake takes a
 * free lock at once, or is requeued with the others behind its owner,
 * whose unlock hands it over. Also: the error cases (from node 0 and
 * from a thread of another node), timed waits on either word and on
 * either clock, a signal before the requeue (the wait restarts) and
 * after it (EAGAIN without the lock), a lock whose owner exits, a plain
 * one and a robust mutex's (the requeued waiter gets it with
 * FUTEX_OWNER_DIED), and a condition
 * variable made of the pair passing items between a producer and
 * consumers (signals made with the lock held and without, a final
 * broadcast). Waiters are known to be queued when FUTEX_WAKE on their
 * word says EINVAL (Linux refuses to wake a requeue-PI waiter). */
#include "guest.h"
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define WAIT_RQ (FUTEX_WAIT_REQUEUE_PI | FUTEX_PRIVATE_FLAG)
#define CMP_RQ  (FUTEX_CMP_REQUEUE_PI | FUTEX_PRIVATE_FLAG)
#define TIDS    0x3fffffffu

static long futex(uint32_t *ua, int op, uint32_t val, const void *ts_or_val2, uint32_t *ua2,
                  uint32_t val3) {
    return syscall(SYS_futex, ua, op, val, ts_or_val2, ua2, val3);
}

/* nr_requeue travels in the timeout argument */
static long cmp_requeue_pi(uint32_t *cv, int nr_wake, long nr_requeue, uint32_t *m, uint32_t val3) {
    return futex(cv, CMP_RQ, (uint32_t)nr_wake, (void *)nr_requeue, m, val3);
}

static uint32_t my_tid(void) {
    return (uint32_t)syscall(SYS_gettid);
}

static uint32_t load(uint32_t *w) {
    return __atomic_load_n(w, __ATOMIC_ACQUIRE);
}

/* A PI lock in user space first, in the kernel when contended (glibc's
 * protocol). */
static void pi_lock(uint32_t *m) {
    uint32_t z = 0;
    if (__atomic_compare_exchange_n(m, &z, my_tid(), 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) return;
    long r = futex(m, FUTEX_LOCK_PI | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0);
    CHECK(r == 0);
}

static void pi_unlock(uint32_t *m) {
    uint32_t tid = my_tid();
    if (__atomic_compare_exchange_n(m, &tid, 0, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED)) return;
    long r = futex(m, FUTEX_UNLOCK_PI | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0);
    CHECK(r == 0);
}

static long ms_since(const struct timespec *t0) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Until a requeue-PI waiter is first on cv. */
static void until_queued(uint32_t *cv) {
    while (futex(cv, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0) != -1 || errno != EINVAL)
        usleep(1000);
}

static const char *ename(long r, int e) {
    if (r >= 0) return "0";
    switch (e) {
    case EINVAL: return "EINVAL";
    case EAGAIN: return "EAGAIN";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EDEADLK: return "EDEADLK";
    case EPERM: return "EPERM";
    case EFAULT: return "EFAULT";
    default: return "other";
    }
}

/* --- the error cases, from any thread --------------------------------- */

static uint32_t ecv, elock;
static uint32_t words[2];

static void errors(const char *who) {
    long r;
    struct timespec ts;
    r = futex(&ecv, WAIT_RQ, 0, NULL, &ecv, 0);
    printf("%s: wait_requeue_pi uaddr == uaddr2: %s\n", who, ename(r, errno));
    r = futex(&ecv, WAIT_RQ, 1, NULL, &elock, 0);
    printf("%s: wait_requeue_pi *uaddr != val: %s\n", who, ename(r, errno));
    r = futex(&ecv, WAIT_RQ, 0, NULL, (uint32_t *)((char *)&words[0] + 2), 0);
    printf("%s: wait_requeue_pi misaligned uaddr2: %s\n", who, ename(r, errno));
    ts.tv_sec = 0;
    ts.tv_nsec = 1000000000;
    r = futex(&ecv, WAIT_RQ, 0, &ts, &elock, 0);
    printf("%s: wait_requeue_pi bad timespec: %s\n", who, ename(r, errno));
    ts.tv_sec = 1;
    ts.tv_nsec = 0; /* long past on CLOCK_MONOTONIC */
    r = futex(&ecv, WAIT_RQ, 0, &ts, &elock, 0);
    printf("%s: wait_requeue_pi past deadline: %s\n", who, ename(r, errno));
    ts = g_in_ms(CLOCK_REALTIME, -1000);
    r = futex(&ecv, WAIT_RQ | FUTEX_CLOCK_REALTIME, 0, &ts, &elock, 0);
    printf("%s: wait_requeue_pi past deadline (CLOCK_REALTIME): %s\n", who, ename(r, errno));
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ts = g_in_ms(CLOCK_MONOTONIC, 100);
    r = futex(&ecv, WAIT_RQ, 0, &ts, &elock, 0);
    long waited = ms_since(&t0);
    printf("%s: wait_requeue_pi for 100 ms: %s, waited long enough %d\n", who, ename(r, errno),
           waited >= 99);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ts = g_in_ms(CLOCK_REALTIME, 100);
    r = futex(&ecv, WAIT_RQ | FUTEX_CLOCK_REALTIME, 0, &ts, &elock, 0);
    waited = ms_since(&t0);
    printf("%s: wait_requeue_pi for 100 ms (CLOCK_REALTIME): %s, waited long enough %d\n", who,
           ename(r, errno), waited >= 99);
    r = cmp_requeue_pi(&ecv, 0, 0, &elock, 0);
    printf("%s: cmp_requeue_pi nr_wake 0: %s\n", who, ename(r, errno));
    r = cmp_requeue_pi(&ecv, 2, 0, &elock, 0);
    printf("%s: cmp_requeue_pi nr_wake 2: %s\n", who, ename(r, errno));
    r = cmp_requeue_pi(&ecv, 1, -1, &elock, 0);
    printf("%s: cmp_requeue_pi nr_requeue -1: %s\n", who, ename(r, errno));
    r = cmp_requeue_pi(&ecv, 1, 1, &ecv, 0);
    printf("%s: cmp_requeue_pi uaddr == uaddr2: %s\n", who, ename(r, errno));
    r = cmp_requeue_pi(&ecv, 1, 1, &elock, 1);
    printf("%s: cmp_requeue_pi *uaddr != val3: %s\n", who, ename(r, errno));
    r = cmp_requeue_pi(&ecv, 1, INT_MAX, &elock, 0);
    printf("%s: cmp_requeue_pi without waiters: %ld, lock word untouched %d\n", who, r,
           load(&elock) == 0);
}

static void *errors_thread(void *arg) {
    errors((const char *)arg);
    return NULL;
}

/* --- one requeue-PI waiter, step by step ------------------------------ */

struct rq {
    uint32_t *cv, *m;
    clockid_t clock; /* with a deadline timeout_ms ahead (-1: none) */
    long timeout_ms;
    int hold_first;   /* takes m itself first (a deadlock for the requeue) */
    int unlock_after; /* unlocks m when the wait returned 0 */
    /* results */
    uint32_t tid;
    long ret;
    int err;
    uint32_t word; /* m as the wait returned */
};

static void *rq_waiter(void *arg) {
    struct rq *q = arg;
    q->tid = my_tid();
    if (q->hold_first) pi_lock(q->m);
    struct timespec ts, *tsp = NULL;
    int op = WAIT_RQ;
    if (q->timeout_ms >= 0) {
        ts = g_in_ms(q->clock, q->timeout_ms);
        tsp = &ts;
        if (q->clock == CLOCK_REALTIME) op |= FUTEX_CLOCK_REALTIME;
    }
    q->ret = futex(q->cv, op, 0, tsp, q->m, 0);
    q->err = q->ret ? errno : 0;
    q->word = load(q->m);
    if (q->ret == 0 && q->unlock_after) {
        __atomic_fetch_and(q->m, ~(uint32_t)FUTEX_OWNER_DIED, __ATOMIC_RELAXED);
        pi_unlock(q->m);
    }
    return NULL;
}

static pthread_t start(struct rq *q, uint32_t *cv, uint32_t *m) {
    q->cv = cv;
    q->m = m;
    q->timeout_ms = -1;
    q->unlock_after = 1;
    pthread_t th;
    CHECK(pthread_create(&th, NULL, rq_waiter, q) == 0);
    return th;
}

static uint32_t cv1, m1, m2, pw;
static volatile int sig_count;
static long plain_ret = 1;

static void *plain_waiter(void *arg) {
    (void)arg;
    plain_ret = futex(&pw, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0);
    return NULL;
}

/* A timed wait requeued to a held lock times out there. */
static void timed_requeued(void) {
    pthread_t th;
    struct rq q = {.cv = &cv1, .m = &m1, .clock = CLOCK_MONOTONIC, .timeout_ms = 1000};
    pi_lock(&m1);
    CHECK(pthread_create(&th, NULL, rq_waiter, &q) == 0);
    until_queued(&cv1);
    long r = cmp_requeue_pi(&cv1, 1, 0, &m1, 0);
    pthread_join(th, NULL);
    printf("timed wait requeued to a held lock: requeue %ld, wait %s, lock still mine %d\n", r,
           ename(q.ret, q.err), (load(&m1) & TIDS) == my_tid());
    pi_unlock(&m1);
    printf("timed wait requeued: the unlock left %u\n", load(&m1));
}

static void on_usr1(int s) {
    (void)s;
    sig_count++;
}

static void catch_usr1(void) {
    struct sigaction sa = {0};
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
}

/* A signal before the requeue: the wait restarts after the handler. */
static void signal_before(void) {
    catch_usr1();
    struct rq q = {0};
    pthread_t th = start(&q, &cv1, &m1);
    until_queued(&cv1);
    sig_count = 0;
    pthread_kill(th, SIGUSR1);
    while (!__atomic_load_n(&sig_count, __ATOMIC_ACQUIRE))
        usleep(1000);
    until_queued(&cv1);
    long r = cmp_requeue_pi(&cv1, 1, 0, &m1, 0);
    pthread_join(th, NULL);
    printf("signal before the requeue: handler ran %d, requeue %ld, wait %s, owner was the "
           "waiter %d\n",
           sig_count, r, ename(q.ret, q.err), (q.word & TIDS) == q.tid);
}

/* A signal after it: the wait ends with EAGAIN, without the lock. */
static void signal_after(void) {
    catch_usr1();
    struct rq q = {0};
    pi_lock(&m1);
    pthread_t th = start(&q, &cv1, &m1);
    until_queued(&cv1);
    sig_count = 0;
    long r = cmp_requeue_pi(&cv1, 1, 0, &m1, 0);
    pthread_kill(th, SIGUSR1);
    pthread_join(th, NULL);
    printf("signal after the requeue: requeue %ld, handler ran %d, wait %s, lock still mine %d\n",
           r, sig_count, ename(q.ret, q.err), (q.word & TIDS) == my_tid());
    pi_unlock(&m1);
    printf("signal after the requeue: the unlock left %u\n", load(&m1));
}

static void steps(void) {
    long r;
    pthread_t th;

    /* a free lock: the waiter takes it at once; no FUTEX_WAITERS
     * without more to requeue, forced with them */
    for (long nr_requeue = 0; nr_requeue <= 1; nr_requeue++) {
        struct rq q = {0};
        th = start(&q, &cv1, &m1);
        until_queued(&cv1);
        r = cmp_requeue_pi(&cv1, 1, nr_requeue, &m1, 0);
        pthread_join(th, NULL);
        printf("free lock, nr_requeue %ld: requeue returned %ld, wait %s, owner was the waiter "
               "%d, waiters bit %d, unlocked %d\n",
               nr_requeue, r, ename(q.ret, q.err), (q.word & TIDS) == q.tid,
               (q.word & FUTEX_WAITERS) != 0, load(&m1) == 0);
    }

    /* a held lock: requeued behind its owner, which hands it over */
    {
        struct rq q = {0};
        pi_lock(&m1);
        th = start(&q, &cv1, &m1);
        until_queued(&cv1);
        r = cmp_requeue_pi(&cv1, 1, 0, &m1, 0);
        printf("held lock: requeue returned %ld, waiters bit %d, owner still me %d\n", r,
               (load(&m1) & FUTEX_WAITERS) != 0, (load(&m1) & TIDS) == my_tid());
        r = futex(&cv1, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0);
        printf("held lock: nobody left on the condition word: wake %ld\n", r);
        r = futex(&m1, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0);
        printf("held lock: plain wake of the PI lock's waiter: %s\n", ename(r, errno));
        pi_unlock(&m1);
        pthread_join(th, NULL);
        printf("held lock: wait %s after the unlock, owner was the waiter %d, unlocked %d\n",
               ename(q.ret, q.err), (q.word & TIDS) == q.tid, load(&m1) == 0);
    }

    /* three waiters requeued one by one behind the owner get the lock in
     * that order */
    {
        struct rq q[3] = {{0}};
        pthread_t ths[3];
        long sum = 0;
        pi_lock(&m1);
        for (int i = 0; i < 3; i++) {
            ths[i] = start(&q[i], &cv1, &m1);
            until_queued(&cv1);
            sum += cmp_requeue_pi(&cv1, 1, 0, &m1, 0);
        }
        pi_unlock(&m1);
        int all = 1;
        for (int i = 0; i < 3; i++) {
            pthread_join(ths[i], NULL);
            all &= q[i].ret == 0 && (q[i].word & TIDS) == q[i].tid;
        }
        printf("three requeued: requeue returned %ld in all, each returned owning the lock %d, "
               "unlocked %d\n",
               sum, all, load(&m1) == 0);
    }

    /* the wrong ops on a requeue-PI waiter, then the right one */
    {
        struct rq q = {0};
        th = start(&q, &cv1, &m1);
        until_queued(&cv1);
        r = cmp_requeue_pi(&cv1, 1, 0, &m2, 0);
        printf("waiter for another lock: cmp_requeue_pi %s\n", ename(r, errno));
        r = futex(&cv1, FUTEX_CMP_REQUEUE | FUTEX_PRIVATE_FLAG, 0, (void *)1L, &m2, 0);
        printf("plain cmp_requeue of a requeue-PI waiter: %s\n", ename(r, errno));
        r = futex(&cv1, FUTEX_WAKE_OP | FUTEX_PRIVATE_FLAG, 1, (void *)1L, &m2, 0);
        printf("wake_op of a requeue-PI waiter: %s\n", ename(r, errno));
        r = cmp_requeue_pi(&cv1, 1, 0, &m1, 0);
        pthread_join(th, NULL);
        printf("then cmp_requeue_pi to its lock: %ld, wait %s\n", r, ename(q.ret, q.err));
    }

    /* a plain waiter first on the word */
    {
        pthread_t pt;
        CHECK(pthread_create(&pt, NULL, plain_waiter, NULL) == 0);
        while ((r = cmp_requeue_pi(&pw, 1, 0, &m1, 0)) == 0)
            usleep(1000);
        printf("a plain waiter first: cmp_requeue_pi %s\n", ename(r, errno));
        r = futex(&pw, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0);
        pthread_join(pt, NULL);
        printf("the plain waiter woken by a plain wake: %ld, its wait %ld\n", r, plain_ret);
    }

    /* a waiter that owns the lock already: EDEADLK, it stays; once the
     * word is free (written here: no kernel state then) it takes it */
    {
        struct rq q = {0};
        q.hold_first = 1;
        th = start(&q, &cv1, &m1);
        until_queued(&cv1);
        r = cmp_requeue_pi(&cv1, 1, 0, &m1, 0);
        printf("the waiter owns the lock: cmp_requeue_pi %s\n", ename(r, errno));
        __atomic_store_n(&m1, 0, __ATOMIC_RELEASE);
        r = cmp_requeue_pi(&cv1, 1, 0, &m1, 0);
        pthread_join(th, NULL);
        printf("after the word was freed: %ld, wait %s, owner was the waiter %d\n", r,
               ename(q.ret, q.err), (q.word & TIDS) == q.tid);
    }

    /* timed waits: on the condition word (both clocks), and on the lock
     * after the requeue */
    for (int c = 0; c < 2; c++) {
        struct rq q = {.cv = &cv1, .m = &m1, .timeout_ms = 50, .unlock_after = 1};
        q.clock = c ? CLOCK_REALTIME : CLOCK_MONOTONIC;
        CHECK(pthread_create(&th, NULL, rq_waiter, &q) == 0);
        pthread_join(th, NULL);
        printf("timed wait never requeued (%s): %s, lock word %u\n",
               c ? "CLOCK_REALTIME" : "CLOCK_MONOTONIC", ename(q.ret, q.err), load(&m1));
    }
    /* each of these twice, so that in a cluster the waiter runs on
     * node 0 once and on another node once (threads are placed in turn) */
    timed_requeued();
    timed_requeued();
    signal_before();
    signal_after();
    signal_after();
    signal_before();
}

/* --- a lock whose owner exits ------------------------------------------ */

static uint32_t cv2, m3, owner_may_go;

static void *owner_exits(void *arg) {
    (void)arg;
    pi_lock(&m3);
    __atomic_store_n(&owner_may_go, 1, __ATOMIC_RELEASE);
    while (__atomic_load_n(&owner_may_go, __ATOMIC_ACQUIRE) != 2)
        usleep(1000);
    return NULL; /* still holding m3 */
}

/* A waiter on cv requeued behind the live owner of the PI lock at word,
 * which `owner` takes (state 1) and keeps until told (state 2), then
 * exits holding: the exit hands the lock to the waiter. */
static void requeue_behind_exiting_owner(const char *what, void *(*owner)(void *), uint32_t *state,
                                         uint32_t *cv, uint32_t *word) {
    pthread_t oth, th;
    CHECK(pthread_create(&oth, NULL, owner, NULL) == 0);
    while (__atomic_load_n(state, __ATOMIC_ACQUIRE) != 1)
        usleep(1000);
    struct rq q = {0};
    th = start(&q, cv, word);
    until_queued(cv);
    long r = cmp_requeue_pi(cv, 1, 0, word, 0);
    printf("%s: requeued behind a live owner %ld\n", what, r);
    __atomic_store_n(state, 2, __ATOMIC_RELEASE);
    pthread_join(oth, NULL);
    pthread_join(th, NULL);
    printf("%s: wait %s, owner was the waiter %d, owner died bit %d, unlocked %d\n", what,
           ename(q.ret, q.err), (q.word & TIDS) == q.tid, (q.word & FUTEX_OWNER_DIED) != 0,
           load(word) == 0);
}

static void owner_exit(void) {
    requeue_behind_exiting_owner("owner exit", owner_exits, &owner_may_go, &cv2, &m3);
}

/* ... and a robust PI mutex whose owner exits: its robust list is walked
 * (in a cluster on its own node), the lock goes to the requeued waiter
 * with FUTEX_OWNER_DIED */

static pthread_mutex_t rm;
static uint32_t cv3, rowner_state;

static void *robust_owner(void *arg) {
    (void)arg;
    CHECK(pthread_mutex_lock(&rm) == 0);
    __atomic_store_n(&rowner_state, 1, __ATOMIC_RELEASE);
    while (__atomic_load_n(&rowner_state, __ATOMIC_ACQUIRE) != 2)
        usleep(1000);
    return NULL; /* still holding rm */
}

static void robust_owner_exit(void) {
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    CHECK(pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT) == 0);
    CHECK(pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST) == 0);
    CHECK(pthread_mutex_init(&rm, &a) == 0);
    pthread_mutexattr_destroy(&a);
    uint32_t *word = (uint32_t *)&rm.__data.__lock;
    requeue_behind_exiting_owner("robust owner exit", robust_owner, &rowner_state, &cv3, word);
}

/* --- a condition variable made of the pair ----------------------------- */

#define CONSUMERS 3
#define ITEMS     400

static uint32_t qlock, qcv; /* qcv: the sequence, changed under qlock */
static int queue[ITEMS], qhead, qtail, produced_all;
static long consumed_sum, consumed_n;
static long requeued_total; /* the producer's cmp_requeue_pi returns */
static long waits_ok, waits_again, waits_other, not_owner;

/* Waits with qlock held; returns with it held. */
static void cond_wait(int timed) {
    uint32_t seq = load(&qcv);
    pi_unlock(&qlock);
    struct timespec ts = g_in_ms(CLOCK_MONOTONIC, 20000);
    long r = futex(&qcv, WAIT_RQ, seq, timed ? &ts : NULL, &qlock, 0);
    if (r == 0) {
        __atomic_fetch_add(&waits_ok, 1, __ATOMIC_RELAXED);
        if ((load(&qlock) & TIDS) != my_tid()) __atomic_fetch_add(&not_owner, 1, __ATOMIC_RELAXED);
        return;
    }
    __atomic_fetch_add(errno == EAGAIN ? &waits_again : &waits_other, 1, __ATOMIC_RELAXED);
    pi_lock(&qlock);
}

/* The sequence moves under qlock; a signal made after the unlock may
 * find it moved again (EAGAIN) and tries with the new value. */
static void cond_signal(long nr_requeue, int locked) {
    if (locked) __atomic_fetch_add(&qcv, 1, __ATOMIC_RELEASE);
    for (;;) {
        long r = cmp_requeue_pi(&qcv, 1, nr_requeue, &qlock, load(&qcv));
        if (r >= 0) {
            requeued_total += r;
            return;
        }
        CHECK(errno == EAGAIN);
        if (errno != EAGAIN) return;
    }
}

static void *consumer(void *arg) {
    long mine = 0, sum = 0;
    (void)arg;
    pi_lock(&qlock);
    for (int n = 0;; n++) {
        while (qhead == qtail && !produced_all)
            cond_wait(n & 1);
        if (qhead == qtail) break;
        sum += queue[qhead++];
        mine++;
        if ((mine & 7) == 0) {
            /* let the producer in while we hold nothing */
            pi_unlock(&qlock);
            sched_yield();
            pi_lock(&qlock);
        }
    }
    consumed_sum += sum;
    consumed_n += mine;
    pi_unlock(&qlock);
    return NULL;
}

static void condvar(void) {
    pthread_t th[CONSUMERS];
    for (int i = 0; i < CONSUMERS; i++)
        CHECK(pthread_create(&th[i], NULL, consumer, NULL) == 0);
    long want = 0;
    for (int i = 1; i <= ITEMS; i++) {
        pi_lock(&qlock);
        queue[qtail++] = i;
        want += i;
        if (i & 1) {
            cond_signal(0, 1); /* with the lock held: requeued behind us */
            pi_unlock(&qlock);
        } else {
            __atomic_fetch_add(&qcv, 1, __ATOMIC_RELEASE);
            pi_unlock(&qlock);
            cond_signal(0, 0); /* without it: the waiter may take it at once */
        }
        if ((i & 31) == 0) usleep(1000);
    }
    pi_lock(&qlock);
    produced_all = 1;
    cond_signal(INT_MAX, 1); /* broadcast */
    pi_unlock(&qlock);
    for (int i = 0; i < CONSUMERS; i++)
        pthread_join(th[i], NULL);
    printf("condition variable: %ld items, sum right %d\n", consumed_n, consumed_sum == want);
    printf("condition variable: waits that returned 0 held the lock %d, other errors %ld\n",
           not_owner == 0, waits_other);
    printf("condition variable: the requeues counted every wait that returned 0 %d\n",
           requeued_total == waits_ok);
    printf("condition variable: lock free at the end %d\n", load(&qlock) == 0);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    errors("main");
    pthread_t th;
    CHECK(pthread_create(&th, NULL, errors_thread, "thread") == 0);
    pthread_join(th, NULL);
    steps();
    owner_exit();
    robust_owner_exit();
    condvar();
    G_DONE();
}

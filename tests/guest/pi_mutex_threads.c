/* Priority-inheritance mutexes (PTHREAD_PRIO_INHERIT: glibc's
 * FUTEX_LOCK_PI, FUTEX_UNLOCK_PI, FUTEX_TRYLOCK_PI and, for a timed lock,
 * FUTEX_LOCK_PI/LOCK_PI2 with a timeout) between threads that a cluster
 * places on different nodes: the lock word holds the owner's tid, a
 * contended unlock hands the mutex to a waiter, trylock on a held mutex
 * is EBUSY, a timed lock on a held mutex times out, and a counter
 * incremented under the mutex by every thread ends exact. A condition
 * variable over a PI mutex passes items between a producer and
 * consumers. */
#include "guest.h"
#include <errno.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define NTHREADS 4
#define ITERS    3000
#define ITEMS    300

static pthread_mutex_t m;
static long counter;
static volatile int owner_ok = 1;

static void pi_init(pthread_mutex_t *mx) {
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    CHECK(pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT) == 0);
    CHECK(pthread_mutex_init(mx, &a) == 0);
    pthread_mutexattr_destroy(&a);
}

/* The PI lock word is the owner's tid (with the waiters bit maybe). */
static int word_is_mine(pthread_mutex_t *mx) {
    unsigned w = __atomic_load_n((unsigned *)&mx->__data.__lock, __ATOMIC_RELAXED);
    return (w & 0x3fffffffu) == (unsigned)syscall(SYS_gettid);
}

static void *adder(void *arg) {
    (void)arg;
    for (int i = 0; i < ITERS; i++) {
        CHECK(pthread_mutex_lock(&m) == 0);
        if (!word_is_mine(&m)) owner_ok = 0;
        long v = counter;
        if ((i & 63) == 0) sched_yield(); /* holders get preempted: waiters queue */
        counter = v + 1;
        CHECK(pthread_mutex_unlock(&m) == 0);
    }
    return NULL;
}

static pthread_mutex_t held;
static pthread_barrier_t bar;

static void *holder(void *arg) {
    (void)arg;
    CHECK(pthread_mutex_lock(&held) == 0);
    pthread_barrier_wait(&bar); /* main tries while we hold it */
    pthread_barrier_wait(&bar);
    CHECK(pthread_mutex_unlock(&held) == 0);
    return NULL;
}

static pthread_mutex_t qm;
static pthread_cond_t qc;
static int queue[ITEMS], qlen, produced_all;
static long consumed_sum;

static void *consumer(void *arg) {
    long *mine = arg;
    CHECK(pthread_mutex_lock(&qm) == 0);
    for (;;) {
        while (!qlen && !produced_all)
            CHECK(pthread_cond_wait(&qc, &qm) == 0);
        if (!qlen) break;
        int v = queue[--qlen];
        consumed_sum += v;
        (*mine)++;
        CHECK(pthread_mutex_unlock(&qm) == 0);
        CHECK(pthread_mutex_lock(&qm) == 0);
    }
    CHECK(pthread_mutex_unlock(&qm) == 0);
    return NULL;
}

int main(void) {
    pi_init(&m);
    pthread_t th[NTHREADS];
    for (int i = 0; i < NTHREADS; i++)
        CHECK(pthread_create(&th[i], NULL, adder, NULL) == 0);
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(th[i], NULL);
    printf("counter %ld (want %d), the word held the owner's tid %d\n", counter, NTHREADS * ITERS,
           owner_ok);
    printf("unlocked: word 0 %d\n", m.__data.__lock == 0);

    /* held by a thread elsewhere: trylock and a timed lock fail */
    pi_init(&held);
    pthread_barrier_init(&bar, NULL, 2);
    pthread_t h;
    CHECK(pthread_create(&h, NULL, holder, NULL) == 0);
    pthread_barrier_wait(&bar);
    printf("trylock of a held mutex: EBUSY %d\n", pthread_mutex_trylock(&held) == EBUSY);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 50 * 1000 * 1000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    printf("timedlock of a held mutex: ETIMEDOUT %d\n",
           pthread_mutex_timedlock(&held, &ts) == ETIMEDOUT);
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_nsec += 50 * 1000 * 1000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    printf("clocklock (CLOCK_MONOTONIC) of a held mutex: ETIMEDOUT %d\n",
           pthread_mutex_clocklock(&held, CLOCK_MONOTONIC, &ts) == ETIMEDOUT);
    pthread_barrier_wait(&bar);
    pthread_join(h, NULL);
    printf("after the holder unlocked: trylock 0 %d, word is mine %d\n",
           pthread_mutex_trylock(&held) == 0, word_is_mine(&held));
    CHECK(pthread_mutex_unlock(&held) == 0);
    printf("unlock by a thread that does not own it: EPERM %d\n",
           pthread_mutex_unlock(&held) == EPERM);

    /* a condition variable over a PI mutex */
    pi_init(&qm);
    pthread_cond_init(&qc, NULL);
    long got[NTHREADS - 1] = {0};
    for (int i = 0; i < NTHREADS - 1; i++)
        CHECK(pthread_create(&th[i], NULL, consumer, &got[i]) == 0);
    long want = 0;
    for (int i = 1; i <= ITEMS; i++) {
        CHECK(pthread_mutex_lock(&qm) == 0);
        queue[qlen++] = i;
        want += i;
        pthread_cond_signal(&qc);
        CHECK(pthread_mutex_unlock(&qm) == 0);
    }
    CHECK(pthread_mutex_lock(&qm) == 0);
    produced_all = 1;
    pthread_cond_broadcast(&qc);
    CHECK(pthread_mutex_unlock(&qm) == 0);
    long n = 0;
    for (int i = 0; i < NTHREADS - 1; i++) {
        pthread_join(th[i], NULL);
        n += got[i];
    }
    printf("condition variable: %ld items, sum right %d\n", n, consumed_sum == want);
    G_DONE();
}

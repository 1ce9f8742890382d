/* Robust mutexes (pthread_mutexattr_setrobust): a thread that exits while
 * it holds one leaves it to the next locker with EOWNERDEAD, because the
 * kernel walks the thread's robust list at its death (marks the word
 * FUTEX_OWNER_DIED and wakes one waiter). Checked: a lock after the
 * owner died; a locker already waiting when the owner dies (woken);
 * pthread_mutex_consistent makes it usable again, an unlock without it
 * makes it ENOTRECOVERABLE; a mutex the thread unlocked before it exited
 * is untouched; several mutexes held at once. In a cluster the threads
 * are spread over the nodes (the first one created goes to node 1).
 * qemu-user has no robust lists (ENOSYS), so the reference is a native
 * build. */
#include "guest.h"
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_mutex_t m1, m2, m3, m4;

#ifndef ROBUST_PI
#define ROBUST_PI 0
#endif

static void init_robust(pthread_mutex_t *m) {
    pthread_mutexattr_t a;
    CHECK(pthread_mutexattr_init(&a) == 0);
    CHECK(pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST) == 0);
    if (ROBUST_PI) CHECK(pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT) == 0);
    CHECK(pthread_mutex_init(m, &a) == 0);
    pthread_mutexattr_destroy(&a);
}

/* Locks m and exits holding it. */
static void *hold_and_exit(void *arg) {
    CHECK(pthread_mutex_lock(arg) == 0);
    return NULL;
}

/* Locks m1 and m2, unlocks m2, exits holding m1 and m3. */
static void *hold_some(void *arg) {
    CHECK(pthread_mutex_lock(&m1) == 0);
    CHECK(pthread_mutex_lock(&m2) == 0);
    CHECK(pthread_mutex_lock(&m3) == 0);
    CHECK(pthread_mutex_unlock(&m2) == 0);
    return NULL;
}

/* Holds m4 until another thread waits for it (the word's FUTEX_WAITERS
 * bit, glibc's lock word is the futex), then exits holding it. */
static volatile int holding;
static void *hold_until_waited(void *arg) {
    CHECK(pthread_mutex_lock(&m4) == 0);
    holding = 1;
    while (!(__atomic_load_n((unsigned *)&m4.__data.__lock, __ATOMIC_ACQUIRE) & 0x80000000u))
        usleep(1000);
    return NULL;
}

static const char *name(int r) {
    return r == 0                 ? "0"
           : r == EOWNERDEAD      ? "EOWNERDEAD"
           : r == ENOTRECOVERABLE ? "ENOTRECOVERABLE"
                                  : "other";
}

int main(void) {
    init_robust(&m1);
    init_robust(&m2);
    init_robust(&m3);
    init_robust(&m4);
    pthread_t th;

    /* the owner dies; the next lock learns it */
    CHECK(pthread_create(&th, NULL, hold_and_exit, &m1) == 0);
    CHECK(pthread_join(th, NULL) == 0);
    int r = pthread_mutex_lock(&m1);
    printf("lock after the owner died: %s\n", name(r));
    printf("consistent: %d\n", pthread_mutex_consistent(&m1));
    CHECK(pthread_mutex_unlock(&m1) == 0);
    printf("lock again: %s\n", name(pthread_mutex_lock(&m1)));
    CHECK(pthread_mutex_unlock(&m1) == 0);

    /* no consistent: the mutex is lost */
    CHECK(pthread_create(&th, NULL, hold_and_exit, &m1) == 0);
    CHECK(pthread_join(th, NULL) == 0);
    printf("lock after the owner died: %s\n", name(pthread_mutex_lock(&m1)));
    CHECK(pthread_mutex_unlock(&m1) == 0);
    printf("unlock without consistent, lock: %s\n", name(pthread_mutex_lock(&m1)));
    init_robust(&m1);

    /* several held at once, one released before the exit */
    CHECK(pthread_create(&th, NULL, hold_some, NULL) == 0);
    CHECK(pthread_join(th, NULL) == 0);
    printf("held m1: %s\n", name(pthread_mutex_lock(&m1)));
    printf("released m2: %s\n", name(pthread_mutex_lock(&m2)));
    printf("held m3: %s\n", name(pthread_mutex_lock(&m3)));

    /* a waiter is woken by the owner's death */
    CHECK(pthread_create(&th, NULL, hold_until_waited, NULL) == 0);
    while (!holding)
        usleep(1000);
    r = pthread_mutex_lock(&m4);
    printf("waiter woken by the owner's death: %s\n", name(r));
    CHECK(pthread_join(th, NULL) == 0);
    if (r == EOWNERDEAD) pthread_mutex_consistent(&m4);
    CHECK(pthread_mutex_unlock(&m4) == 0);
    G_DONE();
}

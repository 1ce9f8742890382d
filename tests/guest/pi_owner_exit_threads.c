/* A thread that exits holding a priority-inheritance mutex another
 * thread (in a cluster: of another node) waits for: Linux gives the lock
 * to the waiter with FUTEX_OWNER_DIED in the word, and glibc, for a
 * mutex that is not robust, stops the program on an assertion (SIGABRT).
 * The same happens here, after the lines printed before. */
#include "guest.h"
#include <pthread.h>
#include <unistd.h>

static pthread_mutex_t held;
static pthread_barrier_t bar;

/* Holds `held` until main waits for it (FUTEX_WAITERS in the word),
 * then exits still holding it. */
static void *hold_and_exit(void *arg) {
    (void)arg;
    CHECK(pthread_mutex_lock(&held) == 0);
    pthread_barrier_wait(&bar);
    while (!(__atomic_load_n((unsigned *)&held.__data.__lock, __ATOMIC_ACQUIRE) & 0x80000000u))
        usleep(1000);
    return NULL;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    CHECK(pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT) == 0);
    CHECK(pthread_mutex_init(&held, &a) == 0);
    pthread_barrier_init(&bar, NULL, 2);
    pthread_t h;
    CHECK(pthread_create(&h, NULL, hold_and_exit, NULL) == 0);
    pthread_barrier_wait(&bar);
    printf("the owner holds the PI mutex; main waits for it\n");
    int r = pthread_mutex_lock(&held); /* glibc asserts: OWNER_DIED on a non-robust mutex */
    printf("not reached: lock returned %d\n", r);
    G_DONE();
}

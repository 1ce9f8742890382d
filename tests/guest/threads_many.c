/* Many short-lived threads: 300 created and joined in waves, return
 * values via pthread_join, pthread_exit, detached threads, thread
 * attributes (stack size), cancellation at a cancellation point. */
#include "guest.h"
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>
#include <errno.h>

static atomic_int detached_done, cleanups;
static void *ret_id(void *arg) {
    long id = (long)arg;
    return (void *)(id * id + 1);
}
static void *exits(void *arg) {
    pthread_exit((void *)((long)arg + 7));
}
static void *detached(void *arg) {
    atomic_fetch_add(&detached_done, 1);
    return arg;
}
static void *big_stack(void *arg) {
    volatile char buf[1 << 20]; /* needs the 4 MiB stack we asked for */
    for (int i = 0; i < (1 << 20); i += 4096)
        buf[i] = (char)i;
    return (void *)(long)buf[4096];
}
static void cleanup(void *arg) {
    atomic_fetch_add(&cleanups, 1);
}
static void *cancellable(void *arg) {
    pthread_cleanup_push(cleanup, NULL);
    for (;;) {
        pause();
    }
    pthread_cleanup_pop(0);
    return NULL;
}

int main(void) {
    long sum = 0;
    for (int wave = 0; wave < 10; wave++) {
        pthread_t t[10];
        for (long i = 0; i < 10; i++)
            CHECK(pthread_create(&t[i], NULL, (i & 1) ? exits : ret_id, (void *)(wave * 10 + i)) ==
                  0);
        for (int i = 0; i < 10; i++) {
            void *r;
            CHECK(pthread_join(t[i], &r) == 0);
            sum += (long)r;
        }
    }
    printf("100 threads joined, sum of results %ld\n", sum);
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    for (int i = 0; i < 10; i++) {
        pthread_t t;
        CHECK(pthread_create(&t, &a, detached, NULL) == 0);
    }
    while (atomic_load(&detached_done) < 10)
        usleep(1000);
    printf("detached threads finished %d\n", atomic_load(&detached_done));
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, 4 << 20);
    pthread_t bt;
    void *br;
    pthread_create(&bt, &a, big_stack, NULL);
    pthread_join(bt, &br);
    printf("big stack thread result %ld\n", (long)br);
    pthread_t ct;
    void *cr;
    pthread_create(&ct, NULL, cancellable, NULL);
    usleep(2000);
    pthread_cancel(ct);
    pthread_join(ct, &cr);
    printf("cancelled %d cleanup handlers %d\n", cr == PTHREAD_CANCELED, atomic_load(&cleanups));
    printf("join self EDEADLK %d\n", pthread_join(pthread_self(), NULL) == EDEADLK);
    G_DONE();
}

/* Contended atomics and a mutex across 4 threads. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

static atomic_long counter;
static long locked;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long iters;

static void *worker(void *arg) {
    (void)arg;
    for (long i = 0; i < iters; i++) {
        atomic_fetch_add_explicit(&counter, 1, memory_order_relaxed);
        if ((i & 15) == 0) {
            pthread_mutex_lock(&mu);
            locked++;
            pthread_mutex_unlock(&mu);
        }
    }
    return NULL;
}

int main(int argc, char **argv) {
    iters = argc > 1 ? atol(argv[1]) : 100000;
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, worker, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    printf("atomics %ld %ld\n", (long)counter, locked);
    return 0;
}

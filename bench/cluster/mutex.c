/* DQEMU micro-benchmark 2, mutex: T threads (default 32) lock and unlock
 * a mutex ITERS times each: one global lock (worst case) or a private
 * lock per thread, each on its own page (best case).
 * usage: mutex global|private [THREADS [ITERS]] */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct lk {
    pthread_mutex_t m;
    long count;
    char pad[4096 - sizeof(pthread_mutex_t) - sizeof(long)];
};
static struct lk *locks;
static int global;
static long iters;

static void *worker(void *arg) {
    struct lk *l = global ? &locks[0] : arg;
    for (long i = 0; i < iters; i++) {
        pthread_mutex_lock(&l->m);
        l->count++;
        pthread_mutex_unlock(&l->m);
    }
    return NULL;
}

int main(int argc, char **argv) {
    global = argc < 2 || strcmp(argv[1], "private") != 0;
    int n = argc > 2 ? atoi(argv[2]) : 32;
    iters = argc > 3 ? atol(argv[3]) : (global ? 5000 : 500000);
    locks = aligned_alloc(4096, sizeof *locks * (size_t)n);
    for (int i = 0; i < n; i++) {
        pthread_mutex_init(&locks[i].m, NULL);
        locks[i].count = 0;
    }
    pthread_t *t = malloc(sizeof *t * (size_t)n);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < n; i++)
        pthread_create(&t[i], NULL, worker, &locks[i]);
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    clock_gettime(CLOCK_MONOTONIC, &b);
    long total = 0;
    for (int i = 0; i < n; i++)
        total += locks[i].count;
    double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    printf("mutex %s threads=%d iters=%ld total=%ld ok=%d seconds=%.4f\n",
           global ? "global" : "private", n, iters, total, total == (long)n * iters, s);
    return total != (long)n * iters;
}

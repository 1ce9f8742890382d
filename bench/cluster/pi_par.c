/* DQEMU micro-benchmark 1, embarrassingly parallel compute: T threads
 * (default 120) each compute pi by the Leibniz series, R rounds of N
 * terms, sharing nothing; the main thread waits for the last one.
 * Prints the time from the first create to the last join.
 * usage: pi_par [THREADS [TERMS [ROUNDS]]] */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long terms, rounds;
struct res {
    double pi;
    char pad[56];
}; /* one cache line (and never shared pages in practice) */
static struct res *res;

static void *worker(void *arg) {
    struct res *r = arg;
    double pi = 0;
    for (long k = 0; k < rounds; k++) {
        double s = 0;
        for (long i = 0; i < terms; i++)
            s += (i & 1 ? -4.0 : 4.0) / (double)(2 * i + 1);
        pi = s;
    }
    r->pi = pi;
    return NULL;
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 120;
    terms = argc > 2 ? atol(argv[2]) : 2000;
    rounds = argc > 3 ? atol(argv[3]) : 64;
    pthread_t *t = malloc(sizeof *t * (size_t)n);
    res = aligned_alloc(4096, ((sizeof *res * (size_t)n + 4095) / 4096) * 4096);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < n; i++)
        pthread_create(&t[i], NULL, worker, &res[i]);
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    printf("pi_par threads=%d terms=%ld rounds=%ld pi=%.9f seconds=%.4f\n", n, terms, rounds,
           res[0].pi, s);
    return 0;
}

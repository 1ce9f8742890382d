/* Demo workload: T threads compute pi by the Leibniz series over disjoint
 * ranges, then combine their sums under a mutex. Deterministic output. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct part {
    long begin, end;
    double sum;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static double total;
static int finished;

static void *worker(void *arg) {
    struct part *p = arg;
    double s = 0;
    for (long k = p->begin; k < p->end; k++)
        s += (k & 1 ? -4.0 : 4.0) / (2 * k + 1);
    p->sum = s;
    pthread_mutex_lock(&lock);
    finished++;
    pthread_mutex_unlock(&lock);
    return NULL;
}

int main(int argc, char **argv) {
    int nthreads = argc > 1 ? atoi(argv[1]) : 4;
    long terms = argc > 2 ? atol(argv[2]) : 2000000;
    if (nthreads < 1 || nthreads > 1024 || terms < nthreads) {
        fprintf(stderr, "usage: pi_threads [THREADS] [TERMS]\n");
        return 2;
    }
    pthread_t *tid = calloc((size_t)nthreads, sizeof *tid);
    struct part *parts = calloc((size_t)nthreads, sizeof *parts);
    for (int i = 0; i < nthreads; i++) {
        parts[i].begin = terms * i / nthreads;
        parts[i].end = terms * (i + 1) / nthreads;
        pthread_create(&tid[i], NULL, worker, &parts[i]);
    }
    for (int i = 0; i < nthreads; i++) {
        pthread_join(tid[i], NULL);
        total += parts[i].sum; /* summed in a fixed order: deterministic */
    }
    printf("pi ~= %.12f with %ld terms on %d threads (%d finished)\n", total, terms, nthreads,
           finished);
    free(tid);
    free(parts);
    return 0;
}

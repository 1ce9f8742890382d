/* Layout changes as a program makes them: ROUNDS times, mmap LEN bytes of
 * private anonymous memory and touch each page once (keep: the memory
 * stays; cycle: then munmap it). Made by the main thread (node 0 in a
 * cluster) or by one thread it creates (node 1). An mmap of free space
 * is a change that only adds, which [dsm] async_adds does not wait for;
 * an munmap always waits for every node (master/DESIGN.md).
 *   layout ROUNDS main|thread keep|cycle [LEN]
 * prints: layout rounds=R who=W what=X seconds=S us_per_round=U */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static long rounds, len = 64 * 1024;
static int cycle;
static double secs;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *run(void *arg) {
    (void)arg;
    double t0 = now();
    for (long r = 0; r < rounds; r++) {
        char *p = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
                       0);
        if (p == MAP_FAILED) {
            perror("mmap");
            exit(1);
        }
        for (long o = 0; o < len; o += 4096)
            p[o] = (char)r;
        if (cycle && munmap(p, (size_t)len)) {
            perror("munmap");
            exit(1);
        }
    }
    secs = now() - t0;
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: layout ROUNDS main|thread keep|cycle [LEN]\n");
        return 2;
    }
    rounds = atol(argv[1]);
    int thread = !strcmp(argv[2], "thread");
    cycle = !strcmp(argv[3], "cycle");
    if (argc > 4) len = atol(argv[4]);
    if (rounds <= 0 || len <= 0) return 2;
    if (thread) {
        pthread_t t;
        if (pthread_create(&t, NULL, run, NULL) || pthread_join(t, NULL)) return 1;
    } else {
        run(NULL);
    }
    printf("layout rounds=%ld who=%s what=%s seconds=%.6f us_per_round=%.2f\n", rounds,
           thread ? "thread" : "main", cycle ? "cycle" : "keep", secs, secs * 1e6 / (double)rounds);
    return 0;
}

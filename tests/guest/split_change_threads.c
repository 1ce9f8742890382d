/* A falsely shared page whose access pattern changes (issue 5: "splitting
 * is undone when the access pattern changes"). Phase 1: four threads
 * start together and each hammer their own 128-byte slice of one page,
 * which a cluster with dsm.split = on splits. Phase 2: the same threads
 * take strict turns (thread 0, 1, 2, 3, 0...) adding to every word of the
 * whole page: true sharing, where a split page costs a miss per grain and
 * a whole one a miss per sweep; the master makes it whole again
 * (dsm.unsplit_threshold). Phase 3: the slices again, and the page is
 * split again. Final values are exactly known; the output is the same on
 * one node, on a cluster and under qemu-aarch64.
 *   split_change_threads [SWEEPS]   (sweeps per thread in phase 2; 40) */
#include "guest.h"
#include <pthread.h>

#define THREADS 4
#define SLICE   128
#define ITERS   4000000
#define ROUNDS  16 /* ITERS is a multiple */
#define WORDS   (4096 / 8)

static _Alignas(4096) volatile uint64_t page[WORDS];
static pthread_barrier_t phase;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t turned = PTHREAD_COND_INITIALIZER;
static int turn; /* whose sweep is next: turn % THREADS */
static int sweeps = 40;

/* Each thread its own slice: word 0 counts, the others take i * 3 +
 * base. In ROUNDS rounds that all four start together, so that a whole
 * page visits every node in each round however the threads are
 * scheduled: false sharing the master sees, a few times a round. */
static void slices(int t, uint64_t base) {
    volatile uint64_t *s = page + t * (SLICE / 8);
    for (int r = 0; r < ROUNDS; r++) {
        pthread_barrier_wait(&phase);
        for (int i = r * (ITERS / ROUNDS) + 1; i <= (r + 1) * (ITERS / ROUNDS); i++) {
            s[0] += (uint64_t)t + 1;
            s[1 + i % (SLICE / 8 - 1)] = (uint64_t)i * 3 + base;
        }
    }
    pthread_barrier_wait(&phase);
}

static void *worker(void *arg) {
    int t = (int)(long)arg;
    slices(t, (uint64_t)t);
    for (int r = 0; r < sweeps; r++) {
        pthread_mutex_lock(&lock);
        while (turn % THREADS != t)
            pthread_cond_wait(&turned, &lock);
        for (int w = 0; w < WORDS; w++)
            page[w] += (uint64_t)t + 1;
        turn++;
        pthread_cond_broadcast(&turned);
        pthread_mutex_unlock(&lock);
    }
    slices(t, (uint64_t)t + 7);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc > 1) sweeps = atoi(argv[1]);
    CHECK(sweeps >= 0);
    CHECK(pthread_barrier_init(&phase, NULL, THREADS) == 0);
    pthread_t tid[THREADS];
    for (int t = 0; t < THREADS; t++)
        CHECK(pthread_create(&tid[t], NULL, worker, (void *)(long)t) == 0);
    for (int t = 0; t < THREADS; t++)
        CHECK(pthread_join(tid[t], NULL) == 0);
    /* every word got sweeps * (1 + 2 + 3 + 4) in phase 2; phase 3 added
     * to the counters again and wrote the slices' other words anew */
    uint64_t swept = (uint64_t)sweeps * (THREADS * (THREADS + 1) / 2), h = 0;
    for (int w = 0; w < WORDS; w++) {
        int t = w / (SLICE / 8), k = w % (SLICE / 8);
        uint64_t want = swept;
        if (t < THREADS && k == 0) want = 2ull * ITERS * (t + 1) + swept;
        if (t < THREADS && k > 0) {
            int i = ITERS - (ITERS - (k - 1)) % (SLICE / 8 - 1); /* the last i: 1 + i % 15 == k */
            want = (uint64_t)i * 3 + (uint64_t)t + 7;
        }
        CHECK(page[w] == want);
        uint64_t v = page[w];
        h = g_fnv(h, &v, sizeof v);
    }
    printf("split change: %d threads, %d iterations, %d sweeps each, checksum %016llx\n", THREADS,
           ITERS, sweeps, (unsigned long long)h);
    G_DONE();
}

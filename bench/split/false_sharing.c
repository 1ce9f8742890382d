/* False sharing, the case page splitting is for (issue 5): T threads each
 * write their own 128-byte slice, all slices in one 4 KiB page (layout
 * "shared"), or each slice on a page of its own (layout "spread", the
 * best a program could do by hand). In a cluster the shared page moves
 * between nodes on every write unless the DSM splits it.
 *
 *   false_sharing [THREADS] [shared|spread] [SECONDS]     (defaults 32 shared 2)
 *
 * Every thread stores an increasing counter into each 8-byte word of its
 * slice in turn, for SECONDS of wall-clock time (it reads the clock every
 * CHECK_EVERY stores), and counts its stores. The clock is read rarely:
 * under the emulator clock_gettime is a guest system call (it leaves
 * translated code; there is no guest vDSO), and one every 64 stores made
 * the loop mostly system calls (the layouts then differed by the syscall
 * path, not by the page's coherence: 27-49 M stores/s each, against
 * 0.3-0.5 G with one read per 65536 stores). At the end the main thread checks
 * that every slice holds what its owner last wrote (a lost or stale write
 * anywhere fails the check) and prints one line:
 *
 *   RESULT bench=false_sharing layout=shared threads=32 stores=N seconds=S
 *          throughput=X check=OK                         (one line)
 *
 * throughput is stores per second over the whole run (first thread start to
 * last thread end). Exit 0, or 1 when the check failed, 2 on bad arguments.
 * Build: aarch64-linux-gnu-gcc -std=c11 -D_GNU_SOURCE -O2 -pthread -static. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PAGE        4096
#define SLICE       128
#define WORDS       (SLICE / 8)
#define CHECK_EVERY 65536

struct worker {
    volatile uint64_t *slice;
    double seconds;
    uint64_t stores, last;
};

static pthread_barrier_t start;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *work(void *arg) {
    struct worker *w = arg;
    pthread_barrier_wait(&start);
    double end = now() + w->seconds;
    uint64_t v = 0;
    do {
        for (int i = 0; i < CHECK_EVERY; i++) {
            v++;
            w->slice[v % WORDS] = v;
        }
    } while (now() < end);
    w->stores = v;
    w->last = v;
    return NULL;
}

/* The slice must hold v in word v % WORDS and the 15 values before it in
 * the others: exactly what its owner stored last. */
static int slice_ok(const volatile uint64_t *s, uint64_t v) {
    for (uint64_t k = 0; k < WORDS && k < v; k++)
        if (s[(v - k) % WORDS] != v - k) return 0;
    return 1;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 32;
    const char *layout = argc > 2 ? argv[2] : "shared";
    double seconds = argc > 3 ? atof(argv[3]) : 2.0;
    int spread = !strcmp(layout, "spread");
    if (argc > 4 || threads < 1 || threads > PAGE / SLICE || seconds <= 0 ||
        (!spread && strcmp(layout, "shared"))) {
        fprintf(stderr, "usage: false_sharing [THREADS 1..32] [shared|spread] [SECONDS]\n");
        return 2;
    }
    size_t bytes = spread ? (size_t)threads * PAGE : PAGE;
    char *mem = aligned_alloc(PAGE, bytes);
    struct worker *w = calloc((size_t)threads, sizeof *w);
    pthread_t *tid = calloc((size_t)threads, sizeof *tid);
    if (!mem || !w || !tid) return 2;
    memset(mem, 0, bytes);
    pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
    for (int i = 0; i < threads; i++) {
        w[i].slice = (volatile uint64_t *)(mem + (spread ? (size_t)i * PAGE : (size_t)i * SLICE));
        w[i].seconds = seconds;
        if (pthread_create(&tid[i], NULL, work, &w[i])) {
            perror("pthread_create");
            return 3;
        }
    }
    pthread_barrier_wait(&start);
    double t0 = now();
    for (int i = 0; i < threads; i++)
        pthread_join(tid[i], NULL);
    double elapsed = now() - t0;
    uint64_t stores = 0;
    int ok = 1;
    for (int i = 0; i < threads; i++) {
        stores += w[i].stores;
        ok &= slice_ok(w[i].slice, w[i].last);
    }
    printf("RESULT bench=false_sharing layout=%s threads=%d stores=%llu seconds=%.3f "
           "throughput=%.1f check=%s\n",
           layout, threads, (unsigned long long)stores, elapsed, (double)stores / elapsed,
           ok ? "OK" : "FAIL");
    return ok ? 0 : 1;
}

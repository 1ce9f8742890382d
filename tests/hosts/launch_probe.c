/* What a launcher must carry through to the program (tests/hosts): stdin
 * (read whole by the main thread), stdout and stderr, and the exit status,
 * with threads spread over the nodes sharing one array.
 * usage: launch_probe THREADS STATUS [HOLD]
 * Prints the byte count and checksum of stdin and the threads' total;
 * writes "probe: stderr" on stderr; exits with STATUS. With HOLD, the
 * threads then wait forever (a rank is killed while they run). */
#include "guest.h"
#include <inttypes.h>
#include <pthread.h>
#include <unistd.h>

#define MAXT 16
#define N    4096

static uint64_t data[N];
static uint64_t sums[MAXT];
static int nthreads, hold;

static void *worker(void *arg) {
    int t = (int)(intptr_t)arg;
    uint64_t s = 0;
    for (int i = t; i < N; i += nthreads)
        s += data[i] * (uint64_t)(t + 1);
    sums[t] = s;
    while (hold)
        pause();
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 3) return 2;
    nthreads = atoi(argv[1]);
    int status = atoi(argv[2]);
    hold = argc > 3;
    if (nthreads < 1 || nthreads > MAXT) return 2;
    char buf[4096];
    uint64_t h = 0, bytes = 0;
    ssize_t n;
    while ((n = read(0, buf, sizeof buf)) > 0) {
        h = g_fnv(h, buf, (size_t)n);
        bytes += (uint64_t)n;
    }
    printf("stdin %" PRIu64 " bytes, fnv %016" PRIx64 "\n", bytes, h);
    for (int i = 0; i < N; i++)
        data[i] = (uint64_t)i * 2654435761u + bytes;
    pthread_t th[MAXT];
    for (int t = 0; t < nthreads; t++)
        pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t);
    if (hold) {
        printf("holding\n");
        fflush(stdout);
        for (;;)
            pause();
    }
    uint64_t total = 0;
    for (int t = 0; t < nthreads; t++) {
        pthread_join(th[t], NULL);
        total += sums[t];
    }
    printf("threads %d total %" PRIu64 "\n", nthreads, total);
    fflush(stdout);
    fprintf(stderr, "probe: stderr\n");
    return status;
}

/* DQEMU micro-benchmark 3, remote page access: the main thread (node 0)
 * writes MIB MiB; a second thread (node 1 in a cluster run: the first
 * thread created goes there) walks it byte by byte, one read per byte,
 * so each new page is a remote read fault. Prints the walk's throughput
 * and the time per page (the remote read-fault latency plus a page of
 * reads), and a first-touch walk of local memory for comparison. With
 * STRIDE > 1 the walk reads one page in every STRIDE (a column of a
 * matrix whose rows are STRIDE pages long), still byte by byte, and the
 * figures count the pages read.
 * usage: remote_walk [MIB [STRIDE]] */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

static uint8_t *buf;
static size_t len, stride = 1;
static double secs, local_secs;
static uint64_t sum;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static uint64_t walk(const volatile uint8_t *p, size_t n) {
    uint64_t s = 0;
    for (size_t pg = 0; pg < n; pg += stride * 4096)
        for (size_t i = pg; i < pg + 4096; i++)
            s += p[i];
    return s;
}

static void *reader(void *arg) {
    (void)arg;
    /* local baseline: pages of our own, already present */
    uint8_t *mine = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (size_t i = 0; i < len; i += 4096)
        mine[i] = 1;
    double a = now();
    uint64_t s = walk(mine, len);
    local_secs = now() - a;
    a = now();
    s += walk(buf, len);
    secs = now() - a;
    sum = s;
    return NULL;
}

int main(int argc, char **argv) {
    len = (size_t)(argc > 1 ? atol(argv[1]) : 16) << 20;
    if (argc > 2 && atol(argv[2]) > 1) stride = (size_t)atol(argv[2]);
    buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)i;
    pthread_t t;
    pthread_create(&t, NULL, reader, NULL);
    pthread_join(t, NULL);
    double pages = (double)((len / 4096 + stride - 1) / stride), bytes = pages * 4096;
    printf("remote_walk mib=%zu stride=%zu sum=%llu seconds=%.4f mb_per_s=%.2f us_per_page=%.2f "
           "local_mb_per_s=%.2f local_us_per_page=%.2f\n",
           len >> 20, stride, (unsigned long long)sum, secs, bytes / secs / 1e6, secs / pages * 1e6,
           bytes / local_secs / 1e6, local_secs / pages * 1e6);
    return 0;
}

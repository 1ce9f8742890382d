/* Remote read-fault latency as the guest sees it (issue 3): one thread
 * writes PAGES pages, a thread on another node reads one byte of each,
 * timing every read. Pages are read in a fixed pseudo-random order, so
 * forwarding finds no stream and every read is a real miss. The same
 * timed read over pages already present gives the timer's own cost.
 *   owner=master: the main thread (node 0) writes, the first thread
 *                 created (node 1 under round-robin) reads;
 *   owner=slave:  the first thread created (node 1) writes, the second
 *                 (node 2 at -n 3) reads: the owner is another slave.
 * usage: remote_fault [PAGES] [master|slave]
 * Prints one line: median, p10, p90 and mean in microseconds, timer cost
 * included (timer_us is that cost alone). */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define PAGE 4096

static uint8_t *buf;
static size_t npages;
static uint32_t *order;
static double *lat_us, *warm_us;

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void *writer(void *arg) {
    (void)arg;
    for (size_t i = 0; i < npages * PAGE; i += 64)
        buf[i] = (uint8_t)(i >> 6);
    return NULL;
}

/* one timed read of each page, in order[] */
static uint64_t timed_reads(double *out) {
    uint64_t sum = 0;
    for (size_t k = 0; k < npages; k++) {
        const volatile uint8_t *p = buf + (size_t)order[k] * PAGE + (k % 64) * 64;
        uint64_t a = now_ns();
        sum += *p;
        out[k] = (double)(now_ns() - a) / 1000.0;
    }
    return sum;
}

static void *reader(void *arg) {
    uint64_t *sum = arg;
    *sum = timed_reads(lat_us);
    *sum += timed_reads(warm_us); /* now present: the timer alone */
    return NULL;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(const double *v, size_t n, unsigned p) {
    return v[(n - 1) * p / 100];
}

int main(int argc, char **argv) {
    npages = argc > 1 ? (size_t)atol(argv[1]) : 1024;
    int slave_owner = argc > 2 && !strcmp(argv[2], "slave");
    if (!npages) return 2;
    buf = mmap(NULL, npages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    order = malloc(npages * sizeof *order);
    lat_us = malloc(npages * sizeof *lat_us);
    warm_us = malloc(npages * sizeof *warm_us);
    if (buf == MAP_FAILED || !order || !lat_us || !warm_us) return 1;
    /* the arrays the reader fills live on pages it touches first, before timing */
    memset(lat_us, 0, npages * sizeof *lat_us);
    memset(warm_us, 0, npages * sizeof *warm_us);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < npages; i++)
        order[i] = (uint32_t)i;
    for (size_t i = npages - 1; i > 0; i--) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t j = (size_t)(x % (i + 1));
        uint32_t t = order[i];
        order[i] = order[j], order[j] = t;
    }
    pthread_t w, r;
    uint64_t sum = 0;
    if (slave_owner) {
        pthread_create(&w, NULL, writer, NULL);
        pthread_join(w, NULL);
    } else {
        writer(NULL);
    }
    pthread_create(&r, NULL, reader, &sum);
    pthread_join(r, NULL);
    double mean = 0;
    for (size_t i = 0; i < npages; i++)
        mean += lat_us[i];
    mean /= (double)npages;
    qsort(lat_us, npages, sizeof *lat_us, cmp);
    qsort(warm_us, npages, sizeof *warm_us, cmp);
    printf("remote_fault owner=%s pages=%zu sum=%llu median_us=%.2f p10_us=%.2f p90_us=%.2f "
           "mean_us=%.2f timer_us=%.2f\n",
           slave_owner ? "slave" : "master", npages, (unsigned long long)sum,
           pct(lat_us, npages, 50), pct(lat_us, npages, 10), pct(lat_us, npages, 90), mean,
           pct(warm_us, npages, 50));
    return 0;
}

/* Shared by the bundled workloads (the programs beside it, docs/bench.md):
 * the command line, deterministic inputs, checksums, thread start-up and
 * the result line.
 *
 *   NAME [THREADS] [small|medium|large]
 *
 * Every workload prints exactly two lines on stdout, the same under
 * qemu-aarch64, shoal and shoal -n N (tests/bench/ checks it); checksum
 * and value do not depend on the thread count either, because results are
 * combined in a fixed order:
 *
 *   NAME: <what was computed>: OK
 *   RESULT workload=NAME input=small threads=4 items=N checksum=HEX value=X check=OK
 *
 * and exits 0, or 1 when its self-check failed (check=FAIL), 2 on bad
 * arguments. No timing is printed: output must not depend on the run;
 * bench/scale times runs from outside. */
#ifndef BENCH_WORKLOAD_H
#define BENCH_WORKLOAD_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __aarch64__
#include "../../include/shoal/hint.h"
#else
#define SHOAL_HINT_NEXT_GROUP(g) ((void)(g))
#endif

enum { WL_SMALL, WL_MEDIUM, WL_LARGE };

struct wl_args {
    const char *name;
    int threads;
    int size; /* WL_SMALL .. WL_LARGE */
};

static const char *const wl_size_names[] = {"small", "medium", "large"};

/* Parses [THREADS] [small|medium|large] (defaults 4, small). */
static inline int wl_parse(int argc, char **argv, const char *name, struct wl_args *a) {
    a->name = name;
    a->threads = argc > 1 ? atoi(argv[1]) : 4;
    a->size = -1;
    const char *in = argc > 2 ? argv[2] : "small";
    for (int i = 0; i < 3; i++)
        if (!strcmp(in, wl_size_names[i])) a->size = i;
    if (argc > 3 || a->threads < 1 || a->threads > 256 || a->size < 0) {
        fprintf(stderr, "usage: %s [THREADS 1..256] [small|medium|large]\n", name);
        return 0;
    }
    return 1;
}

/* splitmix64: a tiny, good, seedable generator; every input item derives
 * its own stream from its index, so inputs do not depend on the thread
 * count or on which thread generates them. */
static inline uint64_t wl_mix(uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static inline uint64_t wl_next(uint64_t *s) {
    *s += 0x9e3779b97f4a7c15ull;
    uint64_t x = *s;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* Uniform in [0, 1), 53 bits. */
static inline double wl_uniform(uint64_t *s) {
    return (double)(wl_next(s) >> 11) * 0x1p-53;
}

static inline double wl_range(uint64_t *s, double lo, double hi) {
    return lo + (hi - lo) * wl_uniform(s);
}

/* FNV-1a over the bits of a value: a checksum that sees every last bit,
 * so a stale page or a lost write anywhere changes it. */
static inline uint64_t wl_hash_u64(uint64_t h, uint64_t v) {
    for (int i = 0; i < 8; i++) {
        h ^= (v >> (8 * i)) & 0xff;
        h *= 0x100000001b3ull;
    }
    return h;
}

static inline uint64_t wl_hash_double(uint64_t h, double d) {
    uint64_t v;
    memcpy(&v, &d, sizeof v);
    return wl_hash_u64(h, v);
}

#define WL_HASH_INIT 0xcbf29ce484222325ull

/* Starts threads workers running fn(&args[i * stride]) and joins them.
 * With WL_GROUPS=G in the environment, worker i is marked with placement
 * group i * G / threads (include/shoal/hint.h), so that under
 * `sched.placement = hint` neighbours (in the stencil, the pipeline) share
 * a node; the marks are no-ops elsewhere and never change the output. */
static inline void wl_run_threads(int threads, void *(*fn)(void *), void *args, size_t stride) {
    pthread_t *tid = calloc((size_t)threads, sizeof *tid);
    const char *g = getenv("WL_GROUPS");
    int groups = g ? atoi(g) : 0;
    for (int i = 0; i < threads; i++) {
        if (groups > 0) SHOAL_HINT_NEXT_GROUP((long)i * groups / threads);
        if (pthread_create(&tid[i], NULL, fn, (char *)args + (size_t)i * stride)) {
            perror("pthread_create");
            exit(3);
        }
    }
    for (int i = 0; i < threads; i++)
        pthread_join(tid[i], NULL);
    free(tid);
}

/* Prints the two result lines; returns the exit status. */
static inline int wl_finish(const struct wl_args *a, const char *what, long items,
                            uint64_t checksum, double value, int ok) {
    printf("%s: %s: %s\n", a->name, what, ok ? "OK" : "FAIL");
    printf("RESULT workload=%s input=%s threads=%d items=%ld checksum=%016llx value=%.9g "
           "check=%s\n",
           a->name, wl_size_names[a->size], a->threads, items, (unsigned long long)checksum, value,
           ok ? "OK" : "FAIL");
    return ok ? 0 : 1;
}

#endif

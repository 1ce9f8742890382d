/* Small helpers shared by the guest test programs (AArch64, static). */
#ifndef SHOAL_GUEST_H
#define SHOAL_GUEST_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline uint64_t g_dbits(double d) {
    uint64_t u;
    memcpy(&u, &d, 8);
    return u;
}
static inline uint32_t g_fbits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}
static inline double g_bitsd(uint64_t u) {
    double d;
    memcpy(&d, &u, 8);
    return d;
}
static inline float g_bitsf(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* FNV-1a, for printing one checksum instead of a lot of data. */
static inline uint64_t g_fnv(uint64_t h, const void *p, size_t n) {
    const unsigned char *c = (const unsigned char *)p;
    if (!h) h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= c[i];
        h *= 1099511628211ULL;
    }
    return h;
}
static inline uint64_t g_fnv64(uint64_t h, uint64_t v) {
    return g_fnv(h, &v, sizeof v);
}

/* Deterministic PRNG (xorshift64*). */
static inline uint64_t g_rand(uint64_t *s) {
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* The time on clock c, ms milliseconds from now (a timed wait's
 * absolute deadline). */
static inline struct timespec g_in_ms(clockid_t c, long ms) {
    struct timespec ts;
    clock_gettime(c, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    return ts;
}

static inline int64_t g_ns(struct timespec t) {
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Whether rem, what an interrupted sleep of req left, is what the time
 * it slept allows: CLOCK_MONOTONIC read at t0 (before the call) and t1
 * (after it) bound that time, so rem is at most req and at least req
 * less t1 - t0 (a fixed window would fail on a loaded machine). */
static inline int g_rem_fits(struct timespec req, struct timespec rem, struct timespec t0,
                             struct timespec t1) {
    int64_t left = g_ns(rem);
    return left <= g_ns(req) && left >= g_ns(req) - (g_ns(t1) - g_ns(t0));
}

static int g_failures __attribute__((unused));
#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            g_failures++;                                                                          \
            printf("CHECK failed line %d: %s\n", __LINE__, #cond);                                 \
        }                                                                                          \
    } while (0)
#define G_DONE()                                                                                   \
    do {                                                                                           \
        printf("%s\n", g_failures ? "FAILED" : "ok");                                              \
        return g_failures ? 1 : 0;                                                                 \
    } while (0)

/* The resident memory /proc/self/statm reports, in KiB (0 if unread):
 * in a cluster, the master's host process. */
static inline long g_rss_kib(void) {
    long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &size, &resident) != 2) resident = 0;
        fclose(f);
    }
    return resident * 4;
}

#endif

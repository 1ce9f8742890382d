/* Exclusive monitors via inline asm: ldxr/stxr, ldaxr/stlxr (w and x),
 * ldxrb/ldxrh, ldxp/stxp pairs, clrex, a failing stxr after an
 * intervening store to the same address, and contended increments. */
#include "guest.h"
#include <pthread.h>
#include <inttypes.h>

static uint64_t c64;
static uint32_t c32;
static uint8_t c8;
static uint16_t c16;
static __attribute__((aligned(16))) uint64_t pair[2];

static void inc64(uint64_t *p) {
    uint64_t t;
    uint32_t fail;
    __asm__ volatile("1: ldaxr %0, [%2]\n add %0, %0, #1\n stlxr %w1, %0, [%2]\n cbnz %w1, 1b"
                     : "=&r"(t), "=&r"(fail)
                     : "r"(p)
                     : "memory");
}
static void inc32(uint32_t *p) {
    uint32_t t, fail;
    __asm__ volatile(
        "1: ldxr %w0, [%2]\n add %w0, %w0, #1\n stxr %w1, %w0, [%2]\n cbnz %w1, 1b\n dmb ish"
        : "=&r"(t), "=&r"(fail)
        : "r"(p)
        : "memory");
}
static void inc8(uint8_t *p) {
    uint32_t t, fail;
    __asm__ volatile("1: ldaxrb %w0, [%2]\n add %w0, %w0, #1\n stlxrb %w1, %w0, [%2]\n cbnz %w1, 1b"
                     : "=&r"(t), "=&r"(fail)
                     : "r"(p)
                     : "memory");
}
static void inc16(uint16_t *p) {
    uint32_t t, fail;
    __asm__ volatile("1: ldxrh %w0, [%2]\n add %w0, %w0, #1\n stxrh %w1, %w0, [%2]\n cbnz %w1, 1b"
                     : "=&r"(t), "=&r"(fail)
                     : "r"(p)
                     : "memory");
}
static void incpair(uint64_t *p) {
    uint64_t lo, hi;
    uint32_t fail;
    __asm__ volatile("1: ldaxp %0, %1, [%3]\n add %0, %0, #1\n add %1, %1, #2\n stlxp %w2, %0, %1, "
                     "[%3]\n cbnz %w2, 1b"
                     : "=&r"(lo), "=&r"(hi), "=&r"(fail)
                     : "r"(p)
                     : "memory");
}

static void *worker(void *arg) {
    for (int i = 0; i < 4000; i++) {
        inc64(&c64);
        inc32(&c32);
        inc8(&c8);
        inc16(&c16);
        if (i % 4 == 0) incpair(pair);
    }
    return arg;
}

int main(void) {
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, worker, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    printf("c64 %" PRIu64 " c32 %u c8 %u c16 %u pair %" PRIu64 " %" PRIu64 "\n", c64, c32, c8, c16,
           pair[0], pair[1]);
    /* single-threaded semantics */
    uint64_t v = 7, t1;
    uint32_t st;
    __asm__ volatile("ldxr %0, [%2]\n stxr %w1, %0, [%2]"
                     : "=&r"(t1), "=&r"(st)
                     : "r"(&v)
                     : "memory");
    printf("plain ldxr/stxr succeeds: status %u\n", st);
    __asm__ volatile("ldxr %0, [%2]\n clrex\n stxr %w1, %0, [%2]"
                     : "=&r"(t1), "=&r"(st)
                     : "r"(&v)
                     : "memory");
    printf("stxr after clrex fails: status %u\n", st);
    __asm__ volatile("mov %w1, #1\n stxr %w1, %0, [%2]" : "+r"(t1), "=&r"(st) : "r"(&v) : "memory");
    printf("stxr without ldxr fails: status %u\n", st);
    uint64_t other = 0;
    __asm__ volatile("ldxr %0, [%2]\n ldxr %0, [%3]\n stxr %w1, %0, [%3]"
                     : "=&r"(t1), "=&r"(st)
                     : "r"(&v), "r"(&other)
                     : "memory");
    printf("second ldxr retargets monitor: status %u\n", st);
    printf("values v %" PRIu64 " other %" PRIu64 "\n", v, other);
    /* ldar/stlr, ldapr-free: acquire/release single accesses */
    uint64_t x = 0, y;
    __asm__ volatile("stlr %1, [%2]\n ldar %0, [%2]"
                     : "=&r"(y)
                     : "r"((uint64_t)99), "r"(&x)
                     : "memory");
    printf("stlr/ldar %" PRIu64 "\n", y);
    G_DONE();
}

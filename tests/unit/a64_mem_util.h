/* Small helpers for the load/store/atomic frontend tests: run a list of
 * instruction words, and read or write guest memory little-endian. */
#ifndef SHOAL_TESTS_UNIT_A64_MEM_UTIL_H
#define SHOAL_TESTS_UNIT_A64_MEM_UTIL_H

#include <stdint.h>
#include <string.h>

#include "tests/unit/harness.h"

/* RUN(h, word, word, ...): runs the words (then `svc #0`), returns the exit. */
#define RUN(h, ...)                                                                                \
    harness_run((h), (const uint32_t[]){__VA_ARGS__},                                              \
                sizeof((const uint32_t[]){__VA_ARGS__}) / sizeof(uint32_t))

static inline uint64_t mem_rd(struct harness *h, uint64_t addr, unsigned bytes) {
    uint64_t v = 0;
    memcpy(&v, harness_mem(h, addr), bytes);
    return v;
}

static inline void mem_wr(struct harness *h, uint64_t addr, uint64_t v, unsigned bytes) {
    memcpy(harness_mem(h, addr), &v, bytes);
}

/* n bytes of a pattern with both small and sign-bit-set bytes. */
static inline void mem_fill(struct harness *h, uint64_t addr, unsigned n, uint8_t seed) {
    uint8_t *p = harness_mem(h, addr);
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(seed + i * 0x9d);
}

static inline uint64_t sext_bits(uint64_t v, unsigned bits) {
    return (uint64_t)((int64_t)(v << (64 - bits)) >> (64 - bits));
}

#endif

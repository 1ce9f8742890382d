/* Shared by the Advanced SIMD unit tests: run encoded instructions on a
 * fresh harness and look at vector registers. */
#ifndef SHOAL_TESTS_UNIT_TEST_A64_SIMD_H
#define SHOAL_TESTS_UNIT_TEST_A64_SIMD_H

#include <CUnit/CUnit.h>
#include <signal.h>
#include <stdbool.h>

#include "tests/unit/harness.h"

static struct harness *simd_h;

static inline int simd_suite_init(void) {
    simd_h = harness_new();
    return simd_h ? 0 : 1;
}

static inline int simd_suite_fini(void) {
    harness_free(simd_h);
    return 0;
}

static inline struct cpu *simd_cpu(void) {
    return &simd_h->cpu;
}

static inline void set_v(unsigned r, uint64_t hi, uint64_t lo) {
    simd_h->cpu.v[r].d[0] = lo;
    simd_h->cpu.v[r].d[1] = hi;
}

/* Runs one instruction; true when it completed (reached the trailing SVC,
 * which is itself SIGILL until the system family decodes it). */
static inline bool run_insn(uint32_t insn) {
    simd_h->cpu.fpsr = 0;
    int e = harness_run(simd_h, &insn, 1);
    struct cpu *c = &simd_h->cpu;
    return e == CPU_EXIT_SVC ||
           (e == CPU_EXIT_SIGNAL && c->exit_signo == SIGILL && c->pc == HARNESS_CODE + 4);
}

/* True when the instruction itself raised SIGILL. */
static inline bool insn_sigills(uint32_t insn) {
    int e = harness_run(simd_h, &insn, 1);
    struct cpu *c = &simd_h->cpu;
    return e == CPU_EXIT_SIGNAL && c->exit_signo == SIGILL && c->pc == HARNESS_CODE;
}

#define CHECK_V(r, hi, lo)                                                                         \
    do {                                                                                           \
        CU_ASSERT_EQUAL(simd_h->cpu.v[r].d[0], (uint64_t)(lo));                                    \
        CU_ASSERT_EQUAL(simd_h->cpu.v[r].d[1], (uint64_t)(hi));                                    \
    } while (0)

#define QC_SET() ((simd_h->cpu.fpsr & FPSR_QC) != 0)

#endif

/* Shared set-up of the A64 instruction test suites that run words on one
 * harness: include once per test program, after CUnit and harness.h. */
#ifndef SHOAL_TESTS_UNIT_A64_SUITE_H
#define SHOAL_TESTS_UNIT_A64_SUITE_H

#include <CUnit/CUnit.h>
#include <string.h>

#include "tests/unit/harness.h"

static struct harness *h;

static int suite_init(void) {
    h = harness_new();
    return h ? 0 : 1;
}

static int suite_fini(void) {
    harness_free(h);
    return 0;
}

/* Fresh registers: x0..x30 zero, flags clear, SP as the harness sets it. */
static void reset(void) {
    memset(h->cpu.x, 0, 31 * sizeof h->cpu.x[0]);
    h->cpu.nzcv = 0;
}

#define X(n)       (h->cpu.x[n])
#define N_WORDS(a) (sizeof(a) / sizeof((a)[0]))

/* Runs the words (followed by the harness's svc #0) and expects a normal end. */
#define RUN(...)                                                                                   \
    do {                                                                                           \
        static const uint32_t code_[] = {__VA_ARGS__};                                             \
        CU_ASSERT_EQUAL_FATAL(harness_run(h, code_, N_WORDS(code_)), CPU_EXIT_SVC);                \
    } while (0)

#endif

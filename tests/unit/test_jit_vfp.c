/* Vector FP results at the edges where x86 and Arm could differ, JIT
 * against the interpreter (whose helpers are the bit-exact reference):
 * NaNs of every kind, invalid operations, overflow, subnormal results
 * exact and inexact, and the one tininess case the two architectures
 * detect differently, an exact result just below the smallest normal
 * that rounds up to it (Arm raises UFC, x86 would not). Each case runs
 * in every lane and in one lane only, under FMUL/FMLA/FMLS/FADD/FDIV of
 * 2S, 4S and 2D; the result and FPSR must match, in the JIT with the
 * default result check and with SHOAL_JIT_DISABLE=vtiny (lower_vop.c,
 * check_vector). */
#include <CUnit/CUnit.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tests/unit/harness.h"

struct vcase {
    uint64_t n, m, d; /* operands: Vn, Vm and the accumulator Vd */
};

/* single precision: bit patterns */
static const struct vcase cases_s[] = {
    {0x3f800400, 0x007ffc00, 0}, /* (1+2^-13)(2^-126-2^-139): rounds up to the smallest normal */
    {0x3f800400, 0x007ff800, 0}, /* (1+2^-13)(2^-126-2^-138): inexact subnormal */
    {0x3f000000, 0x00800000, 0}, /* 0.5 * 2^-126: exact subnormal */
    {0x3f800001, 0x00400000, 0}, /* (1+2^-23) 2^-127: inexact subnormal */
    {0x3f800000, 0x00800000, 0}, /* exactly the smallest normal */
    {0x40400000, 0x40a00000, 0x3f800000}, /* 3 * 5 (+1) */
    {0x7fc00001, 0x40000000, 0x3f800000}, /* QNaN operand */
    {0x7f800001, 0x40000000, 0x3f800000}, /* SNaN operand */
    {0x7fc00002, 0xff800003, 0x7fc00004}, /* NaNs everywhere */
    {0x7f800000, 0x00000000, 0x3f800000}, /* inf * 0: invalid */
    {0x7f000000, 0x7f000000, 0},          /* overflow */
    {0x3f800000, 0x3f800000, 0xbf800000}, /* 1*1 - 1: zero (FMLA) */
    {0x00800000, 0x3f800000,
     0x80fffffe},                /* 2^-126 + (-2^-125 + 2^-148): subnormal by cancellation */
    {0x00000001, 0x3f000000, 0}, /* least subnormal / 2: underflow to zero */
};

static const struct vcase cases_d[] = {
    {0x3ff0000000000800ull, 0x000ffffffffff800ull, 0}, /* rounds up to the smallest normal */
    {0x3ff0000000000800ull, 0x000ffffffffff000ull, 0}, /* inexact subnormal */
    {0x3fe0000000000000ull, 0x0010000000000000ull, 0}, /* exact subnormal */
    {0x3ff0000000000001ull, 0x0008000000000000ull, 0}, /* inexact subnormal */
    {0x3ff0000000000000ull, 0x0010000000000000ull, 0}, /* exactly the smallest normal */
    {0x4008000000000000ull, 0x4014000000000000ull, 0x3ff0000000000000ull},
    {0x7ff8000000000001ull, 0x4000000000000000ull, 0x3ff0000000000000ull},
    {0x7ff0000000000001ull, 0x4000000000000000ull, 0x3ff0000000000000ull},
    {0x7ff0000000000000ull, 0, 0x3ff0000000000000ull},
    {0x7fe0000000000000ull, 0x7fe0000000000000ull, 0},
    {0x3ff0000000000000ull, 0x3ff0000000000000ull, 0xbff0000000000000ull},
    {0x0000000000000001ull, 0x3fe0000000000000ull, 0},
};

static const struct {
    const char *name;
    uint32_t insn;
    bool dbl;
    unsigned lanes;
} ops[] = {
    {"fmul 4s", 0x6e22dc20u, false, 4}, {"fmla 4s", 0x4e22cc20u, false, 4},
    {"fmls 4s", 0x4ea2cc20u, false, 4}, {"fadd 4s", 0x4e22d420u, false, 4},
    {"fmul 2s", 0x2e22dc20u, false, 2}, {"fmla 2s", 0x0e22cc20u, false, 2},
    {"fmul 2d", 0x6e62dc20u, true, 2},  {"fmla 2d", 0x4e62cc20u, true, 2},
    {"fdiv 2d", 0x6e62fc20u, true, 2},
};

static unsigned failures;

/* Lane values: the case in lane `only` (or in all lanes when only < 0),
 * 1.0 * 1.0 + 0 elsewhere. */
static void load(struct cpu *cpu, const struct vcase *vc, bool dbl, int only) {
    memset(cpu->v, 0, 3 * sizeof cpu->v[0]);
    unsigned n = dbl ? 2 : 4;
    uint64_t one = dbl ? 0x3ff0000000000000ull : 0x3f800000u;
    for (unsigned l = 0; l < n; l++) {
        bool here = only < 0 || (unsigned)only == l;
        uint64_t vn = here ? vc->n : one, vm = here ? vc->m : one, vd = here ? vc->d : 0;
        if (dbl) {
            cpu->v[1].d[l] = vn;
            cpu->v[2].d[l] = vm;
            cpu->v[0].d[l] = vd;
        } else {
            cpu->v[1].s[l] = (uint32_t)vn;
            cpu->v[2].s[l] = (uint32_t)vm;
            cpu->v[0].s[l] = (uint32_t)vd;
        }
    }
    cpu->fpsr = 0;
    cpu->fpcr = 0;
}

static void run_case(struct harness *ref, struct harness *jit, unsigned k, const struct vcase *vc,
                     int only) {
    load(&ref->cpu, vc, ops[k].dbl, only);
    load(&jit->cpu, vc, ops[k].dbl, only);
    CU_ASSERT_EQUAL(harness_run(ref, &ops[k].insn, 1), CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(harness_run(jit, &ops[k].insn, 1), CPU_EXIT_SVC);
    bool ok = !memcmp(&ref->cpu.v[0], &jit->cpu.v[0], sizeof ref->cpu.v[0]) &&
              ref->cpu.fpsr == jit->cpu.fpsr;
    if (!ok && failures++ < 20)
        printf("\n  %s n=%#" PRIx64 " m=%#" PRIx64 " d=%#" PRIx64 " lane %d: interp %016" PRIx64
               "%016" PRIx64 " fpsr %#x, jit %016" PRIx64 "%016" PRIx64 " fpsr %#x",
               ops[k].name, vc->n, vc->m, vc->d, only, ref->cpu.v[0].d[1], ref->cpu.v[0].d[0],
               ref->cpu.fpsr, jit->cpu.v[0].d[1], jit->cpu.v[0].d[0], jit->cpu.fpsr);
    CU_ASSERT(ok);
}

static void run_all(const char *jit_disable) {
    struct harness *ref = harness_new_tier(1, NULL);
    struct harness *jit = harness_new_tier(0, jit_disable);
    for (unsigned k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        const struct vcase *cs = ops[k].dbl ? cases_d : cases_s;
        unsigned nc =
            ops[k].dbl ? sizeof cases_d / sizeof cases_d[0] : sizeof cases_s / sizeof cases_s[0];
        for (unsigned c = 0; c < nc; c++) {
            run_case(ref, jit, k, &cs[c], -1);
            run_case(ref, jit, k, &cs[c], 1);
        }
    }
    harness_free(ref);
    harness_free(jit);
}

/* The flags the reference gives the rounding-up case, so the test fails
 * if the reference itself stopped raising UFC there. */
static void test_reference_ufc(void) {
    struct harness *ref = harness_new_tier(1, NULL);
    load(&ref->cpu, &cases_s[0], false, -1);
    CU_ASSERT_EQUAL(harness_run(ref, &ops[0].insn, 1), CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(ref->cpu.v[0].s[0], 0x00800000u);
    CU_ASSERT_EQUAL(ref->cpu.fpsr & (FPSR_UFC | FPSR_IXC), FPSR_UFC | FPSR_IXC);
    load(&ref->cpu, &cases_d[0], true, -1);
    CU_ASSERT_EQUAL(harness_run(ref, &ops[6].insn, 1), CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(ref->cpu.v[0].d[0], 0x0010000000000000ull);
    CU_ASSERT_EQUAL(ref->cpu.fpsr & (FPSR_UFC | FPSR_IXC), FPSR_UFC | FPSR_IXC);
    harness_free(ref);
}

static void test_default(void) {
    run_all(NULL);
}

static void test_vtiny_off(void) {
    run_all("vtiny");
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("jit_vfp", NULL, NULL);
    CU_add_test(s, "reference raises UFC when rounding up to the smallest normal",
                test_reference_ufc);
    CU_add_test(s, "JIT = interpreter", test_default);
    CU_add_test(s, "JIT = interpreter, SHOAL_JIT_DISABLE=vtiny", test_vtiny_off);
}

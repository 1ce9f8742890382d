/* Advanced SIMD FP groups: IEEE results computed by hand from the Arm ARM
 * (exact cases, saturating conversions, NaN handling of compares). */
#include "tests/unit/test_a64_simd.h"

#define F32_1    0x3f800000u
#define F32_2    0x40000000u
#define F32_3    0x40400000u
#define F32_QNAN 0x7fc00000u

static uint64_t pair32(uint32_t hi, uint32_t lo) {
    return (uint64_t)hi << 32 | lo;
}

static void test_fp_arith(void) {
    set_v(1, pair32(0xc0000000u, F32_1), pair32(F32_2, F32_1)); /* lanes 1, 2, 1, -2 */
    set_v(2, pair32(F32_2, F32_2), pair32(F32_1, F32_2));       /* lanes 2, 1, 2, 2 */
    CU_ASSERT(run_insn(0x4e22d420));                            /* fadd v0.4s, v1.4s, v2.4s */
    CHECK_V(0, pair32(0, F32_3), pair32(F32_3, F32_3));

    set_v(0, pair32(F32_1, F32_1), pair32(F32_1, F32_1));
    set_v(1, pair32(F32_3, F32_2), pair32(F32_1, 0));
    set_v(2, 0, pair32(F32_2, 0));   /* s[1] = 2.0 */
    CU_ASSERT(run_insn(0x4fa21020)); /* fmla v0.4s, v1.4s, v2.s[1]: 1 + x*2 */
    CHECK_V(0, pair32(0x40e00000u, 0x40a00000u), pair32(F32_3, F32_1)); /* 7, 5, 3, 1 */

    set_v(1, 0, pair32(0x40100000u, 0x3fc00000u)); /* 2.25, 1.5 */
    CU_ASSERT(run_insn(0x7e30d820));               /* faddp s0, v1.2s */
    CHECK_V(0, 0, 0x40700000u);                    /* 3.75 */

    set_v(1, pair32(0xc0400000u, 0x40a00000u), pair32(F32_1, F32_QNAN));
    CU_ASSERT(run_insn(0x6e30c820)); /* fmaxnmv s0, v1.4s: a quiet NaN is ignored */
    CHECK_V(0, 0, 0x40a00000u);
}

static void test_fp_compare(void) {
    set_v(1, 0x7ff8000000000000ull, 0x4000000000000000ull); /* qNaN, 2.0 */
    set_v(2, 0x3ff0000000000000ull, 0x3ff0000000000000ull); /* 1.0, 1.0 */
    CU_ASSERT(run_insn(0x6ee2e420)); /* fcmgt v0.2d: false for NaN, which signals */
    CHECK_V(0, 0, 0xffffffffffffffffull);
    CU_ASSERT(simd_cpu()->fpsr & FPSR_IOC);
}

static void test_fp_convert(void) {
    simd_cpu()->fpcr = 0;
    set_v(1, pair32(0xbfc00000u, 0x4f32d05eu), pair32(0xcf32d05eu, 0x40200000u));
    CU_ASSERT(run_insn(0x4ea1b820)); /* fcvtzs v0.4s: 2.5, -3e9, 3e9, -1.5 */
    CHECK_V(0, pair32(0xffffffffu, 0x7fffffffu), pair32(0x80000000u, 2));
    CU_ASSERT(simd_cpu()->fpsr & FPSR_IOC);

    set_v(1, 0xc004000000000000ull, 0x4004000000000000ull); /* -2.5, 2.5 */
    CU_ASSERT(run_insn(0x6e618820));                        /* frinta v0.2d: ties away from zero */
    CHECK_V(0, 0xc008000000000000ull, 0x4008000000000000ull);

    set_v(1, 0xffffffffffffffc0ull, 32);                      /* -64, 32 with 4 fraction bits */
    CU_ASSERT(run_insn(0x4f7ce420));                          /* scvtf v0.2d, v1.2d, #4 */
    CHECK_V(0, 0xc010000000000000ull, 0x4000000000000000ull); /* -4.0, 2.0 */

    set_v(0, 0, 0x1122334455667788ull);
    set_v(1, 0xc000000000000000ull, 0x3ff0000000000000ull); /* -2.0, 1.0 */
    CU_ASSERT(run_insn(0x4e616820)); /* fcvtn2 v0.4s, v1.2d: lower half kept */
    CHECK_V(0, pair32(0xc0000000u, F32_1), 0x1122334455667788ull);

    set_v(1, 0xffff, pair32(0xc0000000u, F32_1));
    CU_ASSERT(run_insn(0x0e617820)); /* fcvtl v0.2d, v1.2s */
    CHECK_V(0, 0xc000000000000000ull, 0x3ff0000000000000ull);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("a64_simd_fp", simd_suite_init, simd_suite_fini);
    CU_add_test(s, "fp_arith", test_fp_arith);
    CU_add_test(s, "fp_compare", test_fp_compare);
    CU_add_test(s, "fp_convert", test_fp_convert);
}

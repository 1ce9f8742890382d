/* dbt/fp: expected values derived by hand from IEEE 754 and the Arm ARM
 * pseudocode (FPRound, FPProcessNaNs, FPToFixed, FPConvert, ...); the
 * comment on each case says why. tests/fpdiff compares the same library
 * against qemu-aarch64 on random operands. */
#include <CUnit/CUnit.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "dbt/cpu.h"
#include "dbt/fp/fpu.h"

#define RN  (0u << FPCR_RMODE_SHIFT)
#define RP  (1u << FPCR_RMODE_SHIFT)
#define RM  (2u << FPCR_RMODE_SHIFT)
#define RZ  (3u << FPCR_RMODE_SHIFT)
#define DN  FPCR_DN
#define FZ  FPCR_FZ
#define AHP FPCR_AHP

#define IOC FPSR_IOC
#define DZC FPSR_DZC
#define OFC FPSR_OFC
#define UFC FPSR_UFC
#define IXC FPSR_IXC
#define IDC FPSR_IDC

/* single precision */
#define S_ONE      0x3f800000u
#define S_TWO      0x40000000u
#define S_HALF     0x3f000000u
#define S_MAX      0x7f7fffffu
#define S_MIN_NORM 0x00800000u
#define S_INF      0x7f800000u
#define S_DNAN     0x7fc00000u
#define S_NEG      0x80000000u
/* double precision */
#define D_ONE  0x3ff0000000000000ull
#define D_INF  0x7ff0000000000000ull
#define D_DNAN 0x7ff8000000000000ull
#define D_NEG  0x8000000000000000ull

static struct cpu cpu;

static void check(const char *what, uint32_t fpcr, uint64_t got, uint64_t want, uint32_t flags,
                  uint32_t want_flags) {
    (void)fpcr;
    CU_ASSERT_EQUAL(got, want);
    CU_ASSERT_EQUAL(flags, want_flags);
    if (got != want || flags != want_flags)
        fprintf(stderr, "\n  %s: got %016" PRIx64 " flags %02x, want %016" PRIx64 " flags %02x\n",
                what, got, flags, want, want_flags);
}

/* T(fpcr, expression using `cpu`, expected bits, expected FPSR) */
#define T(fpcr_, expr, want, want_flags)                                                           \
    do {                                                                                           \
        memset(&cpu, 0, sizeof cpu);                                                               \
        cpu.fpcr = (fpcr_);                                                                        \
        uint64_t got_ = (expr);                                                                    \
        check(#expr, fpcr_, got_, (want), cpu.fpsr, (want_flags));                                 \
    } while (0)

static void test_rounding_modes(void) {
    /* 1 + 2^-24 is exactly half an ulp above 1.0: ties-to-even keeps 1.0. */
    T(RN, fpu_add(&cpu, 32, S_ONE, 0x33800000), S_ONE, IXC);
    T(RP, fpu_add(&cpu, 32, S_ONE, 0x33800000), S_ONE + 1, IXC);
    T(RM, fpu_add(&cpu, 32, S_ONE, 0x33800000), S_ONE, IXC);
    T(RZ, fpu_add(&cpu, 32, S_ONE, 0x33800000), S_ONE, IXC);
    /* (1 + 2^-23) + 2^-24: a tie with an odd last bit rounds up. */
    T(RN, fpu_add(&cpu, 32, S_ONE + 1, 0x33800000), S_ONE + 2, IXC);
    /* 1 + 0.75 ulp rounds to nearest = up. */
    T(RN, fpu_add(&cpu, 32, S_ONE, 0x33c00000), S_ONE + 1, IXC);
    /* Negative: RP rounds towards zero, RM away. */
    T(RP, fpu_add(&cpu, 32, S_NEG | S_ONE, S_NEG | 0x33800000), S_NEG | S_ONE, IXC);
    T(RM, fpu_add(&cpu, 32, S_NEG | S_ONE, S_NEG | 0x33800000), S_NEG | (S_ONE + 1), IXC);
    T(RZ, fpu_add(&cpu, 32, S_NEG | S_ONE, S_NEG | 0x33800000), S_NEG | S_ONE, IXC);
    /* Double: 1 + 2^-53 is the tie. */
    T(RN, fpu_add(&cpu, 64, D_ONE, 0x3ca0000000000000ull), D_ONE, IXC);
    T(RP, fpu_add(&cpu, 64, D_ONE, 0x3ca0000000000000ull), D_ONE + 1, IXC);
    /* 1/3 = 0x3fd5555555555555 rounded down in RN; RP rounds up. */
    T(RN, fpu_div(&cpu, 64, D_ONE, 0x4008000000000000ull), 0x3fd5555555555555ull, IXC);
    T(RP, fpu_div(&cpu, 64, D_ONE, 0x4008000000000000ull), 0x3fd5555555555556ull, IXC);
    /* sqrt(2) correctly rounded; sqrt(4) exact. */
    T(RN, fpu_sqrt(&cpu, 64, 0x4000000000000000ull), 0x3ff6a09e667f3bcdull, IXC);
    T(RN, fpu_sqrt(&cpu, 32, S_TWO), 0x3fb504f3, IXC);
    T(RN, fpu_sqrt(&cpu, 64, 0x4010000000000000ull), 0x4000000000000000ull, 0);
}

static void test_zero_signs(void) {
    /* An exact zero sum is +0 except when rounding towards -inf. */
    T(RN, fpu_sub(&cpu, 32, S_ONE, S_ONE), 0, 0);
    T(RM, fpu_sub(&cpu, 32, S_ONE, S_ONE), S_NEG, 0);
    T(RN, fpu_add(&cpu, 32, S_NEG, S_NEG), S_NEG, 0);
    T(RN, fpu_add(&cpu, 32, 0, S_NEG), 0, 0);
    T(RM, fpu_add(&cpu, 32, 0, S_NEG), S_NEG, 0);
    T(RN, fpu_sqrt(&cpu, 32, S_NEG), S_NEG, 0);
    T(RN, fpu_mul(&cpu, 32, S_NEG | S_ONE, 0), S_NEG, 0);
}

static void test_overflow(void) {
    /* FLT_MAX * 2 in each mode: infinity or the largest normal. */
    T(RN, fpu_mul(&cpu, 32, S_MAX, S_TWO), S_INF, OFC | IXC);
    T(RP, fpu_mul(&cpu, 32, S_MAX, S_TWO), S_INF, OFC | IXC);
    T(RM, fpu_mul(&cpu, 32, S_MAX, S_TWO), S_MAX, OFC | IXC);
    T(RZ, fpu_mul(&cpu, 32, S_MAX, S_TWO), S_MAX, OFC | IXC);
    T(RN, fpu_mul(&cpu, 32, S_NEG | S_MAX, S_TWO), S_NEG | S_INF, OFC | IXC);
    T(RP, fpu_mul(&cpu, 32, S_NEG | S_MAX, S_TWO), S_NEG | S_MAX, OFC | IXC);
    T(RM, fpu_mul(&cpu, 32, S_NEG | S_MAX, S_TWO), S_NEG | S_INF, OFC | IXC);
    T(RZ, fpu_mul(&cpu, 32, S_NEG | S_MAX, S_TWO), S_NEG | S_MAX, OFC | IXC);
    T(RN, fpu_add(&cpu, 64, 0x7fefffffffffffffull, 0x7fefffffffffffffull), D_INF, OFC | IXC);
}

static void test_denormals(void) {
    /* 2^-126 * 0.5 = 2^-127: an exact denormal, no underflow flag. */
    T(RN, fpu_mul(&cpu, 32, S_MIN_NORM, S_HALF), 0x00400000, 0);
    /* 2^-149 * 0.5: a tie between 0 and 2^-149, even is 0; tiny and inexact. */
    T(RN, fpu_mul(&cpu, 32, 1, S_HALF), 0, UFC | IXC);
    T(RP, fpu_mul(&cpu, 32, 1, S_HALF), 1, UFC | IXC);
    /* 3 * 2^-150 ties between 2^-149 and 2^-148: even is 2. */
    T(RN, fpu_mul(&cpu, 32, 3, S_HALF), 2, UFC | IXC);
    /* 2^-126 * (1 - 2^-24) rounds up to 2^-126, but was tiny before rounding. */
    T(RN, fpu_mul(&cpu, 32, S_MIN_NORM, 0x3f7fffff), S_MIN_NORM, UFC | IXC);
    /* Denormal + denormal, exact: no flags. */
    T(RN, fpu_add(&cpu, 32, 1, 1), 2, 0);
    /* Double: 2^-1022 * 2^-52 = 2^-1074, the smallest denormal, exact. */
    T(RN, fpu_mul(&cpu, 64, 0x0010000000000000ull, 0x3cb0000000000000ull), 1, 0);
}

static void test_flush_to_zero(void) {
    /* FZ: denormal inputs are zeros and raise IDC. */
    T(FZ, fpu_add(&cpu, 32, 1, 0), 0, IDC);
    T(FZ, fpu_add(&cpu, 32, S_NEG | 1, S_ONE), S_ONE, IDC);
    T(FZ, fpu_mul(&cpu, 64, 1, D_ONE), 0, IDC);
    /* FZ: a tiny result is flushed with UFC and no IXC, even when exact. */
    T(FZ, fpu_mul(&cpu, 32, S_MIN_NORM, S_HALF), 0, UFC);
    T(FZ | RP, fpu_mul(&cpu, 32, S_NEG | S_MIN_NORM, 0x3f7fffff), S_NEG, UFC);
    /* The smallest normal itself survives. */
    T(FZ, fpu_mul(&cpu, 32, S_MIN_NORM, S_ONE), S_MIN_NORM, 0);
    /* Comparisons see flushed denormals as zeros. */
    T(FZ, fpu_compare(&cpu, 32, 1, S_NEG, false), NZCV_Z | NZCV_C, IDC);
    T(0, fpu_compare(&cpu, 32, 1, S_NEG, false), NZCV_C, 0);
}

static void test_nan_propagation(void) {
    /* A signalling NaN wins over an earlier quiet one and is quietened. */
    T(0, fpu_add(&cpu, 32, 0x7fc00001, 0x7f800002), 0x7fc00002, IOC);
    T(0, fpu_add(&cpu, 32, 0x7f800003, 0x7f800002), 0x7fc00003, IOC);
    /* Otherwise the first quiet NaN, sign and payload kept. */
    T(0, fpu_add(&cpu, 32, 0xffc00005, 0x7fc00001), 0xffc00005, 0);
    T(0, fpu_mul(&cpu, 32, S_ONE, 0xffc00007), 0xffc00007, 0);
    /* DN: the default NaN instead; IOC still for a signalling input. */
    T(DN, fpu_add(&cpu, 32, 0xffc00005, S_ONE), S_DNAN, 0);
    T(DN, fpu_add(&cpu, 64, D_ONE, 0x7ff0000000000001ull), D_DNAN, IOC);
    /* Invalid operations produce the default NaN. */
    T(0, fpu_sub(&cpu, 32, S_INF, S_INF), S_DNAN, IOC);
    T(0, fpu_mul(&cpu, 32, 0, S_INF), S_DNAN, IOC);
    T(0, fpu_div(&cpu, 32, 0, S_NEG), S_DNAN, IOC);
    T(0, fpu_sqrt(&cpu, 64, D_NEG | D_ONE), D_DNAN, IOC);
    T(0, fpu_div(&cpu, 32, S_NEG | S_ONE, 0), S_NEG | S_INF, DZC);
    T(0, fpu_div(&cpu, 32, S_INF, 0), S_INF, 0);
    /* FMULX: 0 * inf = 2 with the product's sign. */
    T(0, fpu_mulx(&cpu, 32, S_NEG, S_INF), S_NEG | S_TWO, 0);
    /* FABD clears the sign even of a NaN. */
    T(0, fpu_abd(&cpu, 32, 0xffc00009, S_ONE), 0x7fc00009, 0);
    T(0, fpu_abd(&cpu, 32, S_ONE, 0x40400000), S_TWO, 0);
}

static void test_fused_multiply_add(void) {
    /* -1 + (1 + 2^-52)(1 - 2^-52) = -2^-104 exactly: fused, no flags. */
    T(0, fpu_muladd(&cpu, 64, D_NEG | D_ONE, 0x3ff0000000000001ull, 0x3feffffffffffffeull),
      0xb970000000000000ull, 0);
    /* A quiet-NaN addend with 0 * inf: default NaN and IOC. */
    T(0, fpu_muladd(&cpu, 32, 0x7fc00001, 0, S_INF), S_DNAN, IOC);
    /* The addend is the first operand for NaN order. */
    T(0, fpu_muladd(&cpu, 32, 0x7f800001, 0x7fc00002, S_ONE), 0x7fc00001, IOC);
    T(0, fpu_muladd(&cpu, 32, 0x7fc00001, 0x7f800002, S_ONE), 0x7fc00002, IOC);
    T(0, fpu_muladd(&cpu, 32, 0x7fc00001, 0x7fc00002, S_ONE), 0x7fc00001, 0);
    /* inf + (-inf * 1) is invalid. */
    T(0, fpu_muladd(&cpu, 32, S_INF, S_NEG | S_INF, S_ONE), S_DNAN, IOC);
    /* -0 + (-0 * 1): same-signed zeros keep -0; +0 + -0 is +0 except RM. */
    T(0, fpu_muladd(&cpu, 32, S_NEG, S_NEG, S_ONE), S_NEG, 0);
    T(0, fpu_muladd(&cpu, 32, 0, S_NEG, S_ONE), 0, 0);
    T(RM, fpu_muladd(&cpu, 32, 0, S_NEG, S_ONE), S_NEG, 0);
    /* Step functions: 2 - 2*3 = -4, (3 - 1*1)/2 = 1, 2 - inf*0 = 2. */
    T(0, fpu_recps(&cpu, 32, S_TWO, 0x40400000), 0xc0800000, 0);
    T(0, fpu_rsqrts(&cpu, 32, S_ONE, S_ONE), S_ONE, 0);
    T(0, fpu_recps(&cpu, 32, S_INF, 0), S_TWO, 0);
    T(0, fpu_rsqrts(&cpu, 32, S_INF, 0), 0x3fc00000, 0);
}

static void test_min_max(void) {
    T(0, fpu_max(&cpu, 32, S_NEG, 0), 0, 0);
    T(0, fpu_max(&cpu, 32, 0, S_NEG), 0, 0);
    T(0, fpu_min(&cpu, 32, 0, S_NEG), S_NEG, 0);
    T(0, fpu_min(&cpu, 32, S_NEG, 0), S_NEG, 0);
    T(0, fpu_max(&cpu, 32, S_ONE, S_TWO), S_TWO, 0);
    T(0, fpu_min(&cpu, 64, D_NEG | D_INF, D_ONE), D_NEG | D_INF, 0);
    /* FMAX propagates NaNs; FMAXNM prefers the number over a quiet NaN. */
    T(0, fpu_max(&cpu, 32, 0x7fc00001, S_ONE), 0x7fc00001, 0);
    T(0, fpu_max(&cpu, 32, 0x7f800001, S_ONE), 0x7fc00001, IOC);
    T(0, fpu_maxnm(&cpu, 32, 0x7fc00001, S_ONE), S_ONE, 0);
    T(0, fpu_minnm(&cpu, 32, S_ONE, 0x7fc00001), S_ONE, 0);
    T(0, fpu_maxnm(&cpu, 32, 0x7fc00001, S_NEG | S_INF), S_NEG | S_INF, 0);
    T(0, fpu_maxnm(&cpu, 32, 0x7fc00001, 0x7fc00002), 0x7fc00001, 0);
    /* ... but not over a signalling NaN. */
    T(0, fpu_minnm(&cpu, 32, 0x7fc00001, 0x7f800002), 0x7fc00002, IOC);
    /* A denormal is returned as is, unless flushed. */
    T(0, fpu_max(&cpu, 32, 1, S_NEG | S_ONE), 1, 0);
    T(FZ, fpu_max(&cpu, 32, 1, S_NEG | S_ONE), 0, IDC);
}

static void test_compare(void) {
    T(0, fpu_compare(&cpu, 32, S_ONE, S_TWO, false), NZCV_N, 0);
    T(0, fpu_compare(&cpu, 32, S_TWO, S_ONE, false), NZCV_C, 0);
    T(0, fpu_compare(&cpu, 32, 0, S_NEG, false), NZCV_Z | NZCV_C, 0);
    T(0, fpu_compare(&cpu, 64, D_NEG | D_INF, D_ONE, false), NZCV_N, 0);
    /* Unordered: C and V; FCMP signals only for SNaN, FCMPE for any NaN. */
    T(0, fpu_compare(&cpu, 32, 0x7fc00000, S_ONE, false), NZCV_C | NZCV_V, 0);
    T(0, fpu_compare(&cpu, 32, 0x7fc00000, S_ONE, true), NZCV_C | NZCV_V, IOC);
    T(0, fpu_compare(&cpu, 32, S_ONE, 0x7f800001, false), NZCV_C | NZCV_V, IOC);
    T(0, fpu_cmp_eq(&cpu, 32, 0, S_NEG), 1, 0);
    T(0, fpu_cmp_eq(&cpu, 32, 0x7fc00000, 0x7fc00000), 0, 0);
    T(0, fpu_cmp_eq(&cpu, 32, 0x7f800001, 0), 0, IOC);
    T(0, fpu_cmp_ge(&cpu, 32, 0x7fc00000, 0), 0, IOC);
    T(0, fpu_cmp_ge(&cpu, 32, S_ONE, S_ONE), 1, 0);
    T(0, fpu_cmp_gt(&cpu, 32, S_ONE, S_ONE), 0, 0);
    T(0, fpu_cmp_gt(&cpu, 64, D_ONE, D_NEG | D_INF), 1, 0);
}

static void test_to_int(void) {
    /* double -> int32 saturation: 2^31 is out of range, -2^31 is not. */
    T(0, fpu_to_int(&cpu, 64, 0x41e0000000000000ull, 32, true, 0, FPU_RZ), 0x7fffffff, IOC);
    T(0, fpu_to_int(&cpu, 64, 0xc1e0000000000000ull, 32, true, 0, FPU_RZ), 0x80000000, 0);
    T(0, fpu_to_int(&cpu, 64, 0xc1e0000000200000ull, 32, true, 0, FPU_RZ), 0x80000000, IOC);
    /* 2^31 - 0.5: truncates into range, but rounds to nearest out of it. */
    T(0, fpu_to_int(&cpu, 64, 0x41dfffffffe00000ull, 32, true, 0, FPU_RZ), 0x7fffffff, IXC);
    T(0, fpu_to_int(&cpu, 64, 0x41dfffffffe00000ull, 32, true, 0, FPU_RN), 0x7fffffff, IOC);
    /* Unsigned: -0.5 truncates to 0 (inexact only), -1 saturates. */
    T(0, fpu_to_int(&cpu, 32, 0xbf000000, 32, false, 0, FPU_RZ), 0, IXC);
    T(0, fpu_to_int(&cpu, 32, 0xbf000000, 32, false, 0, FPU_RM), 0, IOC);
    T(0, fpu_to_int(&cpu, 32, S_NEG | S_ONE, 64, false, 0, FPU_RZ), 0, IOC);
    T(0, fpu_to_int(&cpu, 64, 0x41efffffffe00000ull, 32, false, 0, FPU_RZ), 0xffffffff, 0);
    T(0, fpu_to_int(&cpu, 64, 0x41f0000000000000ull, 32, false, 0, FPU_RZ), 0xffffffff, IOC);
    /* NaN -> 0 and infinities saturate, all with IOC. */
    T(0, fpu_to_int(&cpu, 32, S_DNAN, 32, true, 0, FPU_RZ), 0, IOC);
    T(0, fpu_to_int(&cpu, 32, S_INF, 64, true, 0, FPU_RZ), 0x7fffffffffffffffull, IOC);
    T(0, fpu_to_int(&cpu, 32, S_NEG | S_INF, 64, true, 0, FPU_RZ), 0x8000000000000000ull, IOC);
    T(0, fpu_to_int(&cpu, 32, S_INF, 64, false, 0, FPU_RZ), ~0ull, IOC);
    /* 64-bit limits. */
    T(0, fpu_to_int(&cpu, 64, 0x43e0000000000000ull, 64, true, 0, FPU_RZ), 0x7fffffffffffffffull,
      IOC);
    T(0, fpu_to_int(&cpu, 64, 0xc3e0000000000000ull, 64, true, 0, FPU_RZ), 0x8000000000000000ull,
      0);
    T(0, fpu_to_int(&cpu, 64, 0x43efffffffffffffull, 64, false, 0, FPU_RZ), 0xfffffffffffff800ull,
      0);
    /* 2.5 and -2.5 in each mode. */
    T(0, fpu_to_int(&cpu, 32, 0x40200000, 32, true, 0, FPU_RN), 2, IXC);
    T(0, fpu_to_int(&cpu, 32, 0x40200000, 32, true, 0, FPU_RA), 3, IXC);
    T(0, fpu_to_int(&cpu, 32, 0x40200000, 32, true, 0, FPU_RP), 3, IXC);
    T(0, fpu_to_int(&cpu, 32, 0x40200000, 32, true, 0, FPU_RM), 2, IXC);
    T(0, fpu_to_int(&cpu, 32, 0xc0200000, 32, true, 0, FPU_RA), (uint32_t)-3, IXC);
    T(0, fpu_to_int(&cpu, 32, 0xc0200000, 32, true, 0, FPU_RM), (uint32_t)-3, IXC);
    T(0, fpu_to_int(&cpu, 32, 0xc0200000, 32, true, 0, FPU_RZ), (uint32_t)-2, IXC);
    T(0, fpu_to_int(&cpu, 32, 0xc0200000, 32, true, 0, FPU_RN), (uint32_t)-2, IXC);
    /* FPU_RFPCR follows FPCR.RMode. */
    T(RP, fpu_to_int(&cpu, 32, 0x40200000, 32, true, 0, FPU_RFPCR), 3, IXC);
    /* Fixed point: 1.5 with 16 fraction bits; 2^-17 truncates to 0. */
    T(0, fpu_to_int(&cpu, 32, 0x3fc00000, 32, true, 16, FPU_RZ), 0x18000, 0);
    T(0, fpu_to_int(&cpu, 32, 0x37000000, 32, true, 16, FPU_RZ), 0, IXC);
    T(0, fpu_to_int(&cpu, 64, D_ONE, 64, false, 64, FPU_RZ), ~0ull, IOC);
    /* A flushed denormal converts exactly to 0 (IDC, not IXC). */
    T(FZ, fpu_to_int(&cpu, 32, 1, 32, true, 0, FPU_RZ), 0, IDC);
    T(0, fpu_to_int(&cpu, 32, 1, 32, true, 0, FPU_RZ), 0, IXC);
}

static void test_from_int(void) {
    /* INT32_MAX needs 31 bits: RN rounds to 2^31, RZ to 2^31 - 128. */
    T(RN, fpu_from_int(&cpu, 32, 0x7fffffff, 32, true, 0), 0x4f000000, IXC);
    T(RZ, fpu_from_int(&cpu, 32, 0x7fffffff, 32, true, 0), 0x4effffff, IXC);
    T(0, fpu_from_int(&cpu, 32, ~0ull, 64, true, 0), S_NEG | S_ONE, 0);
    T(0, fpu_from_int(&cpu, 32, 0xffffffff, 32, false, 0), 0x4f800000, IXC);
    T(0, fpu_from_int(&cpu, 32, 0x8000000000000000ull, 64, true, 0), 0xdf000000, 0);
    T(0, fpu_from_int(&cpu, 64, 0x80000000, 32, true, 0), 0xc1e0000000000000ull, 0);
    /* Upper bits beyond int_bits are ignored. */
    T(0, fpu_from_int(&cpu, 32, 0xffffffff00000001ull, 32, true, 0), S_ONE, 0);
    /* 2^24 + 1 is a tie in single precision. */
    T(RN, fpu_from_int(&cpu, 32, 0x1000001, 32, true, 0), 0x4b800000, IXC);
    T(RP, fpu_from_int(&cpu, 32, 0x1000001, 32, true, 0), 0x4b800001, IXC);
    /* Fixed point: 1 with one fraction bit is 0.5; zero is +0. */
    T(0, fpu_from_int(&cpu, 32, 1, 32, true, 1), S_HALF, 0);
    T(0, fpu_from_int(&cpu, 64, 0, 64, true, 7), 0, 0);
    T(0, fpu_from_int(&cpu, 64, 1, 64, false, 64), 0x3bf0000000000000ull, 0);
}

static void test_convert(void) {
    T(0, fpu_convert(&cpu, 64, 32, 0x3fd5555555555555ull), 0x3eaaaaab, IXC);
    T(RZ, fpu_convert(&cpu, 64, 32, 0x3fd5555555555555ull), 0x3eaaaaaa, IXC);
    T(0, fpu_convert(&cpu, 32, 64, S_ONE), D_ONE, 0);
    /* NaNs: quietened, payload's top bits kept, IOC only for SNaN. */
    T(0, fpu_convert(&cpu, 64, 32, 0x7ff0000000000001ull), S_DNAN, IOC);
    T(0, fpu_convert(&cpu, 64, 32, 0xfff8000020000000ull), 0xffc00001, 0);
    T(0, fpu_convert(&cpu, 32, 64, 0x7fc00001), 0x7ff8000020000000ull, 0);
    T(DN, fpu_convert(&cpu, 32, 64, 0xffc00001), D_DNAN, 0);
    /* Denormal single -> double: exact, or flushed under FZ. */
    T(0, fpu_convert(&cpu, 32, 64, 1), 0x36a0000000000000ull, 0);
    T(FZ, fpu_convert(&cpu, 32, 64, 1), 0, IDC);
    /* double -> single underflow with FZ: flushed, UFC only. */
    T(FZ, fpu_convert(&cpu, 64, 32, 0x3800000000000000ull), 0, UFC);
    /* Half: 65504 is the largest; 65520 ties up to overflow in RN. */
    T(0, fpu_convert(&cpu, 32, 16, 0x477fe000), 0x7bff, 0);
    T(0, fpu_convert(&cpu, 32, 16, 0x477ff000), 0x7c00, OFC | IXC);
    T(RZ, fpu_convert(&cpu, 32, 16, 0x477ff000), 0x7bff, IXC);
    T(0, fpu_convert(&cpu, 16, 32, 0x3c00), S_ONE, 0);
    T(0, fpu_convert(&cpu, 16, 64, 0xfc00), D_NEG | D_INF, 0);
    T(0, fpu_convert(&cpu, 16, 32, 0x7d00), 0x7fe00000, IOC);
    /* Half denormals are never flushed in conversions (FZ/FZ16 ignored). */
    T(FZ | FPCR_FZ16, fpu_convert(&cpu, 16, 32, 0x0001), 0x33800000, 0);
    T(FZ | FPCR_FZ16, fpu_convert(&cpu, 64, 16, 0x3e68000000000000ull), 0x0001, UFC | IXC);
    /* Alternative half precision: exponent 31 is a normal number. */
    T(AHP, fpu_convert(&cpu, 32, 16, 0x47800000), 0x7c00, 0);
    T(AHP, fpu_convert(&cpu, 16, 32, 0x7c00), 0x47800000, 0);
    T(AHP, fpu_convert(&cpu, 16, 32, 0xffff), 0xc7ffe000, 0);
    T(AHP, fpu_convert(&cpu, 32, 16, 0x48000000), 0x7fff, IOC);
    T(AHP, fpu_convert(&cpu, 32, 16, S_NEG | S_INF), 0xffff, IOC);
    T(AHP, fpu_convert(&cpu, 64, 16, 0xfff8000000000000ull), 0x8000, IOC);
    /* Round to odd: 1 + 2^-26 becomes 1 + 2^-23. */
    T(0, fpu_convert_round_odd(&cpu, 0x3ff0000004000000ull), S_ONE + 1, IXC);
    T(0, fpu_convert_round_odd(&cpu, D_ONE), S_ONE, 0);
}

static void test_round_int(void) {
    T(0, fpu_round_int(&cpu, 32, 0x40200000, FPU_RN, false), S_TWO, 0);
    T(0, fpu_round_int(&cpu, 32, 0x40200000, FPU_RA, false), 0x40400000, 0);
    T(0, fpu_round_int(&cpu, 32, 0xc0200000, FPU_RA, false), 0xc0400000, 0);
    /* A zero result keeps the operand's sign. */
    T(0, fpu_round_int(&cpu, 32, 0xbe99999a, FPU_RZ, false), S_NEG, 0);
    T(0, fpu_round_int(&cpu, 32, 0xbe99999a, FPU_RP, false), S_NEG, 0);
    T(0, fpu_round_int(&cpu, 32, 0x3e99999a, FPU_RP, false), S_ONE, 0);
    T(0, fpu_round_int(&cpu, 32, 0x3e99999a, FPU_RM, false), 0, 0);
    /* FRINTX raises IXC when inexact; FRINTI does not. */
    T(RN, fpu_round_int(&cpu, 32, 0x40200000, FPU_RFPCR, true), S_TWO, IXC);
    T(RP, fpu_round_int(&cpu, 32, 0x40200000, FPU_RFPCR, false), 0x40400000, 0);
    /* 2^51 + 0.5 ties to the even 2^51. */
    T(0, fpu_round_int(&cpu, 64, 0x4320000000000001ull, FPU_RN, true), 0x4320000000000000ull, IXC);
    T(0, fpu_round_int(&cpu, 64, 0x7ff0000000000001ull, FPU_RN, true), 0x7ff8000000000001ull, IOC);
}

static void test_estimates(void) {
    /* FRECPE(1.0): RecipEstimate(256) = 511, exponent 253 - 127: 0.998046875. */
    T(0, fpu_recpe(&cpu, 32, S_ONE), 0x3f7f8000, 0);
    T(0, fpu_recpe(&cpu, 32, 0), S_INF, DZC);
    T(0, fpu_recpe(&cpu, 32, S_NEG | S_INF), S_NEG, 0);
    /* 2^-130 is below 2^-128: the reciprocal overflows. */
    T(0, fpu_recpe(&cpu, 32, 0x00080000), S_INF, OFC | IXC);
    T(RZ, fpu_recpe(&cpu, 32, 0x00080000), S_MAX, OFC | IXC);
    /* FZ and a large operand: the tiny reciprocal is flushed. */
    T(FZ, fpu_recpe(&cpu, 32, 0x7f000000), 0, UFC);
    /* FRSQRTE(1.0) and (4.0): RecipSqrtEstimate(128) = 511. */
    T(0, fpu_rsqrte(&cpu, 32, S_ONE), 0x3f7f8000, 0);
    T(0, fpu_rsqrte(&cpu, 32, 0x40800000), 0x3eff8000, 0);
    T(0, fpu_rsqrte(&cpu, 32, S_NEG | S_ONE), S_DNAN, IOC);
    T(0, fpu_rsqrte(&cpu, 64, D_NEG), D_NEG | D_INF, DZC);
    /* FRECPX: exponent inverted, fraction cleared; zero gets max_exp - 1. */
    T(0, fpu_recpx(&cpu, 32, S_ONE), S_TWO, 0);
    T(0, fpu_recpx(&cpu, 32, 0x80000000), 0xff000000, 0);
    T(0, fpu_recpx(&cpu, 64, D_ONE), 0x4000000000000000ull, 0);
    CU_ASSERT_EQUAL(fpu_urecpe(0x80000000), 0xff800000);
    CU_ASSERT_EQUAL(fpu_urecpe(0x7fffffff), 0xffffffff);
    CU_ASSERT_EQUAL(fpu_ursqrte(0x40000000), 0xff800000);
    CU_ASSERT_EQUAL(fpu_ursqrte(0x3fffffff), 0xffffffff);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("fpu", NULL, NULL);
    CU_add_test(s, "rounding_modes", test_rounding_modes);
    CU_add_test(s, "zero_signs", test_zero_signs);
    CU_add_test(s, "overflow", test_overflow);
    CU_add_test(s, "denormals", test_denormals);
    CU_add_test(s, "flush_to_zero", test_flush_to_zero);
    CU_add_test(s, "nan_propagation", test_nan_propagation);
    CU_add_test(s, "fused_multiply_add", test_fused_multiply_add);
    CU_add_test(s, "min_max", test_min_max);
    CU_add_test(s, "compare", test_compare);
    CU_add_test(s, "to_int", test_to_int);
    CU_add_test(s, "from_int", test_from_int);
    CU_add_test(s, "convert", test_convert);
    CU_add_test(s, "round_int", test_round_int);
    CU_add_test(s, "estimates", test_estimates);
}

/* Scalar FP instructions end to end (decode, IR, interpreter, dbt/fp).
 * Encodings come from binutils (aarch64-linux-gnu-as), shown next to each;
 * expected values follow from the Arm ARM. */
#include <CUnit/CUnit.h>
#include <signal.h>
#include <string.h>

#include "dbt/a64/a64.h"
#include "tests/unit/harness.h"

static struct harness *h;

static void set_v(unsigned r, uint64_t lo, uint64_t hi) {
    h->cpu.v[r].d[0] = lo;
    h->cpu.v[r].d[1] = hi;
}

/* Runs one instruction on fresh flags; registers keep what the test set. */
static int run1(uint32_t insn, uint32_t fpcr) {
    h->cpu.fpcr = fpcr;
    h->cpu.fpsr = 0;
    return harness_run(h, &insn, 1);
}

#define GARBAGE 0xdeadbeefcafef00dull

static void test_arith(void) {
    /* fadd s0, s1, s2: 1.5 + 2.25 = 3.75; the rest of v0 is zeroed and the
     * upper bits of the sources are ignored. */
    set_v(0, GARBAGE, GARBAGE);
    set_v(1, 0xffffffff3fc00000ull, GARBAGE);
    set_v(2, 0x1234567840100000ull, GARBAGE);
    CU_ASSERT_EQUAL(run1(0x1e222820, 0), CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0x40700000);
    CU_ASSERT_EQUAL(h->cpu.v[0].d[1], 0);
    CU_ASSERT_EQUAL(h->cpu.fpsr, 0);

    /* fadd d0, d1, d2 */
    set_v(1, 0x3ff8000000000000ull, GARBAGE);
    set_v(2, 0x4002000000000000ull, GARBAGE);
    run1(0x1e622820, 0);
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0x400e000000000000ull);

    /* fsub d0, d1, d2 = 1.5 - 2.25 = -0.75 */
    run1(0x1e623820, 0);
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0xbfe8000000000000ull);

    /* fdiv s0, s1, s2: 1 / 0 = inf with DZC. */
    set_v(1, 0x3f800000, 0);
    set_v(2, 0, 0);
    run1(0x1e221820, 0);
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0x7f800000);
    CU_ASSERT_EQUAL(h->cpu.fpsr, FPSR_DZC);

    /* fmul s0, s1, s2 rounding: (1 + 2^-23)^2 = 1 + 2^-22 + 2^-46 -> RP rounds up. */
    set_v(1, 0x3f800001, 0);
    set_v(2, 0x3f800001, 0);
    run1(0x1e220820, 1u << FPCR_RMODE_SHIFT);
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0x3f800003);
    CU_ASSERT_EQUAL(h->cpu.fpsr, FPSR_IXC);
    run1(0x1e220820, 0);
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0x3f800002);

    /* fnmul s0, s1, s2: -(2 * 3); a NaN result has its sign flipped too. */
    set_v(1, 0x40000000, 0);
    set_v(2, 0x40400000, 0);
    run1(0x1e228820, 0);
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0xc0c00000);
    set_v(1, 0x7fc00001, 0);
    run1(0x1e228820, 0);
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0xffc00001);

    /* fmax s0, s1, s2 / fmaxnm s0, s1, s2 with a quiet NaN in s1. */
    run1(0x1e224820, 0);
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0x7fc00001);
    run1(0x1e226820, 0);
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0x40400000);

    /* fmin d0, d1, d2 / fminnm of -0 and +0 is -0. */
    set_v(1, 0, 0);
    set_v(2, 0x8000000000000000ull, 0);
    run1(0x1e625820, 0);
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0x8000000000000000ull);
    run1(0x1e627820, 0);
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0x8000000000000000ull);

    /* fsqrt d0, d1: sqrt(2.25) = 1.5; sqrt(-1) invalid. */
    set_v(1, 0x4002000000000000ull, 0);
    run1(0x1e61c020, 0);
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0x3ff8000000000000ull);
    set_v(1, 0xbff0000000000000ull, 0);
    run1(0x1e61c020, 0);
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0x7ff8000000000000ull);
    CU_ASSERT_EQUAL(h->cpu.fpsr, FPSR_IOC);
}

static void test_fused(void) {
    /* n = 2, m = 3, a = 10 */
    set_v(1, 0x4000000000000000ull, GARBAGE);
    set_v(2, 0x4008000000000000ull, GARBAGE);
    set_v(3, 0x4024000000000000ull, GARBAGE);
    run1(0x1f420c20, 0); /* fmadd d0, d1, d2, d3 = a + n*m = 16 */
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0x4030000000000000ull);
    CU_ASSERT_EQUAL(h->cpu.v[0].d[1], 0);
    run1(0x1f428c20, 0); /* fmsub: a - n*m = 4 */
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0x4010000000000000ull);
    run1(0x1f620c20, 0); /* fnmadd: -a - n*m = -16 */
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0xc030000000000000ull);
    run1(0x1f628c20, 0); /* fnmsub: -a + n*m = -4 */
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0xc010000000000000ull);
    /* The negations happen before NaN propagation: FNMADD flips a NaN addend. */
    set_v(3, 0x7ff8000000000001ull, 0);
    run1(0x1f620c20, 0);
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0xfff8000000000001ull);
    /* FMSUB flips n: with n a NaN, the NaN comes out negated. */
    set_v(1, 0x7ff8000000000002ull, 0);
    set_v(3, 0x4024000000000000ull, 0);
    run1(0x1f428c20, 0);
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0xfff8000000000002ull);
}

static void test_moves(void) {
    set_v(0, GARBAGE, GARBAGE);
    run1(0x1e2f1000, 0); /* fmov s0, #1.5 */
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0x3fc00000);
    CU_ASSERT_EQUAL(h->cpu.v[0].d[1], 0);
    run1(0x1e781000, 0); /* fmov d0, #-0.125 */
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0xbfc0000000000000ull);

    set_v(1, 0x1122334455667788ull, 0x99aabbccddeeff00ull);
    h->cpu.x[0] = GARBAGE;
    run1(0x1e260020, 0); /* fmov w0, s1 */
    CU_ASSERT_EQUAL(h->cpu.x[0], 0x55667788);
    run1(0x9e660020, 0); /* fmov x0, d1 */
    CU_ASSERT_EQUAL(h->cpu.x[0], 0x1122334455667788ull);
    run1(0x9eae0020, 0); /* fmov x0, v1.d[1] */
    CU_ASSERT_EQUAL(h->cpu.x[0], 0x99aabbccddeeff00ull);

    h->cpu.x[1] = 0x0123456789abcdefull;
    set_v(0, GARBAGE, GARBAGE);
    run1(0x1e270020, 0); /* fmov s0, w1 */
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0x89abcdef);
    CU_ASSERT_EQUAL(h->cpu.v[0].d[1], 0);
    set_v(0, GARBAGE, GARBAGE);
    run1(0x9e670020, 0); /* fmov d0, x1 */
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0x0123456789abcdefull);
    CU_ASSERT_EQUAL(h->cpu.v[0].d[1], 0);
    set_v(0, GARBAGE, 0);
    run1(0x9eaf0020, 0); /* fmov v0.d[1], x1: the low half stays */
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], GARBAGE);
    CU_ASSERT_EQUAL(h->cpu.v[0].d[1], 0x0123456789abcdefull);

    /* fmov s0, s1 / fmov d0, d1 copy the element and zero the rest. */
    set_v(1, 0x1122334455667788ull, GARBAGE);
    set_v(0, GARBAGE, GARBAGE);
    run1(0x1e204020, 0);
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0x55667788);
    CU_ASSERT_EQUAL(h->cpu.v[0].d[1], 0);
    run1(0x1e604020, 0);
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0x1122334455667788ull);

    /* fabs/fneg only touch the sign, even of a signalling NaN: no IOC. */
    set_v(1, 0xffffffffff800001ull, GARBAGE);
    run1(0x1e20c020, 0); /* fabs s0, s1 */
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0x7f800001);
    CU_ASSERT_EQUAL(h->cpu.fpsr, 0);
    run1(0x1e214020, 0); /* fneg s0, s1 */
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0x7f800001);
    CU_ASSERT_EQUAL(h->cpu.v[0].d[1], 0);
    set_v(1, 0x3ff0000000000000ull, GARBAGE);
    run1(0x1e614020, 0); /* fneg d0, d1 */
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0xbff0000000000000ull);
}

static void test_precision_and_rounding(void) {
    /* fcvt s0, d1: 1/3 rounds to nearest. */
    set_v(1, 0x3fd5555555555555ull, GARBAGE);
    run1(0x1e624020, 0);
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0x3eaaaaab);
    CU_ASSERT_EQUAL(h->cpu.fpsr, FPSR_IXC);
    /* fcvt h0, s1: 1.0 -> 0x3c00; with AHP 65536 is representable. */
    set_v(1, 0x3f800000, GARBAGE);
    run1(0x1e23c020, 0);
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0x3c00);
    CU_ASSERT_EQUAL(h->cpu.v[0].d[1], 0);
    set_v(1, 0x47800000, 0);
    run1(0x1e23c020, 0);
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0x7c00);
    CU_ASSERT_EQUAL(h->cpu.fpsr, FPSR_OFC | FPSR_IXC);
    run1(0x1e23c020, FPCR_AHP);
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0x7c00);
    CU_ASSERT_EQUAL(h->cpu.fpsr, 0);
    /* fcvt d0, h1: half 1.5 */
    set_v(1, 0xffffffffffff3e00ull, 0);
    run1(0x1ee2c020, 0);
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0x3ff8000000000000ull);

    /* frinta s0, s1: 2.5 -> 3; frintx d0, d1 under RP: 2.5 -> 3 with IXC. */
    set_v(1, 0x40200000, 0);
    run1(0x1e264020, 0);
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0x40400000);
    CU_ASSERT_EQUAL(h->cpu.fpsr, 0);
    run1(0x1e24c020, 0); /* frintp s0, s1 */
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0x40400000);
    run1(0x1e25c020, 0); /* frintz s0, s1 */
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0x40000000);
    set_v(1, 0x4004000000000000ull, 0);
    run1(0x1e674020, 1u << FPCR_RMODE_SHIFT);
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0x4008000000000000ull);
    CU_ASSERT_EQUAL(h->cpu.fpsr, FPSR_IXC);
    run1(0x1e67c020, 2u << FPCR_RMODE_SHIFT); /* frinti d0, d1 under RM */
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0x4000000000000000ull);
    CU_ASSERT_EQUAL(h->cpu.fpsr, 0);
    run1(0x1e644020, 0); /* frintn d0, d1 */
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0x4000000000000000ull);
    set_v(1, 0xc004000000000000ull, 0);
    run1(0x1e654020, 0); /* frintm d0, d1: -2.5 -> -3 */
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0xc008000000000000ull);
}

static void test_compare_select(void) {
    set_v(1, 0x3f800000, 0);
    set_v(2, 0x40000000, 0);
    h->cpu.nzcv = NZCV_Z | NZCV_C;
    run1(0x1e222020, 0); /* fcmp s1, s2: 1 < 2 */
    CU_ASSERT_EQUAL(h->cpu.nzcv, NZCV_N);
    set_v(1, 0x8000000000000000ull, 0);
    run1(0x1e602028, 0); /* fcmp d1, #0.0: -0 == 0 */
    CU_ASSERT_EQUAL(h->cpu.nzcv, NZCV_Z | NZCV_C);
    set_v(1, 0x7ff8000000000000ull, 0);
    run1(0x1e602028, 0); /* unordered, quiet: no IOC */
    CU_ASSERT_EQUAL(h->cpu.nzcv, NZCV_C | NZCV_V);
    CU_ASSERT_EQUAL(h->cpu.fpsr, 0);
    run1(0x1e602038, 0); /* fcmpe d1, #0.0: IOC */
    CU_ASSERT_EQUAL(h->cpu.nzcv, NZCV_C | NZCV_V);
    CU_ASSERT_EQUAL(h->cpu.fpsr, FPSR_IOC);

    /* fccmp s1, s2, #3, eq: compares when Z is set, else NZCV = 0011. */
    set_v(1, 0x40000000, 0);
    set_v(2, 0x3f800000, 0);
    h->cpu.nzcv = NZCV_Z;
    run1(0x1e220423, 0);
    CU_ASSERT_EQUAL(h->cpu.nzcv, NZCV_C);
    h->cpu.nzcv = 0;
    run1(0x1e220423, 0);
    CU_ASSERT_EQUAL(h->cpu.nzcv, NZCV_C | NZCV_V);
    /* fccmpe with a NaN: IOC only when the comparison happens. */
    set_v(1, 0x7fc00000, 0);
    h->cpu.nzcv = 0;
    run1(0x1e220433, 0);
    CU_ASSERT_EQUAL(h->cpu.fpsr, 0);
    h->cpu.nzcv = NZCV_Z;
    run1(0x1e220433, 0);
    CU_ASSERT_EQUAL(h->cpu.nzcv, NZCV_C | NZCV_V);
    CU_ASSERT_EQUAL(h->cpu.fpsr, FPSR_IOC);

    /* fcsel d0, d1, d2, eq */
    set_v(1, 0x1111111111111111ull, GARBAGE);
    set_v(2, 0x2222222222222222ull, GARBAGE);
    h->cpu.nzcv = NZCV_Z;
    run1(0x1e620c20, 0);
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0x1111111111111111ull);
    CU_ASSERT_EQUAL(h->cpu.v[0].d[1], 0);
    h->cpu.nzcv = 0;
    run1(0x1e620c20, 0);
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0x2222222222222222ull);
}

static void test_int_conversions(void) {
    /* fcvtzs w0, d1: 2^31 saturates with IOC; the X register is zero-extended. */
    set_v(1, 0x41e0000000000000ull, 0);
    h->cpu.x[0] = GARBAGE;
    run1(0x1e780020, 0);
    CU_ASSERT_EQUAL(h->cpu.x[0], 0x7fffffff);
    CU_ASSERT_EQUAL(h->cpu.fpsr, FPSR_IOC);
    set_v(1, 0xc004000000000000ull, 0); /* -2.5 */
    run1(0x1e780020, 0);
    CU_ASSERT_EQUAL(h->cpu.x[0], 0xfffffffe);
    CU_ASSERT_EQUAL(h->cpu.fpsr, FPSR_IXC);
    run1(0x9e700020, 0); /* fcvtms x0, d1 = -3 */
    CU_ASSERT_EQUAL(h->cpu.x[0], (uint64_t)-3);
    run1(0x1e600020, 0); /* fcvtns w0, d1 = -2 */
    CU_ASSERT_EQUAL(h->cpu.x[0], 0xfffffffe);
    run1(0x1e690020, 0); /* fcvtpu w0, d1: negative -> 0, IOC */
    CU_ASSERT_EQUAL(h->cpu.x[0], 0);
    CU_ASSERT_EQUAL(h->cpu.fpsr, FPSR_IOC);
    run1(0x9e650020, 0); /* fcvtau x0, d1: rounds to -3: saturates to 0 */
    CU_ASSERT_EQUAL(h->cpu.x[0], 0);
    CU_ASSERT_EQUAL(h->cpu.fpsr, FPSR_IOC);

    set_v(1, 0x40200000, 0); /* 2.5f */
    run1(0x1e240020, 0);     /* fcvtas w0, s1 = 3 */
    CU_ASSERT_EQUAL(h->cpu.x[0], 3);
    run1(0x9e280020, 0); /* fcvtps x0, s1 = 3 */
    CU_ASSERT_EQUAL(h->cpu.x[0], 3);
    run1(0x9e390020, 0); /* fcvtzu x0, s1 = 2 */
    CU_ASSERT_EQUAL(h->cpu.x[0], 2);
    run1(0x1e210020, 0); /* fcvtnu w0, s1 = 2 */
    CU_ASSERT_EQUAL(h->cpu.x[0], 2);
    run1(0x9e310020, 0); /* fcvtmu x0, s1 = 2 */
    CU_ASSERT_EQUAL(h->cpu.x[0], 2);
    run1(0x1e18c020, 0); /* fcvtzs w0, s1, #16 = 2.5 * 65536 */
    CU_ASSERT_EQUAL(h->cpu.x[0], 0x28000);
    CU_ASSERT_EQUAL(h->cpu.fpsr, 0);
    set_v(1, 0x3ff0000000000000ull, 0);
    run1(0x1e598020, 0); /* fcvtzu w0, d1, #32: 2^32 saturates */
    CU_ASSERT_EQUAL(h->cpu.x[0], 0xffffffff);
    CU_ASSERT_EQUAL(h->cpu.fpsr, FPSR_IOC);

    /* scvtf s0, w1 reads only w1; ucvtf s0, w1 reads it unsigned. */
    h->cpu.x[1] = 0x12345678ffffffffull;
    set_v(0, GARBAGE, GARBAGE);
    run1(0x1e220020, 0);
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0xbf800000);
    CU_ASSERT_EQUAL(h->cpu.v[0].d[1], 0);
    run1(0x1e230020, 0);
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0x4f800000);
    CU_ASSERT_EQUAL(h->cpu.fpsr, FPSR_IXC);
    /* ucvtf d0, x1: all 64 bits */
    h->cpu.x[1] = 0x8000000000000000ull;
    run1(0x9e630020, 0);
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0x43e0000000000000ull);
    /* scvtf d0, x1, #60: 2^62 / 2^60 = 4 */
    h->cpu.x[1] = 1ull << 62;
    run1(0x9e421020, 0);
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0x4010000000000000ull);
    /* ucvtf s0, x1, #1: 3 / 2 = 1.5 */
    h->cpu.x[1] = 3;
    run1(0x9e03fc20, 0);
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0x3fc00000);
}

/* Encodings that ARMv8.0 does not allocate (or that need FEAT_FP16). */
static void test_unallocated(void) {
    static const uint32_t sigill[] = {
        0x1ee22820, /* fadd h0, h1, h2 (FEAT_FP16) */
        0x1e224020, /* fcvt with opc == ftype (s0 <- s1) */
        0x1e234020, /* fcvt with opc 10 */
        0x1e187c20, /* fcvtzs w0, s1, #33: scale < 32 with sf = 0 */
        0x1e660020, /* fmov w0, d1 */
        0x1e7e0020, /* fjcvtzs w0, d1 (ARMv8.3) */
        0x1ea22820, /* fadd with ftype 10 */
        0x1e229820, /* 2-source opcode 1001 */
        0x1e22a020, /* fcmp with op (bits 15:14) 10 */
        0x1e222021, /* fcmp with opcode2<2:0> != 0 */
        0x1e26c020, /* 1-source opcode 001101 (between FRINTA and FRINTX) */
        0x1e284020, /* frint32z s0, s1 (ARMv8.5) */
    };
    for (size_t i = 0; i < sizeof sigill / sizeof sigill[0]; i++) {
        set_v(0, GARBAGE, GARBAGE);
        h->cpu.x[0] = GARBAGE;
        CU_ASSERT_EQUAL(run1(sigill[i], 0), CPU_EXIT_SIGNAL);
        CU_ASSERT_EQUAL(h->cpu.exit_signo, SIGILL);
        CU_ASSERT_EQUAL(h->cpu.pc, HARNESS_CODE);
        CU_ASSERT_EQUAL(h->cpu.v[0].d[0], GARBAGE);
        CU_ASSERT_EQUAL(h->cpu.x[0], GARBAGE);
    }
}

/* Each encoding reaches the intended row, not a row of another family. */
static void test_decode_rows(void) {
    static const struct {
        uint32_t insn;
        const char *row;
    } rows[] = {
        {0x1e222820, "FADD"},        {0x1e623820, "FSUB"},         {0x1e220820, "FMUL"},
        {0x1e221820, "FDIV"},        {0x1e224820, "FMAX"},         {0x1e625820, "FMIN"},
        {0x1e226820, "FMAXNM"},      {0x1e627820, "FMINNM"},       {0x1e228820, "FNMUL"},
        {0x1f420c20, "FMADD"},       {0x1f428c20, "FMSUB"},        {0x1f620c20, "FNMADD"},
        {0x1f628c20, "FNMSUB"},      {0x1e204020, "FMOV_reg"},     {0x1e20c020, "FABS"},
        {0x1e214020, "FNEG"},        {0x1e61c020, "FSQRT"},        {0x1e624020, "FCVT"},
        {0x1ee2c020, "FCVT"},        {0x1e644020, "FRINTN"},       {0x1e24c020, "FRINTP"},
        {0x1e654020, "FRINTM"},      {0x1e25c020, "FRINTZ"},       {0x1e264020, "FRINTA"},
        {0x1e674020, "FRINTX"},      {0x1e67c020, "FRINTI"},       {0x1e222020, "FCMP"},
        {0x1e602028, "FCMP_zero"},   {0x1e222030, "FCMPE"},        {0x1e602038, "FCMPE_zero"},
        {0x1e220423, "FCCMP"},       {0x1e220433, "FCCMPE"},       {0x1e620c20, "FCSEL"},
        {0x1e2f1000, "FMOV_imm"},    {0x1e780020, "FCVTZS"},       {0x9e390020, "FCVTZU"},
        {0x1e240020, "FCVTAS"},      {0x9e650020, "FCVTAU"},       {0x9e700020, "FCVTMS"},
        {0x9e310020, "FCVTMU"},      {0x1e600020, "FCVTNS"},       {0x1e210020, "FCVTNU"},
        {0x9e280020, "FCVTPS"},      {0x1e690020, "FCVTPU"},       {0x1e220020, "SCVTF"},
        {0x9e630020, "UCVTF"},       {0x1e260020, "FMOV_w_s"},     {0x1e270020, "FMOV_s_w"},
        {0x9e660020, "FMOV_x_d"},    {0x9e670020, "FMOV_d_x"},     {0x9eae0020, "FMOV_x_v1"},
        {0x9eaf0020, "FMOV_v1_x"},   {0x1e18c020, "FCVTZS_fixed"}, {0x1e598020, "FCVTZU_fixed"},
        {0x9e421020, "SCVTF_fixed"}, {0x9e03fc20, "UCVTF_fixed"},
    };
    a64_decoder_init();
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const struct a64_row *r = a64_decode(rows[i].insn);
        CU_ASSERT_PTR_NOT_NULL(r);
        if (r) CU_ASSERT_STRING_EQUAL(r->name, rows[i].row);
    }
}

static int suite_init(void) {
    h = harness_new();
    return h ? 0 : 1;
}

static int suite_clean(void) {
    harness_free(h);
    return 0;
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("a64_fp", suite_init, suite_clean);
    CU_add_test(s, "arith", test_arith);
    CU_add_test(s, "fused", test_fused);
    CU_add_test(s, "moves", test_moves);
    CU_add_test(s, "precision_and_rounding", test_precision_and_rounding);
    CU_add_test(s, "compare_select", test_compare_select);
    CU_add_test(s, "int_conversions", test_int_conversions);
    CU_add_test(s, "unallocated", test_unallocated);
    CU_add_test(s, "decode_rows", test_decode_rows);
}

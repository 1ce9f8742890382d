/* Loads and stores of general and SIMD&FP registers: every addressing
 * mode, writeback, sign extension, pairs, literals, prefetch, unallocated
 * encodings and faults. Expected values follow the Arm ARM: a load reads
 * little-endian bytes of guest memory, which the tests set up. Encodings
 * come from aarch64-linux-gnu-as (assembly beside each word). */
#include <CUnit/CUnit.h>
#include <signal.h>

#include "tests/unit/a64_mem_util.h"

#define B       (HARNESS_DATA + 0x1000) /* base address with room on both sides */
#define GARBAGE 0xdeadbeefcafef00dull

static struct harness *setup(void) {
    struct harness *h = harness_new();
    mem_fill(h, HARNESS_DATA, 0x10000, 0x31);
    for (unsigned r = 0; r < 31; r++)
        h->cpu.x[r] = GARBAGE;
    return h;
}

static void test_uimm_load(void) {
    struct harness *h = setup();
    h->cpu.x[1] = B;
    int e = RUN(h, 0xf9400420u, /* ldr x0, [x1, #8] */
                0xb9400422u,    /* ldr w2, [x1, #4] */
                0x79400c23u,    /* ldrh w3, [x1, #6] */
                0x39400c24u,    /* ldrb w4, [x1, #3] */
                0xf97ffc25u,    /* ldr x5, [x1, #32760] */
                0x797ffc26u,    /* ldrh w6, [x1, #8190] */
                0xb9400027u,    /* ldr w7, [x1] */
                0x397ffc28u);   /* ldrb w8, [x1, #4095] */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(h->cpu.x[0], mem_rd(h, B + 8, 8));
    CU_ASSERT_EQUAL(h->cpu.x[2], mem_rd(h, B + 4, 4)); /* upper 32 bits cleared */
    CU_ASSERT_EQUAL(h->cpu.x[3], mem_rd(h, B + 6, 2));
    CU_ASSERT_EQUAL(h->cpu.x[4], mem_rd(h, B + 3, 1));
    CU_ASSERT_EQUAL(h->cpu.x[5], mem_rd(h, B + 32760, 8));
    CU_ASSERT_EQUAL(h->cpu.x[6], mem_rd(h, B + 8190, 2));
    CU_ASSERT_EQUAL(h->cpu.x[7], mem_rd(h, B, 4));
    CU_ASSERT_EQUAL(h->cpu.x[8], mem_rd(h, B + 4095, 1));
    CU_ASSERT_EQUAL(h->cpu.x[1], B);
    harness_free(h);
}

static void test_uimm_store(void) {
    struct harness *h = setup();
    memset(harness_mem(h, B), 0xaa, 64);
    memset(harness_mem(h, HARNESS_DATA), 0xaa, 16);
    h->cpu.x[1] = B;
    h->cpu.x[0] = 0x0102030405060708ull;
    h->cpu.x[2] = 0x1111111122334455ull;
    h->cpu.x[3] = 0x2222222222226677ull;
    h->cpu.x[4] = 0x33333333333333f9ull;
    h->cpu.x[5] = 0x5555666677778888ull;
    h->cpu.x[31] = HARNESS_DATA; /* SP */
    int e = RUN(h, 0xf9000820u,  /* str x0, [x1, #16] */
                0xb9000422u,     /* str w2, [x1, #4] */
                0x79000423u,     /* strh w3, [x1, #2] */
                0x39000424u,     /* strb w4, [x1, #1] */
                0xf9000c3fu,     /* str xzr, [x1, #24] */
                0xf90007e5u);    /* str x5, [sp, #8] */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(mem_rd(h, B, 8), 0x223344556677f9aaull);
    CU_ASSERT_EQUAL(mem_rd(h, B + 8, 8), 0xaaaaaaaaaaaaaaaaull);
    CU_ASSERT_EQUAL(mem_rd(h, B + 16, 8), 0x0102030405060708ull);
    CU_ASSERT_EQUAL(mem_rd(h, B + 24, 8), 0);
    CU_ASSERT_EQUAL(mem_rd(h, B + 32, 8), 0xaaaaaaaaaaaaaaaaull);
    CU_ASSERT_EQUAL(mem_rd(h, HARNESS_DATA, 8), 0xaaaaaaaaaaaaaaaaull);
    CU_ASSERT_EQUAL(mem_rd(h, HARNESS_DATA + 8, 8), 0x5555666677778888ull);
    harness_free(h);
}

static void test_sign_extend(void) {
    struct harness *h = setup();
    h->cpu.x[1] = B;
    h->cpu.x[10] = 1;
    mem_wr(h, B - 1, 0x7f, 1);
    mem_wr(h, B, 0x80017f80, 4); /* bytes 80 7f 01 80 */
    mem_wr(h, B + 4, 0x80000002, 4);
    mem_wr(h, B + 8, 0x7fffffff, 4);
    int e = RUN(h, 0x39800020u, /* ldrsb x0, [x1] */
                0x39c00022u,    /* ldrsb w2, [x1] */
                0x39800423u,    /* ldrsb x3, [x1, #1] */
                0x79800424u,    /* ldrsh x4, [x1, #2] */
                0x79c00425u,    /* ldrsh w5, [x1, #2] */
                0xb9800426u,    /* ldrsw x6, [x1, #4] */
                0xb9800827u,    /* ldrsw x7, [x1, #8] */
                0x38dff028u,    /* ldursb w8, [x1, #-1] */
                0x78ea7829u,    /* ldrsh w9, [x1, x10, lsl #1] */
                0x39c0042bu);   /* ldrsb w11, [x1, #1] */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(h->cpu.x[0], 0xffffffffffffff80ull);
    CU_ASSERT_EQUAL(h->cpu.x[2], 0xffffff80ull); /* W destination: zero above bit 31 */
    CU_ASSERT_EQUAL(h->cpu.x[3], 0x7f);
    CU_ASSERT_EQUAL(h->cpu.x[4], 0xffffffffffff8001ull);
    CU_ASSERT_EQUAL(h->cpu.x[5], 0xffff8001ull);
    CU_ASSERT_EQUAL(h->cpu.x[6], 0xffffffff80000002ull);
    CU_ASSERT_EQUAL(h->cpu.x[7], 0x7fffffff);
    CU_ASSERT_EQUAL(h->cpu.x[8], 0x7f);
    CU_ASSERT_EQUAL(h->cpu.x[9], 0xffff8001ull);
    CU_ASSERT_EQUAL(h->cpu.x[11], 0x7f);
    harness_free(h);
}

static void test_pre_post_index(void) {
    struct harness *h = setup();
    h->cpu.x[1] = B;
    h->cpu.x[3] = B + 64;
    h->cpu.x[4] = 0x99999999abcdef01ull;
    h->cpu.x[5] = B + 128;
    h->cpu.x[6] = 0x5a;
    h->cpu.x[7] = B + 200;
    h->cpu.x[9] = B + 300;
    h->cpu.x[11] = B + 400;
    h->cpu.x[12] = 0x1234;
    h->cpu.x[31] = B + 1024;
    uint64_t want0 = mem_rd(h, B + 16, 8), want2 = mem_rd(h, B + 64, 8);
    uint64_t want8 = sext_bits(mem_rd(h, B + 555, 2), 16), want10 = mem_rd(h, B + 400, 1);
    int e = RUN(h, 0xf8410c20u, /* ldr x0, [x1, #16]! */
                0xf85f8462u,    /* ldr x2, [x3], #-8 */
                0xb81fcca4u,    /* str w4, [x5, #-4]! */
                0x380014e6u,    /* strb w6, [x7], #1 */
                0x788ffd28u,    /* ldrsh x8, [x9, #255]! */
                0x3850056au,    /* ldrb w10, [x11], #-256 */
                0xf81f0fecu);   /* str x12, [sp, #-16]! */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(h->cpu.x[0], want0);
    CU_ASSERT_EQUAL(h->cpu.x[1], B + 16);
    CU_ASSERT_EQUAL(h->cpu.x[2], want2);
    CU_ASSERT_EQUAL(h->cpu.x[3], B + 56);
    CU_ASSERT_EQUAL(mem_rd(h, B + 124, 4), 0xabcdef01u);
    CU_ASSERT_EQUAL(h->cpu.x[5], B + 124);
    CU_ASSERT_EQUAL(mem_rd(h, B + 200, 1), 0x5a);
    CU_ASSERT_EQUAL(h->cpu.x[7], B + 201);
    CU_ASSERT_EQUAL(h->cpu.x[8], want8);
    CU_ASSERT_EQUAL(h->cpu.x[9], B + 555);
    CU_ASSERT_EQUAL(h->cpu.x[10], want10);
    CU_ASSERT_EQUAL(h->cpu.x[11], B + 144);
    CU_ASSERT_EQUAL(h->cpu.x[31], B + 1008);
    CU_ASSERT_EQUAL(mem_rd(h, B + 1008, 8), 0x1234);
    harness_free(h);
}

static void test_unscaled(void) {
    struct harness *h = setup();
    h->cpu.x[1] = B;
    h->cpu.x[2] = 0xffffffff10203040ull;
    h->cpu.x[5] = 0xbeef;
    h->cpu.x[6] = 0x11;
    uint64_t want0 = mem_rd(h, B - 3, 8), want3 = mem_rd(h, B + 1, 2);
    uint64_t want4 = sext_bits(mem_rd(h, B - 256, 4), 32);
    uint64_t want7 = sext_bits(mem_rd(h, B + 5, 2), 16);
    int e = RUN(h, 0xf85fd020u, /* ldur x0, [x1, #-3] */
                0xb80ff022u,    /* stur w2, [x1, #255] */
                0x78401023u,    /* ldurh w3, [x1, #1] */
                0xb8900024u,    /* ldursw x4, [x1, #-256] */
                0x781fe025u,    /* sturh w5, [x1, #-2] */
                0x38007026u,    /* sturb w6, [x1, #7] */
                0x78805027u);   /* ldursh x7, [x1, #5] */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(h->cpu.x[0], want0);
    CU_ASSERT_EQUAL(mem_rd(h, B + 255, 4), 0x10203040u);
    CU_ASSERT_EQUAL(h->cpu.x[3], want3);
    CU_ASSERT_EQUAL(h->cpu.x[4], want4);
    CU_ASSERT_EQUAL(mem_rd(h, B - 2, 2), 0xbeef);
    CU_ASSERT_EQUAL(mem_rd(h, B + 7, 1), 0x11);
    CU_ASSERT_EQUAL(h->cpu.x[7], want7);
    CU_ASSERT_EQUAL(h->cpu.x[1], B);
    harness_free(h);
}

static void test_unprivileged(void) {
    struct harness *h = setup();
    h->cpu.x[1] = B;
    h->cpu.x[2] = 0x77;
    h->cpu.x[5] = 0x0123456789abcdefull;
    h->cpu.x[7] = 0xfeed;
    uint64_t want0 = mem_rd(h, B + 8, 8), want3 = sext_bits(mem_rd(h, B + 4, 4), 32);
    uint64_t want4 = sext_bits(mem_rd(h, B + 2, 2), 16) & 0xffffffffu;
    uint64_t want6 = mem_rd(h, B - 256, 1), want8 = mem_rd(h, B, 4);
    int e = RUN(h, 0xf8408820u, /* ldtr x0, [x1, #8] */
                0x381ff822u,    /* sttrb w2, [x1, #-1] */
                0xb8804823u,    /* ldtrsw x3, [x1, #4] */
                0x78c02824u,    /* ldtrsh w4, [x1, #2] */
                0xf80ff825u,    /* sttr x5, [x1, #255] */
                0x38500826u,    /* ldtrb w6, [x1, #-256] */
                0x78040827u,    /* sttrh w7, [x1, #64] */
                0xb8400828u);   /* ldtr w8, [x1] */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(h->cpu.x[0], want0);
    CU_ASSERT_EQUAL(mem_rd(h, B - 1, 1), 0x77);
    CU_ASSERT_EQUAL(h->cpu.x[3], want3);
    CU_ASSERT_EQUAL(h->cpu.x[4], want4);
    CU_ASSERT_EQUAL(mem_rd(h, B + 255, 8), 0x0123456789abcdefull);
    CU_ASSERT_EQUAL(h->cpu.x[6], want6);
    CU_ASSERT_EQUAL(mem_rd(h, B + 64, 2), 0xfeed);
    CU_ASSERT_EQUAL(h->cpu.x[8], want8);
    CU_ASSERT_EQUAL(h->cpu.x[1], B);
    harness_free(h);
}

static void test_register_offset(void) {
    struct harness *h = setup();
    h->cpu.x[1] = B;
    h->cpu.x[2] = 3;
    h->cpu.x[4] = 0xffffffff00000005ull; /* UXTW ignores the upper half */
    h->cpu.x[6] = 0x00000000fffffff8ull; /* SXTW: -8 */
    h->cpu.x[8] = 7;
    h->cpu.x[10] = (uint64_t)-2;
    h->cpu.x[11] = 0x1122334455667788ull;
    h->cpu.x[12] = 0xabcdef00ffffffffull; /* SXTW: -1, scaled: -8 */
    h->cpu.x[14] = 3;
    h->cpu.x[16] = 5;
    h->cpu.x[19] = 0x1000000009ull;
    h->cpu.x[20] = 0x4321;
    h->cpu.x[21] = 0x100000002ull; /* UXTW drops bit 32; scaled by 2 */
    h->cpu.x[31] = HARNESS_DATA;
    uint64_t want0 = mem_rd(h, B + 24, 8), want3 = mem_rd(h, B + 20, 4);
    uint64_t want5 = mem_rd(h, B - 8, 8), want7 = mem_rd(h, B + 7, 1);
    uint64_t want9 = sext_bits(mem_rd(h, B - 4, 2), 16), want13 = mem_rd(h, B + 3, 8);
    uint64_t want15 = mem_rd(h, B + 10, 2), want17 = mem_rd(h, B, 8), want18 = mem_rd(h, B + 9, 1);
    int e = RUN(h, 0xf8627820u, /* ldr x0, [x1, x2, lsl #3] */
                0xb8645823u,    /* ldr w3, [x1, w4, uxtw #2] */
                0xf866c825u,    /* ldr x5, [x1, w6, sxtw] */
                0x38686827u,    /* ldrb w7, [x1, x8] */
                0x78aaf829u,    /* ldrsh x9, [x1, x10, sxtx #1] */
                0xf82cd82bu,    /* str x11, [x1, w12, sxtw #3] */
                0xf86e682du,    /* ldr x13, [x1, x14] */
                0x7870782fu,    /* ldrh w15, [x1, x16, lsl #1] */
                0xf87f6831u,    /* ldr x17, [x1, xzr] */
                0x38734832u,    /* ldrb w18, [x1, w19, uxtw] */
                0x78355bf4u);   /* strh w20, [sp, w21, uxtw #1] */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(h->cpu.x[0], want0);
    CU_ASSERT_EQUAL(h->cpu.x[3], want3);
    CU_ASSERT_EQUAL(h->cpu.x[5], want5);
    CU_ASSERT_EQUAL(h->cpu.x[7], want7);
    CU_ASSERT_EQUAL(h->cpu.x[9], want9);
    CU_ASSERT_EQUAL(mem_rd(h, B - 8, 8), 0x1122334455667788ull);
    CU_ASSERT_EQUAL(h->cpu.x[13], want13);
    CU_ASSERT_EQUAL(h->cpu.x[15], want15);
    CU_ASSERT_EQUAL(h->cpu.x[17], want17);
    CU_ASSERT_EQUAL(h->cpu.x[18], want18);
    CU_ASSERT_EQUAL(mem_rd(h, HARNESS_DATA + 4, 2), 0x4321);
    harness_free(h);
}

static void test_literal(void) {
    struct harness *h = setup();
    memset(h->cpu.v, 0xee, sizeof h->cpu.v);
    mem_wr(h, 0x80020, 0x8000000012345678ull, 8); /* LDRSW reads the low word */
    mem_wr(h, 0x80020, 0x87654321u, 4);
    int e = RUN(h, 0x583f8000u, /* ldr x0, . + 0x7f000       (0x80000) */
                0x183f8061u,    /* ldr w1, . + 0x7f00c       (0x80010) */
                0x983f80c2u,    /* ldrsw x2, . + 0x7f018     (0x80020) */
                0x1c3f8123u,    /* ldr s3, . + 0x7f024       (0x80030) */
                0x5c3f8184u,    /* ldr d4, . + 0x7f030       (0x80040) */
                0x9c3f81e5u,    /* ldr q5, . + 0x7f03c       (0x80050) */
                0xd83f8240u,    /* prfm pldl1keep, . + 0x7f048 */
                0x58ffff26u,    /* ldr x6, . - 0x1c          (0x1000) */
                0xd8800000u);   /* prfm pldl1keep, . - 0x100000 (outside memory) */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(h->cpu.x[0], mem_rd(h, 0x80000, 8));
    CU_ASSERT_EQUAL(h->cpu.x[1], mem_rd(h, 0x80010, 4));
    CU_ASSERT_EQUAL(h->cpu.x[2], 0xffffffff87654321ull);
    CU_ASSERT_EQUAL(h->cpu.v[3].d[0], mem_rd(h, 0x80030, 4));
    CU_ASSERT_EQUAL(h->cpu.v[3].d[1], 0);
    CU_ASSERT_EQUAL(h->cpu.v[4].d[0], mem_rd(h, 0x80040, 8));
    CU_ASSERT_EQUAL(h->cpu.v[4].d[1], 0);
    CU_ASSERT_EQUAL(h->cpu.v[5].d[0], mem_rd(h, 0x80050, 8));
    CU_ASSERT_EQUAL(h->cpu.v[5].d[1], mem_rd(h, 0x80058, 8));
    CU_ASSERT_EQUAL(h->cpu.x[6], 0x183f8061583f8000ull); /* the first two code words */
    harness_free(h);
}

static void test_prefetch_never_faults(void) {
    struct harness *h = setup();
    h->cpu.x[1] = 0xdead00000000ull; /* far outside guest memory */
    h->cpu.x[2] = 0x80000000ull;
    int e = RUN(h, 0xf9800420u, /* prfm pldl1keep, [x1, #8] */
                0xf89ff033u,    /* prfum pstl2strm, [x1, #-1] */
                0xf8a2782cu,    /* prfm plil3keep, [x1, x2, lsl #3] */
                0xf8a2c820u,    /* prfm pldl1keep, [x1, w2, sxtw] */
                0xf980003fu);   /* prfm #0x1f, [x1] */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(h->cpu.x[0], GARBAGE); /* Rt is an operation, not a register */
    CU_ASSERT_EQUAL(h->cpu.x[1], 0xdead00000000ull);
    harness_free(h);
}

static void test_pairs(void) {
    struct harness *h = setup();
    h->cpu.x[1] = B;
    h->cpu.x[9] = B + 64;
    h->cpu.x[12] = B + 128;
    h->cpu.x[13] = 0x1313131313131313ull;
    h->cpu.x[14] = 0x1414141414141414ull;
    h->cpu.x[15] = B + 256;
    h->cpu.x[16] = 0xaaaaaaaa16161616ull;
    h->cpu.x[17] = 0xbbbbbbbb17171717ull;
    h->cpu.x[18] = B + 300;
    h->cpu.x[19] = 0x1919191919191919ull;
    h->cpu.x[20] = B + 400;
    h->cpu.x[23] = 0x23232323;
    h->cpu.x[24] = 0x24242424;
    h->cpu.x[25] = B + 1000;
    h->cpu.x[28] = B + 2000;
    mem_wr(h, B + 8, 0x7fffffff80000000ull, 8); /* LDPSW: one negative, one positive */
    uint64_t w0 = mem_rd(h, B + 16, 8), w2 = mem_rd(h, B + 24, 8);
    uint64_t w3 = mem_rd(h, B - 8, 4), w4 = mem_rd(h, B - 4, 4);
    uint64_t w7 = mem_rd(h, B + 96, 8), w8 = mem_rd(h, B + 104, 8);
    uint64_t w10 = mem_rd(h, B + 128, 4), w11 = mem_rd(h, B + 132, 4);
    uint64_t w21 = mem_rd(h, B - 512, 8), w22 = mem_rd(h, B - 504, 8);
    uint64_t w26 = sext_bits(mem_rd(h, B + 2000, 4), 32);
    uint64_t w27 = sext_bits(mem_rd(h, B + 2004, 4), 32);
    int e = RUN(h, 0xa9410820u, /* ldp x0, x2, [x1, #16] */
                0x297f1023u,    /* ldp w3, w4, [x1, #-8] */
                0x69411825u,    /* ldpsw x5, x6, [x1, #8] */
                0xa9c22127u,    /* ldp x7, x8, [x9, #32]! */
                0x28fe2d8au,    /* ldp w10, w11, [x12], #-16 */
                0xa9bf39edu,    /* stp x13, x14, [x15, #-16]! */
                0x28814650u,    /* stp w16, w17, [x18], #8 */
                0xa91fce9fu,    /* stp xzr, x19, [x20, #504] */
                0xa8605835u,    /* ldnp x21, x22, [x1, #-512] */
                0x281fe337u,    /* stnp w23, w24, [x25, #252] */
                0x68e06f9au);   /* ldpsw x26, x27, [x28], #-256 */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(h->cpu.x[0], w0);
    CU_ASSERT_EQUAL(h->cpu.x[2], w2);
    CU_ASSERT_EQUAL(h->cpu.x[3], w3);
    CU_ASSERT_EQUAL(h->cpu.x[4], w4);
    CU_ASSERT_EQUAL(h->cpu.x[5], 0xffffffff80000000ull);
    CU_ASSERT_EQUAL(h->cpu.x[6], 0x7fffffff);
    CU_ASSERT_EQUAL(h->cpu.x[7], w7);
    CU_ASSERT_EQUAL(h->cpu.x[8], w8);
    CU_ASSERT_EQUAL(h->cpu.x[9], B + 96);
    CU_ASSERT_EQUAL(h->cpu.x[10], w10);
    CU_ASSERT_EQUAL(h->cpu.x[11], w11);
    CU_ASSERT_EQUAL(h->cpu.x[12], B + 112);
    CU_ASSERT_EQUAL(h->cpu.x[15], B + 240);
    CU_ASSERT_EQUAL(mem_rd(h, B + 240, 8), 0x1313131313131313ull);
    CU_ASSERT_EQUAL(mem_rd(h, B + 248, 8), 0x1414141414141414ull);
    CU_ASSERT_EQUAL(mem_rd(h, B + 300, 8), 0x1717171716161616ull);
    CU_ASSERT_EQUAL(h->cpu.x[18], B + 308);
    CU_ASSERT_EQUAL(mem_rd(h, B + 904, 8), 0);
    CU_ASSERT_EQUAL(mem_rd(h, B + 912, 8), 0x1919191919191919ull);
    CU_ASSERT_EQUAL(h->cpu.x[20], B + 400);
    CU_ASSERT_EQUAL(h->cpu.x[21], w21);
    CU_ASSERT_EQUAL(h->cpu.x[22], w22);
    CU_ASSERT_EQUAL(mem_rd(h, B + 1252, 8), 0x2424242423232323ull);
    CU_ASSERT_EQUAL(h->cpu.x[26], w26);
    CU_ASSERT_EQUAL(h->cpu.x[27], w27);
    CU_ASSERT_EQUAL(h->cpu.x[28], B + 1744);
    harness_free(h);
}

/* CONSTRAINED UNPREDICTABLE register overlaps: results match qemu-aarch64
 * (checked with a guest program): writeback beats the loaded value, a
 * store writes the old base, and for LDP Rt == Rt2 the first load wins. */
static void test_writeback_overlap(void) {
    struct harness *h = setup();
    mem_wr(h, B, 0x1111111180000001ull, 8);
    mem_wr(h, B + 8, 0x2222222290000002ull, 8);
    h->cpu.x[1] = B;
    h->cpu.x[3] = B;
    h->cpu.x[4] = B;
    h->cpu.x[6] = B + 32;
    h->cpu.x[9] = B;
    h->cpu.x[10] = B + 64;
    h->cpu.x[11] = 0x11;
    int e = RUN(h, 0xf8408c21u, /* ldr x1, [x1, #8]! */
                0xa9400862u,    /* ldp x2, x2, [x3] */
                0xa8c11484u,    /* ldp x4, x5, [x4], #16 */
                0xf8008cc6u,    /* str x6, [x6, #8]! */
                0x69401c67u,    /* ldpsw x7, x7, [x3] */
                0x29402068u,    /* ldp w8, w8, [x3] */
                0xf8408529u,    /* ldr x9, [x9], #8 */
                0xa9bf2d4au);   /* stp x10, x11, [x10, #-16]! */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(h->cpu.x[1], B + 8);
    CU_ASSERT_EQUAL(h->cpu.x[2], 0x1111111180000001ull);
    CU_ASSERT_EQUAL(h->cpu.x[4], B + 16);
    CU_ASSERT_EQUAL(h->cpu.x[5], 0x2222222290000002ull);
    CU_ASSERT_EQUAL(h->cpu.x[6], B + 40);
    CU_ASSERT_EQUAL(mem_rd(h, B + 40, 8), B + 32);
    CU_ASSERT_EQUAL(h->cpu.x[7], 0xffffffff80000001ull);
    CU_ASSERT_EQUAL(h->cpu.x[8], 0x80000001ull);
    CU_ASSERT_EQUAL(h->cpu.x[9], B + 8);
    CU_ASSERT_EQUAL(h->cpu.x[10], B + 48);
    CU_ASSERT_EQUAL(mem_rd(h, B + 48, 8), B + 64);
    CU_ASSERT_EQUAL(mem_rd(h, B + 56, 8), 0x11);
    harness_free(h);
}

static void fill_vregs(struct harness *h) {
    for (unsigned r = 0; r < 32; r++)
        for (unsigned i = 0; i < 16; i++)
            h->cpu.v[r].b[i] = (uint8_t)(r * 16 + i);
}

static void assert_vreg(struct harness *h, unsigned r, uint64_t addr, unsigned bytes) {
    CU_ASSERT_EQUAL(h->cpu.v[r].d[0], mem_rd(h, addr, bytes < 8 ? bytes : 8));
    CU_ASSERT_EQUAL(h->cpu.v[r].d[1], bytes > 8 ? mem_rd(h, addr + 8, 8) : 0);
}

static void test_simd_fp_load(void) {
    struct harness *h = setup();
    memset(h->cpu.v, 0xee, sizeof h->cpu.v); /* scalar loads must clear the rest */
    mem_fill(h, B + 65520, 16, 7);
    h->cpu.x[1] = B;
    h->cpu.x[2] = 1;
    h->cpu.x[3] = B + 64;
    h->cpu.x[4] = B + 128;
    h->cpu.x[5] = 0xffffffff; /* SXTW: -1 */
    h->cpu.x[6] = 3;
    int e = RUN(h, 0x3dc00020u, /* ldr q0, [x1] */
                0xfd400421u,    /* ldr d1, [x1, #8] */
                0xbd400422u,    /* ldr s2, [x1, #4] */
                0x7d400423u,    /* ldr h3, [x1, #2] */
                0x3d400424u,    /* ldr b4, [x1, #1] */
                0x3ce27825u,    /* ldr q5, [x1, x2, lsl #4] */
                0xfc408c66u,    /* ldr d6, [x3, #8]! */
                0x3cdf0027u,    /* ldur q7, [x1, #-16] */
                0xbc5fc488u,    /* ldr s8, [x4], #-4 */
                0x3c65c829u,    /* ldr b9, [x1, w5, sxtw] */
                0x7c66782au,    /* ldr h10, [x1, x6, lsl #1] */
                0x3dfffc2bu,    /* ldr q11, [x1, #65520] */
                0xfc62682cu);   /* ldr d12, [x1, x2] */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SVC);
    assert_vreg(h, 0, B, 16);
    assert_vreg(h, 1, B + 8, 8);
    assert_vreg(h, 2, B + 4, 4);
    assert_vreg(h, 3, B + 2, 2);
    assert_vreg(h, 4, B + 1, 1);
    assert_vreg(h, 5, B + 16, 16);
    assert_vreg(h, 6, B + 72, 8);
    CU_ASSERT_EQUAL(h->cpu.x[3], B + 72);
    assert_vreg(h, 7, B - 16, 16);
    assert_vreg(h, 8, B + 128, 4);
    CU_ASSERT_EQUAL(h->cpu.x[4], B + 124);
    assert_vreg(h, 9, B - 1, 1);
    assert_vreg(h, 10, B + 6, 2);
    assert_vreg(h, 11, B + 65520, 16);
    assert_vreg(h, 12, B + 1, 8);
    CU_ASSERT_EQUAL(h->cpu.v[13].d[1], 0xeeeeeeeeeeeeeeeeull); /* untouched */
    harness_free(h);
}

static void test_simd_fp_store(void) {
    struct harness *h = setup();
    fill_vregs(h);
    memset(harness_mem(h, B), 0xaa, 256);
    h->cpu.x[1] = B;
    h->cpu.x[2] = B + 128;
    h->cpu.x[3] = B + 200;
    h->cpu.x[4] = 60;
    int e = RUN(h, 0x3d800020u, /* str q0, [x1] */
                0xfd000c21u,    /* str d1, [x1, #24] */
                0xbd002422u,    /* str s2, [x1, #36] */
                0x7d005423u,    /* str h3, [x1, #42] */
                0x3d00bc24u,    /* str b4, [x1, #47] */
                0x3c83f025u,    /* stur q5, [x1, #63] */
                0x3c9f0c46u,    /* str q6, [x2, #-16]! */
                0xfc008467u,    /* str d7, [x3], #8 */
                0xbc247828u);   /* str s8, [x1, x4, lsl #2] */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SVC);
    /* Expected image of B..B+255: 0xaa except where a store landed. */
    uint8_t want[256];
    memset(want, 0xaa, sizeof want);
    memcpy(want + 0, h->cpu.v[0].b, 16);
    memcpy(want + 24, h->cpu.v[1].b, 8);
    memcpy(want + 36, h->cpu.v[2].b, 4);
    memcpy(want + 42, h->cpu.v[3].b, 2);
    memcpy(want + 47, h->cpu.v[4].b, 1);
    memcpy(want + 63, h->cpu.v[5].b, 16);
    memcpy(want + 112, h->cpu.v[6].b, 16);
    memcpy(want + 200, h->cpu.v[7].b, 8);
    memcpy(want + 240, h->cpu.v[8].b, 4);
    CU_ASSERT_EQUAL(memcmp(harness_mem(h, B), want, sizeof want), 0);
    CU_ASSERT_EQUAL(h->cpu.x[2], B + 112);
    CU_ASSERT_EQUAL(h->cpu.x[3], B + 208);
    harness_free(h);
}

static void test_simd_fp_pairs(void) {
    struct harness *h = setup();
    fill_vregs(h);
    h->cpu.x[1] = B;
    h->cpu.x[2] = B + 256;
    h->cpu.x[3] = B + 512;
    h->cpu.x[4] = B + 600;
    h->cpu.x[5] = B + 700;
    h->cpu.x[6] = B + 1000;
    vreg_t v19 = h->cpu.v[19], v20 = h->cpu.v[20], v1 = h->cpu.v[1], v2 = h->cpu.v[2];
    int e = RUN(h, 0xad41302bu, /* ldp q11, q12, [x1, #32] */
                0x2d7f382du,    /* ldp s13, s14, [x1, #-8] */
                0x6cc1404fu,    /* ldp d15, d16, [x2], #16 */
                0xadbf306bu,    /* stp q11, q12, [x3, #-32]! */
                0x6c008881u,    /* stnp d1, d2, [x4, #8] */
                0x2c40c831u,    /* ldnp s17, s18, [x1, #4] */
                0x2cbf50b3u,    /* stp s19, s20, [x5], #-8 */
                0xaddfd8d5u);   /* ldp q21, q22, [x6, #1008]! */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SVC);
    assert_vreg(h, 11, B + 32, 16);
    assert_vreg(h, 12, B + 48, 16);
    assert_vreg(h, 13, B - 8, 4);
    assert_vreg(h, 14, B - 4, 4);
    assert_vreg(h, 15, B + 256, 8);
    assert_vreg(h, 16, B + 264, 8);
    CU_ASSERT_EQUAL(h->cpu.x[2], B + 272);
    CU_ASSERT_EQUAL(memcmp(harness_mem(h, B + 480), harness_mem(h, B + 32), 32), 0);
    CU_ASSERT_EQUAL(h->cpu.x[3], B + 480);
    CU_ASSERT_EQUAL(mem_rd(h, B + 608, 8), v1.d[0]);
    CU_ASSERT_EQUAL(mem_rd(h, B + 616, 8), v2.d[0]);
    assert_vreg(h, 17, B + 4, 4);
    assert_vreg(h, 18, B + 8, 4);
    CU_ASSERT_EQUAL(mem_rd(h, B + 700, 4), v19.s[0]);
    CU_ASSERT_EQUAL(mem_rd(h, B + 704, 4), v20.s[0]);
    CU_ASSERT_EQUAL(h->cpu.x[5], B + 692);
    assert_vreg(h, 21, B + 2008, 16);
    assert_vreg(h, 22, B + 2024, 16);
    CU_ASSERT_EQUAL(h->cpu.x[6], B + 2008);
    harness_free(h);
}

/* Encodings the Arm ARM leaves unallocated (each checked to raise SIGILL
 * under qemu-aarch64 too), and STGP (FEAT_MTE, absent here as on the
 * reference CPU cortex-a76); the instruction must have no effect. */
static void test_unallocated(void) {
    static const uint32_t words[] = {
        0xb9c00020u, /* size 10, opc 11: no LDRSW to W */
        0xf9c00020u, /* size 11, opc 11 */
        0x3c400820u, /* unprivileged SIMD&FP load */
        0xf8800420u, /* prefetch, post-indexed */
        0xf8620820u, /* register offset with option 000 */
        0xe9400820u, /* pair with opc 11 */
        0x68400820u, /* LDNP with opc 01 (no LDNPSW) */
        0xdc000000u, /* SIMD&FP literal with opc 11 */
        0x7dc00020u, /* SIMD&FP size 01 with opc 1x */
        0xf8a2082cu, /* PRFM register offset, option 000 */
        0x69008825u, /* stgp x5, x2, [x1, #16] */
    };
    struct harness *h = setup();
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        h->cpu.x[1] = B;
        h->cpu.x[2] = 0;
        h->cpu.x[0] = GARBAGE;
        int e = RUN(h, 0xf9400420u, /* ldr x0, [x1, #8] */
                    words[i]);
        CU_ASSERT_EQUAL(e, CPU_EXIT_SIGNAL);
        CU_ASSERT_EQUAL(h->cpu.exit_signo, SIGILL);
        CU_ASSERT_EQUAL(h->cpu.pc, HARNESS_CODE + 4);
        CU_ASSERT_EQUAL(h->cpu.x[0], mem_rd(h, B + 8, 8));
        CU_ASSERT_EQUAL(h->cpu.x[1], B);
    }
    harness_free(h);
}

static void test_faults(void) {
    struct harness *h = setup();
    /* Wholly outside guest memory. */
    h->cpu.x[1] = HARNESS_MEM_SIZE;
    int e = RUN(h, 0xf9400020u); /* ldr x0, [x1] */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SIGNAL);
    CU_ASSERT_EQUAL(h->cpu.exit_signo, SIGSEGV);
    CU_ASSERT_EQUAL(h->cpu.exit_code, SEGV_MAPERR);
    CU_ASSERT_EQUAL(h->cpu.exit_addr, HARNESS_MEM_SIZE);
    CU_ASSERT_EQUAL(h->cpu.pc, HARNESS_CODE);
    CU_ASSERT_EQUAL(h->cpu.x[0], GARBAGE);

    /* Second insn faults: the first one's effect stays, no writeback. */
    h->cpu.x[1] = HARNESS_MEM_SIZE - 4;
    h->cpu.x[6] = B;
    e = RUN(h, 0xf94000c5u, /* ldr x5, [x6] */
            0xf8408c20u);   /* ldr x0, [x1, #8]! */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SIGNAL);
    CU_ASSERT_EQUAL(h->cpu.exit_signo, SIGSEGV);
    CU_ASSERT_EQUAL(h->cpu.exit_addr, HARNESS_MEM_SIZE + 4);
    CU_ASSERT_EQUAL(h->cpu.pc, HARNESS_CODE + 4);
    CU_ASSERT_EQUAL(h->cpu.x[5], mem_rd(h, B, 8));
    CU_ASSERT_EQUAL(h->cpu.x[1], HARNESS_MEM_SIZE - 4);

    /* A store straddling the end writes nothing. */
    mem_wr(h, HARNESS_MEM_SIZE - 4, 0x12345678, 4);
    h->cpu.x[0] = 0;
    e = RUN(h, 0xf9000020u); /* str x0, [x1] */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SIGNAL);
    CU_ASSERT_EQUAL(h->cpu.exit_signo, SIGSEGV);
    CU_ASSERT_EQUAL(h->cpu.exit_addr, HARNESS_MEM_SIZE - 4);
    CU_ASSERT_EQUAL(mem_rd(h, HARNESS_MEM_SIZE - 4, 4), 0x12345678);

    /* A pair whose second half is outside: no register changes. */
    h->cpu.x[1] = HARNESS_MEM_SIZE - 8;
    h->cpu.x[2] = GARBAGE;
    e = RUN(h, 0xa9400c22u); /* ldp x2, x3, [x1] */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SIGNAL);
    CU_ASSERT_EQUAL(h->cpu.exit_addr, HARNESS_MEM_SIZE);
    CU_ASSERT_EQUAL(h->cpu.x[2], GARBAGE);

    /* SIMD&FP: the register is untouched. */
    memset(&h->cpu.v[0], 0x5c, sizeof h->cpu.v[0]);
    e = RUN(h, 0x3dc00020u); /* ldr q0, [x1] */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SIGNAL);
    CU_ASSERT_EQUAL(h->cpu.exit_signo, SIGSEGV);
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], 0x5c5c5c5c5c5c5c5cull);
    harness_free(h);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("a64_ldst", NULL, NULL);
    CU_add_test(s, "uimm_load", test_uimm_load);
    CU_add_test(s, "uimm_store", test_uimm_store);
    CU_add_test(s, "sign_extend", test_sign_extend);
    CU_add_test(s, "pre_post_index", test_pre_post_index);
    CU_add_test(s, "unscaled", test_unscaled);
    CU_add_test(s, "unprivileged", test_unprivileged);
    CU_add_test(s, "register_offset", test_register_offset);
    CU_add_test(s, "literal", test_literal);
    CU_add_test(s, "prefetch_never_faults", test_prefetch_never_faults);
    CU_add_test(s, "pairs", test_pairs);
    CU_add_test(s, "writeback_overlap", test_writeback_overlap);
    CU_add_test(s, "simd_fp_load", test_simd_fp_load);
    CU_add_test(s, "simd_fp_store", test_simd_fp_store);
    CU_add_test(s, "simd_fp_pairs", test_simd_fp_pairs);
    CU_add_test(s, "unallocated", test_unallocated);
    CU_add_test(s, "faults", test_faults);
}

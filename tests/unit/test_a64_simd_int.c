/* Advanced SIMD integer groups: expected lanes derived from the Arm ARM
 * pseudocode (saturation and FPSR.QC, rounding, narrowing, widening,
 * table lookups, permutes, immediates, reductions, by-element indexing). */
#include "tests/unit/test_a64_simd.h"

static void test_saturating_arith(void) {
    set_v(1, 0x8080808080808080ull, 0x7f7f7f7f7f7f7f7full);
    set_v(2, 0xffffffffffffffffull, 0x0101010101010101ull);
    CU_ASSERT(run_insn(0x4e220c20));                          /* sqadd v0.16b, v1.16b, v2.16b */
    CHECK_V(0, 0x8080808080808080ull, 0x7f7f7f7f7f7f7f7full); /* 127+1, -128-1 saturate */
    CU_ASSERT(QC_SET());

    set_v(1, 0x0005000500050005ull, 0x0001000100010001ull);
    set_v(2, 0x0003000300030003ull, 0x0002000200020002ull);
    CU_ASSERT(run_insn(0x6e622c20));      /* uqsub v0.8h, v1.8h, v2.8h */
    CHECK_V(0, 0x0002000200020002ull, 0); /* 1-2 clamps at 0 */
    CU_ASSERT(QC_SET());

    set_v(1, 0x1111111111111111ull, 0x0101010101010101ull);
    set_v(2, 0x2222222222222222ull, 0x0101010101010101ull);
    CU_ASSERT(run_insn(0x4e220c20)); /* in range: QC stays clear */
    CU_ASSERT_FALSE(QC_SET());

    set_v(1, 0xffffffffffffffffull, 0xabcdef7f);
    set_v(2, 0, 0x01);
    CU_ASSERT(run_insn(0x5e220c20)); /* sqadd b0, b1, b2: scalar, rest of v0 zeroed */
    CHECK_V(0, 0, 0x7f);
    CU_ASSERT(QC_SET());

    set_v(1, 0, 0x6000400080008000ull);
    set_v(2, 0, 0x2000400080008000ull);
    CU_ASSERT(run_insn(0x6e62b420)); /* sqrdmulh v0.8h, v1.8h, v2.8h */
    /* (2*a*b + 2^15) >> 16: -1*-1 saturates; 0.5*0.5 = 0x2000; 0.75*0.25 = 0x1800 */
    CHECK_V(0, 0, 0x180020007fff7fffull);
    CU_ASSERT(QC_SET());

    set_v(1, 0x8000000000000000ull, 7);
    CU_ASSERT(run_insn(0x6ee07820)); /* sqneg v0.2d, v1.2d */
    CHECK_V(0, 0x7fffffffffffffffull, (uint64_t)-7);
    CU_ASSERT(QC_SET());

    set_v(0, 0, 0x05ff);
    set_v(1, 0, 0xfe01);
    CU_ASSERT(run_insn(0x6e203820)); /* usqadd v0.16b, v1.16b: 255+1 saturates, 5-2 = 3 */
    CHECK_V(0, 0, 0x03ff);
    CU_ASSERT(QC_SET());
}

static void test_plain_arith(void) {
    set_v(0, 0xffffffffffffffffull, 0);
    set_v(1, 0xffffffffffffffffull, 0x00ff0102030405ffull);
    set_v(2, 0xffffffffffffffffull, 0x0101010101010101ull);
    CU_ASSERT(run_insn(0x0e228420)); /* add v0.8b: wraps per byte, Q=0 zeroes the top */
    CHECK_V(0, 0, 0x0100020304050600ull);

    set_v(1, 0x0000000400000003ull, 0x0000000200000001ull);
    set_v(2, 0x000000280000001eull, 0x000000140000000aull);
    CU_ASSERT(run_insn(0x4ea2bc20)); /* addp v0.4s: pairs of Rn, then of Rm */
    CHECK_V(0, 0x000000460000001eull, 0x0000000700000003ull);

    set_v(1, 0x0000000100000001ull, 0x00000000ffffffffull);
    set_v(2, 0x000000ff00000002ull, 0x0000000100000001ull);
    CU_ASSERT(run_insn(0x6ea27020)); /* uabdl2 v0.2d, v1.4s, v2.4s: upper lanes */
    CHECK_V(0, 0xfeull, 1);

    set_v(0, 0, 0x7fffffff);
    set_v(1, 0, 1);
    set_v(2, 0, 1);
    CU_ASSERT(run_insn(0x0e629020)); /* sqdmlal v0.4s, v1.4h, v2.4h: acc + 2 saturates */
    CU_ASSERT_EQUAL(simd_cpu()->v[0].s[0], 0x7fffffffu);
    CU_ASSERT(QC_SET());

    set_v(1, 0, 0x1280);
    set_v(2, 0, 0x0000);
    CU_ASSERT(run_insn(0x2e224020)); /* raddhn v0.8b: (0x1280 + 0x80) >> 8 */
    CHECK_V(0, 0, 0x13);

    set_v(0, 0, 0x0000000100000001ull);
    set_v(1, 0, 0x00030002ffffffffull);
    CU_ASSERT(run_insn(0x6e606820)); /* uadalp v0.4s, v1.8h */
    CHECK_V(0, 0, 0x000000060001ffffull);
}

static void test_shifts(void) {
    set_v(1, 0xfffffff7fffffff8ull, 0x0000000700000008ull);
    CU_ASSERT(run_insn(0x4f3c2420)); /* srshr v0.4s, v1.4s, #4: (x + 8) >> 4 */
    CHECK_V(0, 0xffffffff00000000ull, 0x0000000000000001ull);

    set_v(1, 5, 0xffffffffffffffffull);
    set_v(2, 64, 0xff);              /* shift -1 (rounding right), then left by 64 */
    CU_ASSERT(run_insn(0x6ee25420)); /* urshl v0.2d, v1.2d, v2.2d */
    CHECK_V(0, 0, 0x8000000000000000ull);

    set_v(1, 0, 0x001001001000fff0ull);
    CU_ASSERT(run_insn(0x2f0c8420)); /* sqshrun v0.8b, v1.8h, #4 */
    /* lanes 0xfff0 (-16) -> 0, 0x1000 -> 256 -> 255, 0x0100 -> 16, 0x0010 -> 1 */
    CHECK_V(0, 0, 0x000000000110ff00ull);
    CU_ASSERT(QC_SET());

    set_v(1, 0, 0x00ffff80);
    CU_ASSERT(run_insn(0x7f189c20)); /* uqrshrn h0, s1, #8: rounds up to 0x10000 */
    CHECK_V(0, 0, 0xffff);
    CU_ASSERT(QC_SET());

    set_v(0, 0, 0xaabbccdd);
    set_v(1, 0, 0x11223344);
    CU_ASSERT(run_insn(0x6f384420)); /* sri v0.4s, v1.4s, #8 */
    CU_ASSERT_EQUAL(simd_cpu()->v[0].s[0], 0xaa112233u);

    set_v(0, 0x1234, 0x0123456789abcdefull);
    set_v(1, 0, 5);
    CU_ASSERT(run_insn(0x7f7c5420)); /* sli d0, d1, #60: scalar, top zeroed */
    CHECK_V(0, 0, 0x5123456789abcdefull);

    set_v(1, 0, 0x0000000000017f80ull);
    CU_ASSERT(run_insn(0x0f0ba420));  /* sshll v0.8h, v1.8b, #3 */
    CHECK_V(0, 0, 0x000803f8fc00ull); /* 0x80 -> -1024, 0x7f -> 1016, 0x01 -> 8 */
}

static void test_narrow_widen(void) {
    set_v(0, 0xdeadbeef, 0x1122334455667788ull);
    set_v(1, 0x7fff80000001ffffull, 0x00120100ff00fff0ull);
    CU_ASSERT(run_insn(0x4e214820)); /* sqxtn2 v0.16b, v1.8h: lower half kept */
    CHECK_V(0, 0x7f8001ff127f80f0ull, 0x1122334455667788ull);
    CU_ASSERT(QC_SET());

    set_v(0, 0xffff, 0);
    set_v(1, 0x1234123412341234ull, 0xabcd00ff5678ull);
    CU_ASSERT(run_insn(0x0e212820)); /* xtn v0.8b, v1.8h */
    CHECK_V(0, 0, 0x3434343400cdff78ull);

    set_v(1, 0x80000001ffffull, 0);
    CU_ASSERT(run_insn(0x6f10a420)); /* uxtl2 v0.4s, v1.8h */
    CHECK_V(0, 0x0000000000008000ull, 0x000000010000ffffull);
}

static void test_table_and_permute(void) {
    set_v(1, 0x0f0e0d0c0b0a0908ull, 0x0706050403020100ull);
    set_v(2, 0x1f1e1d1c1b1a1918ull, 0x1716151413121110ull);
    set_v(3, 0x0102030405060708ull, 0x1140ff11201f0001ull);
    CU_ASSERT(run_insn(0x4e032020)); /* tbl v0.16b, {v1.16b, v2.16b}, v3.16b */
    /* indices 0x01,0x00,0x1f,0x20,0x11,0xff,0x40,0x11: >= 32 give 0 */
    CHECK_V(0, 0x0102030405060708ull, 0x11000011001f0001ull);

    set_v(0, 0xaaaa, 0xeeeeeeeeeeeeeeeeull);
    set_v(3, 0, 0x0010200f0001ff05ull);
    CU_ASSERT(run_insn(0x0e031020)); /* tbx v0.8b, {v1.16b}, v3.8b: out of range keeps */
    CHECK_V(0, 0, 0x00eeee0f0001ee05ull);

    set_v(1, 0x0007000600050004ull, 0x0003000200010000ull);
    set_v(2, 0x0017001600150014ull, 0x0013001200110010ull);
    CU_ASSERT(run_insn(0x4e423820)); /* zip1 v0.8h */
    CHECK_V(0, 0x0013000300120002ull, 0x0011000100100000ull);

    set_v(1, 0x0000000300000002ull, 0x0000000100000000ull);
    set_v(2, 0x0000001300000012ull, 0x0000001100000010ull);
    CU_ASSERT(run_insn(0x4e825820)); /* uzp2 v0.4s: odd lanes of Rn then Rm */
    CHECK_V(0, 0x0000001300000011ull, 0x0000000300000001ull);

    set_v(1, 0x0f0e0d0c0b0a0908ull, 0x0706050403020100ull);
    set_v(2, 0x1f1e1d1c1b1a1918ull, 0x1716151413121110ull);
    CU_ASSERT(run_insn(0x4e022820)); /* trn1 v0.16b */
    CHECK_V(0, 0x1e0e1c0c1a0a1808ull, 0x1606140412021000ull);

    CU_ASSERT(run_insn(0x6e021820)); /* ext v0.16b, v1.16b, v2.16b, #3 */
    CHECK_V(0, 0x1211100f0e0d0c0bull, 0x0a09080706050403ull);
}

static void test_mod_imm(void) {
    CU_ASSERT(run_insn(0x6f05e540)); /* movi v0.2d, #0xff00ff00ff00ff00 */
    CHECK_V(0, 0xff00ff00ff00ff00ull, 0xff00ff00ff00ff00ull);
    CU_ASSERT(run_insn(0x6f002640)); /* mvni v0.4s, #0x12, lsl #8 */
    CHECK_V(0, 0xffffedffffffedffull, 0xffffedffffffedffull);
    set_v(0, 0x0001000100010001ull, 0x0001000100010001ull);
    CU_ASSERT(run_insn(0x4f04b400)); /* orr v0.8h, #0x80, lsl #8 */
    CHECK_V(0, 0x8001800180018001ull, 0x8001800180018001ull);
    CU_ASSERT(run_insn(0x4f02d740)); /* movi v0.4s, #0x5a, msl #16 */
    CHECK_V(0, 0x005affff005affffull, 0x005affff005affffull);
    CU_ASSERT(run_insn(0x4f03f600)); /* fmov v0.4s, #1.0 */
    CHECK_V(0, 0x3f8000003f800000ull, 0x3f8000003f800000ull);
    set_v(0, 0x55, 0x123456789abcdef0ull);
    CU_ASSERT(run_insn(0x2f0717e0)); /* bic v0.2s, #0xff: Q=0 zeroes the top */
    CHECK_V(0, 0, 0x123456009abcde00ull);
}

static void test_across_lanes(void) {
    set_v(1, 0x0008000700060005ull, 0x000400030002ffffull);
    CU_ASSERT(run_insn(0x4e71b820)); /* addv h0, v1.8h: wraps at 16 bits */
    CHECK_V(0, 0, (0xffff + 2 + 3 + 4 + 5 + 6 + 7 + 8) & 0xffff);
    set_v(1, 0x7f01fe0203040506ull, 0x0a0b0c0d0e0f8081ull);
    CU_ASSERT(run_insn(0x6e30a820)); /* umaxv b0, v1.16b */
    CHECK_V(0, 0, 0xfe);
    set_v(1, 0x7fffffff7fffffffull, 0xfffffffeffffffffull);
    CU_ASSERT(run_insn(0x4eb03820)); /* saddlv d0, v1.4s: -1 - 2 + 2 * (2^31 - 1) */
    CHECK_V(0, 0, 0xfffffffbull);
}

static void test_by_element(void) {
    set_v(15, 0x0003000000000000ull, 0);
    set_v(1, 0x0007000600050004ull, 0x0003000200010000ull);
    CU_ASSERT(run_insn(0x4f7f8820)); /* mul v0.8h, v1.8h, v15.h[7]: index H:L:M */
    CHECK_V(0, 0x00150012000f000cull, 0x0009000600030000ull);

    set_v(1, 0x000000000003fffeull, 0);
    set_v(2, 0, 0xfffc000000000000ull);
    CU_ASSERT(run_insn(0x4f72a020)); /* smull2 v0.4s, v1.8h, v2.h[3] */
    CHECK_V(0, 0, 0xfffffff400000008ull);

    set_v(1, 0, 0x80000000);
    set_v(2, 0x8000000000000000ull, 0);
    CU_ASSERT(run_insn(0x5fa2c820)); /* sqdmulh s0, s1, v2.s[3] */
    CHECK_V(0, 0, 0x7fffffff);
    CU_ASSERT(QC_SET());
}

static void test_copy(void) {
    simd_cpu()->x[1] = 0x12345678;
    CU_ASSERT(run_insn(0x4e020c20)); /* dup v0.8h, w1 */
    CHECK_V(0, 0x5678567856785678ull, 0x5678567856785678ull);
    set_v(1, 0x80aabbccddeeff11ull, 0x2233);
    CU_ASSERT(run_insn(0x4e183c20)); /* umov x0, v1.d[1] */
    CU_ASSERT_EQUAL(simd_cpu()->x[0], 0x80aabbccddeeff11ull);
    CU_ASSERT(run_insn(0x4e1f2c20)); /* smov x0, v1.b[15] */
    CU_ASSERT_EQUAL(simd_cpu()->x[0], 0xffffffffffffff80ull);
    set_v(0, 0x4444444433333333ull, 0x2222222211111111ull);
    set_v(1, 0, 0xabcdef0012345678ull);
    CU_ASSERT(run_insn(0x6e142420)); /* mov v0.s[2], v1.s[1] */
    CHECK_V(0, 0x44444444abcdef00ull, 0x2222222211111111ull);
}

static void test_misc(void) {
    set_v(1, 0x7fffffff00000000ull, 0x80000000ffffffffull);
    CU_ASSERT(run_insn(0x4ea0a820)); /* cmlt v0.4s, v1.4s, #0 */
    CHECK_V(0, 0, 0xffffffffffffffffull);
    set_v(1, 0, 0x0103070f1f3f7fffull);
    CU_ASSERT(run_insn(0x0e205820)); /* cnt v0.8b */
    CHECK_V(0, 0, 0x0102030405060708ull);
    set_v(1, 0x0f0e0d0c0b0a0908ull, 0x0706050403020100ull);
    CU_ASSERT(run_insn(0x4e200820)); /* rev64 v0.16b */
    CHECK_V(0, 0x08090a0b0c0d0e0full, 0x0001020304050607ull);
}

static void test_unallocated(void) {
    CU_ASSERT(insn_sigills(0x0ee2e020)); /* pmull v0.1q: crypto, not advertised */
    CU_ASSERT(insn_sigills(0x6e428420)); /* sqrdmlah: ARMv8.1 */
    CU_ASSERT(insn_sigills(0x4e421420)); /* fadd v0.8h: FEAT_FP16 */
    CU_ASSERT(insn_sigills(0x4e829420)); /* sdot: ARMv8.2 */
    CU_ASSERT(insn_sigills(0x0ee28420)); /* add v0.1d (size 11, Q 0) is reserved */
    CU_ASSERT(insn_sigills(0x0e080420)); /* dup v0.1d, v1.d[0] (Q 0) is reserved */
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("a64_simd_int", simd_suite_init, simd_suite_fini);
    CU_add_test(s, "saturating_arith", test_saturating_arith);
    CU_add_test(s, "plain_arith", test_plain_arith);
    CU_add_test(s, "shifts", test_shifts);
    CU_add_test(s, "narrow_widen", test_narrow_widen);
    CU_add_test(s, "table_and_permute", test_table_and_permute);
    CU_add_test(s, "mod_imm", test_mod_imm);
    CU_add_test(s, "across_lanes", test_across_lanes);
    CU_add_test(s, "by_element", test_by_element);
    CU_add_test(s, "copy", test_copy);
    CU_add_test(s, "misc", test_misc);
    CU_add_test(s, "unallocated", test_unallocated);
}

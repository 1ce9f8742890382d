/* A64 integer data processing (dp_imm, dp_reg) run through the frontend
 * and the interpreter. Expected values are worked out from the Arm ARM's
 * pseudocode by hand; encodings come from aarch64-linux-gnu-as (the
 * source line is next to each word). */
#include "dbt/a64/int_crc32.h"
#include "tests/unit/a64_suite.h"

/* Runs one word that must raise SIGILL at its own address. */
static void expect_sigill(uint32_t insn) {
    reset();
    h->cpu.x[0] = 0x1234;
    CU_ASSERT_EQUAL(harness_run(h, &insn, 1), CPU_EXIT_SIGNAL);
    CU_ASSERT_EQUAL(h->cpu.exit_signo, 4 /* SIGILL */);
    CU_ASSERT_EQUAL(h->cpu.pc, HARNESS_CODE);
    CU_ASSERT_EQUAL(X(0), 0x1234); /* no side effect */
}

#define NZCV_NONE 0u

static void test_adds_subs_64(void) {
    reset();
    X(1) = 0x7fffffffffffffffull;
    X(2) = 1;
    X(4) = ~0ull;
    X(6) = 5;
    X(7) = 5;
    X(9) = 3;
    X(12) = 0x8000000000000000ull;
    X(13) = 1;
    RUN(0xab020020, /* adds x0, x1, x2 */
        0xd53b4214, /* mrs x20, nzcv */
        0xab020083, /* adds x3, x4, x2 */
        0xd53b4215, /* mrs x21, nzcv */
        0xeb0700c5, /* subs x5, x6, x7 */
        0xd53b4216, /* mrs x22, nzcv */
        0xeb070128, /* subs x8, x9, x7 */
        0xd53b4217, /* mrs x23, nzcv */
        0xeb0d018b, /* subs x11, x12, x13 */
        0xd53b4218, /* mrs x24, nzcv */
        0xf10001df, /* cmp x14, #0 */
        0xd53b4219, /* mrs x25, nzcv */
        0xb140048f, /* adds x15, x4, #1, lsl #12 */
        0xd53b421a, /* mrs x26, nzcv */
        0xb100049f, /* cmn x4, #1 */
        0xd53b421b, /* mrs x27, nzcv */
    );
    CU_ASSERT_EQUAL(X(0), 0x8000000000000000ull);
    CU_ASSERT_EQUAL(X(20), NZCV_N | NZCV_V);
    CU_ASSERT_EQUAL(X(3), 0);
    CU_ASSERT_EQUAL(X(21), NZCV_Z | NZCV_C);
    CU_ASSERT_EQUAL(X(5), 0);
    CU_ASSERT_EQUAL(X(22), NZCV_Z | NZCV_C);
    CU_ASSERT_EQUAL(X(8), (uint64_t)-2);
    CU_ASSERT_EQUAL(X(23), NZCV_N);
    CU_ASSERT_EQUAL(X(11), 0x7fffffffffffffffull);
    CU_ASSERT_EQUAL(X(24), NZCV_C | NZCV_V);
    CU_ASSERT_EQUAL(X(25), NZCV_Z | NZCV_C);
    CU_ASSERT_EQUAL(X(15), 0xfff); /* ~0 + 0x1000 carries out */
    CU_ASSERT_EQUAL(X(26), NZCV_C);
    CU_ASSERT_EQUAL(X(27), NZCV_Z | NZCV_C);
}

static void test_adds_subs_32(void) {
    reset();
    X(1) = 0xdeadbeef7fffffffull; /* high half must be ignored */
    X(2) = 1;
    X(4) = 0xffffffff;
    X(6) = 0x80000000;
    RUN(0x2b020020, /* adds w0, w1, w2 */
        0xd53b4214, /* mrs x20, nzcv */
        0x6b0203e3, /* subs w3, wzr, w2 */
        0xd53b4215, /* mrs x21, nzcv */
        0x3100049f, /* cmn w4, #1 */
        0xd53b4216, /* mrs x22, nzcv */
        0x710004c5, /* subs w5, w6, #1 */
        0xd53b4217, /* mrs x23, nzcv */
        0x0b020027, /* add w7, w1, w2 */
        0xd1000848, /* sub x8, x2, #2 */
        0x11404089, /* add w9, w4, #0x10, lsl #12 */
    );
    CU_ASSERT_EQUAL(X(0), 0x80000000u);
    CU_ASSERT_EQUAL(X(20), NZCV_N | NZCV_V);
    CU_ASSERT_EQUAL(X(3), 0xffffffffu); /* zero-extended */
    CU_ASSERT_EQUAL(X(21), NZCV_N);
    CU_ASSERT_EQUAL(X(22), NZCV_Z | NZCV_C);
    CU_ASSERT_EQUAL(X(5), 0x7fffffffu);
    CU_ASSERT_EQUAL(X(23), NZCV_C | NZCV_V);
    CU_ASSERT_EQUAL(X(7), 0x80000000u);
    CU_ASSERT_EQUAL(X(8), (uint64_t)-1);
    CU_ASSERT_EQUAL(X(9), 0xffffu);
}

static void test_sp_forms(void) {
    reset();
    uint64_t sp = h->cpu.x[31];
    X(2) = 0xffffffff;
    RUN(0x910003e0, /* mov x0, sp */
        0x910043e1, /* add x1, sp, #16 */
        0xcb2243e3, /* sub x3, sp, w2, uxtw */
        0x8b226fe4, /* add x4, sp, x2, lsl #3 */
        0xd10083ff, /* sub sp, sp, #32 */
        0x910003e5, /* mov x5, sp */
        0x910083ff, /* add sp, sp, #32 */
        0x110003e6, /* mov w6, wsp */
        0xf10003ff, /* cmp sp, #0 */
        0xd53b4207, /* mrs x7, nzcv */
    );
    CU_ASSERT_EQUAL(X(0), sp);
    CU_ASSERT_EQUAL(X(1), sp + 16);
    CU_ASSERT_EQUAL(X(3), sp - 0xffffffffull);
    CU_ASSERT_EQUAL(X(4), sp + 0xffffffffull * 8);
    CU_ASSERT_EQUAL(X(5), sp - 32);
    CU_ASSERT_EQUAL(h->cpu.x[31], sp);
    CU_ASSERT_EQUAL(X(6), (uint32_t)sp);
    CU_ASSERT_EQUAL(X(7), NZCV_C); /* sp > 0: no borrow, not zero */
}

static void test_adc_sbc(void) {
    reset();
    h->cpu.nzcv = NZCV_C;
    X(1) = ~0ull;
    X(3) = 5;
    X(5) = 0x7fffffff;
    RUN(0xba1f0020, /* adcs x0, x1, xzr */
        0xd53b4214, /* mrs x20, nzcv */
        0x9a030062, /* adc x2, x3, x3 */
        0xfa030064, /* sbcs x4, x3, x3 */
        0xd53b4215, /* mrs x21, nzcv */
        0xda1f0066, /* sbc x6, x3, xzr */
        0xd51b4201, /* msr nzcv, x1 */
        0x3a1f00a7, /* adcs w7, w5, wzr */
        0xd53b4216, /* mrs x22, nzcv */
        0xd51b4201, /* msr nzcv, x1 */
        0x7a1f03e8, /* sbcs w8, wzr, wzr */
        0xd53b4217, /* mrs x23, nzcv */
        0xda0303e9, /* ngc x9, x3 */
    );
    CU_ASSERT_EQUAL(X(0), 0); /* ~0 + 0 + 1 */
    CU_ASSERT_EQUAL(X(20), NZCV_Z | NZCV_C);
    CU_ASSERT_EQUAL(X(2), 11); /* C still 1 */
    CU_ASSERT_EQUAL(X(4), 0);  /* 5 + ~5 + 1 */
    CU_ASSERT_EQUAL(X(21), NZCV_Z | NZCV_C);
    CU_ASSERT_EQUAL(X(6), 5); /* 5 + ~0 + 1 */
    CU_ASSERT_EQUAL(X(7), 0x80000000u);
    CU_ASSERT_EQUAL(X(22), NZCV_N | NZCV_V);
    CU_ASSERT_EQUAL(X(8), 0); /* 0 + 0xffffffff + 1 */
    CU_ASSERT_EQUAL(X(23), NZCV_Z | NZCV_C);
    CU_ASSERT_EQUAL(X(9), (uint64_t)-5); /* 0 + ~5 + C(1 from the previous sbcs) */
}

static void test_sbc_borrow(void) {
    reset();
    X(3) = 5;
    RUN(0xfa030064, /* sbcs x4, x3, x3 */
        0xd53b4214, /* mrs x20, nzcv */
    );
    CU_ASSERT_EQUAL(X(4), ~0ull); /* 5 + ~5 + 0 */
    CU_ASSERT_EQUAL(X(20), NZCV_N);
}

static void test_ccmp(void) {
    reset();
    X(1) = 1;
    X(2) = 2;
    X(3) = 0x7fffffff;
    RUN(0xeb01003f, /* cmp x1, x1 */
        0xfa420023, /* ccmp x1, x2, #3, eq */
        0xd53b4214, /* mrs x20, nzcv */
        0xfa420023, /* ccmp x1, x2, #3, eq */
        0xd53b4215, /* mrs x21, nzcv */
        0x3a41b860, /* ccmn w3, #1, #0, lt */
        0xd53b4216, /* mrs x22, nzcv */
        0x7a43606f, /* ccmp w3, w3, #15, vs */
        0xd53b4217, /* mrs x23, nzcv */
        0xba42e020, /* ccmn x1, x2, #0, al */
        0xd53b4218, /* mrs x24, nzcv */
    );
    CU_ASSERT_EQUAL(X(20), NZCV_N);          /* EQ held: flags of 1 - 2 */
    CU_ASSERT_EQUAL(X(21), NZCV_C | NZCV_V); /* EQ failed: #3 */
    CU_ASSERT_EQUAL(X(22), NZCV_N | NZCV_V); /* LT (N != V) held: 0x7fffffff + 1 */
    CU_ASSERT_EQUAL(X(23), NZCV_Z | NZCV_C); /* VS held: w3 - w3 */
    CU_ASSERT_EQUAL(X(24), NZCV_NONE);       /* AL: 1 + 2 */
}

static void test_shifted_register(void) {
    reset();
    X(1) = 1;
    X(2) = 0x10;
    X(3) = 0x8000000000000000ull;
    X(4) = (uint64_t)-4;
    X(5) = 0xff;
    X(6) = 0x12345678;
    X(7) = 0x80000000;
    X(8) = 0xdeadbeef12345678ull;
    RUN(0x8b02102a, /* add x10, x1, x2, lsl #4 */
        0x8b43fc2b, /* add x11, x1, x3, lsr #63 */
        0xcb8407ec, /* sub x12, xzr, x4, asr #1 */
        0xcac523ed, /* eor x13, xzr, x5, ror #8 */
        0x2ac213ee, /* orr w14, wzr, w2, ror #4 */
        0x0a877ccf, /* and w15, w6, w7, asr #31 */
        0xcb0103f0, /* neg x16, x1 */
        0x2a0803f1, /* mov w17, w8 */
        0xaa3f03f2, /* mvn x18, xzr */
        0x2a2103f3, /* mvn w19, w1 */
        0x0b087d14, /* add w20, w8, w8, lsl #31 */
        0xcb01fc55, /* sub x21, x2, x1, lsl #63 */
    );
    CU_ASSERT_EQUAL(X(10), 0x101);
    CU_ASSERT_EQUAL(X(11), 2);
    CU_ASSERT_EQUAL(X(12), 2);
    CU_ASSERT_EQUAL(X(13), 0xff00000000000000ull);
    CU_ASSERT_EQUAL(X(14), 0x00000001u); /* 0x10 ror 4 */
    CU_ASSERT_EQUAL(X(15), 0x12345678u);
    CU_ASSERT_EQUAL(X(16), ~0ull);
    CU_ASSERT_EQUAL(X(17), 0x12345678u);
    CU_ASSERT_EQUAL(X(18), ~0ull);
    CU_ASSERT_EQUAL(X(19), 0xfffffffeu);
    CU_ASSERT_EQUAL(X(20), 0x12345678u); /* low bit of w8 is 0: lsl #31 adds 0 */
    CU_ASSERT_EQUAL(X(21), 0x8000000000000010ull);
}

static void test_logical_register(void) {
    reset();
    X(1) = 0xff;
    X(2) = 0x0f;
    X(3) = 0x80000000;
    RUN(0x8a22002a, /* bic x10, x1, x2 */
        0xaa21004b, /* orn x11, x2, x1 */
        0xca22002c, /* eon x12, x1, x2 */
        0x4a02002d, /* eor w13, w1, w2 */
        0xea21004e, /* bics x14, x2, x1 */
        0xd53b4214, /* mrs x20, nzcv */
        0x6a03006f, /* ands w15, w3, w3 */
        0xd53b4215, /* mrs x21, nzcv */
        0xea03807f, /* tst x3, x3, lsl #32 */
        0xd53b4216, /* mrs x22, nzcv */
        0x6a221030, /* bics w16, w1, w2, lsl #4 */
        0xd53b4217, /* mrs x23, nzcv */
    );
    CU_ASSERT_EQUAL(X(10), 0xf0);
    CU_ASSERT_EQUAL(X(11), ~0xf0ull);
    CU_ASSERT_EQUAL(X(12), ~0xf0ull);
    CU_ASSERT_EQUAL(X(13), 0xf0);
    CU_ASSERT_EQUAL(X(14), 0);
    CU_ASSERT_EQUAL(X(20), NZCV_Z);
    CU_ASSERT_EQUAL(X(15), 0x80000000u);
    CU_ASSERT_EQUAL(X(21), NZCV_N);
    CU_ASSERT_EQUAL(X(22), NZCV_Z); /* 0x80000000 & 0x8000000000000000 */
    CU_ASSERT_EQUAL(X(16), 0x0f);
    CU_ASSERT_EQUAL(X(23), NZCV_NONE);
}

static void test_variable_shifts(void) {
    reset();
    X(1) = 1;
    X(2) = 65;
    X(3) = 33;
    X(4) = 0x80000000;
    X(5) = 4;
    RUN(0x9ac2202a, /* lsl x10, x1, x2 */
        0x1ac3202b, /* lsl w11, w1, w3 */
        0x1ac5288c, /* asr w12, w4, w5 */
        0x9ac52c2d, /* ror x13, x1, x5 */
        0x9ac3248e, /* lsr x14, x4, x3 */
        0x1ac32c2f, /* ror w15, w1, w3 */
        0x9ac52890, /* asr x16, x4, x5 */
    );
    CU_ASSERT_EQUAL(X(10), 2);
    CU_ASSERT_EQUAL(X(11), 2);
    CU_ASSERT_EQUAL(X(12), 0xf8000000u);
    CU_ASSERT_EQUAL(X(13), 0x1000000000000000ull);
    CU_ASSERT_EQUAL(X(14), 0);
    CU_ASSERT_EQUAL(X(15), 0x80000000u);
    CU_ASSERT_EQUAL(X(16), 0x08000000u);
}

static void test_extended_register(void) {
    reset();
    X(1) = 1000;
    X(2) = 0x1ff;
    X(3) = 0x80;
    X(4) = 0xffff;
    X(5) = ~0ull;
    X(6) = 0xffffffff;
    X(7) = 0x12345;
    RUN(0x8b22002a, /* add x10, x1, w2, uxtb */
        0x8b23882b, /* add x11, x1, w3, sxtb #2 */
        0x2b24a04c, /* adds w12, w2, w4, sxth */
        0xd53b4214, /* mrs x20, nzcv */
        0xeb26c0bf, /* cmp x5, w6, sxtw */
        0xd53b4215, /* mrs x21, nzcv */
        0x0b27312d, /* add w13, w9, w7, uxth #4 */
        0xcb26e42e, /* sub x14, x1, x6, sxtx #1 */
        0x8b26502f, /* add x15, x1, w6, uxtw #4 */
        0x0b25c030, /* add w16, w1, w5, sxtw */
        0x8b24a031, /* add x17, x1, w4, sxth */
    );
    CU_ASSERT_EQUAL(X(10), 1000 + 0xff);
    CU_ASSERT_EQUAL(X(11), 1000 - 512);
    CU_ASSERT_EQUAL(X(12), 0x1fe);
    CU_ASSERT_EQUAL(X(20), NZCV_C);
    CU_ASSERT_EQUAL(X(21), NZCV_Z | NZCV_C);
    CU_ASSERT_EQUAL(X(13), 0x23450);
    CU_ASSERT_EQUAL(X(14), 1000 - 0x1fffffffeull);
    CU_ASSERT_EQUAL(X(15), 1000 + 0xffffffff0ull);
    CU_ASSERT_EQUAL(X(16), 999);
    CU_ASSERT_EQUAL(X(17), 999);
}

static void test_bitfield_shifts(void) {
    reset();
    X(1) = 0xf00000000000000full;
    X(2) = 0xf000000f;
    X(3) = 0x8000000000000000ull;
    X(4) = 0x80000000;
    RUN(0xd37cec2a, /* lsl x10, x1, #4 */
        0x53047c4b, /* lsr w11, w2, #4 */
        0x937cfc6c, /* asr x12, x3, #60 */
        0x131f7c8d, /* asr w13, w4, #31 */
        0x5301004e, /* lsl w14, w2, #31 */
        0xd37ffc2f, /* lsr x15, x1, #63 */
        0xd340fc30, /* lsl x16, x1, #0 */
        0x13007c31, /* asr w17, w1, #0 */
    );
    CU_ASSERT_EQUAL(X(10), 0xf0);
    CU_ASSERT_EQUAL(X(11), 0x0f000000u);
    CU_ASSERT_EQUAL(X(12), 0xfffffffffffffff8ull);
    CU_ASSERT_EQUAL(X(13), 0xffffffffu);
    CU_ASSERT_EQUAL(X(14), 0x80000000u);
    CU_ASSERT_EQUAL(X(15), 1);
    CU_ASSERT_EQUAL(X(16), 0xf00000000000000full);
    CU_ASSERT_EQUAL(X(17), 0xf);
}

static void test_extends(void) {
    reset();
    X(1) = 0xffffffff80008080ull;
    RUN(0x93401c2a, /* sxtb x10, w1 */
        0x13001c2b, /* sxtb w11, w1 */
        0x93403c2c, /* sxth x12, w1 */
        0x13003c2d, /* sxth w13, w1 */
        0x93407c2e, /* sxtw x14, w1 */
        0x53001c2f, /* uxtb w15, w1 */
        0x53003c30, /* uxth w16, w1 */
        0x2a0103f1, /* mov w17, w1 */
    );
    CU_ASSERT_EQUAL(X(10), 0xffffffffffffff80ull);
    CU_ASSERT_EQUAL(X(11), 0xffffff80u);
    CU_ASSERT_EQUAL(X(12), 0xffffffffffff8080ull);
    CU_ASSERT_EQUAL(X(13), 0xffff8080u);
    CU_ASSERT_EQUAL(X(14), 0xffffffff80008080ull);
    CU_ASSERT_EQUAL(X(15), 0x80);
    CU_ASSERT_EQUAL(X(16), 0x8080);
    CU_ASSERT_EQUAL(X(17), 0x80008080u);
}

static void test_bitfield_extract_insert(void) {
    reset();
    X(1) = 0x12345678;
    X(2) = 0x80;
    X(3) = 0x80000000;
    X(4) = 0x1ff;
    X(5) = 0xf8;
    X(6) = 0xabcd;
    X(20) = ~0ull;
    X(21) = ~0ull;
    X(22) = 0x1111111111111111ull;
    RUN(0xd3483c2a, /* ubfx x10, x1, #8, #8 */
        0x93441c4b, /* sbfx x11, x2, #4, #4 */
        0x131c7c6c, /* sbfx w12, w3, #28, #4 */
        0xd37c1c8d, /* ubfiz x13, x4, #4, #8 */
        0x93780cae, /* sbfiz x14, x5, #8, #4 */
        0xb3781c34, /* bfi x20, x1, #8, #8 */
        0x33042cd5, /* bfxil w21, w6, #4, #8 */
        0xb3440ff6, /* bfi x22, xzr, #60, #4 */
        0xd35f7c6f, /* ubfx x15, x3, #31, #1 */
        0x13010090, /* sbfiz w16, w4, #31, #1 */
        0x9340fc31, /* sbfx x17, x1, #0, #64 */
        0xb340fc32, /* bfxil x18, x1, #0, #64 */
        0x53103c33, /* ubfiz w19, w1, #16, #16 */
    );
    CU_ASSERT_EQUAL(X(10), 0x56);
    CU_ASSERT_EQUAL(X(11), 0xfffffffffffffff8ull);
    CU_ASSERT_EQUAL(X(12), 0xfffffff8u);
    CU_ASSERT_EQUAL(X(13), 0xff0);
    CU_ASSERT_EQUAL(X(14), 0xfffffffffffff800ull);
    CU_ASSERT_EQUAL(X(20), 0xffffffffffff78ffull);
    CU_ASSERT_EQUAL(X(21), 0xffffffbcu);
    CU_ASSERT_EQUAL(X(22), 0x0111111111111111ull);
    CU_ASSERT_EQUAL(X(15), 1);
    CU_ASSERT_EQUAL(X(16), 0x80000000u);
    CU_ASSERT_EQUAL(X(17), 0x12345678);
    CU_ASSERT_EQUAL(X(18), 0x12345678);
    CU_ASSERT_EQUAL(X(19), 0x56780000u);
}

static void test_extr(void) {
    reset();
    X(1) = 0x11;
    X(2) = 0x2200000000000000ull;
    X(3) = 0xa;
    X(4) = 0xb0;
    X(5) = 0xf;
    RUN(0x93c2202a, /* extr x10, x1, x2, #8 */
        0x1384106b, /* extr w11, w3, w4, #4 */
        0x93c510ac, /* ror x12, x5, #4 */
        0x138510ad, /* ror w13, w5, #4 */
        0x93c2002e, /* extr x14, x1, x2, #0 */
        0x13827c2f, /* extr w15, w1, w2, #31 */
    );
    CU_ASSERT_EQUAL(X(10), 0x1122000000000000ull);
    CU_ASSERT_EQUAL(X(11), 0xa000000bu);
    CU_ASSERT_EQUAL(X(12), 0xf000000000000000ull);
    CU_ASSERT_EQUAL(X(13), 0xf0000000u);
    CU_ASSERT_EQUAL(X(14), 0x2200000000000000ull);
    CU_ASSERT_EQUAL(X(15), 0x22); /* (0x11 << 1) | (0 >> 31) */
}

static void test_logical_immediate(void) {
    reset();
    X(1) = ~0ull;
    X(2) = 0x80000000;
    RUN(0x92089c2a, /* and x10, x1, #0xff00ff00ff00ff00 */
        0x3200f3eb, /* mov w11, #0x55555555 */
        0xd241042c, /* eor x12, x1, #0x8000000000000001 */
        0x7201004d, /* ands w13, w2, #0x80000000 */
        0xd53b4214, /* mrs x20, nzcv */
        0xb2003fee, /* mov x14, #0x0000ffff0000ffff */
        0xb2431bef, /* orr x15, xzr, #0xe00000000000000f */
        0x12000430, /* and w16, w1, #0x3 */
        0xf240785f, /* tst x2, #0x7fffffff */
        0xd53b4215, /* mrs x21, nzcv */
        0x521f7831, /* eor w17, w1, #0xfffffffe */
    );
    CU_ASSERT_EQUAL(X(10), 0xff00ff00ff00ff00ull);
    CU_ASSERT_EQUAL(X(11), 0x55555555u);
    CU_ASSERT_EQUAL(X(12), 0x7ffffffffffffffeull);
    CU_ASSERT_EQUAL(X(13), 0x80000000u);
    CU_ASSERT_EQUAL(X(20), NZCV_N);
    CU_ASSERT_EQUAL(X(14), 0x0000ffff0000ffffull);
    CU_ASSERT_EQUAL(X(15), 0xe00000000000000full);
    CU_ASSERT_EQUAL(X(16), 3);
    CU_ASSERT_EQUAL(X(21), NZCV_Z);
    CU_ASSERT_EQUAL(X(17), 1);
}

static void test_logical_immediate_reserved(void) {
    expect_sigill(0x9200fc00); /* AND x0, x0: N=0 imms=111111 (len undefined) */
    expect_sigill(0x9240fc00); /* AND x0, x0: N=1 imms=111111 (all-ones element) */
    expect_sigill(0x12400000); /* AND w0, w0: N=1 in a 32-bit op */
    expect_sigill(0x3200f400); /* ORR w0: N=0 imms=111101 -> esize 2, all ones */
}

static void test_move_wide(void) {
    reset();
    X(12) = 0x1111111111111111ull;
    X(13) = ~0ull;
    RUN(0xd2e2468a, /* movz x10, #0x1234, lsl #48 */
        0x9280000b, /* movn x11, #0 */
        0xf2b7ddec, /* movk x12, #0xbeef, lsl #16 */
        0x7297dded, /* movk w13, #0xbeef */
        0x1280000e, /* movn w14, #0 */
        0x12a2468f, /* movn w15, #0x1234, lsl #16 */
        0x52bffff0, /* movz w16, #0xffff, lsl #16 */
        0x92f00011, /* movn x17, #0x8000, lsl #48 */
    );
    CU_ASSERT_EQUAL(X(10), 0x1234000000000000ull);
    CU_ASSERT_EQUAL(X(11), ~0ull);
    CU_ASSERT_EQUAL(X(12), 0x11111111beef1111ull);
    CU_ASSERT_EQUAL(X(13), 0xffffbeefu);
    CU_ASSERT_EQUAL(X(14), 0xffffffffu);
    CU_ASSERT_EQUAL(X(15), 0xedcbffffu);
    CU_ASSERT_EQUAL(X(16), 0xffff0000u);
    CU_ASSERT_EQUAL(X(17), 0x7fffffffffffffffull);
    expect_sigill(0x52c00020); /* MOVZ w0, #1, lsl #32: hw=2 needs sf */
    expect_sigill(0x32800000); /* move wide with opc=01 */
}

static void test_adr(void) {
    reset();
    RUN(0x10000020, /* adr x0, 1f */
        0x10000001, /* 1: adr x1, 1b */
        0xd0000002, /* adrp x2, pc_page + 0x2000 (immlo=2) */
        0xf0ffffe3, /* adrp x3, pc_page - 0x1000 (imm=-1) */
        0x10ff8004, /* adr x4, .-0x1000 */
    );
    CU_ASSERT_EQUAL(X(0), HARNESS_CODE + 4);
    CU_ASSERT_EQUAL(X(1), HARNESS_CODE + 4);
    CU_ASSERT_EQUAL(X(2), HARNESS_CODE + 0x2000); /* pc 0x1008, page 0x1000 */
    CU_ASSERT_EQUAL(X(3), HARNESS_CODE - 0x1000);
    CU_ASSERT_EQUAL(X(4), HARNESS_CODE + 16 - 0x1000);
}

static void test_multiply(void) {
    reset();
    X(1) = 3;
    X(2) = 4;
    X(3) = 5;
    X(4) = 0x10000;
    X(5) = 0xfffffffe; /* -2 as a W register */
    X(6) = 10;
    RUN(0x9b020c2a, /* madd x10, x1, x2, x3 */
        0x9b028c2b, /* msub x11, x1, x2, x3 */
        0x1b047c8c, /* mul w12, w4, w4 */
        0x9b2118ad, /* smaddl x13, w5, w1, x6 */
        0x9ba118ae, /* umaddl x14, w5, w1, x6 */
        0x9b217caf, /* smull x15, w5, w1 */
        0x9ba17cb0, /* umull x16, w5, w1 */
        0x9b2198b1, /* smsubl x17, w5, w1, x6 */
        0x9ba198b2, /* umsubl x18, w5, w1, x6 */
        0x9b02fc33, /* mneg x19, x1, x2 */
        0x1b0118b4, /* madd w20, w5, w1, w6 */
        0x9b047c95, /* mul x21, x4, x4 */
    );
    CU_ASSERT_EQUAL(X(10), 17);
    CU_ASSERT_EQUAL(X(11), (uint64_t)-7);
    CU_ASSERT_EQUAL(X(12), 0);
    CU_ASSERT_EQUAL(X(13), 4);
    CU_ASSERT_EQUAL(X(14), 0x300000004ull);
    CU_ASSERT_EQUAL(X(15), (uint64_t)-6);
    CU_ASSERT_EQUAL(X(16), 0x2fffffffaull);
    CU_ASSERT_EQUAL(X(17), 16);
    CU_ASSERT_EQUAL(X(18), 10 - 0x2fffffffaull);
    CU_ASSERT_EQUAL(X(19), (uint64_t)-12);
    CU_ASSERT_EQUAL(X(20), 4);
    CU_ASSERT_EQUAL(X(21), 0x100000000ull);
}

static void test_multiply_high(void) {
    reset();
    X(1) = ~0ull;
    X(2) = 5;
    X(3) = 0x8000000000000000ull;
    RUN(0x9b427c2a, /* smulh x10, x1, x2 */
        0x9bc27c2b, /* umulh x11, x1, x2 */
        0x9b437c6c, /* smulh x12, x3, x3 */
        0x9bc37c6d, /* umulh x13, x3, x3 */
        0x9b417c2e, /* smulh x14, x1, x1 */
        0x9bc17c2f, /* umulh x15, x1, x1 */
    );
    CU_ASSERT_EQUAL(X(10), ~0ull);                 /* -5 */
    CU_ASSERT_EQUAL(X(11), 4);                     /* (2^64 - 1) * 5 = 4 * 2^64 + (2^64 - 5) */
    CU_ASSERT_EQUAL(X(12), 0x4000000000000000ull); /* (-2^63)^2 = 2^126 */
    CU_ASSERT_EQUAL(X(13), 0x4000000000000000ull);
    CU_ASSERT_EQUAL(X(14), 0); /* (-1)^2 = 1 */
    CU_ASSERT_EQUAL(X(15), 0xfffffffffffffffeull);
}

static void test_divide(void) {
    reset();
    X(1) = 7;
    X(2) = 2;
    X(3) = 0x8000000000000000ull;
    X(4) = ~0ull;
    X(5) = 0xfffffff9; /* -7 as a W register */
    X(6) = 0x80000000;
    RUN(0x9ac2082a, /* udiv x10, x1, x2 */
        0x9adf082b, /* udiv x11, x1, xzr */
        0x9ac40c6c, /* sdiv x12, x3, x4 */
        0x1ac40ccd, /* sdiv w13, w6, w4 */
        0x9adf0c2e, /* sdiv x14, x1, xzr */
        0x1ac2088f, /* udiv w15, w4, w2 */
        0x1ac20cb0, /* sdiv w16, w5, w2 */
        0x9ac20c91, /* sdiv x17, x4, x2 */
        0x9ac20892, /* udiv x18, x4, x2 */
    );
    CU_ASSERT_EQUAL(X(10), 3);
    CU_ASSERT_EQUAL(X(11), 0);
    CU_ASSERT_EQUAL(X(12), 0x8000000000000000ull);
    CU_ASSERT_EQUAL(X(13), 0x80000000u);
    CU_ASSERT_EQUAL(X(14), 0);
    CU_ASSERT_EQUAL(X(15), 0x7fffffffu);
    CU_ASSERT_EQUAL(X(16), 0xfffffffdu); /* rounds towards zero: -3 */
    CU_ASSERT_EQUAL(X(17), 0);           /* -1 / 2 */
    CU_ASSERT_EQUAL(X(18), 0x7fffffffffffffffull);
}

static void test_one_source(void) {
    reset();
    X(1) = 1;
    X(2) = 0x0102030405060708ull;
    X(3) = 0xffffffff00000001ull;
    X(4) = 0xffffffff;
    X(5) = 0x4000000000000000ull;
    RUN(0xdac0002a, /* rbit x10, x1 */
        0x5ac0002b, /* rbit w11, w1 */
        0xdac00c4c, /* rev x12, x2 */
        0x5ac0084d, /* rev w13, w2 */
        0xdac0044e, /* rev16 x14, x2 */
        0x5ac0044f, /* rev16 w15, w2 */
        0xdac00850, /* rev32 x16, x2 */
        0xdac013f1, /* clz x17, xzr */
        0x5ac01072, /* clz w18, w3 */
        0xdac017f3, /* cls x19, xzr */
        0x5ac01494, /* cls w20, w4 */
        0xdac014b5, /* cls x21, x5 */
        0xdac010b6, /* clz x22, x5 */
    );
    CU_ASSERT_EQUAL(X(10), 0x8000000000000000ull);
    CU_ASSERT_EQUAL(X(11), 0x80000000u);
    CU_ASSERT_EQUAL(X(12), 0x0807060504030201ull);
    CU_ASSERT_EQUAL(X(13), 0x08070605u);
    CU_ASSERT_EQUAL(X(14), 0x0201040306050807ull);
    CU_ASSERT_EQUAL(X(15), 0x06050807u);
    CU_ASSERT_EQUAL(X(16), 0x0403020108070605ull);
    CU_ASSERT_EQUAL(X(17), 64);
    CU_ASSERT_EQUAL(X(18), 31);
    CU_ASSERT_EQUAL(X(19), 63);
    CU_ASSERT_EQUAL(X(20), 31);
    CU_ASSERT_EQUAL(X(21), 0);
    CU_ASSERT_EQUAL(X(22), 1);
}

static void test_conditional_select(void) {
    reset();
    X(1) = 1;
    X(2) = 2;
    X(3) = 0xffffffff00000005ull;
    X(4) = 7;
    RUN(0xeb02003f, /* cmp x1, x2 */
        0x9a84b06a, /* csel x10, x3, x4, lt */
        0x9a84a46b, /* csinc x11, x3, x4, ge */
        0xda84a06c, /* csinv x12, x3, x4, ge */
        0xda84a46d, /* csneg x13, x3, x4, ge */
        0x1a9f17ee, /* cset w14, eq */
        0xda9f03ef, /* csetm x15, ne */
        0x1a84e070, /* csel w16, w3, w4, al */
        0x9a9ff7f1, /* csinc x17, xzr, xzr, nv */
        0x1a84a492, /* cinc w18, w4, lt */
        0x5a848473, /* csneg w19, w3, w4, hi */
        0x5a9f2074, /* csinv w20, w3, wzr, hs */
        0x5a9f23f5, /* csetm w21, lo */
    );
    CU_ASSERT_EQUAL(X(10), 0xffffffff00000005ull);
    CU_ASSERT_EQUAL(X(11), 8);
    CU_ASSERT_EQUAL(X(12), ~7ull);
    CU_ASSERT_EQUAL(X(13), (uint64_t)-7);
    CU_ASSERT_EQUAL(X(14), 0);
    CU_ASSERT_EQUAL(X(15), ~0ull);
    CU_ASSERT_EQUAL(X(16), 5);
    CU_ASSERT_EQUAL(X(17), 0); /* NV acts as AL: Rn */
    CU_ASSERT_EQUAL(X(18), 8);
    CU_ASSERT_EQUAL(X(19), 0xfffffff9u); /* HI false (C clear): -w4 */
    CU_ASSERT_EQUAL(X(20), 0xffffffffu); /* HS false: ~wzr */
    CU_ASSERT_EQUAL(X(21), 0xffffffffu); /* LO true */
}

static void test_crc32(void) {
    /* "123456789" fed 8+1, 4+2+2+1 bytes; the complete CRC-32 and
     * CRC-32C invert before and after (their check values: 0xcbf43926,
     * 0xe3069283). */
    reset();
    X(0) = 0xffffffff;
    X(1) = 0xffffffff;
    X(2) = 0x3837363534333231ull;
    X(3) = 0x39;
    X(4) = 0x34333231;
    X(5) = 0x3635;
    X(6) = 0x3837;
    X(7) = 0xffffffff;
    X(8) = 0xffffffff;
    RUN(0x9ac24c00, /* crc32x w0, w0, x2 */
        0x1ac34000, /* crc32b w0, w0, w3 */
        0x2a2003e0, /* mvn w0, w0 */
        0x9ac25c21, /* crc32cx w1, w1, x2 */
        0x1ac35021, /* crc32cb w1, w1, w3 */
        0x2a2103e1, /* mvn w1, w1 */
        0x1ac448e7, /* crc32w w7, w7, w4 */
        0x1ac544e7, /* crc32h w7, w7, w5 */
        0x1ac644e7, /* crc32h w7, w7, w6 */
        0x1ac340e7, /* crc32b w7, w7, w3 */
        0x2a2703e7, /* mvn w7, w7 */
        0x1ac45908, /* crc32cw w8, w8, w4 */
        0x1ac55508, /* crc32ch w8, w8, w5 */
        0x1ac65508, /* crc32ch w8, w8, w6 */
        0x1ac35108, /* crc32cb w8, w8, w3 */
        0x2a2803e8, /* mvn w8, w8 */
    );
    CU_ASSERT_EQUAL(X(0), 0xcbf43926u);
    CU_ASSERT_EQUAL(X(1), 0xe3069283u);
    CU_ASSERT_EQUAL(X(7), 0xcbf43926u);
    CU_ASSERT_EQUAL(X(8), 0xe3069283u);
    /* The helper on its own. */
    uint32_t crc = a64_crc32_update(0xffffffff, 0x3837363534333231ull, 8, false);
    CU_ASSERT_EQUAL(~a64_crc32_update(crc, 0x39, 1, false), 0xcbf43926u);
    expect_sigill(0x1ac24c20); /* crc32x with sf=0 */
    expect_sigill(0x9ac24020); /* crc32b with sf=1 */
}

/* Encodings inside the integer groups that the Arm ARM leaves
 * unallocated in ARMv8.0 (objdump: "undefined", or a later extension). */
static void test_unallocated(void) {
    expect_sigill(0x8bc00000); /* ADD (shifted) with shift type 11 */
    expect_sigill(0x0b008000); /* ADD w (shifted) with amount 32 */
    expect_sigill(0x8b201400); /* ADD (extended) with shift 5 */
    expect_sigill(0x8b600000); /* ADD (extended) with opt 01 */
    expect_sigill(0x93000000); /* SBFM with sf=1, N=0 */
    expect_sigill(0x13200000); /* SBFM w with immr<5> set */
    expect_sigill(0x13808000); /* EXTR w with imms<5> set */
    expect_sigill(0x73000000); /* bitfield opc=11 */
    expect_sigill(0x5ac00c00); /* REV (64-bit opcode) with sf=0 */
    expect_sigill(0xdac10000); /* PACIA x0, x0 (ARMv8.3) */
    expect_sigill(0x5ac01800); /* CTZ w0, w0 (ARMv8.9 CSSC) */
    expect_sigill(0xfa400400); /* CCMP with o2=1 */
    expect_sigill(0x3a800000); /* conditional select with S=1 */
    expect_sigill(0x1a800800); /* conditional select with op2=10 */
    expect_sigill(0xbb000000); /* 3-source with op54=01 */
    expect_sigill(0x9b408000); /* SMULH with o0=1 */
    expect_sigill(0x1b200000); /* SMADDL with sf=0 */
    expect_sigill(0x9a000400); /* ADC with opcode2 != 0 */
    expect_sigill(0x91800000); /* ADDG (MTE) */
    expect_sigill(0x1ac01000); /* 2-source opcode 000100 */
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("a64_int", suite_init, suite_fini);
    CU_add_test(s, "adds_subs_64", test_adds_subs_64);
    CU_add_test(s, "adds_subs_32", test_adds_subs_32);
    CU_add_test(s, "sp_forms", test_sp_forms);
    CU_add_test(s, "adc_sbc", test_adc_sbc);
    CU_add_test(s, "sbc_borrow", test_sbc_borrow);
    CU_add_test(s, "ccmp", test_ccmp);
    CU_add_test(s, "shifted_register", test_shifted_register);
    CU_add_test(s, "logical_register", test_logical_register);
    CU_add_test(s, "variable_shifts", test_variable_shifts);
    CU_add_test(s, "extended_register", test_extended_register);
    CU_add_test(s, "bitfield_shifts", test_bitfield_shifts);
    CU_add_test(s, "extends", test_extends);
    CU_add_test(s, "bitfield_extract_insert", test_bitfield_extract_insert);
    CU_add_test(s, "extr", test_extr);
    CU_add_test(s, "logical_immediate", test_logical_immediate);
    CU_add_test(s, "logical_immediate_reserved", test_logical_immediate_reserved);
    CU_add_test(s, "move_wide", test_move_wide);
    CU_add_test(s, "adr", test_adr);
    CU_add_test(s, "multiply", test_multiply);
    CU_add_test(s, "multiply_high", test_multiply_high);
    CU_add_test(s, "divide", test_divide);
    CU_add_test(s, "one_source", test_one_source);
    CU_add_test(s, "conditional_select", test_conditional_select);
    CU_add_test(s, "crc32", test_crc32);
    CU_add_test(s, "unallocated", test_unallocated);
}

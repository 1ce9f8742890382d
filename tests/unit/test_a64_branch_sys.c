/* A64 branches, exception generation and system instructions run through
 * the frontend and the interpreter. Expected values follow the Arm ARM;
 * encodings come from aarch64-linux-gnu-as (source next to each word). */
#define _GNU_SOURCE /* TRAP_BRKPT */
#include <signal.h>
#include <time.h>

#include "dbt/a64/a64.h"
#include "dbt/ir.h"
#include "tests/unit/a64_suite.h"

/* Runs the words and expects signal signo at word index `at`. */
static void expect_signal(const uint32_t *code, size_t n, int signo, size_t at) {
    CU_ASSERT_EQUAL(harness_run(h, code, n), CPU_EXIT_SIGNAL);
    CU_ASSERT_EQUAL(h->cpu.exit_signo, signo);
    CU_ASSERT_EQUAL(h->cpu.pc, HARNESS_CODE + 4 * at);
}

static void expect_sigill(uint32_t insn) {
    reset();
    expect_signal(&insn, 1, SIGILL, 0);
    CU_ASSERT_EQUAL(h->cpu.exit_code, ILL_ILLOPC);
    CU_ASSERT_EQUAL(h->cpu.exit_addr, HARNESS_CODE);
}

static void test_b(void) {
    reset();
    RUN(0xd2800020, /* mov x0, #1 */
        0x14000002, /* b 1f */
        0xd2800040, /* mov x0, #2 */
        0xd2800061, /* 1: mov x1, #3 */
    );
    CU_ASSERT_EQUAL(X(0), 1);
    CU_ASSERT_EQUAL(X(1), 3);
}

static void test_loop(void) {
    reset();
    RUN(0xd28000a1, /* mov x1, #5 */
        0x91000800, /* 1: add x0, x0, #2 */
        0xf1000421, /* subs x1, x1, #1 */
        0x54ffffc1, /* b.ne 1b */
    );
    CU_ASSERT_EQUAL(X(0), 10);
    CU_ASSERT_EQUAL(X(1), 0);
}

/* ConditionHolds() from the Arm ARM, written out per condition. */
static int cond_holds(unsigned cond, uint32_t nzcv) {
    int n = !!(nzcv & NZCV_N), z = !!(nzcv & NZCV_Z), c = !!(nzcv & NZCV_C), v = !!(nzcv & NZCV_V);
    switch (cond) {
    case 0: return z;                /* EQ */
    case 1: return !z;               /* NE */
    case 2: return c;                /* CS */
    case 3: return !c;               /* CC */
    case 4: return n;                /* MI */
    case 5: return !n;               /* PL */
    case 6: return v;                /* VS */
    case 7: return !v;               /* VC */
    case 8: return c && !z;          /* HI */
    case 9: return !(c && !z);       /* LS */
    case 10: return n == v;          /* GE */
    case 11: return n != v;          /* LT */
    case 12: return !z && n == v;    /* GT */
    case 13: return !(!z && n == v); /* LE */
    default: return 1;               /* AL, NV */
    }
}

static void test_b_cond_all(void) {
    for (unsigned cond = 0; cond < 16; cond++) {
        for (uint32_t flags = 0; flags < 16; flags++) {
            uint32_t code[] = {
                0x54000040 | cond, /* b.<cond> .+8 */
                0xd2800020,        /* mov x0, #1 */
                0xd2800041,        /* mov x1, #2 */
            };
            reset();
            h->cpu.nzcv = flags << 28;
            CU_ASSERT_EQUAL_FATAL(harness_run(h, code, N_WORDS(code)), CPU_EXIT_SVC);
            CU_ASSERT_EQUAL(X(0), cond_holds(cond, flags << 28) ? 0 : 1);
            CU_ASSERT_EQUAL(X(1), 2);
            CU_ASSERT_EQUAL(h->cpu.nzcv, flags << 28);
        }
    }
}

static void test_cbz_tbz(void) {
    reset();
    X(1) = 0x100000000ull;
    X(2) = 0x8000000000000000ull;
    X(3) = 8;
    RUN(0x34000041, /* cbz w1, 1f */
        0xd280002a, /* mov x10, #1 */
        0xb4000041, /* 1: cbz x1, 2f */
        0xd280002b, /* mov x11, #1 */
        0xd503201f, /* 2: nop */
        0x35000041, /* cbnz w1, 1f */
        0xd280002c, /* mov x12, #1 */
        0xb5000041, /* 1: cbnz x1, 2f */
        0xd280002d, /* mov x13, #1 */
        0xd503201f, /* 2: nop */
        0xb7f80042, /* tbnz x2, #63, 1f */
        0xd280002e, /* mov x14, #1 */
        0xb6f80042, /* 1: tbz x2, #63, 2f */
        0xd280002f, /* mov x15, #1 */
        0xd503201f, /* 2: nop */
        0x36180043, /* tbz w3, #3, 1f */
        0xd2800030, /* mov x16, #1 */
        0x37100043, /* 1: tbnz w3, #2, 2f */
        0xd2800031, /* mov x17, #1 */
        0xd503201f, /* 2: nop */
        0xb6000041, /* tbz x1, #32, 1f */
        0xd2800032, /* mov x18, #1 */
        0xd503201f, /* 1: nop */
    );
    CU_ASSERT_EQUAL(X(10), 0); /* cbz w1 taken */
    CU_ASSERT_EQUAL(X(11), 1); /* cbz x1 not taken */
    CU_ASSERT_EQUAL(X(12), 1); /* cbnz w1 not taken */
    CU_ASSERT_EQUAL(X(13), 0); /* cbnz x1 taken */
    CU_ASSERT_EQUAL(X(14), 0);
    CU_ASSERT_EQUAL(X(15), 1);
    CU_ASSERT_EQUAL(X(16), 1);
    CU_ASSERT_EQUAL(X(17), 1);
    CU_ASSERT_EQUAL(X(18), 1);
}

static void test_bl_ret(void) {
    reset();
    RUN(0x94000003, /* bl 1f */
        0xd28000e2, /* mov x2, #7 */
        0x14000003, /* b 2f */
        0xd28000a1, /* 1: mov x1, #5 */
        0xd65f03c0, /* ret */
        0xd503201f, /* 2: nop */
    );
    CU_ASSERT_EQUAL(X(30), HARNESS_CODE + 4);
    CU_ASSERT_EQUAL(X(1), 5);
    CU_ASSERT_EQUAL(X(2), 7);
}

static void test_blr_br(void) {
    reset();
    RUN(0x10000083, /* adr x3, 1f */
        0xd63f0060, /* blr x3 */
        0xd28000e2, /* mov x2, #7 */
        0x14000003, /* b 2f */
        0xd2800121, /* 1: mov x1, #9 */
        0xd65f03c0, /* ret x30 */
        0xd503201f, /* 2: nop */
    );
    CU_ASSERT_EQUAL(X(30), HARNESS_CODE + 8);
    CU_ASSERT_EQUAL(X(1), 9);
    CU_ASSERT_EQUAL(X(2), 7);

    /* BLR x30 jumps to the old x30, then x30 = return address. */
    reset();
    RUN(0x1000009e, /* adr x30, 1f */
        0xd63f03c0, /* blr x30 */
        0xd2800022, /* mov x2, #1 */
        0x14000003, /* b 2f */
        0xd2800121, /* 1: mov x1, #9 */
        0xd65f03c0, /* ret */
        0xd503201f, /* 2: nop */
    );
    CU_ASSERT_EQUAL(X(30), HARNESS_CODE + 8);
    CU_ASSERT_EQUAL(X(1), 9);
    CU_ASSERT_EQUAL(X(2), 1);

    reset();
    RUN(0x10000064, /* adr x4, 1f */
        0xd61f0080, /* br x4 */
        0xd2800020, /* mov x0, #1 */
        0x10000065, /* 1: adr x5, 2f */
        0xd65f00a0, /* ret x5 */
        0xd2800040, /* mov x0, #2 */
        0xd2800026, /* 2: mov x6, #1 */
    );
    CU_ASSERT_EQUAL(X(0), 0);
    CU_ASSERT_EQUAL(X(6), 1);
    CU_ASSERT_EQUAL(X(30), 0); /* BR and RET do not link */
}

static void test_svc(void) {
    reset();
    static const uint32_t code[] = {
        0xd2800ba8, /* mov x8, #93 */
        0xd4000841, /* svc #0x42 */
        0xd2800020, /* mov x0, #1 */
    };
    CU_ASSERT_EQUAL(harness_run(h, code, N_WORDS(code)), CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(h->cpu.svc_imm, 0x42);
    CU_ASSERT_EQUAL(h->cpu.pc, HARNESS_CODE + 8); /* after the svc */
    CU_ASSERT_EQUAL(X(8), 93);
    CU_ASSERT_EQUAL(X(0), 0);
}

static void test_brk(void) {
    reset();
    static const uint32_t code[] = {
        0xd2800020, /* mov x0, #1 */
        0xd4207d00, /* brk #0x3e8 */
        0xd2800040, /* mov x0, #2 */
    };
    expect_signal(code, N_WORDS(code), SIGTRAP, 1);
    CU_ASSERT_EQUAL(h->cpu.exit_code, TRAP_BRKPT);
    CU_ASSERT_EQUAL(h->cpu.exit_addr, HARNESS_CODE + 4);
    CU_ASSERT_EQUAL(X(0), 1);
}

static void test_udf_after_work(void) {
    reset();
    static const uint32_t code[] = {
        0xd2800020, /* mov x0, #1 */
        0x00000000, /* udf #0 */
        0xd2800040, /* mov x0, #2 */
    };
    expect_signal(code, N_WORDS(code), SIGILL, 1);
    CU_ASSERT_EQUAL(h->cpu.exit_addr, HARNESS_CODE + 4);
    CU_ASSERT_EQUAL(X(0), 1);
}

static void test_unallocated(void) {
    expect_sigill(0x00000000);             /* udf #0 */
    expect_sigill(0xd4400000);             /* hlt #0 */
    expect_sigill(0xd4000002);             /* hvc #0 */
    expect_sigill(0xd4000003);             /* smc #0 */
    expect_sigill(0xd4a00001);             /* dcps1 */
    expect_sigill(0xd69f03e0);             /* eret */
    expect_sigill(0xd6bf03e0);             /* drps */
    expect_sigill(0xd63f081f);             /* blraaz x0 (ARMv8.3) */
    expect_sigill(0x54000010);             /* bc.eq (ARMv8.8) */
    expect_sigill(0xd61f0020 | (1u << 0)); /* br x1 with op4 != 0 */
    expect_sigill(0xd503201e);             /* hint #0 with Rt = x30 instead of 31 */
    expect_sigill(0xd503301f);             /* barrier group, op2=000 */
    expect_sigill(0xd503307f);             /* tcommit (TME) */
    expect_sigill(0xd503323f);             /* dsb #2, nXS (ARMv8.7) */
}

static void test_hints_are_nops(void) {
    reset();
    RUN(0xd503201f, /* nop */
        0xd503203f, /* yield */
        0xd503205f, /* wfe */
        0xd503207f, /* wfi */
        0xd503209f, /* sev */
        0xd50320bf, /* sevl */
        0xd503245f, /* bti c */
        0xd503233f, /* paciasp */
        0xd50323bf, /* autiasp */
        0xd50320ff, /* xpaclri */
        0xd503221f, /* esb */
        0xd503229f, /* csdb */
        0xd503223f, /* psb csync */
        0xd5032fff, /* hint #0x7f */
        0xd50320df, /* dgh */
        0xd2800020, /* mov x0, #1 */
    );
    CU_ASSERT_EQUAL(X(0), 1);
}

static void test_barriers(void) {
    reset();
    h->cpu.excl_size = 8;
    RUN(0xd5033bbf, /* dmb ish */
        0xd50339bf, /* dmb ishld */
        0xd5033abf, /* dmb ishst */
        0xd5033f9f, /* dsb sy */
        0xd503379f, /* dsb nsh */
        0xd5033fdf, /* isb */
        0xd503309f, /* ssbb */
        0xd503349f, /* pssbb */
        0xd50330ff, /* sb */
        0xd5033f5f, /* clrex */
        0xd2800020, /* mov x0, #1 */
    );
    CU_ASSERT_EQUAL(X(0), 1);
    CU_ASSERT_EQUAL(h->cpu.excl_size, 0);
}

static void test_nzcv_tpidr(void) {
    reset();
    X(1) = ~0ull;
    X(2) = 0x123456789abcdef0ull;
    RUN(0xd51b4201, /* msr nzcv, x1 */
        0xd53b420a, /* mrs x10, nzcv */
        0xd51b421f, /* msr nzcv, xzr */
        0xd53b420b, /* mrs x11, nzcv */
        0xd51bd042, /* msr tpidr_el0, x2 */
        0xd53bd04c, /* mrs x12, tpidr_el0 */
        0xd53bd06d, /* mrs x13, tpidrro_el0 */
    );
    CU_ASSERT_EQUAL(X(10), 0xf0000000u);
    CU_ASSERT_EQUAL(X(11), 0);
    CU_ASSERT_EQUAL(X(12), 0x123456789abcdef0ull);
    CU_ASSERT_EQUAL(h->cpu.tpidr_el0, 0x123456789abcdef0ull);
    CU_ASSERT_EQUAL(X(13), 0);
}

static void test_fpcr_fpsr(void) {
    reset();
    X(1) = ~0ull;
    X(2) = 3u << 22; /* RMode = RZ */
    RUN(0xd51b4401,  /* msr fpcr, x1 */
        0xd53b440a,  /* mrs x10, fpcr */
        0xd51b4421,  /* msr fpsr, x1 */
        0xd53b442b,  /* mrs x11, fpsr */
        0xd51b4402,  /* msr fpcr, x2 */
        0xd53b440c,  /* mrs x12, fpcr */
        0xd51b443f,  /* msr fpsr, xzr */
        0xd53b442d,  /* mrs x13, fpsr */
    );
    /* FPCR: AHP(26) DN(25) FZ(24) RMode(23:22) Stride(21:20) FZ16(19)
     * Len(18:16); the trap enables (15, 12:8) read as zero. */
    CU_ASSERT_EQUAL(X(10), 0x07ff0000u);
    /* FPSR: N Z C V (31:28) QC(27) IDC(7) IXC UFC OFC DZC IOC (4:0). */
    CU_ASSERT_EQUAL(X(11), 0xf800009fu);
    CU_ASSERT_EQUAL(X(12), 3u << 22);
    CU_ASSERT_EQUAL(h->cpu.fpcr, 3u << 22);
    CU_ASSERT_EQUAL(X(13), 0);
    h->cpu.fpcr = 0;
}

static void test_id_registers(void) {
    reset();
    RUN(0xd53b00ea, /* mrs x10, dczid_el0 */
        0xd53b002b, /* mrs x11, ctr_el0 */
        0xd53be00c, /* mrs x12, cntfrq_el0 */
    );
    CU_ASSERT_EQUAL(X(10), 4); /* DC ZVA allowed, 2^4 words */
    /* CTR_EL0: RES1 bit 31, CWG = ERG = 4, DminLine = 4, L1Ip = PIPT, IminLine = 4 */
    CU_ASSERT_EQUAL(X(11), (1u << 31) | (4u << 24) | (4u << 20) | (4u << 16) | (3u << 14) | 4u);
    CU_ASSERT_EQUAL(X(12), 62500000);
}

static uint64_t host_ticks(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) / 16; /* 62.5 MHz */
}

static void test_cntvct(void) {
    reset();
    uint64_t before = host_ticks();
    RUN(0xd53be04a, /* mrs x10, cntvct_el0 */
        0xd53be04b, /* mrs x11, cntvct_el0 */
    );
    uint64_t after = host_ticks();
    CU_ASSERT(X(10) >= before);
    CU_ASSERT(X(10) <= X(11));
    CU_ASSERT(X(11) <= after);
}

static void test_sysreg_sigill(void) {
    expect_sigill(0xd5380000); /* mrs x0, midr_el1 */
    expect_sigill(0xd5380600); /* mrs x0, id_aa64isar0_el1 */
    expect_sigill(0xd53b4220); /* mrs x0, daif */
    expect_sigill(0xd53be020); /* mrs x0, cntpct_el0 */
    expect_sigill(0xd51bd060); /* msr tpidrro_el0, x0 */
    expect_sigill(0xd51b0020); /* msr ctr_el0, x0 */
    expect_sigill(0xd51be000); /* msr cntfrq_el0, x0 */
    expect_sigill(0xd50342df); /* msr daifset, #2 */
    expect_sigill(0xd50041bf); /* msr spsel, #1 */
    expect_sigill(0xd500401f); /* cfinv (ARMv8.4) */
    expect_sigill(0xd508751f); /* ic iallu (sys #0, c7, c5, #0) */
    expect_sigill(0xd5287500); /* sysl x0, #0, c7, c5, #0 */
    expect_sigill(0xd50b7300); /* sys #3, c7, c3, #0 */
}

static void test_dc_zva(void) {
    reset();
    uint8_t *mem = harness_mem(h, HARNESS_DATA);
    memset(mem, 0xaa, 256);
    X(1) = HARNESS_DATA + 64 + 13;
    RUN(0xd50b7421, /* dc zva, x1 */
    );
    CU_ASSERT_EQUAL(mem[63], 0xaa);
    for (int i = 64; i < 128; i++)
        CU_ASSERT_EQUAL(mem[i], 0);
    CU_ASSERT_EQUAL(mem[128], 0xaa);
}

static void test_dc_zva_fault(void) {
    reset();
    X(1) = HARNESS_MEM_SIZE + 0x1000;
    static const uint32_t code[] = {
        0xd2800020, /* mov x0, #1 */
        0xd50b7421, /* dc zva, x1 */
        0xd2800040, /* mov x0, #2 */
    };
    expect_signal(code, N_WORDS(code), SIGSEGV, 1);
    CU_ASSERT_EQUAL(X(0), 1);
}

static void test_cache_maintenance_nops(void) {
    reset();
    X(1) = HARNESS_CODE;
    X(2) = ~0ull;   /* no effect, not even a fault */
    RUN(0xd50b7b21, /* dc cvau, x1 */
        0xd50b7a21, /* dc cvac, x1 */
        0xd50b7e21, /* dc civac, x1 */
        0xd50b7c21, /* dc cvap, x1 */
        0xd50b7d21, /* dc cvadp, x1 */
        0xd50b7521, /* ic ivau, x1 */
        0xd50b7b22, /* dc cvau, x2 */
        0xd50b7522, /* ic ivau, x2 */
        0xd2800020, /* mov x0, #1 */
    );
    CU_ASSERT_EQUAL(X(0), 1);
}

/* The terminator each control-flow insn leaves, with its branch hint. */
static struct ir_term translate_one(uint32_t insn, uint64_t pc) {
    struct ir_block b;
    ir_block_init(&b, pc);
    struct a64_ctx c = {.b = &b, .pc = pc};
    a64_translate_insn(&c, insn);
    CU_ASSERT(c.done);
    struct ir_term t = b.term;
    ir_block_free(&b);
    return t;
}

static void test_terminators(void) {
    struct ir_term t = translate_one(0x97ffffff, 0x4000); /* bl .-4 */
    CU_ASSERT_EQUAL(t.kind, TERM_GOTO);
    CU_ASSERT_EQUAL(t.hint, HINT_CALL);
    CU_ASSERT_EQUAL(t.target, 0x3ffc);
    t = translate_one(0x17fffffe, 0x4000); /* b .-8 */
    CU_ASSERT_EQUAL(t.kind, TERM_GOTO);
    CU_ASSERT_EQUAL(t.hint, HINT_NONE);
    CU_ASSERT_EQUAL(t.target, 0x3ff8);
    t = translate_one(0xd65f03c0, 0x4000); /* ret */
    CU_ASSERT_EQUAL(t.kind, TERM_GOTO_IND);
    CU_ASSERT_EQUAL(t.hint, HINT_RET);
    t = translate_one(0xd63f0060, 0x4000); /* blr x3 */
    CU_ASSERT_EQUAL(t.kind, TERM_GOTO_IND);
    CU_ASSERT_EQUAL(t.hint, HINT_CALL);
    t = translate_one(0x54ffffe1, 0x4000); /* b.ne .-4 */
    CU_ASSERT_EQUAL(t.kind, TERM_BRCOND);
    CU_ASSERT_EQUAL(t.target, 0x3ffc);
    CU_ASSERT_EQUAL(t.next, 0x4004);
    t = translate_one(0x540000ee, 0x4000); /* b.al .+28 */
    CU_ASSERT_EQUAL(t.kind, TERM_GOTO);
    CU_ASSERT_EQUAL(t.target, 0x401c);
    t = translate_one(0xd5033fdf, 0x4000); /* isb: the next insn is fetched anew */
    CU_ASSERT_EQUAL(t.kind, TERM_GOTO);
    CU_ASSERT_EQUAL(t.target, 0x4004);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("a64_branch_sys", suite_init, suite_fini);
    CU_add_test(s, "b", test_b);
    CU_add_test(s, "loop", test_loop);
    CU_add_test(s, "b_cond_all", test_b_cond_all);
    CU_add_test(s, "cbz_tbz", test_cbz_tbz);
    CU_add_test(s, "bl_ret", test_bl_ret);
    CU_add_test(s, "blr_br", test_blr_br);
    CU_add_test(s, "svc", test_svc);
    CU_add_test(s, "brk", test_brk);
    CU_add_test(s, "udf_after_work", test_udf_after_work);
    CU_add_test(s, "unallocated", test_unallocated);
    CU_add_test(s, "hints_are_nops", test_hints_are_nops);
    CU_add_test(s, "barriers", test_barriers);
    CU_add_test(s, "nzcv_tpidr", test_nzcv_tpidr);
    CU_add_test(s, "fpcr_fpsr", test_fpcr_fpsr);
    CU_add_test(s, "id_registers", test_id_registers);
    CU_add_test(s, "cntvct", test_cntvct);
    CU_add_test(s, "sysreg_sigill", test_sysreg_sigill);
    CU_add_test(s, "dc_zva", test_dc_zva);
    CU_add_test(s, "dc_zva_fault", test_dc_zva_fault);
    CU_add_test(s, "cache_maintenance_nops", test_cache_maintenance_nops);
    CU_add_test(s, "terminators", test_terminators);
}

/* Blocks that follow unconditional branches in their page (dbt/translate.c,
 * follow_branch) and go through conditional ones (side exits): the
 * result matches the code, and rewriting code a block took in through a
 * followed branch (also below the block's entry pc) invalidates that
 * block. Run on the JIT, the JIT without following / side exits
 * (SHOAL_JIT_DISABLE=follow,sidexit), without saved compare operands in
 * place of NZCV stores kept for faults (lazycmp: lazy_exit's faults),
 * without following a branch's taken side (taken), with an FPCR test per
 * FP op in pinned loops (headgate), with scalar FP operands copied to
 * scratch registers (sdirect), with the FMADD check's bias in a register
 * (kpool) and the interpreter. */
#include <CUnit/CUnit.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "dbt/dbt.h"
#include "tests/unit/harness.h"

#define MEM_SIZE HARNESS_MEM_SIZE

enum {
    T_JIT,
    T_NOFOLLOW,
    T_NOSIDE,
    T_NOLAZYCMP,
    T_NOTAKEN,
    T_NOHEADGATE,
    T_NOSDIRECT,
    T_NOKPOOL,
    T_INTERP,
    NT
};

/* 0x1000: movz x0, #1
 * 0x1004: b 0x1018
 * 0x1008: add x0, x0, #100     <- taken in by the branch back at 0x101c
 * 0x100c: svc #0
 * 0x1018: add x0, x0, #2
 * 0x101c: b 0x1008 */
static const struct {
    uint64_t addr;
    uint32_t insn;
} prog[] = {{0x1000, 0xd2800020}, {0x1004, 0x14000005}, {0x1008, 0x91019000},
            {0x100c, 0xd4000001}, {0x1018, 0x91000800}, {0x101c, 0x17fffffb}};

static uint64_t run_from(struct cpu *cpu, uint64_t pc, uint64_t x0) {
    cpu->pc = pc;
    cpu->x[0] = x0;
    int exit = dbt_run(cpu);
    CU_ASSERT_EQUAL(exit, CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(cpu->pc, 0x1010);
    return cpu->x[0];
}

static void patch(struct dbt *d, struct cpu *cpu, uint64_t addr, uint32_t insn) {
    memcpy(cpu->guest_base + addr, &insn, 4);
    dbt_invalidate(d, addr, 4);
}

static struct dbt *tier_new(int t, struct cpu *cpu) {
    static const char *const off[NT] = {NULL,       "follow",  "sidexit", "lazycmp", "taken",
                                        "headgate", "sdirect", "kpool",   NULL};
    return harness_tier_new(cpu, t == T_INTERP, off[t]);
}

static void tier_free(struct dbt *d, struct cpu *cpu) {
    harness_tier_free(d, cpu);
}

static void test_follow(void) {
    for (int t = 0; t < NT; t++) {
        struct cpu cpu;
        struct dbt *d = tier_new(t, &cpu);
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        CU_ASSERT_FATAL(cpu.guest_base != MAP_FAILED);
        for (unsigned k = 0; k < sizeof prog / sizeof prog[0]; k++)
            memcpy(cpu.guest_base + prog[k].addr, &prog[k].insn, 4);

        CU_ASSERT_EQUAL(run_from(&cpu, 0x1000, 0), 103);
        CU_ASSERT_EQUAL(run_from(&cpu, 0x1000, 0), 103); /* cached blocks */
        patch(d, &cpu, 0x1008, 0x9100c800);              /* add x0, x0, #50 */
        CU_ASSERT_EQUAL(run_from(&cpu, 0x1000, 0), 53);
        /* Entered at 0x1018: its block holds 0x1008, below its pc. */
        CU_ASSERT_EQUAL(run_from(&cpu, 0x1018, 0), 52);
        patch(d, &cpu, 0x1008, 0x91001c00); /* add x0, x0, #7 */
        CU_ASSERT_EQUAL(run_from(&cpu, 0x1018, 0), 9);
        patch(d, &cpu, 0x1018, 0x91000c00); /* add x0, x0, #3 */
        CU_ASSERT_EQUAL(run_from(&cpu, 0x1000, 0), 11);
        tier_free(d, &cpu);
    }
}

/* 0x2000: add x1, x1, #1       <- loop head
 * 0x2004: cmp x1, x2
 * 0x2008: b.eq 0x2018          <- a side exit inside the loop's block
 * 0x200c: add x0, x0, x1
 * 0x2010: b 0x2000             <- back to the block start: a self-loop
 * 0x2018: svc #0 */
static const uint32_t loop_prog[] = {0x91000421, 0xeb02003f, 0x54000080, 0x8b010000,
                                     0x17fffffc, 0xd503201f, 0xd4000001};

static void test_side_exit(void) {
    for (int t = 0; t < NT; t++) {
        struct cpu cpu;
        struct dbt *d = tier_new(t, &cpu);
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        CU_ASSERT_FATAL(cpu.guest_base != MAP_FAILED);
        memcpy(cpu.guest_base + 0x2000, loop_prog, sizeof loop_prog);
        for (int round = 0; round < 2; round++) {
            cpu.pc = 0x2000;
            cpu.x[0] = 0, cpu.x[1] = 0, cpu.x[2] = 10;
            CU_ASSERT_EQUAL(dbt_run(&cpu), CPU_EXIT_SVC);
            CU_ASSERT_EQUAL(cpu.pc, 0x201c);
            CU_ASSERT_EQUAL(cpu.x[0], round ? 90 : 45);
            CU_ASSERT_EQUAL(cpu.x[1], 10);
            CU_ASSERT_EQUAL(cpu.nzcv, 0x60000000u); /* Z C of 10 - 10 */
            uint32_t add_lsl1 = 0x8b010400;         /* add x0, x0, x1, lsl #1 */
            memcpy(cpu.guest_base + 0x200c, &add_lsl1, 4);
            dbt_invalidate(d, 0x200c, 4);
        }
        tier_free(d, &cpu);
    }
}

/* Lazy flags at side exits (dbt/jit/opt_flags.c): the first compare's
 * flags are overwritten on the fall-through path, so only its side exit
 * stores them.
 * 0x3000: cmp x0, #5
 * 0x3004: b.eq 0x3100          <- lazy: the stub packs cmp x0, #5
 * 0x3008: cmp x0, #7
 * 0x300c: b.lo 0x3100
 * 0x3010: svc #0
 * 0x3100: mrs x3, nzcv         <- the next block reads the flags
 * 0x3104: svc #0
 * The same with a load between the first exit and the second compare
 * (0x3200): a fault there must see the first compare's flags.
 * 0x3200: cmp x0, #5
 * 0x3204: b.eq 0x3300
 * 0x3208: ldr x1, [x2]
 * 0x320c: cmp x0, #7
 * 0x3210: b.lo 0x3300
 * 0x3214: svc #0
 * 0x3300: mrs x3, nzcv
 * 0x3304: svc #0 */
static const uint32_t lazy_prog[] = {0xf100141f, 0x540007e0, 0xf1001c1f, 0x540007a3, 0xd4000001};
static const uint32_t lazy_fault_prog[] = {0xf100141f, 0x540007e0, 0xf9400041,
                                           0xf1001c1f, 0x54000783, 0xd4000001};
static const uint32_t read_nzcv[] = {0xd53b4203, 0xd4000001};

static int run_lazy(struct cpu *cpu, uint64_t pc, uint64_t x0, uint64_t x2) {
    cpu->pc = pc;
    cpu->x[0] = x0;
    cpu->x[2] = x2;
    cpu->x[3] = 0xdead;
    cpu->nzcv = 0xf0000000u;
    return dbt_run(cpu);
}

static void test_lazy_exit(void) {
    static const struct {
        uint64_t x0, pc;
        uint32_t nzcv;
    } want[] = {
        {5, 0x3108, 0x60000000u}, /* first exit: Z C of 5 - 5 (5 - 7 would be N) */
        {6, 0x3108, 0x80000000u}, /* second exit: N of 6 - 7 */
        {9, 0x3014, 0x20000000u}, /* no exit: C of 9 - 7 */
    };
    for (int t = 0; t < NT; t++) {
        struct cpu cpu;
        struct dbt *d = tier_new(t, &cpu);
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        CU_ASSERT_FATAL(cpu.guest_base != MAP_FAILED);
        memcpy(cpu.guest_base + 0x3000, lazy_prog, sizeof lazy_prog);
        memcpy(cpu.guest_base + 0x3100, read_nzcv, sizeof read_nzcv);
        memcpy(cpu.guest_base + 0x3200, lazy_fault_prog, sizeof lazy_fault_prog);
        memcpy(cpu.guest_base + 0x3300, read_nzcv, sizeof read_nzcv);
        for (int round = 0; round < 3; round++) /* translated, then cached and chained */
            for (unsigned k = 0; k < sizeof want / sizeof want[0]; k++) {
                CU_ASSERT_EQUAL(run_lazy(&cpu, 0x3000, want[k].x0, 0x100), CPU_EXIT_SVC);
                CU_ASSERT_EQUAL(cpu.pc, want[k].pc);
                if (want[k].pc == 0x3108) CU_ASSERT_EQUAL(cpu.x[3], want[k].nzcv);
                CU_ASSERT_EQUAL(cpu.nzcv, want[k].nzcv);
                /* The load does not fault: as above, 0x200 further on. */
                CU_ASSERT_EQUAL(run_lazy(&cpu, 0x3200, want[k].x0, 0x100), CPU_EXIT_SVC);
                CU_ASSERT_EQUAL(cpu.pc, want[k].pc + 0x200 + (want[k].pc == 0x3014 ? 4 : 0));
                CU_ASSERT_EQUAL(cpu.nzcv, want[k].nzcv);
            }
        for (int round = 0; round < 2; round++) {
            /* Outside the guest region (bounds check) and on a protected
             * page inside it (host fault): precise flags of 6 - 5. */
            uint64_t addr = round ? 0x80000 : MEM_SIZE + 0x1000;
            if (round) mprotect(cpu.guest_base + addr, 4096, PROT_NONE);
            CU_ASSERT_EQUAL(run_lazy(&cpu, 0x3200, 6, addr), CPU_EXIT_SIGNAL);
            CU_ASSERT_EQUAL(cpu.exit_signo, SIGSEGV);
            CU_ASSERT_EQUAL(cpu.pc, 0x3208);
            CU_ASSERT_EQUAL(cpu.nzcv, 0x20000000u);
            if (round) mprotect(cpu.guest_base + addr, 4096, PROT_READ | PROT_WRITE);
        }
        tier_free(d, &cpu);
    }
}

/* A loop closed on a branch's taken side (translate.c, follow_taken): the
 * block goes on at 0x4018 and the fall-through becomes the side exit,
 * its condition inverted, so the loop is one self-loop block.
 * 0x4000: add x1, x1, #1       <- loop head
 * 0x4004: cmp x1, x3
 * 0x4008: b.ne 0x4018
 * 0x400c: add x0, x0, #1000    <- the side exit (x1 == x3)
 * 0x4010: svc #0
 * 0x4014: nop
 * 0x4018: add x0, x0, x1
 * 0x401c: cmp x1, x2
 * 0x4020: b.lo 0x4000
 * 0x4024: svc #0
 * The same with FP (nbody's sqrt guard): V registers and the FCMP flags.
 * 0x4028: fsub d1, d1, d2      <- loop head
 * 0x402c: fcmp d1, #0.0
 * 0x4030: b.pl 0x403c
 * 0x4034: fmov d3, d1          <- the side exit (d1 < 0 or NaN)
 * 0x4038: svc #0
 * 0x403c: fsqrt d4, d1
 * 0x4040: fmadd d0, d4, d1, d0  (d0 += sqrt(d1) * d1)
 * 0x4044: subs x1, x1, #1
 * 0x4048: b.ne 0x4028
 * 0x404c: svc #0 */
static const uint32_t taken_prog[] = {0x91000421, 0xeb03003f, 0x54000081, 0x910fa000, 0xd4000001,
                                      0xd503201f, 0x8b010000, 0xeb02003f, 0x54ffff03, 0xd4000001,
                                      0x1e623821, 0x1e602028, 0x54000065, 0x1e604023, 0xd4000001,
                                      0x1e61c024, 0x1f410080, 0xf1000421, 0x54ffff01, 0xd4000001};

static void test_taken(void) {
    static const struct {
        uint64_t x2, x3, pc, x0;
        uint32_t nzcv;
    } want[] = {
        {10, 7, 0x4014, 1021, 0x60000000u}, /* side exit at x1 = 7: 1+..+6 + 1000 */
        {10, 100, 0x4028, 55, 0x60000000u}, /* the loop's own exit: 1+..+10, Z C of 10 - 10 */
        {1, 100, 0x4028, 1, 0x60000000u},   /* one iteration */
    };
    enum { NFPCR = 3 };
    static const uint32_t fpcr[NFPCR] = {0, 3u << 22, 1u << 24}; /* RN, RZ, FZ */
    double fsum[NT][NFPCR][2];
    uint32_t fpsr[NT][NFPCR][2];
    uint64_t fx1[NT][NFPCR][2];
    for (int t = 0; t < NT; t++) {
        struct cpu cpu;
        struct dbt *d = tier_new(t, &cpu);
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        CU_ASSERT_FATAL(cpu.guest_base != MAP_FAILED);
        memcpy(cpu.guest_base + 0x4000, taken_prog, sizeof taken_prog);
        for (int round = 0; round < 2; round++)
            for (unsigned k = 0; k < sizeof want / sizeof want[0]; k++) {
                cpu.pc = 0x4000;
                cpu.x[0] = 0, cpu.x[1] = 0, cpu.x[2] = want[k].x2, cpu.x[3] = want[k].x3;
                CU_ASSERT_EQUAL(dbt_run(&cpu), CPU_EXIT_SVC);
                CU_ASSERT_EQUAL(cpu.pc, want[k].pc);
                CU_ASSERT_EQUAL(cpu.x[0], want[k].x0);
                CU_ASSERT_EQUAL(cpu.nzcv, want[k].nzcv);
            }
        /* d1 = 10 - 0.75 k: 13 square roots, then d1 = -0.5 leaves at
         * 0x4034 (x1 large); with x1 = 5 the loop ends first. Under RN,
         * round towards zero (the pinned loop's FPCR test fails: every
         * iteration runs peeled, through the helpers) and FZ. */
        for (int f = 0; f < NFPCR; f++)
            for (int round = 0; round < 2; round++) {
                cpu.pc = 0x4028;
                cpu.x[1] = round ? 5 : 1000;
                cpu.fpcr = fpcr[f];
                cpu.fpsr = 0;
                cpu.v[0].fd[0] = 0.5, cpu.v[1].fd[0] = 10, cpu.v[2].fd[0] = 0.75;
                cpu.v[3].d[0] = cpu.v[3].d[1] = cpu.v[0].d[1] = 7;
                CU_ASSERT_EQUAL(dbt_run(&cpu), CPU_EXIT_SVC);
                CU_ASSERT_EQUAL(cpu.pc, round ? 0x4050 : 0x403c);
                CU_ASSERT_EQUAL(cpu.x[1], round ? 0 : 1000 - 13);
                /* Z C of 1 - 1; N of -0.5 < 0 */
                CU_ASSERT_EQUAL(cpu.nzcv, round ? 0x60000000u : 0x80000000u);
                CU_ASSERT(round ? cpu.v[3].d[0] == 7 : cpu.v[3].fd[0] == -0.5);
                CU_ASSERT_EQUAL(cpu.v[0].d[1], 0); /* scalar writes clear the upper half */
                fsum[t][f][round] = cpu.v[0].fd[0];
                fpsr[t][f][round] = cpu.fpsr;
                fx1[t][f][round] = cpu.x[1];
            }
        cpu.fpcr = 0;
        tier_free(d, &cpu);
    }
    for (int t = 0; t < NT; t++)
        for (int f = 0; f < NFPCR; f++)
            for (int round = 0; round < 2; round++) {
                CU_ASSERT_EQUAL(memcmp(&fsum[t][f][round], &fsum[T_INTERP][f][round], 8), 0);
                CU_ASSERT_EQUAL(fpsr[t][f][round], fpsr[T_INTERP][f][round]);
                CU_ASSERT_EQUAL(fx1[t][f][round], fx1[T_INTERP][f][round]);
            }
    /* (10 - 0.75 k)^1.5 > 15 for k <= 5; inexact sums; RZ rounds some down */
    CU_ASSERT(fsum[T_INTERP][0][1] > 0.5 + 5 * 15);
    CU_ASSERT(fpsr[T_INTERP][0][1] & 0x10); /* IXC */
    CU_ASSERT(memcmp(&fsum[T_INTERP][0][0], &fsum[T_INTERP][1][0], 8) != 0);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("jit_follow", NULL, NULL);
    CU_add_test(s, "follow", test_follow);
    CU_add_test(s, "side_exit", test_side_exit);
    CU_add_test(s, "lazy_exit", test_lazy_exit);
    CU_add_test(s, "taken", test_taken);
}

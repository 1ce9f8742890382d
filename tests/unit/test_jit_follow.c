/* Blocks that follow unconditional branches in their page (dbt/exec.c,
 * follow_branch) and go through conditional ones (side exits): the
 * result matches the code, and rewriting code a block took in through a
 * followed branch (also below the block's entry pc) invalidates that
 * block. Run on the JIT, the JIT without following / side exits
 * (SHOAL_JIT_DISABLE=follow,sidexit), without saved compare operands in
 * place of NZCV stores kept for faults (lazycmp: lazy_exit's faults) and
 * the interpreter. */
#include <CUnit/CUnit.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "dbt/dbt.h"
#include "tests/unit/harness.h"

#define MEM_SIZE HARNESS_MEM_SIZE

enum { T_JIT, T_NOFOLLOW, T_NOSIDE, T_NOLAZYCMP, T_INTERP, NT };

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
    static const char *const off[NT] = {NULL, "follow", "sidexit", "lazycmp", NULL};
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

void test_register(void) {
    CU_pSuite s = CU_add_suite("jit_follow", NULL, NULL);
    CU_add_test(s, "follow", test_follow);
    CU_add_test(s, "side_exit", test_side_exit);
    CU_add_test(s, "lazy_exit", test_lazy_exit);
}

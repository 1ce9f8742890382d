/* Blocks that follow unconditional branches in their page (dbt/exec.c,
 * follow_branch): the result matches the code, and rewriting code a
 * block took in through a followed branch (also below the block's entry
 * pc) invalidates that block. Run on the JIT, the JIT without following
 * (SHOAL_JIT_DISABLE=follow) and the interpreter. */
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "dbt/dbt.h"

#define MEM_SIZE (1u << 20)

enum { T_JIT, T_NOFOLLOW, T_INTERP, NT };

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

static void test_follow(void) {
    for (int t = 0; t < NT; t++) {
        if (t == T_NOFOLLOW) setenv("SHOAL_JIT_DISABLE", "follow", 1);
        struct dbt_options opt = {.interp_only = t == T_INTERP};
        struct dbt *d = dbt_create(&opt);
        unsetenv("SHOAL_JIT_DISABLE");
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        struct cpu cpu;
        memset(&cpu, 0, sizeof cpu);
        cpu.guest_base =
            mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        CU_ASSERT_FATAL(cpu.guest_base != MAP_FAILED);
        cpu.guest_size = MEM_SIZE;
        cpu.x[31] = MEM_SIZE - 64;
        dbt_cpu_init(d, &cpu);
        dbt_install_fault_handler();
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

        dbt_cpu_fini(&cpu);
        munmap(cpu.guest_base, MEM_SIZE);
        dbt_destroy(d);
    }
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("jit_follow", NULL, NULL);
    CU_add_test(s, "follow", test_follow);
}

/* Return-address prediction (dbt/jit/lower_term.c, ras_push/ras_pop):
 * calls and returns give the same results with and without it and in
 * the interpreter, for a matching return, a RET to another address than
 * the one pushed, a return whose target code was rewritten, and
 * recursion deeper than the ring. */
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "dbt/dbt.h"
#include "tests/unit/harness.h"

#define MEM_SIZE HARNESS_MEM_SIZE

enum { T_JIT, T_NORAS, T_INTERP, NT };

static struct dbt *tier_new(int t, struct cpu *cpu) {
    return harness_tier_new(cpu, t == T_INTERP, t == T_NORAS ? "ras" : NULL);
}

static void tier_free(struct dbt *d, struct cpu *cpu) {
    harness_tier_free(d, cpu);
}

static void put(struct cpu *cpu, uint64_t addr, const uint32_t *insns, size_t n) {
    memcpy(cpu->guest_base + addr, insns, n * sizeof *insns);
}

static uint64_t run_from(struct cpu *cpu, uint64_t pc, uint64_t x0, uint64_t end_pc) {
    cpu->pc = pc;
    cpu->x[0] = x0;
    cpu->x[1] = 0;
    CU_ASSERT_EQUAL(dbt_run(cpu), CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(cpu->pc, end_pc);
    return cpu->x[0];
}

static bool pushed(const struct cpu *cpu, uint64_t pc) {
    for (unsigned k = 0; k < CPU_RAS_SIZE; k++)
        if (cpu->ras_pc[k] == pc) return true;
    return false;
}

/* 0x4000: bl 0x4100; 0x4004: add x0, x0, #1; 0x4008: svc #0
 * 0x4100: add x0, x0, #10; 0x4104: ret */
static const uint32_t call_prog[] = {0x94000040, 0x91000400, 0xd4000001};
static const uint32_t callee[] = {0x91002800, 0xd65f03c0};

static void test_ras_return(void) {
    for (int t = 0; t < NT; t++) {
        struct cpu cpu;
        struct dbt *d = tier_new(t, &cpu);
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        put(&cpu, 0x4000, call_prog, 3);
        put(&cpu, 0x4100, callee, 2);
        for (int round = 0; round < 3; round++) /* translated, then chained */
            CU_ASSERT_EQUAL(run_from(&cpu, 0x4000, 0, 0x400c), 11);
        CU_ASSERT_EQUAL(pushed(&cpu, 0x4004), t == T_JIT);
        /* The return target's code rewritten: the predicted return must
         * reach the new code (its old block is unlinked). */
        uint32_t add2 = 0x91000800; /* add x0, x0, #2 */
        memcpy(cpu.guest_base + 0x4004, &add2, 4);
        dbt_invalidate(d, 0x4004, 4);
        for (int round = 0; round < 3; round++)
            CU_ASSERT_EQUAL(run_from(&cpu, 0x4000, 0, 0x400c), 12);
        tier_free(d, &cpu);
    }
}

/* RET to another address than the call pushed:
 * 0x5000: bl 0x5100; 0x5004: add x0, x0, #1; 0x5008: svc #0
 * 0x5100: movz x30, #0x5200; 0x5104: ret
 * 0x5200: add x0, x0, #100; 0x5204: svc #0 */
static const uint32_t mis_prog[] = {0x94000040, 0x91000400, 0xd4000001};
static const uint32_t mis_callee[] = {0xd28a401e, 0xd65f03c0};
static const uint32_t mis_target[] = {0x91019000, 0xd4000001};

static void test_ras_mismatch(void) {
    for (int t = 0; t < NT; t++) {
        struct cpu cpu;
        struct dbt *d = tier_new(t, &cpu);
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        put(&cpu, 0x5000, mis_prog, 3);
        put(&cpu, 0x5100, mis_callee, 2);
        put(&cpu, 0x5200, mis_target, 2);
        for (int round = 0; round < 3; round++)
            CU_ASSERT_EQUAL(run_from(&cpu, 0x5000, 0, 0x5208), 100);
        /* A zeroed ring (as after a thread's creation) predicts nothing. */
        memset(cpu.ras_pc, 0, sizeof cpu.ras_pc);
        memset(cpu.ras_host, 0, sizeof cpu.ras_host);
        cpu.ras_jit = NULL;
        CU_ASSERT_EQUAL(run_from(&cpu, 0x5000, 0, 0x5208), 100);
        tier_free(d, &cpu);
    }
}

/* Recursion deeper than the ring (x0 levels; x1 counts the returns):
 * 0x6000: cbz x0, 0x601c
 * 0x6004: str x30, [sp, #-16]!
 * 0x6008: sub x0, x0, #1
 * 0x600c: bl 0x6000
 * 0x6010: add x1, x1, #1
 * 0x6014: ldr x30, [sp], #16
 * 0x6018: ret
 * 0x601c: ret
 * 0x6100: bl 0x6000; 0x6104: svc #0 */
static const uint32_t rec[] = {0xb40000e0, 0xf81f0ffe, 0xd1000400, 0x97fffffd,
                               0x91000421, 0xf84107fe, 0xd65f03c0, 0xd65f03c0};
static const uint32_t rec_main[] = {0x97ffffc0, 0xd4000001};

static void test_ras_deep(void) {
    for (int t = 0; t < NT; t++) {
        struct cpu cpu;
        struct dbt *d = tier_new(t, &cpu);
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        put(&cpu, 0x6000, rec, 8);
        put(&cpu, 0x6100, rec_main, 2);
        for (uint64_t n = 0; n < 3 * CPU_RAS_SIZE; n += 7) {
            run_from(&cpu, 0x6100, n, 0x6108);
            CU_ASSERT_EQUAL(cpu.x[1], n);
            CU_ASSERT_EQUAL(cpu.x[31], MEM_SIZE - 64);
        }
        tier_free(d, &cpu);
    }
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("jit_ras", NULL, NULL);
    CU_add_test(s, "return", test_ras_return);
    CU_add_test(s, "mismatch", test_ras_mismatch);
    CU_add_test(s, "deep", test_ras_deep);
}

/* Interpreter semantics of IR ops that do not need the frontend. */
#include <CUnit/CUnit.h>

#include "dbt/dbt.h"
#include "dbt/interp_ops.h"
#include "dbt/ir.h"

static void test_flags_adc(void) {
    /* 0x7fffffff + 1 at 32 bits: N and V set */
    CU_ASSERT_EQUAL(interp_flags_adc(0x7fffffff, 1, 0, 32), NZCV_N | NZCV_V);
    /* 0xffffffff + 1: Z and C */
    CU_ASSERT_EQUAL(interp_flags_adc(0xffffffff, 1, 0, 32), NZCV_Z | NZCV_C);
    /* SUBS 5 - 5 as 5 + ~5 + 1: Z and C (no borrow) */
    CU_ASSERT_EQUAL(interp_flags_adc(5, ~5ull, 1, 64), NZCV_Z | NZCV_C);
    /* 3 - 5: N, no carry */
    CU_ASSERT_EQUAL(interp_flags_adc(3, ~5ull, 1, 64), NZCV_N);
    /* INT64_MIN - 1: V and C */
    CU_ASSERT_EQUAL(interp_flags_adc(0x8000000000000000ull, ~1ull, 1, 64), NZCV_C | NZCV_V);
}

static void test_cond(void) {
    CU_ASSERT_EQUAL(interp_cond(NZCV_Z, 0), 1); /* EQ */
    CU_ASSERT_EQUAL(interp_cond(0, 0), 0);
    CU_ASSERT_EQUAL(interp_cond(NZCV_C, 8), 1); /* HI */
    CU_ASSERT_EQUAL(interp_cond(NZCV_C | NZCV_Z, 8), 0);
    CU_ASSERT_EQUAL(interp_cond(NZCV_N | NZCV_V, 10), 1); /* GE */
    CU_ASSERT_EQUAL(interp_cond(NZCV_N, 11), 1);          /* LT */
    CU_ASSERT_EQUAL(interp_cond(0, 14), 1);               /* AL */
    CU_ASSERT_EQUAL(interp_cond(0, 15), 1);               /* NV behaves as AL */
}

static void test_bit_ops(void) {
    CU_ASSERT_EQUAL(interp_clz(0, 32), 32);
    CU_ASSERT_EQUAL(interp_clz(1, 64), 63);
    CU_ASSERT_EQUAL(interp_cls(0, 64), 63);
    CU_ASSERT_EQUAL(interp_cls(0xffffffff, 32), 31);
    CU_ASSERT_EQUAL(interp_cls(0x40000000, 32), 0);
    CU_ASSERT_EQUAL(interp_rbit(1, 32), 0x80000000u);
    CU_ASSERT_EQUAL(interp_rbit(0x8000000000000000ull, 64), 1);
    CU_ASSERT_EQUAL(interp_ror(1, 1, 32), 0x80000000u);
    CU_ASSERT_EQUAL(interp_asr(0x80000000u, 31, 32), 0xffffffffu);
    CU_ASSERT_EQUAL(interp_sdiv(0x80000000u, 0xffffffffu, 32), 0x80000000u);
    CU_ASSERT_EQUAL(interp_sdiv(7, 0, 64), 0);
    CU_ASSERT_EQUAL(interp_udiv(7, 2, 64), 3);
    CU_ASSERT_EQUAL(interp_rev32(0x0102030405060708ull), 0x0403020108070605ull);
}

static void test_block(void) {
    /* x0 = x1 + 5; then SVC */
    struct cpu cpu = {0};
    struct ir_block b;
    ir_block_init(&b, 0x1000);
    ir_temp t = ir_op2(&b, IR_ADD, 64, ir_getx(&b, 1), ir_const(&b, 5));
    ir_setx(&b, 0, t);
    b.term = (struct ir_term){.kind = TERM_SVC, .imm = 7, .next = 0x1004};
    cpu.x[1] = 10;
    int exit = 0;
    uint64_t next = dbt_interp_block(&cpu, &b, &exit);
    CU_ASSERT_EQUAL(cpu.x[0], 15);
    CU_ASSERT_EQUAL(exit, CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(cpu.svc_imm, 7);
    CU_ASSERT_EQUAL(next, 0x1004);
    ir_block_free(&b);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("ir", NULL, NULL);
    CU_add_test(s, "flags_adc", test_flags_adc);
    CU_add_test(s, "cond", test_cond);
    CU_add_test(s, "bit_ops", test_bit_ops);
    CU_add_test(s, "block", test_block);
}

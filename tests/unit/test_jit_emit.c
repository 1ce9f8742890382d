/* The x86-64 emitter against GNU as: each case's expected bytes were
 * produced by assembling the AT&T line in its comment with `as` and
 * reading them back with objdump -d. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <string.h>

#include "dbt/jit/x86_emit.h"

static uint8_t mem[256];

static void check(struct x86_buf *b, const char *hex, const char *what) {
    char got[2 * sizeof mem + 1] = "";
    for (uint8_t *p = b->start; p < b->p; p++)
        sprintf(got + 2 * (p - b->start), "%02x", *p);
    if (strcmp(got, hex)) printf("\n  %s: got %s, want %s", what, got, hex);
    CU_ASSERT_STRING_EQUAL(got, hex);
    CU_ASSERT_FALSE(b->overflow);
    x86_buf_init(b, mem, mem, mem + sizeof mem);
}

#define CASE(hex, stmt)                                                                            \
    do {                                                                                           \
        stmt;                                                                                      \
        check(&b, hex, #stmt);                                                                     \
    } while (0)

static struct x86_mem sib(int base, int index, uint8_t scale, int32_t disp) {
    return (struct x86_mem){(int8_t)base, (int8_t)index, scale, disp};
}

static void test_encodings(void) {
    struct x86_buf b;
    x86_buf_init(&b, mem, mem, mem + sizeof mem);
    CASE("4c01cb", x86_alu_rr(&b, ALU_ADD, true, RBX, R9));              /* add %r9,%rbx */
    CASE("4183c405", x86_alu_ri(&b, ALU_ADD, false, R12, 5));            /* add $5,%r12d */
    CASE("4981ea45230100", x86_alu_ri(&b, ALU_SUB, true, R10, 0x12345)); /* sub $0x12345,%r10 */
    CASE("413bb758030000", x86_alu_rm(&b, ALU_CMP, false, RSI, x86_mem(R15, 0x358)));
    CASE("4c89ed", x86_mov_rr(&b, true, RBP, R13));                    /* mov %r13,%rbp */
    CASE("41ba78563412", x86_mov_ri(&b, R10, 0x12345678));             /* mov $..,%r10d */
    CASE("48c7c1feffffff", x86_mov_ri(&b, RCX, (uint64_t)-2));         /* mov $-2,%rcx */
    CASE("49b89a78563412000000", x86_mov_ri(&b, R8, 0x123456789aull)); /* movabs */
    CASE("410fb6143e",
         x86_load(&b, 8, RDX, x86_mem_idx(R14, RDI, 0)));              /* movzbl (%r14,%rdi),%edx */
    CASE("410fb74508", x86_load(&b, 16, RAX, x86_mem(R13, 8)));        /* movzwl 8(%r13),%eax */
    CASE("488b5c2410", x86_load(&b, 64, RBX, x86_mem(RSP, 0x10)));     /* mov 0x10(%rsp),%rbx */
    CASE("43883426", x86_store(&b, 8, x86_mem_idx(R14, R12, 0), RSI)); /* mov %sil,(%r14,%r12) */
    CASE("664189042e", x86_store(&b, 16, x86_mem_idx(R14, RBP, 0), RAX)); /* mov %ax,(%r14,%rbp) */
    CASE("44895d04", x86_store(&b, 32, x86_mem(RBP, 4), R11));            /* mov %r11d,4(%rbp) */
    CASE("48c70424ffffffff", x86_store_i32(&b, 64, x86_mem(RSP, 0), -1)); /* movq $-1,(%rsp) */
    CASE("488d0441", x86_lea(&b, RAX, sib(RCX, RAX, 2, 0)));  /* lea (%rcx,%rax,2),%rax */
    CASE("c1e21c", x86_shift_ri(&b, SH_SHL, false, RDX, 28)); /* shl $28,%edx */
    CASE("49d3f9", x86_shift_cl(&b, SH_SAR, true, R9));       /* sar %cl,%r9 */
    CASE("49f7da", x86_unary(&b, UN_NEG, true, R10));         /* neg %r10 */
    CASE("48f7f1", x86_unary(&b, UN_DIV, true, RCX));         /* div %rcx */
    CASE("490fafd8", x86_imul_rr(&b, true, RBX, R8));         /* imul %r8,%rbx */
    CASE("400f98c7", x86_setcc(&b, CC_S, RDI));               /* sets %dil */
    CASE("480f45c6", x86_cmov(&b, CC_NE, true, RAX, RSI));    /* cmovne %rsi,%rax */
    CASE("400fb6ed", x86_movzx(&b, 8, RBP, RBP));             /* movzbl %bpl,%ebp */
    CASE("4c0fbee0", x86_movsx(&b, 8, R12, RAX));             /* movsbq %al,%r12 */
    CASE("4963c1", x86_movsx(&b, 32, RAX, R9));               /* movslq %r9d,%rax */
    CASE("0fbae31d", x86_bt_ri(&b, false, RBX, 29));          /* bt $29,%ebx */
    CASE("490fcd", x86_bswap(&b, true, R13));                 /* bswap %r13 */
    CASE("480fbdc0", x86_bsr(&b, true, RAX, RAX));            /* bsr %rax,%rax */
    CASE("4899", x86_cqo(&b, true));                          /* cqto */
    CASE("ffd0", x86_call_r(&b, RAX));                        /* call *%rax */
    CASE("ffe2", x86_jmp_r(&b, RDX));                         /* jmp *%rdx */
    CASE("4156", x86_push(&b, R14));                          /* push %r14 */
    CASE("5b", x86_pop(&b, RBX));                             /* pop %rbx */
    CASE("0faef0", x86_mfence(&b));                           /* mfence */
    CASE("f3410f6f0436",
         x86_movdqu_load(&b, 0, x86_mem_idx(R14, RSI, 0))); /* movdqu (%r14,%rsi),%xmm0 */
    CASE("f3410f7f8710010000", x86_movdqu_store(&b, x86_mem(R15, 0x110), 0));
    /* [rbp] and [r13] need a disp8 0; [r12] needs a SIB byte */
    CASE("488b4500", x86_load(&b, 64, RAX, x86_mem(RBP, 0))); /* mov 0(%rbp),%rax */
    CASE("498b0424", x86_load(&b, 64, RAX, x86_mem(R12, 0))); /* mov (%r12),%rax */
}

static void test_branches(void) {
    struct x86_buf b;
    x86_buf_init(&b, mem, mem, mem + sizeof mem);
    uint32_t f = x86_jcc8(&b, CC_E);
    x86_mfence(&b);
    x86_patch_rel8(&b, f, x86_off(&b));
    CASE("74030faef0", (void)0); /* je +3; mfence */
    f = x86_jmp32(&b);
    x86_patch_rel32(&b, f, 0);
    CASE("e9fbffffff", (void)0); /* jmp to itself */
}

static void test_overflow(void) {
    uint8_t small[40];
    struct x86_buf b;
    x86_buf_init(&b, small, small, small + sizeof small);
    for (int k = 0; k < 20; k++)
        x86_mov_ri(&b, R8, 0x123456789aull);
    CU_ASSERT_TRUE(b.overflow);
    CU_ASSERT_TRUE(b.p <= b.end);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("jit_emit", NULL, NULL);
    CU_add_test(s, "encodings", test_encodings);
    CU_add_test(s, "branches", test_branches);
    CU_add_test(s, "overflow", test_overflow);
}

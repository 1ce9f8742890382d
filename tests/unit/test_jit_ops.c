/* Per-op checks of the JIT against the interpreter on edge values: each
 * IR op runs in a one-op block, with its operands in guest registers
 * (register path) and as constants (immediate path), through
 * dbt_interp_block and through the JIT (with and without register
 * allocation); the results must be equal. */
#include <CUnit/CUnit.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbt/dbt.h"
#include "dbt/ir.h"
#include "dbt/jit/jit.h"

static const uint64_t edge[] = {
    0,
    1,
    2,
    31,
    32,
    63,
    64,
    0x7f,
    0x80,
    0xff,
    0x7fff,
    0x8000,
    0x7fffffff,
    0x80000000,
    0xffffffff,
    0x100000000ull,
    0x7fffffffffffffffull,
    0x8000000000000000ull,
    ~0ull,
    ~1ull,
    0x0123456789abcdefull,
    0xfedcba9876543210ull,
};
#define NEDGE (sizeof edge / sizeof edge[0])

static struct jit *jits[2];
static uint8_t guest_mem[64];

/* Builds x2 = op(x0 | const a, x1 | const b, x3 | const c) with sz/imm;
 * with `branch`, the result is instead the condition of a BRCOND (so the
 * JIT may fuse a CONDSUB/CONDADD into cmp + jcc). */
static void build(struct ir_block *b, enum ir_opcode op, unsigned sz, uint64_t imm,
                  const uint64_t *v, unsigned constmask, bool branch) {
    ir_block_init(b, 0x1000);
    ir_temp t[3];
    static const unsigned src[3] = {0, 1, 3};
    for (int k = 0; k < 3; k++)
        t[k] = (constmask >> k & 1) ? ir_const(b, v[k]) : ir_getx(b, src[k]);
    struct ir_insn *i = ir_emit(b, op, sz);
    for (int k = 0; k < 3; k++)
        i->a[k] = t[k];
    i->imm = imm;
    i->dst = ir_new_temp(b);
    b->guest_insns = 1;
    if (branch) {
        b->term =
            (struct ir_term){.kind = TERM_BRCOND, .temp = i->dst, .target = 0x1100, .next = 0x1004};
        return;
    }
    ir_setx(b, 2, i->dst);
    b->term.kind = TERM_GOTO;
    b->term.target = 0x1004;
}

/* Compiles b, flushing a full code buffer once. */
static void *compile(struct jit *j, const struct ir_block *b) {
    void *entry = jit_compile(j, b);
    if (!entry && jit_full(j)) {
        jit_flush(j);
        entry = jit_compile(j, b);
    }
    return entry;
}

static unsigned failures;

static void run_one_form(enum ir_opcode op, unsigned sz, uint64_t imm, uint64_t a, uint64_t c,
                         uint64_t d, bool branch) {
    uint64_t v[3] = {a, c, d};
    for (unsigned constmask = 0; constmask < 8; constmask++) {
        struct ir_block b;
        build(&b, op, sz, imm, v, constmask, branch);
        struct cpu ref;
        memset(&ref, 0, sizeof ref);
        ref.x[0] = a, ref.x[1] = c, ref.x[3] = d;
        ref.guest_base = guest_mem;
        ref.guest_size = sizeof guest_mem;
        int exit;
        uint64_t next = dbt_interp_block(&ref, &b, &exit);
        for (int j = 0; j < 2; j++) {
            struct cpu cpu;
            memset(&cpu, 0, sizeof cpu);
            cpu.x[0] = a, cpu.x[1] = c, cpu.x[3] = d;
            cpu.guest_base = guest_mem;
            cpu.guest_size = sizeof guest_mem;
            void *entry = compile(jits[j], &b);
            CU_ASSERT_PTR_NOT_NULL_FATAL(entry);
            struct jit_ret r = jit_enter(jits[j], &cpu, entry);
            bool ok = r.pc == next && cpu.x[2] == ref.x[2] && cpu.icount == 1;
            if (!ok && failures++ < 20)
                printf("\n  %s.%u imm=%" PRIu64 " (%#" PRIx64 ", %#" PRIx64 ", %#" PRIx64
                       ") consts=%u regalloc=%d branch=%d: jit %#" PRIx64 "/pc %#" PRIx64
                       " interp %#" PRIx64 "/pc %#" PRIx64,
                       ir_op_info[op].name, sz, imm, a, c, d, constmask, !j, branch, cpu.x[2], r.pc,
                       ref.x[2], next);
            CU_ASSERT(ok);
        }
        ir_block_free(&b);
    }
}

static void run_one(enum ir_opcode op, unsigned sz, uint64_t imm, uint64_t a, uint64_t c,
                    uint64_t d) {
    run_one_form(op, sz, imm, a, c, d, false);
}

static void for_pairs(enum ir_opcode op, unsigned sz, uint64_t imm) {
    for (unsigned x = 0; x < NEDGE; x++)
        for (unsigned y = 0; y < NEDGE; y++)
            run_one(op, sz, imm, edge[x], edge[y], edge[(x + y) % NEDGE]);
}

static void test_binary(void) {
    static const enum ir_opcode ops[] = {
        IR_ADD,   IR_SUB,   IR_MUL,   IR_AND,   IR_OR,   IR_XOR,       IR_ANDN,      IR_ORN,
        IR_SHL,   IR_LSR,   IR_ASR,   IR_ROR,   IR_ADC,  IR_FLAGS_ADC, IR_FLAGS_SUB, IR_SELECT,
        IR_SETEQ, IR_SETNE, IR_UMULH, IR_SMULH, IR_UDIV, IR_SDIV};
    for (unsigned k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        for_pairs(ops[k], 32, 0);
        for_pairs(ops[k], 64, 0);
    }
}

static void test_unary(void) {
    static const enum ir_opcode ops[] = {IR_MOV, IR_NOT,  IR_NEG, IR_FLAGS_NZ, IR_CLZ,
                                         IR_CLS, IR_RBIT, IR_REV, IR_REV16};
    for (unsigned k = 0; k < sizeof ops / sizeof ops[0]; k++)
        for (unsigned x = 0; x < NEDGE; x++) {
            run_one(ops[k], 32, 0, edge[x], 0, 0);
            run_one(ops[k], 64, 0, edge[x], 0, 0);
        }
    for (unsigned x = 0; x < NEDGE; x++) {
        run_one(IR_REV32, 64, 0, edge[x], 0, 0);
        for (unsigned sz = 8; sz <= 32; sz *= 2) {
            run_one(IR_SEXT, sz, 0, edge[x], 0, 0);
            run_one(IR_ZEXT, sz, 0, edge[x], 0, 0);
        }
    }
}

static void test_cond(void) {
    for (uint64_t nzcv = 0; nzcv < 16; nzcv++)
        for (unsigned cc = 0; cc < 16; cc++)
            for (int br = 0; br < 2; br++) /* as a branch: bit tests + jcc (lower_alu.c) */
                run_one_form(IR_COND, 64, cc, nzcv << 28, 0, 0, br);
}

/* The fused conditions (dbt/jit/opt_flags.c), as a value and as a branch:
 * every condition on operand pairs around the sign and carry edges. */
static void test_cond_fused(void) {
    static const uint64_t v[] = {0,
                                 1,
                                 0x7fffffff,
                                 0x80000000,
                                 0xffffffff,
                                 0x100000000ull,
                                 0x7fffffffffffffffull,
                                 0x8000000000000000ull,
                                 ~0ull};
    const unsigned nv = sizeof v / sizeof v[0];
    for (unsigned cc = 0; cc < 14; cc++)
        for (unsigned x = 0; x < nv; x++)
            for (unsigned y = 0; y < nv; y++)
                for (unsigned sz = 32; sz <= 64; sz *= 2)
                    for (int br = 0; br < 2; br++) {
                        run_one_form(IR_CONDSUB, sz, cc, v[x], v[y], 0, br);
                        run_one_form(IR_CONDADD, sz, cc, v[x], v[y], (x + y) & 1, br);
                    }
}

/* IR_REDIR (page splitting, lower_redir.c): addresses around the split
 * page's edges and grain boundaries, every access size and a few grains,
 * the page and the distance as 32-bit immediates and as 64-bit values. */
static void test_redir(void) {
    static const uint64_t pages[] = {0x40000, 0x7ffff000, 0x123456789000ull};
    static const uint64_t dists[] = {0x10000, 0x400000000000ull, (uint64_t)-0x20000};
    static const int64_t offs[] = {-8,  -1,  0,   1,    7,    8,    63,   64,  120,
                                   121, 127, 128, 2040, 4088, 4089, 4095, 4096};
    static const unsigned shifts[] = {3, 7, 11};
    for (unsigned p = 0; p < 3; p++)
        for (unsigned o = 0; o < sizeof offs / sizeof offs[0]; o++)
            for (unsigned bytes = 1; bytes <= 16; bytes *= 2)
                for (unsigned k = 0; k < 3; k++)
                    run_one(IR_REDIR, 64, bytes | shifts[k] << 8, pages[p] + (uint64_t)offs[o],
                            pages[p], dists[(p + o) % 3]);
}

/* x2 = x0 + (t << n) with t = x1 + 5 (a temp that dies at the SHL),
 * an XOR allocating a register between the SHL and the ADD, operands in
 * both orders: the JIT lowers n = 1..3 as one lea at the ADD (jit.c
 * find_lea_fuses), which must still find t (its last use moved to the
 * ADD). Checked against the interpreter, SHOAL_JIT_DISABLE=lea too. */
static void test_add_shifted(void) {
    setenv("SHOAL_JIT_DISABLE", "lea", 1);
    struct jit_opts o = {.code_size = 16u << 20, .count_insns = true};
    struct jit *off = jit_create(&o);
    unsetenv("SHOAL_JIT_DISABLE");
    struct jit *js[3] = {jits[0], jits[1], off};
    for (unsigned sz = 32; sz <= 64; sz *= 2)
        for (unsigned n = 0; n <= 4; n++)
            for (int swap = 0; swap < 2; swap++)
                for (unsigned x = 0; x < NEDGE; x += 3)
                    for (unsigned y = 0; y < NEDGE; y += 2) {
                        struct ir_block b;
                        ir_block_init(&b, 0x1000);
                        ir_temp a = ir_getx(&b, 0), t1 = ir_getx(&b, 1);
                        ir_temp five = ir_const(&b, 5);
                        struct ir_insn *i = ir_emit(&b, IR_ADD, 64);
                        i->a[0] = t1, i->a[1] = five, i->dst = ir_new_temp(&b);
                        ir_temp t = i->dst, cn = ir_const(&b, n);
                        i = ir_emit(&b, IR_SHL, sz);
                        i->a[0] = t, i->a[1] = cn, i->dst = ir_new_temp(&b);
                        ir_temp sh = i->dst;
                        ir_temp x3 = ir_getx(&b, 3);
                        i = ir_emit(&b, IR_XOR, 64);
                        i->a[0] = x3, i->a[1] = a, i->dst = ir_new_temp(&b);
                        ir_setx(&b, 3, i->dst);
                        i = ir_emit(&b, IR_ADD, sz);
                        i->a[0] = swap ? sh : a, i->a[1] = swap ? a : sh, i->dst = ir_new_temp(&b);
                        ir_setx(&b, 2, i->dst);
                        b.guest_insns = 1;
                        b.term.kind = TERM_GOTO;
                        b.term.target = 0x1004;
                        struct cpu ref;
                        memset(&ref, 0, sizeof ref);
                        ref.x[0] = edge[x], ref.x[1] = edge[y], ref.x[3] = edge[(x + y) % NEDGE];
                        int exit;
                        dbt_interp_block(&ref, &b, &exit);
                        for (int j = 0; j < 3; j++) {
                            struct cpu cpu;
                            memset(&cpu, 0, sizeof cpu);
                            cpu.x[0] = edge[x], cpu.x[1] = edge[y];
                            cpu.x[3] = edge[(x + y) % NEDGE];
                            cpu.guest_base = guest_mem;
                            cpu.guest_size = sizeof guest_mem;
                            void *entry = compile(js[j], &b);
                            CU_ASSERT_PTR_NOT_NULL_FATAL(entry);
                            jit_enter(js[j], &cpu, entry);
                            bool ok = cpu.x[2] == ref.x[2] && cpu.x[3] == ref.x[3];
                            if (!ok && failures++ < 20)
                                printf("\n  add_shifted sz=%u n=%u swap=%d jit %d: %#" PRIx64
                                       " interp %#" PRIx64,
                                       sz, n, swap, j, cpu.x[2], ref.x[2]);
                            CU_ASSERT(ok);
                        }
                        ir_block_free(&b);
                    }
    jit_destroy(off);
}

void test_register(void) {
    struct jit_opts o = {.code_size = 64u << 20, .count_insns = true};
    jits[0] = jit_create(&o);
    o.no_regalloc = o.no_chain = true;
    jits[1] = jit_create(&o);
    CU_pSuite s = CU_add_suite("jit_ops", NULL, NULL);
    CU_add_test(s, "binary", test_binary);
    CU_add_test(s, "unary", test_unary);
    CU_add_test(s, "cond", test_cond);
    CU_add_test(s, "cond_fused", test_cond_fused);
    CU_add_test(s, "redir", test_redir);
    CU_add_test(s, "add_shifted", test_add_shifted);
}

/* Self-loops kept in registers (dbt/jit/loop.c): a block that branches to
 * itself runs with guest registers pinned in host registers. Checked
 * against the interpreter (final state), with the loop's other exits:
 * the attention flag and an invalidation (jit_unlink) raised by another
 * thread mid-loop, and a bounds fault inside the loop (precise state);
 * a loop with more live registers than pins (memcpy's). */
#include <CUnit/CUnit.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "dbt/dbt.h"
#include "dbt/ir.h"
#include "dbt/jit/jit.h"

#define PC 0x1000

static uint8_t mem[4096];

static void insn(struct ir_block *b, uint64_t pc) {
    ir_emit(b, IR_INSN_START, 0)->imm = pc;
}

/* x0 counts down; x1 += x2 and x3 ^= x1 << 3 mix; x5 counts up; each
 * iteration loads [x4] into x6, stores x3 there and advances x4 by 8
 * (wrapping inside `mem` with `wrap`); NZCV of x0 - 1 (SUBS) decides.
 * `self_taken`: BRCOND taken goes back (b.ne), else not-taken does (b.eq
 * to the exit). */
static void build_loop(struct ir_block *b, bool self_taken, bool wrap) {
    ir_block_init(b, PC);
    insn(b, PC);
    ir_setx(b, 1, ir_op2(b, IR_ADD, 64, ir_getx(b, 1), ir_getx(b, 2)));
    insn(b, PC + 4);
    ir_temp s = ir_op2(b, IR_SHL, 64, ir_getx(b, 1), ir_const(b, 3));
    ir_setx(b, 3, ir_op2(b, IR_XOR, 64, ir_getx(b, 3), s));
    insn(b, PC + 8);
    ir_setx(b, 6, ir_ld(b, 64, ir_getx(b, 4)));
    insn(b, PC + 12);
    ir_st(b, 64, ir_getx(b, 4), ir_getx(b, 3));
    insn(b, PC + 16);
    ir_temp a = ir_op2(b, IR_ADD, 64, ir_getx(b, 4), ir_const(b, 8));
    if (wrap) a = ir_op2(b, IR_AND, 64, a, ir_const(b, 0x7f8));
    ir_setx(b, 4, a);
    insn(b, PC + 20);
    ir_setx(b, 5, ir_op2(b, IR_ADD, 32, ir_getx(b, 5), ir_const(b, 1)));
    insn(b, PC + 24);
    ir_temp x0 = ir_getx(b, 0);
    ir_temp r = ir_op2(b, IR_SUB, 64, x0, ir_const(b, 1));
    ir_temp f =
        ir_op3(b, IR_FLAGS_ADC, 64, x0, ir_op1(b, IR_NOT, 64, ir_const(b, 1)), ir_const(b, 1));
    ir_setx(b, 0, r);
    ir_stcpu(b, 32, CPU_OFF(nzcv), f);
    insn(b, PC + 28);
    ir_temp cnd = ir_op1i(b, IR_COND, 64, ir_ldcpu(b, 32, CPU_OFF(nzcv)), self_taken ? 1 : 0);
    b->guest_insns = 8;
    b->term = (struct ir_term){.kind = TERM_BRCOND,
                               .temp = cnd,
                               .target = self_taken ? PC : PC + 32,
                               .next = self_taken ? PC + 32 : PC};
}

static void init_cpu(struct cpu *c, uint64_t n) {
    memset(c, 0, sizeof *c);
    c->x[0] = n, c->x[1] = 3, c->x[2] = 0x9e3779b97f4a7c15ull, c->x[3] = 7, c->x[4] = 0;
    c->guest_base = mem;
    c->guest_size = sizeof mem;
}

static void fill_mem(void) {
    for (unsigned k = 0; k < sizeof mem; k++)
        mem[k] = (uint8_t)(k * 7 + 1);
}

/* off: a SHOAL_JIT_DISABLE list, or NULL. "peel" keeps loop mode but
 * pins the registers from the first iteration on (loop.c). */
static const char *const offs[] = {NULL, "peel", "loop"};

static struct jit *make_jit(const char *off) {
    if (off) setenv("SHOAL_JIT_DISABLE", off, 1);
    struct jit_opts o = {.code_size = 1u << 20};
    struct jit *j = jit_create(&o);
    unsetenv("SHOAL_JIT_DISABLE");
    return j;
}

/* Runs the block until it leaves PC, with the JIT (re-entering after
 * exits that come back to PC) or the interpreter. */
static uint64_t run(struct jit *j, void *entry, struct cpu *c, const struct ir_block *b) {
    uint64_t pc = PC;
    while (pc == PC) {
        if (j) {
            pc = jit_enter(j, c, entry).pc;
        } else {
            int exit = 0;
            pc = dbt_interp_block(c, b, &exit);
        }
    }
    return pc;
}

static void test_loop_matches_interp(void) {
    static uint8_t ref_mem[sizeof mem];
    for (int shape = 0; shape < 2; shape++) {
        struct ir_block b;
        build_loop(&b, shape == 0, true);
        struct cpu ref;
        fill_mem();
        init_cpu(&ref, 1000);
        uint64_t ref_pc = run(NULL, NULL, &ref, &b);
        memcpy(ref_mem, mem, sizeof mem);
        for (int off = 0; off < 3; off++) {
            struct jit *j = make_jit(offs[off]);
            CU_ASSERT_PTR_NOT_NULL_FATAL(j);
            void *entry = jit_compile(j, &b);
            CU_ASSERT_PTR_NOT_NULL_FATAL(entry);
            struct cpu c;
            fill_mem();
            init_cpu(&c, 1000);
            CU_ASSERT_EQUAL(run(j, entry, &c, &b), ref_pc);
            CU_ASSERT_EQUAL(memcmp(c.x, ref.x, sizeof c.x), 0);
            CU_ASSERT_EQUAL(c.nzcv, ref.nzcv);
            CU_ASSERT_EQUAL(memcmp(mem, ref_mem, sizeof mem), 0);
            jit_destroy(j);
        }
        ir_block_free(&b);
    }
}

/* A thread that, once the loop has made progress (x5, written back only
 * at exits, is not visible: it watches the guest stores instead), raises
 * attention or unlinks the block. */
struct poke {
    struct cpu *cpu;
    struct jit *jit;
    void *entry;
    bool unlink;
};

static void *poker(void *arg) {
    struct poke *p = arg;
    /* The loop stores x3 (never 0 here) to mem[0..8) on its first
     * iteration; mem starts zeroed. */
    while (!__atomic_load_n((uint64_t *)(void *)mem, __ATOMIC_ACQUIRE))
        sched_yield();
    if (p->unlink)
        jit_unlink(p->jit, p->entry);
    else
        p->cpu->attention = 1;
    return NULL;
}

static void run_interrupted(bool unlink, const char *off) {
    const uint64_t n = 1ull << 40; /* never finishes on its own in a test */
    struct ir_block b;
    build_loop(&b, true, true);
    struct jit *j = make_jit(off);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    void *entry = jit_compile(j, &b);
    CU_ASSERT_PTR_NOT_NULL_FATAL(entry);
    struct cpu c;
    memset(mem, 0, sizeof mem);
    init_cpu(&c, n);
    struct poke p = {&c, j, entry, unlink};
    pthread_t t;
    CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, poker, &p), 0);
    struct jit_ret r = jit_enter(j, &c, entry);
    pthread_join(t, NULL);
    CU_ASSERT_EQUAL(r.pc, PC);
    CU_ASSERT_EQUAL(r.info, JIT_EXIT_NONE);
    /* Written back at the exit: x0 + x5 is invariant, x4 tracks x5. */
    CU_ASSERT(c.x[5] > 0);
    CU_ASSERT_EQUAL(c.x[0] + c.x[5], n);
    CU_ASSERT_EQUAL(c.x[4], (c.x[5] * 8) & 0x7f8);
    CU_ASSERT_EQUAL(c.nzcv, 0x20000000u); /* the last SUBS: no borrow (lazy flags: loop.c) */
    /* The last store of x3 went to x4 - 8. */
    uint64_t last;
    memcpy(&last, mem + ((c.x[4] - 8) & 0x7f8), 8);
    CU_ASSERT_EQUAL(last, c.x[3]);
    if (unlink) {
        /* The entry now leaves at once, with nothing run. */
        uint64_t x5 = c.x[5];
        r = jit_enter(j, &c, entry);
        CU_ASSERT_EQUAL(r.pc, PC);
        CU_ASSERT_EQUAL(c.x[5], x5);
    }
    jit_destroy(j);
    ir_block_free(&b);
}

static void test_loop_attention(void) {
    run_interrupted(false, offs[0]);
    run_interrupted(false, offs[1]);
}

static void test_loop_unlink(void) {
    run_interrupted(true, offs[0]);
    run_interrupted(true, offs[1]);
}

/* The loop walks x4 off the end of the guest region: the bounds check
 * fails inside the loop, with the registers the loop keeps in host
 * registers written back exactly. */
static void loop_fault(const char *off, uint64_t left) {
    struct ir_block b;
    build_loop(&b, true, false);
    struct jit *j = make_jit(off);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    void *entry = jit_compile(j, &b);
    CU_ASSERT_PTR_NOT_NULL_FATAL(entry);
    static struct cpu c;
    memset(mem, 0, sizeof mem);
    init_cpu(&c, 1000000);
    c.x[4] = sizeof mem - 8 * left; /* left iterations before the fault */
    sigjmp_buf jb;
    c.fault_jb = &jb;
    if (sigsetjmp(jb, 1) == 0) {
        jit_enter(j, &c, entry);
        CU_FAIL("the loop should have faulted");
    } else {
        jit_sync_fpsr(&c);
        CU_ASSERT_EQUAL(c.exit_signo, SIGSEGV);
        CU_ASSERT_EQUAL(c.exit_addr, sizeof mem);
        CU_ASSERT_EQUAL(c.pc, PC + 8); /* the load */
        CU_ASSERT_EQUAL(c.x[4], sizeof mem);
        CU_ASSERT_EQUAL(c.x[5], left);
        CU_ASSERT_EQUAL(c.x[0], 1000000 - left);
        /* C: 1000000 - left - 1 without borrow; none yet: as initialised */
        CU_ASSERT_EQUAL(c.nzcv, left ? 0x20000000u : 0);
    }
    jit_destroy(j);
    ir_block_free(&b);
}

static void test_loop_fault(void) {
    /* in the pinned loop, and in the first (peeled) iteration */
    for (int off = 0; off < 2; off++) {
        loop_fault(offs[off], 8);
        loop_fault(offs[off], 0);
    }
}

/* glibc's memcpy loop (12 guest registers: more than loop mode pins):
 * x3 and x1 step by 64 (dst, src), x2 counts down, x5 counts up, and
 * x6-x13 carry the data loaded in one iteration to the stores of the
 * next. Loop mode pins only the induction registers x1, x2, x3, x5
 * (SHOAL_JIT_DISABLE=induct: an ordinary block). `pairs`: the second
 * address of each STP/LDP computed before the first access, as the
 * frontend does, so the JIT checks the pair once (lower_mem.c,
 * SHOAL_JIT_DISABLE=pairchk). */
static void build_copy(struct ir_block *b, bool pairs) {
    ir_block_init(b, PC);
    for (unsigned k = 0; k < 4; k++) {
        insn(b, PC + 8 * k);
        ir_temp d = ir_op2(b, IR_ADD, 64, ir_getx(b, 3), ir_const(b, 16 * k));
        ir_temp d2 = pairs ? ir_op2(b, IR_ADD, 64, d, ir_const(b, 8)) : 0;
        ir_st(b, 64, d, ir_getx(b, 6 + 2 * k));
        if (!pairs) d2 = ir_op2(b, IR_ADD, 64, d, ir_const(b, 8));
        ir_st(b, 64, d2, ir_getx(b, 7 + 2 * k));
        insn(b, PC + 8 * k + 4);
        ir_temp a = ir_op2(b, IR_ADD, 64, ir_getx(b, 1), ir_const(b, 16 * k));
        ir_temp a2 = pairs ? ir_op2(b, IR_ADD, 64, a, ir_const(b, 8)) : 0;
        ir_temp lo = ir_ld(b, 64, a);
        if (!pairs) a2 = ir_op2(b, IR_ADD, 64, a, ir_const(b, 8));
        ir_temp hi = ir_ld(b, 64, a2);
        ir_setx(b, 7 + 2 * k, hi);
        ir_setx(b, 6 + 2 * k, lo);
    }
    ir_setx(b, 3, ir_op2(b, IR_ADD, 64, ir_getx(b, 3), ir_const(b, 64)));
    ir_setx(b, 1, ir_op2(b, IR_ADD, 64, ir_getx(b, 1), ir_const(b, 64)));
    insn(b, PC + 32);
    ir_setx(b, 5, ir_op2(b, IR_ADD, 64, ir_getx(b, 5), ir_const(b, 1)));
    insn(b, PC + 36);
    ir_temp x2 = ir_getx(b, 2);
    ir_temp f =
        ir_op3(b, IR_FLAGS_ADC, 64, x2, ir_op1(b, IR_NOT, 64, ir_const(b, 64)), ir_const(b, 1));
    ir_setx(b, 2, ir_op2(b, IR_SUB, 64, x2, ir_const(b, 64)));
    ir_stcpu(b, 32, CPU_OFF(nzcv), f);
    insn(b, PC + 40);
    ir_temp cnd = ir_op1i(b, IR_COND, 64, ir_ldcpu(b, 32, CPU_OFF(nzcv)), 1); /* b.ne */
    b->guest_insns = 11;
    b->term = (struct ir_term){.kind = TERM_BRCOND, .temp = cnd, .target = PC, .next = PC + 44};
}

/* Copies `n` bytes from `src` to `dst` (plus the 64 loaded before the
 * loop); a dst (src) near the end of `mem` faults in a store (load).
 * Returns the exit pc, or 0 after a fault. */
static uint64_t run_copy(struct jit *j, void *entry, struct cpu *c, const struct ir_block *b,
                         uint64_t dst, uint64_t src, uint64_t n) {
    memset(c, 0, sizeof *c);
    c->x[1] = src, c->x[3] = dst, c->x[2] = n;
    for (unsigned k = 6; k < 14; k++)
        c->x[k] = 0x1111111111111111ull * k;
    c->guest_base = mem;
    c->guest_size = sizeof mem;
    fill_mem();
    sigjmp_buf jb;
    c->fault_jb = &jb;
    if (sigsetjmp(jb, 1) != 0) {
        if (j) jit_sync_fpsr(c);
        return 0;
    }
    return run(j, entry, c, b);
}

static void many_regs(bool pairs) {
    static uint8_t ref_mem[sizeof mem];
    static const char *const copy_offs[] = {NULL,      "peel",    "induct", "loop",
                                            "lazycmp", "pairchk", "dpair"};
    struct ir_block b;
    build_copy(&b, pairs);
    /* a whole copy; faults in the first (peeled) iteration, in the
     * second and in a later one; in the stores (the first two with a
     * pair whose first half is in the region, the second not), and in
     * the loads (likewise) */
    static const uint64_t dsts[] = {
        2048, sizeof mem - 40, sizeof mem - 64 - 24, sizeof mem - 5 * 64 - 8, 2048, 2048};
    static const uint64_t srcs[] = {64, 64, 64, 64, sizeof mem - 40, sizeof mem - 3 * 64 - 16};
    for (unsigned d = 0; d < sizeof dsts / sizeof dsts[0]; d++) {
        static struct cpu ref, c;
        uint64_t ref_pc = run_copy(NULL, NULL, &ref, &b, dsts[d], srcs[d], 1024);
        memcpy(ref_mem, mem, sizeof mem);
        CU_ASSERT_EQUAL(ref_pc, d == 0 ? PC + 44 : 0);
        for (unsigned off = 0; off < sizeof copy_offs / sizeof copy_offs[0]; off++) {
            struct jit *j = make_jit(copy_offs[off]);
            CU_ASSERT_PTR_NOT_NULL_FATAL(j);
            void *entry = jit_compile(j, &b);
            CU_ASSERT_PTR_NOT_NULL_FATAL(entry);
            CU_ASSERT_EQUAL(run_copy(j, entry, &c, &b, dsts[d], srcs[d], 1024), ref_pc);
            CU_ASSERT_EQUAL(memcmp(c.x, ref.x, sizeof c.x), 0);
            if (!ref_pc) CU_ASSERT_EQUAL(c.pc, ref.pc); /* the faulting insn */
            CU_ASSERT_EQUAL(c.nzcv, ref.nzcv);
            CU_ASSERT_EQUAL(c.exit_signo, ref.exit_signo);
            CU_ASSERT_EQUAL(c.exit_addr, ref.exit_addr);
            CU_ASSERT_EQUAL(memcmp(mem, ref_mem, sizeof mem), 0);
            jit_destroy(j);
        }
    }
    ir_block_free(&b);
}

static void test_loop_many_regs(void) {
    many_regs(false);
    many_regs(true);
}

/* An STP (pairchk: one bounds check for both halves) whose cold path
 * writes back many dirty registers, 10 V registers in xmm and 8 guest
 * registers: the cold path's jumps around the first half's store and
 * the raise must reach over them (they were rel8, and such blocks were
 * dropped, then retried at every execution: nbody's loop ran 100 times
 * slower). Only the second half is outside the region: the first is
 * stored, the fault is at the second's address with every dirty
 * register written back. */
static void test_pair_cold_far(void) {
    struct ir_block b;
    ir_block_init(&b, PC);
    insn(&b, PC);
    for (unsigned v = 0; v < 10; v++)
        ir_ldv(&b, 128, ir_const(&b, 16 * v), v);
    for (unsigned g = 7; g < 15; g++)
        ir_setx(&b, g, ir_const(&b, 0x100 + g));
    insn(&b, PC + 4);
    ir_temp a = ir_getx(&b, 4), a8 = ir_op2(&b, IR_ADD, 64, a, ir_const(&b, 8));
    ir_temp lo = ir_getx(&b, 1), hi = ir_getx(&b, 2);
    ir_st(&b, 64, a, lo); /* as the frontend's STP: both addresses first */
    ir_st(&b, 64, a8, hi);
    b.guest_insns = 2;
    b.term = (struct ir_term){.kind = TERM_GOTO, .target = PC + 8};
    struct jit *j = make_jit(NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    void *entry = jit_compile(j, &b);
    CU_ASSERT_PTR_NOT_NULL_FATAL(entry);
    static struct cpu c;
    fill_mem();
    init_cpu(&c, 0);
    c.x[1] = 0x1111111111111111ull, c.x[2] = 0x2222222222222222ull;
    c.x[4] = sizeof mem - 8;
    sigjmp_buf jb;
    c.fault_jb = &jb;
    if (sigsetjmp(jb, 1) == 0) {
        jit_enter(j, &c, entry);
        CU_FAIL("the second half should have faulted");
    } else {
        jit_sync_fpsr(&c);
        CU_ASSERT_EQUAL(c.exit_signo, SIGSEGV);
        CU_ASSERT_EQUAL(c.exit_addr, sizeof mem);
        CU_ASSERT_EQUAL(c.pc, PC + 4);
        CU_ASSERT_EQUAL(memcmp(mem + sizeof mem - 8, &c.x[1], 8), 0);
        for (unsigned g = 7; g < 15; g++)
            CU_ASSERT_EQUAL(c.x[g], 0x100 + g);
        for (unsigned v = 0; v < 10; v++)
            CU_ASSERT_EQUAL(memcmp(&c.v[v], mem + 16 * v, 16), 0);
    }
    jit_destroy(j);
    ir_block_free(&b);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("jit_loop", NULL, NULL);
    CU_add_test(s, "matches_interp", test_loop_matches_interp);
    CU_add_test(s, "attention", test_loop_attention);
    CU_add_test(s, "unlink", test_loop_unlink);
    CU_add_test(s, "fault", test_loop_fault);
    CU_add_test(s, "many_regs", test_loop_many_regs);
    CU_add_test(s, "pair_cold_far", test_pair_cold_far);
}

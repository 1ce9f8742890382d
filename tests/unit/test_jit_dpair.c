/* Data pairs (dbt/jit/loop.c, SHOAL_JIT_DISABLE=dpair): in a pinned
 * self-loop with many registers (glibc's memcpy loop), register pairs
 * that only an LDP writes and only an STP reads live in one xmm across
 * the back edge. Every way out of the loop must see them exactly: the
 * normal exit, a side exit in the peeled first iteration and in the
 * pinned loop, host faults (protected page: jit_fault_map) in a store, in
 * an STP's second half (the first half stored) and in an LDP after an
 * earlier LDP of the same iteration, and bounds-check faults of a pair
 * across the region's end. Registers and memory are compared with the
 * interpreter and with the JIT without the optimisation. Also (stale) a
 * pair read before an LDP overwrites it and stored after: not kept in xmm.
 *
 * 0x4000: stp x6, x7, [x3, #16]
 * 0x4004: ldp x6, x7, [x1, #16]
 * 0x4008: ldr x14, [x1, #8]
 * 0x400c: cbz x14, 0x4100         <- side exit (a zero word)
 * 0x4010: stp x8, x9, [x3, #32]
 * 0x4014: ldp x8, x9, [x1, #32]
 * 0x4018: stp x10, x11, [x3, #48]!
 * 0x401c: ldp x10, x11, [x1, #48]!
 * 0x4020: subs x2, x2, #0x30
 * 0x4024: b.hi 0x4000             <- self-loop
 * 0x4028: svc #0
 * 0x4100: svc #0 */
#include <CUnit/CUnit.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "dbt/dbt.h"
#include "dbt/ir.h"
#include "dbt/jit/jit.h"
#include "tests/unit/harness.h"

#define CODE  0x4000u
#define DATA  HARNESS_DATA
#define DST   (HARNESS_DATA + 0x1000u)
#define GUARD (HARNESS_DATA + 0x2000u) /* a page made PROT_NONE */
#define TOP   HARNESS_MEM_SIZE

static const uint32_t prog[] = {0xa9011c66, 0xa9411c26, 0xf940042e, 0xb40007ae,
                                0xa9022468, 0xa9422428, 0xa9832c6a, 0xa9c32c2a,
                                0xf100c042, 0x54fffee8, 0xd4000001};
static const uint32_t exit_prog[] = {0xd4000001};

enum { T_INTERP, T_JIT, T_NODPAIR, T_NOPEEL, T_NOINDUCT, NT };
static const struct {
    int interp;
    const char *off;
} tiers[NT] = {{1, NULL}, {0, NULL}, {0, "dpair"}, {0, "peel"}, {0, "induct"}};

/* src (x1), dst (x3), which source word (if any) is 0, the guard. */
static const struct {
    uint64_t src, dst;
    int zero;
    int guard;
} cases[] = {
    {DATA, DST, -1, 0},                 /* normal end */
    {DATA, DST, 1, 0},                  /* side exit, first iteration */
    {DATA, DST, 1 + 6 * 5, 0},          /* side exit, pinned loop */
    {DATA, GUARD - 16, -1, 1},          /* host fault, store, first */
    {DATA, GUARD - 24 - 48 * 4, -1, 1}, /* host fault, STP's second half */
    {GUARD - 40 - 48 * 3, DST, -1, 1},  /* host fault, second LDP */
    {DATA, TOP - 56 - 48 * 3, -1, 0},   /* bounds, STP!'s second half */
    {DATA, TOP - 16, -1, 0},            /* bounds, store, first */
    {TOP - 40 - 48 * 2, DST, -1, 0},    /* bounds, second LDP */
};
#define NCASES (sizeof cases / sizeof cases[0])

struct outcome {
    int exit, signo;
    uint64_t pc, addr, x[16];
    uint32_t nzcv;
    uint64_t sum; /* of the memory the loop may store to */
};

static uint64_t mem_sum(const uint8_t *p, size_t n) {
    uint64_t h = 1469598103934665603ull;
    for (size_t k = 0; k < n; k++)
        h = (h ^ p[k]) * 1099511628211ull;
    return h;
}

static struct outcome run_case(struct cpu *cpu, unsigned k) {
    uint64_t *w = (uint64_t *)(void *)(cpu->guest_base + DATA);
    for (unsigned i = 0; i < 0x4000 / 8; i++)
        w[i] = 0x0101010101010101ull * (i & 0x7f) + i + 1;
    uint64_t *top = (uint64_t *)(void *)(cpu->guest_base + TOP - 512);
    for (unsigned i = 0; i < 64; i++)
        top[i] = i + 0x100;
    if (cases[k].zero >= 0) {
        uint64_t *z = (uint64_t *)(void *)(cpu->guest_base + cases[k].src);
        z[cases[k].zero] = 0;
    }
    uint8_t *guard = cpu->guest_base + GUARD;
    if (cases[k].guard) mprotect(guard, 4096, PROT_NONE);
    cpu->pc = CODE;
    cpu->x[1] = cases[k].src;
    cpu->x[2] = 48 * 20;
    cpu->x[3] = cases[k].dst;
    for (unsigned r = 6; r < 12; r++)
        cpu->x[r] = 0x1111111111111111ull * r;
    cpu->x[14] = 0x1414;
    cpu->nzcv = 0xf0000000u;
    struct outcome o = {.exit = dbt_run(cpu)};
    if (cases[k].guard) mprotect(guard, 4096, PROT_READ | PROT_WRITE);
    o.signo = o.exit == CPU_EXIT_SIGNAL ? cpu->exit_signo : 0;
    o.addr = o.signo ? cpu->exit_addr : 0;
    o.pc = cpu->pc;
    memcpy(o.x, cpu->x, sizeof o.x);
    o.nzcv = cpu->nzcv;
    o.sum = mem_sum(cpu->guest_base + DATA, 0x4000) ^ mem_sum(cpu->guest_base + TOP - 512, 512);
    return o;
}

static void test_dpair_exits(void) {
    struct outcome ref[NCASES];
    for (int t = 0; t < NT; t++) {
        struct cpu cpu;
        struct dbt *d = harness_tier_new(&cpu, tiers[t].interp, tiers[t].off);
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        memcpy(cpu.guest_base + CODE, prog, sizeof prog);
        memcpy(cpu.guest_base + CODE + 0x100, exit_prog, sizeof exit_prog);
        for (int round = 0; round < 2; round++) /* translated, then cached and chained */
            for (unsigned k = 0; k < NCASES; k++) {
                struct outcome o = run_case(&cpu, k);
                if (t == T_INTERP && round == 0) {
                    ref[k] = o;
                    continue;
                }
                CU_ASSERT_EQUAL(o.exit, ref[k].exit);
                CU_ASSERT_EQUAL(o.signo, ref[k].signo);
                CU_ASSERT_EQUAL(o.addr, ref[k].addr);
                CU_ASSERT_EQUAL(o.pc, ref[k].pc);
                CU_ASSERT_EQUAL(memcmp(o.x, ref[k].x, sizeof o.x), 0);
                CU_ASSERT_EQUAL(o.nzcv, ref[k].nzcv);
                CU_ASSERT_EQUAL(o.sum, ref[k].sum);
            }
        harness_tier_free(d, &cpu);
    }
    /* The reference itself: the cases end where they are meant to. */
    CU_ASSERT_EQUAL(ref[0].exit, CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(ref[0].pc, CODE + 0x2c);
    CU_ASSERT_EQUAL(ref[1].pc, CODE + 0x104);
    CU_ASSERT_EQUAL(ref[2].pc, CODE + 0x104);
    CU_ASSERT_EQUAL(ref[2].x[1], DATA + 48 * 5);
    static const uint64_t fault_pc[] = {CODE, CODE, CODE + 0x14, CODE + 0x18, CODE, CODE + 0x14};
    static const uint64_t fault_addr[] = {GUARD, GUARD, GUARD, TOP, TOP, TOP};
    for (unsigned k = 3; k < NCASES; k++) {
        CU_ASSERT_EQUAL(ref[k].exit, CPU_EXIT_SIGNAL);
        CU_ASSERT_EQUAL(ref[k].signo, SIGSEGV);
        CU_ASSERT_EQUAL(ref[k].pc, fault_pc[k - 3]);
        CU_ASSERT_EQUAL(ref[k].addr, fault_addr[k - 3]);
    }
}

/* A copy loop in IR (as the frontend's LDP/STP) in which x6, x7 are read
 * before an LDP overwrites them and stored after it: the STP stores the
 * old values, which only cpu->x (or a host register) still has, so the
 * pair must not live in an xmm that the LDP has already overwritten. */
#define PC 0x1000

static uint8_t mem[4096];

static void stp(struct ir_block *b, unsigned g, unsigned off, ir_temp lo, ir_temp hi) {
    ir_temp d = ir_op2(b, IR_ADD, 64, ir_getx(b, 3), ir_const(b, off));
    ir_temp d2 = ir_op2(b, IR_ADD, 64, d, ir_const(b, 8));
    ir_st(b, 64, d, lo ? lo : ir_getx(b, g));
    ir_st(b, 64, d2, hi ? hi : ir_getx(b, g + 1));
}

static void ldp(struct ir_block *b, unsigned g, unsigned off) {
    ir_temp a = ir_op2(b, IR_ADD, 64, ir_getx(b, 1), ir_const(b, off));
    ir_temp a2 = ir_op2(b, IR_ADD, 64, a, ir_const(b, 8));
    ir_temp lo = ir_ld(b, 64, a), hi = ir_ld(b, 64, a2);
    ir_setx(b, g + 1, hi);
    ir_setx(b, g, lo);
}

static void build_stale(struct ir_block *b) {
    ir_block_init(b, PC);
    ir_emit(b, IR_INSN_START, 0)->imm = PC;
    ir_temp o6 = ir_getx(b, 6), o7 = ir_getx(b, 7);
    ldp(b, 6, 0);
    stp(b, 6, 0, o6, o7);
    stp(b, 8, 16, 0, 0);
    ldp(b, 8, 16);
    stp(b, 10, 32, 0, 0);
    ldp(b, 10, 32);
    ir_setx(b, 3, ir_op2(b, IR_ADD, 64, ir_getx(b, 3), ir_const(b, 48)));
    ir_setx(b, 1, ir_op2(b, IR_ADD, 64, ir_getx(b, 1), ir_const(b, 48)));
    ir_temp x2 = ir_getx(b, 2);
    ir_temp r = ir_op2(b, IR_SUB, 64, x2, ir_const(b, 48));
    ir_setx(b, 2, r);
    b->guest_insns = 1;
    b->term = (struct ir_term){.kind = TERM_BRCOND, .temp = r, .target = PC, .next = PC + 4};
}

static void run_stale(struct jit *j, void *entry, struct cpu *c, const struct ir_block *b) {
    memset(c, 0, sizeof *c);
    for (unsigned k = 0; k < sizeof mem; k++)
        mem[k] = (uint8_t)(k * 7 + 1);
    c->guest_base = mem;
    c->guest_size = sizeof mem;
    c->x[1] = 64, c->x[2] = 48 * 20, c->x[3] = 2048;
    for (unsigned r = 6; r < 12; r++)
        c->x[r] = 0x1111111111111111ull * r;
    uint64_t pc = PC;
    while (pc == PC) {
        int exit = 0;
        pc = j ? jit_enter(j, c, entry).pc : dbt_interp_block(c, b, &exit);
    }
}

static void test_dpair_stale(void) {
    static uint8_t ref_mem[sizeof mem];
    static struct cpu ref, c;
    struct ir_block b;
    build_stale(&b);
    run_stale(NULL, NULL, &ref, &b);
    memcpy(ref_mem, mem, sizeof mem);
    static const char *const offs[] = {NULL, "peel", "dpair"};
    for (unsigned k = 0; k < 3; k++) {
        if (offs[k]) setenv("SHOAL_JIT_DISABLE", offs[k], 1);
        struct jit_opts o = {.code_size = 1u << 20};
        struct jit *j = jit_create(&o);
        unsetenv("SHOAL_JIT_DISABLE");
        CU_ASSERT_PTR_NOT_NULL_FATAL(j);
        void *entry = jit_compile(j, &b);
        CU_ASSERT_PTR_NOT_NULL_FATAL(entry);
        run_stale(j, entry, &c, &b);
        CU_ASSERT_EQUAL(memcmp(c.x, ref.x, sizeof c.x), 0);
        CU_ASSERT_EQUAL(memcmp(mem, ref_mem, sizeof mem), 0);
        jit_destroy(j);
    }
    ir_block_free(&b);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("jit_dpair", NULL, NULL);
    CU_add_test(s, "exits", test_dpair_exits);
    CU_add_test(s, "stale", test_dpair_stale);
}

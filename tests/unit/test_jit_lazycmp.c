/* Lazy loop flags (dbt/jit/loop.c, SHOAL_JIT_DISABLE=lazycmp): a pinned
 * self-loop does not store the NZCV of its closing compare; every place
 * that can observe the flags computes them from the saved operands. Each
 * way out of the loop is compared with the interpreter and with the JIT
 * without the optimisation: the normal exit, a side exit in the peeled
 * first iteration and in the pinned loop, a host fault (protected page,
 * jit_fault_map) and a bounds-check fault, each in the first iteration
 * and later.
 *
 * 0x4000: ldr x1, [x2]
 * 0x4004: cbz x1, 0x4100      <- side exit
 * 0x4008: add x2, x2, #8
 * 0x400c: cmp x2, x4
 * 0x4010: b.ne 0x4000         <- self-loop
 * 0x4014: mrs x3, nzcv
 * 0x4018: svc #0
 * 0x4100: mrs x3, nzcv
 * 0x4104: svc #0
 * The same with an FCMP writing NZCV before the loop's compare
 * (SHOAL_JIT_DISABLE=lazyfcmp, nbody's loop): a fault at the load sees
 * the compare's flags from the slots, the side exit the FCMP's.
 * 0x4000: ldr d1, [x2]
 * 0x4004: fcmp d1, #0.0
 * 0x4008: b.eq 0x4100         <- side exit (a zero word)
 * 0x400c: fadd d0, d0, d1
 * 0x4010: add x2, x2, #8
 * 0x4014: cmp x2, x4
 * 0x4018: b.ne 0x4000
 * 0x401c: mrs x3, nzcv
 * 0x4020: svc #0 */
#include <CUnit/CUnit.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>

#include "dbt/dbt.h"
#include "tests/unit/harness.h"

#define CODE  0x4000u
#define DATA  HARNESS_DATA
#define GUARD (HARNESS_DATA + 0x2000u) /* a page made PROT_NONE */

static const uint32_t loop_prog[] = {0xf9400041, 0xb40007e1, 0x91002042, 0xeb04005f,
                                     0x54ffff81, 0xd53b4203, 0xd4000001};
static const uint32_t fp_prog[] = {0xfd400041, 0x1e602028, 0x540007c0, 0x1e612800, 0x91002042,
                                   0xeb04005f, 0x54ffff41, 0xd53b4203, 0xd4000001};
static const uint32_t exit_prog[] = {0xd53b4203, 0xd4000001};

/* setcc off: the side exit's CBZ as a SETEQ value (fused by default) */
enum { T_INTERP, T_JIT, T_NOLAZY, T_NOPEEL, T_NOSETCC, T_NOLAZYFCMP, NT };
static const struct {
    int interp;
    const char *off;
} tiers[NT] = {{1, NULL}, {0, NULL}, {0, "lazycmp"}, {0, "peel"}, {0, "setcc"}, {0, "lazyfcmp"}};

/* Where the loop starts, where its compare ends it, which word (if any)
 * is 0 (the side exit), whether the guard page is protected. */
static const struct {
    uint64_t start, end;
    int zero;
    int guard;
} cases[] = {
    {DATA, DATA + 8 * 100, -1, 0},                          /* normal end */
    {DATA, DATA + 8 * 100, 0, 0},                           /* side exit, first iteration */
    {DATA, DATA + 8 * 100, 5, 0},                           /* side exit, pinned loop */
    {GUARD, GUARD + 8 * 100, -1, 1},                        /* host fault, first iteration */
    {GUARD - 40, GUARD + 8 * 100, -1, 1},                   /* host fault, pinned loop */
    {HARNESS_MEM_SIZE, HARNESS_MEM_SIZE + 800, -1, 0},      /* bounds, first */
    {HARNESS_MEM_SIZE - 40, HARNESS_MEM_SIZE + 800, -1, 0}, /* bounds, pinned */
};
#define NCASES (sizeof cases / sizeof cases[0])

struct outcome {
    int exit, signo;
    uint64_t pc, x[5], d0;
    uint32_t nzcv;
};

static struct outcome run_case(struct cpu *cpu, unsigned k) {
    uint64_t *w = (uint64_t *)(void *)(cpu->guest_base + DATA);
    for (unsigned i = 0; i < 0x4000 / 8; i++)
        w[i] = i + 1;
    uint64_t *top = (uint64_t *)(void *)(cpu->guest_base + HARNESS_MEM_SIZE - 64);
    for (unsigned i = 0; i < 8; i++) /* the bounds cases' words (the stack) */
        top[i] = i + 1;
    if (cases[k].zero >= 0) w[cases[k].zero] = 0;
    uint8_t *guard = cpu->guest_base + GUARD;
    if (cases[k].guard) mprotect(guard, 4096, PROT_NONE);
    cpu->pc = CODE;
    cpu->x[0] = 0;
    cpu->x[1] = 0x1111;
    cpu->x[2] = cases[k].start;
    cpu->x[3] = 0xdead;
    cpu->x[4] = cases[k].end;
    cpu->nzcv = 0xf0000000u;
    memset(cpu->v, 0, sizeof cpu->v);
    struct outcome o = {.exit = dbt_run(cpu)};
    if (cases[k].guard) mprotect(guard, 4096, PROT_READ | PROT_WRITE);
    o.signo = o.exit == CPU_EXIT_SIGNAL ? cpu->exit_signo : 0;
    o.pc = cpu->pc;
    memcpy(o.x, cpu->x, sizeof o.x);
    o.nzcv = cpu->nzcv;
    o.d0 = cpu->v[0].d[0];
    return o;
}

static void lazycmp_exits(const uint32_t *prog, size_t size, bool fp) {
    struct outcome ref[NCASES];
    for (int t = 0; t < NT; t++) {
        struct cpu cpu;
        struct dbt *d = harness_tier_new(&cpu, tiers[t].interp, tiers[t].off);
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        memcpy(cpu.guest_base + CODE, prog, size);
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
                CU_ASSERT_EQUAL(o.pc, ref[k].pc);
                CU_ASSERT_EQUAL(memcmp(o.x, ref[k].x, sizeof o.x), 0);
                CU_ASSERT_EQUAL(o.nzcv, ref[k].nzcv);
                CU_ASSERT_EQUAL(o.d0, ref[k].d0);
            }
        harness_tier_free(d, &cpu);
    }
    /* The reference itself: the loop's last compare (x2 < x4: N, borrow)
     * is what a side exit (FP: the FCMP's 0 == 0, Z C) or fault after the
     * first iteration sees; in the first one, the flags the loop was
     * entered with. */
    CU_ASSERT_EQUAL(ref[0].exit, CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(ref[0].nzcv, 0x60000000u); /* x2 == x4: Z C */
    CU_ASSERT_EQUAL(ref[1].x[3], fp ? 0x60000000u : 0xf0000000u);
    CU_ASSERT_EQUAL(ref[2].x[3], fp ? 0x60000000u : 0x80000000u);
    if (fp) CU_ASSERT_NOT_EQUAL(ref[2].d0, 0); /* 1 + .. + 5 as subnormals */
    for (unsigned k = 3; k < NCASES; k++) {
        CU_ASSERT_EQUAL(ref[k].exit, CPU_EXIT_SIGNAL);
        CU_ASSERT_EQUAL(ref[k].signo, SIGSEGV);
        CU_ASSERT_EQUAL(ref[k].pc, CODE);
        CU_ASSERT_EQUAL(ref[k].nzcv, (k % 2) ? 0xf0000000u : 0x80000000u);
    }
}

static void test_lazycmp_exits(void) {
    lazycmp_exits(loop_prog, sizeof loop_prog, false);
}

static void test_lazycmp_fcmp(void) {
    lazycmp_exits(fp_prog, sizeof fp_prog, true);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("jit_lazycmp", NULL, NULL);
    CU_add_test(s, "exits", test_lazycmp_exits);
    CU_add_test(s, "fcmp", test_lazycmp_fcmp);
}

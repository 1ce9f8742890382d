/* NZCV across chained blocks (dbt/jit/nzchain.c, SHOAL_JIT_DISABLE=nzchain):
 * a block whose compare's flags leave it through its exits sends the
 * operands, a block that branches on the entry flags receives them. Each
 * way the flags can be observed is compared with the interpreter and the
 * JIT without the optimisation, for a 64-bit and a 32-bit compare (the
 * slots hold a << 32, b << 32) on operands around the sign and carry
 * edges: the receiver's condition, its side exit (sending on to a third
 * block), MRS NZCV in the receiver, the sender's and the receiver's
 * faults (host fault on a protected page, bounds check), the sender's
 * call to a block without a receiving body (flags computed at the
 * exit), and the receiver invalidated after its predecessor chained to
 * it (its lazy entry exits through the stub that computes the flags).
 * An MRS of another register in the receiver's window is no NZCV load.
 *
 * p:  ldr x1, [x2]; cmp x1, x5 (w1, w5); b.ne t; ldr x6, [x7]; bl .+4;
 *     svc #0 (the call: an exit into the page, which sends)
 * t:  b.hi u (b.ge); ldr x8, [x9]; mrs x3, nzcv; cmp x3, #0; svc #0
 * u:  mrs x6, tpidr_el0; mrs x4, nzcv; cmp x4, #1; svc #0
 * q:  cmp x5, #3; b.lt v; cmp x5, #4; b.ne v; svc #0 (b.lt: an exit with
 *     its own compare's flags, which sends them instead of packing)
 * v:  ldr x8, [x9]; mrs x3, nzcv; cmp x3, #0; svc #0 */
#include <CUnit/CUnit.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "dbt/dbt.h"
#include "tests/unit/harness.h"

#define CODE  0x4000u
#define DATA  HARNESS_DATA
#define GUARD (HARNESS_DATA + 0x2000u) /* a page made PROT_NONE */

/* p64 t64 u64 p32 t32 u32 q v, 0x20 bytes apart */
static const uint32_t prog[8][8] = {
    {0xf9400041, 0xeb05003f, 0x540000c1, 0xf94000e6, 0x94000001, 0xd4000001},
    {0x54000108, 0xf9400128, 0xd53b4203, 0xf100007f, 0xd4000001},
    {0xd53bd046, 0xd53b4204, 0xf100049f, 0xd4000001},
    {0xb9400041, 0x6b05003f, 0x540000c1, 0xf94000e6, 0x94000001, 0xd4000001},
    {0x5400010a, 0xf9400128, 0xd53b4203, 0xf100007f, 0xd4000001},
    {0xd53bd046, 0xd53b4204, 0xf100049f, 0xd4000001},
    {0xf1000cbf, 0x540000eb, 0xf10010bf, 0x540000a1, 0xd4000001},
    {0xf9400128, 0xd53b4203, 0xf100007f, 0xd4000001}};

enum { T_INTERP, T_JIT, T_OFF, NT };
static const struct {
    int interp;
    const char *off;
} tiers[NT] = {{1, NULL}, {0, NULL}, {0, "nzchain"}};

/* x1 (loaded) and x5: equal, above, below, around the signs */
static const uint64_t vals[][2] = {
    {5, 3},
    {3, 5},
    {7, 7},
    {0x80000000u, 1},
    {1, 0x80000000u},
    {0x7fffffffu, 0xffffffffu},
    {0x8000000000000000ull, 1},
    {0x7fffffffffffffffull, 0xffffffffffffffffull},
    {0x100000005ull, 0x200000005ull},
};
#define NVALS (sizeof vals / sizeof vals[0])

/* Where the receiver's load (x9) and the sender's second load (x7) go. */
enum { F_NONE, F_HOST_T, F_BOUNDS_T, F_HOST_P, F_BOUNDS_P, NF };

struct outcome {
    int exit, signo;
    uint64_t pc, x[10];
    uint32_t nzcv;
};

static struct outcome run_case(struct cpu *cpu, unsigned start, unsigned v, unsigned f) {
    uint64_t *w = (uint64_t *)(void *)(cpu->guest_base + DATA);
    w[0] = vals[v][0];
    uint8_t *guard = cpu->guest_base + GUARD;
    bool prot = f == F_HOST_T || f == F_HOST_P;
    if (prot) mprotect(guard, 4096, PROT_NONE);
    cpu->pc = CODE + start;
    for (int r = 0; r < 10; r++)
        cpu->x[r] = 0x1111 * (uint64_t)r;
    cpu->x[2] = DATA;
    cpu->x[5] = vals[v][1];
    cpu->x[7] = f == F_HOST_P ? GUARD : f == F_BOUNDS_P ? HARNESS_MEM_SIZE + 64 : DATA + 8;
    cpu->x[9] = f == F_HOST_T ? GUARD : f == F_BOUNDS_T ? HARNESS_MEM_SIZE + 64 : DATA + 16;
    cpu->nzcv = 0x90000000u;
    cpu->tpidr_el0 = 0x7777;
    struct outcome o = {.exit = dbt_run(cpu)};
    if (prot) mprotect(guard, 4096, PROT_READ | PROT_WRITE);
    o.signo = o.exit == CPU_EXIT_SIGNAL ? cpu->exit_signo : 0;
    o.pc = cpu->pc;
    memcpy(o.x, cpu->x, sizeof o.x);
    o.nzcv = cpu->nzcv;
    return o;
}

static void test_nzchain(void) {
    static struct outcome ref[3][NVALS][NF];
    unsigned seen_u = 0, seen_t = 0, seen_p = 0, seen_v = 0;
    for (int t = 0; t < NT; t++) {
        struct cpu cpu;
        struct dbt *d = harness_tier_new(&cpu, tiers[t].interp, tiers[t].off);
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        memcpy(cpu.guest_base + CODE, prog, sizeof prog);
        /* translated; cached and chained; the receivers invalidated */
        for (int round = 0; round < 3; round++) {
            if (round == 2) {
                dbt_invalidate(d, CODE + 0x20, 4);
                dbt_invalidate(d, CODE + 0x80, 4);
            }
            for (unsigned s = 0; s < 3; s++)
                for (unsigned v = 0; v < NVALS; v++)
                    for (unsigned f = 0; f < NF; f++) {
                        struct outcome o = run_case(&cpu, s * 0x60, v, f);
                        if (t == T_INTERP && round == 0) {
                            ref[s][v][f] = o;
                            seen_u += o.pc == CODE + s * 0x60 + 0x50;
                            seen_t += o.pc == CODE + s * 0x60 + 0x34;
                            seen_p += o.pc == CODE + s * 0x60 + 0x18;
                            seen_v += o.pc == CODE + 0xf0;
                            continue;
                        }
                        const struct outcome *r = &ref[s][v][f];
                        bool ok = o.exit == r->exit && o.signo == r->signo && o.pc == r->pc &&
                                  !memcmp(o.x, r->x, sizeof o.x) && o.nzcv == r->nzcv;
                        if (!ok)
                            printf("\n  tier %d round %d sz %d vals %u fault %u: pc %#lx/%#lx "
                                   "nzcv %#x/%#x x3 %#lx/%#lx x4 %#lx/%#lx",
                                   t, round, s ? 32 : 64, v, f, (unsigned long)o.pc,
                                   (unsigned long)r->pc, o.nzcv, r->nzcv, (unsigned long)o.x[3],
                                   (unsigned long)r->x[3], (unsigned long)o.x[4],
                                   (unsigned long)r->x[4]);
                        CU_ASSERT(ok);
                    }
        }
        harness_tier_free(d, &cpu);
    }
    /* The reference takes every path: the third block, the receiver's
     * end, the sender's end; a fault in the receiver sees the sender's
     * flags (3 - 5: N), one in the sender its own (7 - 7: Z C). */
    CU_ASSERT(seen_u > 0 && seen_t > 0 && seen_p > 0 && seen_v > 0);
    CU_ASSERT_EQUAL(ref[2][3][F_HOST_T].nzcv, 0x80000000u);   /* 1 - 3, q's b.lt */
    CU_ASSERT_EQUAL(ref[2][7][F_BOUNDS_T].nzcv, 0xa0000000u); /* -1 - 3 */
    CU_ASSERT_EQUAL(ref[0][1][F_HOST_T].signo, SIGSEGV);
    CU_ASSERT_EQUAL(ref[0][1][F_HOST_T].nzcv, 0x80000000u);
    CU_ASSERT_EQUAL(ref[1][1][F_BOUNDS_T].nzcv, 0x80000000u);
    CU_ASSERT_EQUAL(ref[0][2][F_HOST_P].nzcv, 0x60000000u);
    CU_ASSERT_EQUAL(ref[1][2][F_BOUNDS_P].nzcv, 0x60000000u);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("jit_nzchain", NULL, NULL);
    CU_add_test(s, "exits", test_nzchain);
}

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
 * Receiving bodies are compiled when the first sending exit is chained
 * to their block: once per block (not again when it is cached), again
 * for a block translated anew, never for a block nothing sends to, and
 * after the code buffer is flushed (test_lazy, test_flush).
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

static uint64_t receivers(struct dbt *d) {
    struct dbt_stats st;
    dbt_get_stats(d, &st);
    return st.jit_nz_receivers;
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
        uint64_t nrecv[3] = {0};
        for (int round = 0; round < 3; round++) {
            if (round == 2) {
                dbt_invalidate(d, CODE + 0x20, 4);
                dbt_invalidate(d, CODE + 0x80, 4);
            }
            if (round) nrecv[round - 1] = receivers(d);
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
        nrecv[2] = receivers(d);
        /* t64, u64, t32, u32 and v receive; the cached blocks' bodies
         * are reused; p's exits stay chained to the invalidated t's
         * unlinked lazy entries (the dispatcher runs the new t). */
        if (t == T_JIT) {
            CU_ASSERT_EQUAL(nrecv[0], 5);
            CU_ASSERT_EQUAL(nrecv[1], nrecv[0]);
            CU_ASSERT_EQUAL(nrecv[2], nrecv[1]);
        } else {
            CU_ASSERT_EQUAL(nrecv[2], 0);
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

/* A receiving body of a peeled self-loop (loop.c), compiled lazily:
 *
 * p: cmp x5, x6; b.ne l; bl .+4; svc #0
 * l: b.hi x; ldrb w2, [x3], #1; cmp w2, #9; b.eq y; add x1, x1, x2;
 *    cmp w2, #4; b.ne l; svc #0   (x, y: mrs x4, nzcv; svc #0)
 *
 * l branches on its entry flags (p's compare or its own from the last
 * iteration) and loops over the bytes at x3 until a 4 (end), a byte
 * above 4 that the next b.hi takes, or a 9. Its receiving body's back
 * edge enters the pinned loop compiled with l. Run from l alone (nothing
 * sends: no receiving body), then from p with l invalidated before the
 * first chaining, then with p and l invalidated after it (both
 * translated anew: a new receiving body). */
#define LOOP (CODE + 0x1000)
static const uint32_t loop_prog[] = {0xeb0600bf, 0x54000061, 0x94000001, 0xd4000001, 0x54000188,
                                     0x38401462, 0x7100245f, 0x54000160, 0x8b020021, 0x7100105f,
                                     0x54ffff41, 0xd4000001, 0xd503201f, 0xd503201f, 0xd503201f,
                                     0xd503201f, 0xd53b4204, 0xd4000001, 0xd53b4204, 0xd4000001};

static const char *const loop_data[] = {"\1\2\3\4", "\1\7\2\4", "\3\1\11\4", "\4", "\0\0\0\5\4"};
#define NDATA (sizeof loop_data / sizeof loop_data[0])

static struct outcome run_loop(struct cpu *cpu, uint64_t start, unsigned v, unsigned k) {
    strcpy((char *)cpu->guest_base + DATA, loop_data[k]);
    cpu->pc = start;
    for (int r = 0; r < 10; r++)
        cpu->x[r] = 0x1111 * (uint64_t)r;
    cpu->x[3] = DATA;
    cpu->x[5] = vals[v][0];
    cpu->x[6] = vals[v][1];
    cpu->nzcv = v & 1 ? 0x20000000u : 0x40000000u; /* l from the start: HI false */
    struct outcome o = {.exit = dbt_run(cpu)};
    o.signo = o.exit == CPU_EXIT_SIGNAL ? cpu->exit_signo : 0;
    o.pc = cpu->pc;
    memcpy(o.x, cpu->x, sizeof o.x);
    o.nzcv = cpu->nzcv;
    return o;
}

static void test_lazy(void) {
    static struct outcome ref[2][NVALS][NDATA];
    for (int t = 0; t < NT; t++) {
        struct cpu cpu;
        struct dbt *d = harness_tier_new(&cpu, tiers[t].interp, tiers[t].off);
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        memcpy(cpu.guest_base + LOOP, loop_prog, sizeof loop_prog);
        static const int starts[] = {1, 0, 0, 0};
        uint64_t nrecv[4];
        for (int phase = 0; phase < 4; phase++) {
            if (phase == 1) dbt_invalidate(d, LOOP + 0x10, 4);
            if (phase == 3) dbt_invalidate(d, LOOP, 0x14);
            int s = starts[phase];
            for (unsigned v = 0; v < NVALS; v++)
                for (unsigned k = 0; k < NDATA; k++) {
                    struct outcome o = run_loop(&cpu, s ? LOOP + 0x10 : LOOP, v, k);
                    if (t == T_INTERP && (phase == 0 || phase == 1)) {
                        ref[s][v][k] = o;
                        continue;
                    }
                    const struct outcome *r = &ref[s][v][k];
                    bool ok = o.exit == r->exit && o.pc == r->pc &&
                              !memcmp(o.x, r->x, sizeof o.x) && o.nzcv == r->nzcv;
                    if (!ok)
                        printf("\n  tier %d phase %d vals %u data %u: pc %#lx/%#lx nzcv %#x/%#x "
                               "x1 %#lx/%#lx x3 %#lx/%#lx",
                               t, phase, v, k, (unsigned long)o.pc, (unsigned long)r->pc, o.nzcv,
                               r->nzcv, (unsigned long)o.x[1], (unsigned long)r->x[1],
                               (unsigned long)o.x[3], (unsigned long)r->x[3]);
                    CU_ASSERT(ok);
                }
            nrecv[phase] = receivers(d);
        }
        /* l is the only block that receives (x, y and the svc blocks
         * define no NZCV); a block nothing sends to gets none. */
        uint64_t want[4] = {0, 1, 1, 2};
        for (int phase = 0; phase < 4; phase++)
            CU_ASSERT_EQUAL(nrecv[phase], t == T_JIT ? want[phase] : 0);
        harness_tier_free(d, &cpu);
    }
    /* the paths: p's flags taken by l's b.hi, the end, a byte above 4, a 9 */
    CU_ASSERT_EQUAL(ref[0][0][0].pc, LOOP + 0x48);
    CU_ASSERT_EQUAL(ref[0][1][0].pc, LOOP + 0x30);
    CU_ASSERT_EQUAL(ref[0][1][1].pc, LOOP + 0x48);
    CU_ASSERT_EQUAL(ref[0][1][2].pc, LOOP + 0x50);
}

/* Code flushes (a 1 MiB buffer): NUNITS units of
 *   u: b.hi fail; cmp x5, #imm(u); bl u + 12
 * each a block that receives the previous unit's flags and sends its
 * own, then svc #0. Unit k compares with 4000 - k, so the b.hi after
 * unit k is taken when x5 > 4000 - k. Two runs through all the units
 * and one stopped late, then early, each compiling receiving bodies
 * again after the flushes. */
#define UNITS  0x10000u
#define FAIL   0x8000u
#define NUNITS 4000u

static void test_flush(void) {
    static const uint64_t x5s[] = {0, 0, 40, 3000};
    struct outcome ref[4];
    for (int t = 0; t < NT; t++) {
        struct cpu cpu;
        struct dbt *d = harness_tier_new_sized(&cpu, tiers[t].interp, tiers[t].off, 1u << 20);
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        uint32_t *w = (uint32_t *)(void *)(cpu.guest_base + UNITS);
        for (uint32_t k = 0; k < NUNITS; k++) {
            uint64_t u = UNITS + 12 * k;
            int32_t rel = (int32_t)(FAIL - u) / 4;
            w[3 * k] = 0x54000008u | ((uint32_t)rel & 0x7ffff) << 5; /* b.hi fail */
            w[3 * k + 1] = 0xf10000bfu | (4000 - k) << 10;           /* cmp x5, #imm */
            w[3 * k + 2] = 0x94000001u;                              /* bl .+4 */
        }
        w[3 * NUNITS] = 0xd4000001u;
        uint32_t *f = (uint32_t *)(void *)(cpu.guest_base + FAIL);
        f[0] = 0xd53b4204u; /* mrs x4, nzcv */
        f[1] = 0xd4000001u;
        uint64_t nrecv = 0;
        for (unsigned r = 0; r < sizeof x5s / sizeof x5s[0]; r++) {
            cpu.pc = UNITS;
            memset(cpu.x, 0, sizeof cpu.x);
            cpu.x[5] = x5s[r];
            cpu.nzcv = 0;
            struct outcome o = {.exit = dbt_run(&cpu)};
            o.pc = cpu.pc;
            memcpy(o.x, cpu.x, sizeof o.x);
            o.nzcv = cpu.nzcv;
            uint64_t x30 = cpu.x[30];
            if (t == T_INTERP) {
                ref[r] = o;
                ref[r].x[0] = x30; /* x0 stays 0: the last unit run */
                continue;
            }
            bool ok = o.exit == ref[r].exit && o.pc == ref[r].pc && x30 == ref[r].x[0] &&
                      o.x[4] == ref[r].x[4] && o.nzcv == ref[r].nzcv;
            if (!ok)
                printf("\n  tier %d run %u: pc %#lx/%#lx x30 %#lx/%#lx nzcv %#x/%#x", t, r,
                       (unsigned long)o.pc, (unsigned long)ref[r].pc, (unsigned long)x30,
                       (unsigned long)ref[r].x[0], o.nzcv, ref[r].nzcv);
            CU_ASSERT(ok);
            /* every run through the units compiles receiving bodies anew
             * (flushed since the last one) */
            uint64_t n = receivers(d);
            if (t == T_JIT && r < 2) CU_ASSERT(n > nrecv);
            if (t != T_JIT) CU_ASSERT_EQUAL(n, 0);
            nrecv = n;
        }
        struct dbt_stats st;
        dbt_get_stats(d, &st);
        if (t != T_INTERP) CU_ASSERT(st.jit_flushes >= 2);
        harness_tier_free(d, &cpu);
    }
    CU_ASSERT_EQUAL(ref[0].pc, UNITS + 12 * NUNITS + 4);
    CU_ASSERT_EQUAL(ref[2].pc, FAIL + 8);
    /* the b.hi of unit k + 1, k the first with 4000 - k < x5 */
    CU_ASSERT_EQUAL(ref[2].x[0], UNITS + 12 * 3962);
    CU_ASSERT_EQUAL(ref[3].x[0], UNITS + 12 * 1002);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("jit_nzchain", NULL, NULL);
    CU_add_test(s, "exits", test_nzchain);
    CU_add_test(s, "lazy", test_lazy);
    CU_add_test(s, "flush", test_flush);
}

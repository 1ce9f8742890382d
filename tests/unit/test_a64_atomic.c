/* Exclusives, load-acquire/store-release and LSE atomics: results,
 * monitor behaviour, alignment faults, and exact counts under contention
 * from four host threads. Expected values follow the Arm ARM
 * pseudocode; encodings come from aarch64-linux-gnu-as. Every test runs
 * four times: interpreter and JIT, each with the atomic IR ops (the
 * JIT's inline forms, dbt/jit/lower_atomic.c) and with the helpers
 * (SHOAL_JIT_DISABLE=atomics). */
#include <CUnit/CUnit.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "dbt/a64/a64.h"
#include "tests/unit/a64_mem_util.h"

#define A       (HARNESS_DATA + 0x1000) /* 16-byte aligned scratch */
#define GARBAGE 0xdeadbeefcafef00dull

/* The tier the current suite runs on (set by its init function). */
static struct {
    int interp;
    const char *jit_disable;
} tier;

/* A dbt of the current suite's tier, for tests that run their own vCPUs. */
static struct dbt *tier_dbt(void) {
    struct dbt_options opt = {.interp_only = tier.interp};
    if (tier.jit_disable) setenv("SHOAL_JIT_DISABLE", tier.jit_disable, 1);
    struct dbt *d = dbt_create(&opt);
    unsetenv("SHOAL_JIT_DISABLE");
    return d;
}

static struct harness *setup(void) {
    struct harness *h = harness_new_tier(tier.interp, tier.jit_disable);
    mem_fill(h, HARNESS_DATA, 0x4000, 0x5b);
    for (unsigned r = 0; r < 31; r++)
        h->cpu.x[r] = GARBAGE;
    h->cpu.x[0] = A;
    return h;
}

static void assert_signal(struct harness *h, int e, int signo, int code, uint64_t addr) {
    CU_ASSERT_EQUAL(e, CPU_EXIT_SIGNAL);
    CU_ASSERT_EQUAL(h->cpu.exit_signo, signo);
    CU_ASSERT_EQUAL(h->cpu.exit_code, code);
    CU_ASSERT_EQUAL(h->cpu.exit_addr, addr);
}

/* LDXR then STXR at each size: the load reads, the store succeeds once. */
static void test_exclusive_sizes(void) {
    static const struct {
        uint32_t ldxr, stxr;
        unsigned bytes;
    } forms[] = {
        {0x085f7c01u, 0x08027c03u, 1}, /* ldxrb w1, [x0]; stxrb w2, w3, [x0] */
        {0x485f7c01u, 0x48027c03u, 2}, /* ldxrh w1, [x0]; stxrh w2, w3, [x0] */
        {0x885f7c01u, 0x88027c03u, 4}, /* ldxr w1, [x0]; stxr w2, w3, [x0] */
        {0xc85f7c01u, 0xc8027c03u, 8}, /* ldxr x1, [x0]; stxr w2, x3, [x0] */
        {0x085ffc01u, 0x08027c03u, 1}, /* ldaxrb w1, [x0]; stxrb w2, w3, [x0] */
        {0x485f7c01u, 0x4802fc03u, 2}, /* ldxrh w1, [x0]; stlxrh w2, w3, [x0] */
        {0xc85ffc01u, 0xc802fc03u, 8}, /* ldaxr x1, [x0]; stlxr w2, x3, [x0] */
    };
    struct harness *h = setup();
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        unsigned n = forms[i].bytes;
        uint64_t mask = n == 8 ? ~0ull : (1ull << (8 * n)) - 1;
        uint64_t old = mem_rd(h, A, 8);
        h->cpu.x[3] = 0x0123456789abcdefull + i;
        int e = RUN(h, forms[i].ldxr, forms[i].stxr,
                    forms[i].stxr); /* the second store-exclusive has no monitor */
        CU_ASSERT_EQUAL(e, CPU_EXIT_SVC);
        CU_ASSERT_EQUAL(h->cpu.x[1], old & mask);
        CU_ASSERT_EQUAL(h->cpu.x[2], 1); /* status of the last one */
        CU_ASSERT_EQUAL(mem_rd(h, A, 8), (old & ~mask) | (h->cpu.x[3] & mask));
        CU_ASSERT_EQUAL(h->cpu.excl_size, 0);
        /* Again, checking the first store's status alone. */
        h->cpu.x[3] = ~h->cpu.x[3];
        old = mem_rd(h, A, 8);
        e = RUN(h, forms[i].ldxr, forms[i].stxr);
        CU_ASSERT_EQUAL(e, CPU_EXIT_SVC);
        CU_ASSERT_EQUAL(h->cpu.x[2], 0);
        CU_ASSERT_EQUAL(mem_rd(h, A, 8), (old & ~mask) | (h->cpu.x[3] & mask));
    }
    harness_free(h);
}

static void test_exclusive_failures(void) {
    struct harness *h = setup();
    uint64_t old = mem_rd(h, A, 8);
    h->cpu.x[3] = 0x1111;
    h->cpu.x[9] = A + 8;

    /* No LDXR before: fails, no store, no fault even if misaligned. */
    int e = RUN(h, 0xc8027c03u); /* stxr w2, x3, [x0] */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(h->cpu.x[2], 1);
    CU_ASSERT_EQUAL(mem_rd(h, A, 8), old);
    h->cpu.x[9] = A + 4;
    e = RUN(h, 0xc8027d23u); /* stxr w2, x3, [x9] */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(h->cpu.x[2], 1);

    /* Different address. */
    h->cpu.x[9] = A + 8;
    uint64_t old9 = mem_rd(h, A + 8, 8);
    e = RUN(h, 0xc85f7c01u, /* ldxr x1, [x0] */
            0xc8027d23u);   /* stxr w2, x3, [x9] */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(h->cpu.x[2], 1);
    CU_ASSERT_EQUAL(mem_rd(h, A + 8, 8), old9);

    /* Different size. */
    e = RUN(h, 0x885f7c01u, /* ldxr w1, [x0] */
            0xc8027c03u);   /* stxr w2, x3, [x0] */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(h->cpu.x[2], 1);
    CU_ASSERT_EQUAL(mem_rd(h, A, 8), old);

    /* Memory changed by someone else between LDXR and STXR. */
    e = RUN(h, 0xc85f7c01u); /* ldxr x1, [x0] */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SVC);
    mem_wr(h, A, old + 1, 8);
    e = RUN(h, 0xc8027c03u); /* stxr w2, x3, [x0] */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(h->cpu.x[2], 1);
    CU_ASSERT_EQUAL(mem_rd(h, A, 8), old + 1);

    /* CLREX (a system instruction, decoded by another family) clears the monitor. */
    if (a64_decode(0xd5033f5fu)) {
        e = RUN(h, 0xc85f7c01u, /* ldxr x1, [x0] */
                0xd5033f5fu,    /* clrex */
                0xc8027c03u);   /* stxr w2, x3, [x0] */
        CU_ASSERT_EQUAL(e, CPU_EXIT_SVC);
        CU_ASSERT_EQUAL(h->cpu.x[2], 1);
        CU_ASSERT_EQUAL(mem_rd(h, A, 8), old + 1);
    }
    harness_free(h);
}

static void test_exclusive_pairs(void) {
    struct harness *h = setup();
    uint64_t lo = mem_rd(h, A, 8), hi = mem_rd(h, A + 8, 8);
    h->cpu.x[7] = 0x7777777777777777ull;
    h->cpu.x[8] = 0x8888888888888888ull;
    int e = RUN(h, 0xc87f1404u, /* ldxp x4, x5, [x0] */
                0xc8262007u);   /* stxp w6, x7, x8, [x0] */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(h->cpu.x[4], lo);
    CU_ASSERT_EQUAL(h->cpu.x[5], hi);
    CU_ASSERT_EQUAL(h->cpu.x[6], 0);
    CU_ASSERT_EQUAL(mem_rd(h, A, 8), 0x7777777777777777ull);
    CU_ASSERT_EQUAL(mem_rd(h, A + 8, 8), 0x8888888888888888ull);

    /* The high doubleword changed in between: the 16-byte compare fails. */
    e = RUN(h, 0xc87f9404u); /* ldaxp x4, x5, [x0] */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SVC);
    mem_wr(h, A + 8, 0x99, 8);
    h->cpu.x[7] = 1;
    e = RUN(h, 0xc826a007u); /* stlxp w6, x7, x8, [x0] */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(h->cpu.x[6], 1);
    CU_ASSERT_EQUAL(mem_rd(h, A, 8), 0x7777777777777777ull);

    /* Word pairs. */
    mem_wr(h, A, 0x2222222211111111ull, 8);
    h->cpu.x[7] = 0xffffffff33333333ull;
    h->cpu.x[8] = 0x44444444;
    e = RUN(h, 0x887f1404u, /* ldxp w4, w5, [x0] */
            0x88262007u);   /* stxp w6, w7, w8, [x0] */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(h->cpu.x[4], 0x11111111);
    CU_ASSERT_EQUAL(h->cpu.x[5], 0x22222222);
    CU_ASSERT_EQUAL(h->cpu.x[6], 0);
    CU_ASSERT_EQUAL(mem_rd(h, A, 8), 0x4444444433333333ull);
    e = RUN(h, 0x887f9404u, /* ldaxp w4, w5, [x0] */
            0x8826a007u,    /* stlxp w6, w7, w8, [x0] */
            0x8826a007u);   /* stlxp w6, w7, w8, [x0] (no monitor) */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(h->cpu.x[6], 1);
    harness_free(h);
}

static void test_acquire_release(void) {
    struct harness *h = setup();
    uint64_t v = mem_rd(h, A, 8);
    h->cpu.x[3] = 0x0102030405060708ull;
    int e = RUN(h, 0xc8dffc01u, /* ldar x1, [x0] */
                0x08dffc02u,    /* ldarb w2, [x0] */
                0x48dffc04u,    /* ldarh w4, [x0] */
                0x88dffc05u,    /* ldar w5, [x0] */
                0xf8bfc006u,    /* ldapr x6, [x0] */
                0x38bfc007u,    /* ldaprb w7, [x0] */
                0x089ffc03u,    /* stlrb w3, [x0] */
                0x489ffc03u);   /* stlrh w3, [x0] */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(h->cpu.x[1], v);
    CU_ASSERT_EQUAL(h->cpu.x[2], v & 0xff);
    CU_ASSERT_EQUAL(h->cpu.x[4], v & 0xffff);
    CU_ASSERT_EQUAL(h->cpu.x[5], v & 0xffffffff);
    CU_ASSERT_EQUAL(h->cpu.x[6], v);
    CU_ASSERT_EQUAL(h->cpu.x[7], v & 0xff);
    CU_ASSERT_EQUAL(mem_rd(h, A, 8), (v & ~0xffffull) | 0x0708);
    e = RUN(h, 0x889ffc03u); /* stlr w3, [x0] */
    CU_ASSERT_EQUAL(mem_rd(h, A, 8), (v & ~0xffffffffull) | 0x05060708);
    e = RUN(h, 0xc89ffc03u); /* stlr x3, [x0] */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(mem_rd(h, A, 8), 0x0102030405060708ull);
    /* LDAPR has no alignment requirement (as in qemu-aarch64). */
    h->cpu.x[0] = A + 1;
    e = RUN(h, 0xf8bfc006u); /* ldapr x6, [x0] */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(h->cpu.x[6], mem_rd(h, A + 1, 8));
    harness_free(h);
}

static void test_misaligned(void) {
    static const struct {
        uint32_t insn;
        unsigned offset; /* from A: misaligned for the access size */
    } cases[] = {
        {0xc85f7c01u, 4},     /* ldxr x1, [x0] */
        {0x485f7c01u, 1},     /* ldxrh w1, [x0] */
        {0x885f7c01u, 2},     /* ldxr w1, [x0] */
        {0xc87f1404u, 8},     /* ldxp x4, x5, [x0]: pairs align to the total */
        {0x887f1404u, 4},     /* ldxp w4, w5, [x0] */
        {0xc8dffc01u, 1},     /* ldar x1, [x0] */
        {0x889ffc03u, 2},     /* stlr w3, [x0] */
        {0xb8e10002u, 2},     /* ldaddal w1, w2, [x0] */
        {0xf8e18002u, 8 + 4}, /* swpal x1, x2, [x0] */
        {0x78612002u, 3},     /* ldeorlh w1, w2, [x0] */
        {0x88a17c02u, 1},     /* cas w1, w2, [x0] */
        {0x48227c04u, 8},     /* casp x2, x3, x4, x5, [x0] */
        {0x08227c04u, 4},     /* casp w2, w3, w4, w5, [x0] */
    };
    struct harness *h = setup();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t before = mem_rd(h, A, 8);
        h->cpu.x[0] = A + cases[i].offset;
        h->cpu.x[1] = h->cpu.x[2] = GARBAGE;
        int e = RUN(h, cases[i].insn);
        assert_signal(h, e, SIGBUS, BUS_ADRALN, A + cases[i].offset);
        CU_ASSERT_EQUAL(h->cpu.pc, HARNESS_CODE);
        CU_ASSERT_EQUAL(h->cpu.x[1], GARBAGE);
        CU_ASSERT_EQUAL(h->cpu.x[2], GARBAGE);
        CU_ASSERT_EQUAL(mem_rd(h, A, 8), before);
    }
    /* Byte accesses are always aligned. */
    h->cpu.x[0] = A + 3;
    int e = RUN(h, 0x085f7c01u); /* ldxrb w1, [x0] */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(h->cpu.x[1], mem_rd(h, A + 3, 1));
    harness_free(h);
}

static void test_outside_memory(void) {
    struct harness *h = setup();
    h->cpu.x[0] = HARNESS_MEM_SIZE + 0x100;
    int e = RUN(h, 0xf8210002u); /* ldadd x1, x2, [x0] */
    assert_signal(h, e, SIGSEGV, SEGV_MAPERR, HARNESS_MEM_SIZE + 0x100);
    e = RUN(h, 0xc85f7c01u); /* ldxr x1, [x0] */
    assert_signal(h, e, SIGSEGV, SEGV_MAPERR, HARNESS_MEM_SIZE + 0x100);
    CU_ASSERT_EQUAL(h->cpu.excl_size, 0);
    harness_free(h);
}

/* LDADD..SWP: the reference result of each operation (Arm ARM), at n bytes. */
static uint64_t ldop_ref(unsigned op, unsigned n, uint64_t old, uint64_t v) {
    uint64_t mask = n == 8 ? ~0ull : (1ull << (8 * n)) - 1;
    old &= mask;
    v &= mask;
    int64_t so = (int64_t)sext_bits(old, 8 * n), sv = (int64_t)sext_bits(v, 8 * n);
    switch (op) {
    case 0: return (old + v) & mask;
    case 1: return old & ~v;
    case 2: return old ^ v;
    case 3: return old | v;
    case 4: return so > sv ? old : v;
    case 5: return so < sv ? old : v;
    case 6: return old > v ? old : v;
    case 7: return old < v ? old : v;
    default: return v;
    }
}

/* An atomic memory operation on [x0], built from the encoding's fields:
 * size:111000:A:R:1:Rs:o3:opc:00:Rn:Rt (ar = A:R). */
static uint32_t ldop_insn(unsigned op, unsigned size, unsigned ar, unsigned rs, unsigned rt) {
    return size << 30 | 0x38200000u | ar << 22 | rs << 16 | op << 12 | rt;
}

static void test_lse_ops(void) {
    /* The field formula agrees with the assembler. */
    CU_ASSERT_EQUAL(ldop_insn(0, 3, 0, 1, 2), 0xf8210002u); /* ldadd x1, x2, [x0] */
    CU_ASSERT_EQUAL(ldop_insn(0, 2, 3, 1, 2), 0xb8e10002u); /* ldaddal w1, w2, [x0] */
    CU_ASSERT_EQUAL(ldop_insn(1, 0, 2, 1, 2), 0x38a11002u); /* ldclrab w1, w2, [x0] */
    CU_ASSERT_EQUAL(ldop_insn(2, 1, 1, 1, 2), 0x78612002u); /* ldeorlh w1, w2, [x0] */
    CU_ASSERT_EQUAL(ldop_insn(4, 3, 3, 1, 2), 0xf8e14002u); /* ldsmaxal x1, x2, [x0] */
    CU_ASSERT_EQUAL(ldop_insn(5, 0, 0, 1, 2), 0x38215002u); /* ldsminb w1, w2, [x0] */
    CU_ASSERT_EQUAL(ldop_insn(6, 2, 2, 1, 2), 0xb8a16002u); /* ldumaxa w1, w2, [x0] */
    CU_ASSERT_EQUAL(ldop_insn(7, 1, 1, 1, 2), 0x78617002u); /* lduminlh w1, w2, [x0] */
    CU_ASSERT_EQUAL(ldop_insn(8, 3, 3, 1, 2), 0xf8e18002u); /* swpal x1, x2, [x0] */

    static const uint64_t olds[] = {0x80f0c0e081a1b1c1ull, 0x0102030405060708ull,
                                    0x7f7f7f7f7f7f7f7full};
    static const uint64_t operands[] = {0x7f0f3f1f7e5e4e3eull, 0xfedcba9876543210ull,
                                        0x7f7f7f7f7f7f7f7full};
    struct harness *h = setup();
    for (unsigned op = 0; op <= 8; op++) {
        for (unsigned size = 0; size < 4; size++) {
            unsigned n = 1u << size;
            for (unsigned k = 0; k < 3; k++) {
                uint64_t guard = 0xa5a5a5a5a5a5a5a5ull;
                mem_wr(h, A, olds[k], 8);
                mem_wr(h, A + 8, guard, 8);
                h->cpu.x[0] = A;
                h->cpu.x[1] = operands[k];
                h->cpu.x[2] = GARBAGE;
                unsigned ordering = (op + size + k) & 3; /* all four over the loop */
                int e = RUN(h, ldop_insn(op, size, ordering, 1, 2));
                uint64_t mask = n == 8 ? ~0ull : (1ull << (8 * n)) - 1;
                CU_ASSERT_EQUAL(e, CPU_EXIT_SVC);
                CU_ASSERT_EQUAL(h->cpu.x[2], olds[k] & mask); /* old value, zero-extended */
                CU_ASSERT_EQUAL(mem_rd(h, A, 8),
                                (olds[k] & ~mask) | ldop_ref(op, n, olds[k], operands[k]));
                CU_ASSERT_EQUAL(mem_rd(h, A + 8, 8), guard);
                CU_ASSERT_EQUAL(h->cpu.x[1], operands[k]);
            }
        }
    }
    harness_free(h);
}

/* ST<op> aliases (Rt = XZR) change memory but no register, not even SP. */
static void test_lse_store_aliases(void) {
    struct harness *h = setup();
    uint64_t sp = h->cpu.x[31];
    mem_wr(h, A, 0x10, 8);
    h->cpu.x[1] = 0x5;
    int e = RUN(h, 0xb821001fu, /* stadd w1, [x0] */
                0x3861301fu,    /* stsetlb w1, [x0] */
                0xf8210001u);   /* ldadd x1, x1, [x0] */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(h->cpu.x[31], sp);
    CU_ASSERT_EQUAL(h->cpu.x[1], 0x15); /* 0x10 + 5, then | 5 changes nothing */
    CU_ASSERT_EQUAL(mem_rd(h, A, 8), 0x1a);
    harness_free(h);
}

static void test_cas(void) {
    struct harness *h = setup();
    mem_wr(h, A, 0x1122334455667788ull, 8);
    /* Success at 32 bits: compares the low word of Rs only. */
    h->cpu.x[1] = 0xffffffff55667788ull;
    h->cpu.x[2] = 0xabcdef0099aabbccull;
    int e = RUN(h, 0x88a17c02u); /* cas w1, w2, [x0] */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(h->cpu.x[1], 0x55667788);
    CU_ASSERT_EQUAL(mem_rd(h, A, 8), 0x1122334499aabbccull);
    /* Failure at 64 bits: memory unchanged, Rs gets the current value. */
    h->cpu.x[1] = 0x1122334455667788ull;
    h->cpu.x[2] = 0;
    e = RUN(h, 0xc8e17c02u); /* casa x1, x2, [x0] */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(h->cpu.x[1], 0x1122334499aabbccull);
    CU_ASSERT_EQUAL(mem_rd(h, A, 8), 0x1122334499aabbccull);
    /* Byte and halfword. */
    h->cpu.x[1] = 0x1cc;
    h->cpu.x[2] = 0x77;
    e = RUN(h, 0x08a1fc02u); /* caslb w1, w2, [x0] */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(h->cpu.x[1], 0xcc);
    CU_ASSERT_EQUAL(mem_rd(h, A, 8), 0x1122334499aabb77ull);
    h->cpu.x[1] = 0x1234;
    h->cpu.x[2] = 0x5678;
    e = RUN(h, 0x48e1fc02u); /* casalh w1, w2, [x0] */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(h->cpu.x[1], 0xbb77);
    CU_ASSERT_EQUAL(mem_rd(h, A, 8), 0x1122334499aabb77ull);
    harness_free(h);
}

static void test_casp(void) {
    struct harness *h = setup();
    mem_wr(h, A, 0x1111, 8);
    mem_wr(h, A + 8, 0x2222, 8);
    h->cpu.x[2] = 0x1111;
    h->cpu.x[3] = 0x2222;
    h->cpu.x[4] = 0x4444;
    h->cpu.x[5] = 0x5555;
    int e = RUN(h, 0x48227c04u); /* casp x2, x3, x4, x5, [x0] */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(h->cpu.x[2], 0x1111);
    CU_ASSERT_EQUAL(h->cpu.x[3], 0x2222);
    CU_ASSERT_EQUAL(mem_rd(h, A, 8), 0x4444);
    CU_ASSERT_EQUAL(mem_rd(h, A + 8, 8), 0x5555);
    /* Only the second doubleword differs: fails, pair gets memory. */
    h->cpu.x[2] = 0x4444;
    h->cpu.x[4] = h->cpu.x[5] = 0;
    e = RUN(h, 0x4862fc04u); /* caspal x2, x3, x4, x5, [x0] */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(h->cpu.x[2], 0x4444);
    CU_ASSERT_EQUAL(h->cpu.x[3], 0x5555);
    CU_ASSERT_EQUAL(mem_rd(h, A, 8), 0x4444);
    /* Word pairs: the first register is at the lower address. */
    mem_wr(h, A, 0xbbbbbbbbaaaaaaaaull, 8);
    h->cpu.x[2] = 0xffffffffaaaaaaaaull;
    h->cpu.x[3] = 0xbbbbbbbb;
    h->cpu.x[4] = 0xcccccccc;
    h->cpu.x[5] = 0x12345678dddddddd;
    e = RUN(h, 0x08227c04u); /* casp w2, w3, w4, w5, [x0] */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(h->cpu.x[2], 0xaaaaaaaa);
    CU_ASSERT_EQUAL(h->cpu.x[3], 0xbbbbbbbb);
    CU_ASSERT_EQUAL(mem_rd(h, A, 8), 0xddddddddccccccccull);
    /* Rs = 30: the pair is (w30, wzr); the zero register compares as 0. */
    mem_wr(h, A, 0x00000000eeeeeeeeull, 8);
    h->cpu.x[30] = 0xeeeeeeee;
    h->cpu.x[6] = 0x66;
    h->cpu.x[7] = 0x77;
    uint64_t sp = h->cpu.x[31];
    e = RUN(h, 0x087e7c06u); /* caspa w30, wzr, w6, w7, [x0] */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(mem_rd(h, A, 8), 0x0000007700000066ull);
    CU_ASSERT_EQUAL(h->cpu.x[31], sp);
    /* Odd registers are unallocated. */
    e = RUN(h, 0x48237c04u); /* casp with Rs = 3 */
    assert_signal(h, e, SIGILL, ILL_ILLOPC, HARNESS_CODE);
    e = RUN(h, 0x48227c05u); /* casp with Rt = 5 */
    CU_ASSERT_EQUAL(h->cpu.exit_signo, SIGILL);
    harness_free(h);
}

/* ---- contention: four vCPUs on four host threads, one guest memory ---- */

#define MT_THREADS    4
#define MT_ITERS      100000
#define MT_MEM_SIZE   (4u << 20)
#define MT_CODE_LLSC  0x1000u
#define MT_CODE_LDADD 0x1100u
#define MT_COUNTERS   0x2000u  /* two words: LL/SC counter, LDADD counter */
#define MT_TABLE      0x10000u /* table[i] = i + 1: an increment made of loads only */

struct mt_vcpu {
    struct cpu cpu;
    pthread_barrier_t *start;
    unsigned failures; /* exits other than the SVC at the end */
};

/* One guest instruction sequence per dbt_run: the host loop stands in for
 * a guest loop, so this needs no branch instructions. */
static void *mt_worker(void *arg) {
    struct mt_vcpu *v = arg;
    pthread_barrier_wait(v->start);
    for (unsigned done = 0; done < MT_ITERS;) {
        v->cpu.pc = MT_CODE_LLSC;
        v->cpu.x[0] = MT_COUNTERS;
        v->cpu.x[4] = MT_TABLE;
        if (dbt_run(&v->cpu) != CPU_EXIT_SVC) {
            v->failures++;
            break;
        }
        done += v->cpu.x[5] == 0; /* the store-exclusive succeeded */
    }
    for (unsigned i = 0; i < MT_ITERS; i++) {
        v->cpu.pc = MT_CODE_LDADD;
        v->cpu.x[0] = MT_COUNTERS + 4;
        v->cpu.x[1] = 1;
        if (dbt_run(&v->cpu) != CPU_EXIT_SVC) {
            v->failures++;
            break;
        }
    }
    return NULL;
}

static void test_contention(void) {
    static const uint32_t llsc[] = {
        0x885ffc02u, /* ldaxr w2, [x0] */
        0xb8625883u, /* ldr w3, [x4, w2, uxtw #2] */
        0x8805fc03u, /* stlxr w5, w3, [x0] */
        0xd4000001u, /* svc #0 */
    };
    static const uint32_t ldadd[] = {
        0xb8e10002u, /* ldaddal w1, w2, [x0] */
        0xd4000001u, /* svc #0 */
    };
    struct dbt *d = tier_dbt();
    uint8_t *mem =
        mmap(NULL, MT_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CU_ASSERT_FATAL(mem != MAP_FAILED);
    dbt_install_fault_handler();
    memcpy(mem + MT_CODE_LLSC, llsc, sizeof llsc);
    memcpy(mem + MT_CODE_LDADD, ldadd, sizeof ldadd);
    uint32_t *table = (uint32_t *)(mem + MT_TABLE);
    for (uint32_t i = 0; i < MT_THREADS * MT_ITERS; i++)
        table[i] = i + 1;

    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, MT_THREADS);
    struct mt_vcpu *v = calloc(MT_THREADS, sizeof *v);
    pthread_t tid[MT_THREADS];
    for (int i = 0; i < MT_THREADS; i++) {
        v[i].cpu.guest_base = mem;
        v[i].cpu.guest_size = MT_MEM_SIZE;
        v[i].start = &start;
        dbt_cpu_init(d, &v[i].cpu);
        pthread_create(&tid[i], NULL, mt_worker, &v[i]);
    }
    for (int i = 0; i < MT_THREADS; i++) {
        pthread_join(tid[i], NULL);
        CU_ASSERT_EQUAL(v[i].failures, 0);
        dbt_cpu_fini(&v[i].cpu);
    }
    uint32_t counters[2];
    memcpy(counters, mem + MT_COUNTERS, sizeof counters);
    CU_ASSERT_EQUAL(counters[0], MT_THREADS * MT_ITERS);
    CU_ASSERT_EQUAL(counters[1], MT_THREADS * MT_ITERS);
    pthread_barrier_destroy(&start);
    free(v);
    munmap(mem, MT_MEM_SIZE);
    dbt_destroy(d);
}

/* ---- store buffering: STLR then LDAR stay ordered (RCsc) ---- */

#define SB_ITERS  20000
#define SB_ROUNDS 5
#define SB_MEM    (8u << 20)
#define SB_CODE   0x1000u
#define SB_X      0x100000u
#define SB_Y      0x300000u
#define SB_R0     0x500000u
#define SB_R1     0x700000u

struct sb_vcpu {
    struct cpu cpu;
    pthread_barrier_t *start;
    uint64_t mine, other, out;
    int exit;
};

static void *sb_worker(void *arg) {
    struct sb_vcpu *v = arg;
    v->cpu.pc = SB_CODE;
    v->cpu.x[0] = v->mine;
    v->cpu.x[1] = v->other;
    v->cpu.x[2] = v->out;
    v->cpu.x[3] = SB_ITERS;
    v->cpu.x[4] = 1;
    pthread_barrier_wait(v->start);
    /* the wait spins a while, then yields here: two vCPUs on one host
     * CPU (a loaded machine) take turns instead of spinning out their
     * slices */
    while ((v->exit = dbt_run(&v->cpu)) == CPU_EXIT_SVC && v->cpu.x[8] == 124)
        sched_yield();
    return NULL;
}

/* Two vCPUs, each storing 1 to its own word of step i with STLR and then
 * reading the other's word of step i with LDAR (SB litmus, one fresh
 * pair of words per step; each waits for the other's store before the
 * next step, so the steps run side by side): r0 = r1 = 0 is forbidden on
 * AArch64. x86 lets a load pass an earlier store, so the JIT's STLR needs
 * its barrier (without it this finds thousands). */
static void test_store_buffering(void) {
    static const uint32_t code[] = {
        0x889ffc04u, /* loop: stlr w4, [x0] */
        0x88dffc25u, /* ldar w5, [x1] */
        0xb8004445u, /* str w5, [x2], #4 */
        0xd2820007u, /* wait: mov x7, #4096 */
        0xb9400026u, /* spin: ldr w6, [x1] */
        0x350000c6u, /* cbnz w6, go */
        0xf10004e7u, /* subs x7, x7, #1 */
        0x54ffffa1u, /* b.ne spin */
        0xd2800f88u, /* mov x8, #124 (sched_yield) */
        0xd4000001u, /* svc #0 */
        0x17fffff9u, /* b wait */
        0x91001000u, /* go: add x0, x0, #4 */
        0x91001021u, /* add x1, x1, #4 */
        0xf1000463u, /* subs x3, x3, #1 */
        0x54fffe41u, /* b.ne loop */
        0xd2800ba8u, /* mov x8, #93 (exit) */
        0xd4000001u, /* svc #0 */
    };
    struct dbt *d = tier_dbt();
    uint8_t *mem = mmap(NULL, SB_MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CU_ASSERT_FATAL(mem != MAP_FAILED);
    dbt_install_fault_handler();
    memcpy(mem + SB_CODE, code, sizeof code);
    struct sb_vcpu v[2] = {{.mine = SB_X, .other = SB_Y, .out = SB_R0},
                           {.mine = SB_Y, .other = SB_X, .out = SB_R1}};
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, 2);
    unsigned forbidden = 0;
    for (int i = 0; i < 2; i++) {
        v[i].cpu.guest_base = mem;
        v[i].cpu.guest_size = SB_MEM;
        v[i].start = &start;
        dbt_cpu_init(d, &v[i].cpu);
    }
    for (unsigned round = 0; round < SB_ROUNDS; round++) {
        memset(mem + SB_X, 0, SB_MEM - SB_X);
        pthread_t tid[2];
        for (int i = 0; i < 2; i++)
            pthread_create(&tid[i], NULL, sb_worker, &v[i]);
        for (int i = 0; i < 2; i++) {
            pthread_join(tid[i], NULL);
            CU_ASSERT_EQUAL(v[i].exit, CPU_EXIT_SVC);
            CU_ASSERT_EQUAL(v[i].cpu.x[8], 93);
        }
        const uint32_t *r0 = (const uint32_t *)(mem + SB_R0), *r1 = (const uint32_t *)(mem + SB_R1);
        for (unsigned k = 0; k < SB_ITERS; k++)
            forbidden += !r0[k] && !r1[k];
    }
    if (forbidden) printf("\n  store buffering: %u forbidden outcomes", forbidden);
    CU_ASSERT_EQUAL(forbidden, 0);
    for (int i = 0; i < 2; i++)
        dbt_cpu_fini(&v[i].cpu);
    pthread_barrier_destroy(&start);
    munmap(mem, SB_MEM);
    dbt_destroy(d);
}

static int on_interp(void) {
    tier.interp = 1;
    tier.jit_disable = NULL;
    return 0;
}
static int on_jit(void) {
    tier.interp = 0;
    tier.jit_disable = NULL;
    return 0;
}
static int on_interp_helpers(void) {
    tier.interp = 1;
    tier.jit_disable = "atomics";
    return 0;
}
static int on_jit_helpers(void) {
    tier.interp = 0;
    tier.jit_disable = "atomics";
    return 0;
}

void test_register(void) {
    static const struct {
        const char *name;
        CU_InitializeFunc init;
    } tiers[] = {{"a64_atomic", on_interp},
                 {"a64_atomic_jit", on_jit},
                 {"a64_atomic_helpers", on_interp_helpers},
                 {"a64_atomic_jit_helpers", on_jit_helpers}};
    for (unsigned k = 0; k < sizeof tiers / sizeof tiers[0]; k++) {
        CU_pSuite s = CU_add_suite(tiers[k].name, tiers[k].init, NULL);
        CU_add_test(s, "exclusive_sizes", test_exclusive_sizes);
        CU_add_test(s, "exclusive_failures", test_exclusive_failures);
        CU_add_test(s, "exclusive_pairs", test_exclusive_pairs);
        CU_add_test(s, "acquire_release", test_acquire_release);
        CU_add_test(s, "misaligned", test_misaligned);
        CU_add_test(s, "outside_memory", test_outside_memory);
        CU_add_test(s, "lse_ops", test_lse_ops);
        CU_add_test(s, "lse_store_aliases", test_lse_store_aliases);
        CU_add_test(s, "cas", test_cas);
        CU_add_test(s, "casp", test_casp);
        CU_add_test(s, "contention", test_contention);
        CU_add_test(s, "store_buffering", test_store_buffering);
    }
}

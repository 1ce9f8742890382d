/* Advanced SIMD structure loads and stores: LD1-LD4/ST1-ST4 (multiple
 * structures), one-lane forms, LD1R-LD4R, post-indexing, unallocated
 * encodings and faults. Expected values follow the Arm ARM pseudocode
 * (element e of structure register k comes from memory element
 * e * selem + k); encodings come from aarch64-linux-gnu-as. */
#include <CUnit/CUnit.h>
#include <signal.h>

#include "tests/unit/a64_mem_util.h"

#define B (HARNESS_DATA + 0x1000)

static struct harness *setup(void) {
    struct harness *h = harness_new();
    mem_fill(h, HARNESS_DATA, 0x10000, 0x17);
    for (unsigned r = 0; r < 32; r++)
        for (unsigned i = 0; i < 16; i++)
            h->cpu.v[r].b[i] = (uint8_t)(0x80 + r * 3 + i);
    return h;
}

static uint64_t lane(struct harness *h, unsigned r, unsigned e, unsigned ebytes) {
    uint64_t v = 0;
    memcpy(&v, h->cpu.v[r % 32].b + e * ebytes, ebytes);
    return v;
}

/* LDn (n = selem) of `elements` elements of ebytes from base into
 * registers first.. (mod 32); a 64-bit arrangement clears the upper half. */
static void check_ldn(struct harness *h, unsigned first, unsigned selem, unsigned ebytes, bool q,
                      uint64_t base) {
    unsigned elements = (8u << q) / ebytes;
    for (unsigned k = 0; k < selem; k++) {
        for (unsigned e = 0; e < elements; e++)
            CU_ASSERT_EQUAL(lane(h, first + k, e, ebytes),
                            mem_rd(h, base + (e * selem + k) * ebytes, ebytes));
        if (!q) CU_ASSERT_EQUAL(h->cpu.v[(first + k) % 32].d[1], 0);
    }
}

/* LD1 of nregs whole registers: consecutive memory. */
static void check_ld1(struct harness *h, unsigned first, unsigned nregs, bool q, uint64_t base) {
    for (unsigned r = 0; r < nregs; r++) {
        unsigned bytes = 8u << q;
        const uint8_t *want = harness_mem(h, base + r * bytes);
        CU_ASSERT_EQUAL(memcmp(h->cpu.v[(first + r) % 32].b, want, bytes), 0);
        if (!q) CU_ASSERT_EQUAL(h->cpu.v[(first + r) % 32].d[1], 0);
    }
}

static void test_multiple_load(void) {
    struct harness *h = setup();
    h->cpu.x[1] = B;
    h->cpu.x[2] = B + 0x100;
    h->cpu.x[3] = B + 0x200;
    h->cpu.x[4] = 5;
    h->cpu.x[5] = B + 0x300;
    h->cpu.x[6] = B + 0x400;
    h->cpu.x[7] = (uint64_t)-3;
    int e = RUN(h, 0x4c40703cu, /* ld1 {v28.16b}, [x1] */
                0x0c40a021u,    /* ld1 {v1.8b, v2.8b}, [x1] */
                0x4c406c3eu,    /* ld1 {v30.2d, v31.2d, v0.2d}, [x1] */
                0x4cdf2843u,    /* ld1 {v3.4s, v4.4s, v5.4s, v6.4s}, [x2], #64 */
                0x4c408427u,    /* ld2 {v7.8h, v8.8h}, [x1] */
                0x4c404829u,    /* ld3 {v9.4s, v10.4s, v11.4s}, [x1] */
                0x0c40002cu,    /* ld4 {v12.8b, v13.8b, v14.8b, v15.8b}, [x1] */
                0x4cc40c70u,    /* ld4 {v16.2d, v17.2d, v18.2d, v19.2d}, [x3], x4 */
                0x0c408834u,    /* ld2 {v20.2s, v21.2s}, [x1] */
                0x0c407c36u,    /* ld1 {v22.1d}, [x1] */
                0x0cdf40b7u,    /* ld3 {v23.8b, v24.8b, v25.8b}, [x5], #24 */
                0x0cc7a4dau);   /* ld1 {v26.4h, v27.4h}, [x6], x7 */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SVC);
    check_ld1(h, 28, 1, true, B);
    check_ld1(h, 1, 2, false, B);
    check_ld1(h, 30, 3, true, B); /* wraps from v31 to v0 */
    check_ld1(h, 3, 4, true, B + 0x100);
    CU_ASSERT_EQUAL(h->cpu.x[2], B + 0x140);
    check_ldn(h, 7, 2, 2, true, B);
    check_ldn(h, 9, 3, 4, true, B);
    check_ldn(h, 12, 4, 1, false, B);
    check_ldn(h, 16, 4, 8, true, B + 0x200);
    CU_ASSERT_EQUAL(h->cpu.x[3], B + 0x205);
    check_ldn(h, 20, 2, 4, false, B);
    check_ld1(h, 22, 1, false, B);
    check_ldn(h, 23, 3, 1, false, B + 0x300);
    CU_ASSERT_EQUAL(h->cpu.x[5], B + 0x318);
    check_ld1(h, 26, 2, false, B + 0x400);
    CU_ASSERT_EQUAL(h->cpu.x[6], B + 0x3fd);
    /* Spot-check the de-interleaving against the definition itself. */
    CU_ASSERT_EQUAL(h->cpu.v[13].b[2], mem_rd(h, B + 9, 1));
    CU_ASSERT_EQUAL(h->cpu.v[11].s[3], mem_rd(h, B + 44, 4));
    harness_free(h);
}

static void test_multiple_store(void) {
    struct harness *h = setup();
    memset(harness_mem(h, B + 0x400), 0xaa, 0x600);
    h->cpu.x[1] = B;
    h->cpu.x[2] = B + 0x400;
    h->cpu.x[3] = B + 0x500;
    h->cpu.x[4] = B + 0x600;
    h->cpu.x[5] = 32;
    h->cpu.x[6] = B + 0x700;
    h->cpu.x[7] = B + 0x800;
    h->cpu.x[8] = B + 0x900;
    vreg_t v13 = h->cpu.v[13], v14 = h->cpu.v[14], v15 = h->cpu.v[15];
    int e = RUN(h, 0x4c400020u, /* ld4 {v0.16b, v1.16b, v2.16b, v3.16b}, [x1] */
                0x4c000040u,    /* st4 {v0.16b, v1.16b, v2.16b, v3.16b}, [x2] */
                0x4c404424u,    /* ld3 {v4.8h, v5.8h, v6.8h}, [x1] */
                0x4c9f4464u,    /* st3 {v4.8h, v5.8h, v6.8h}, [x3], #48 */
                0x4c408827u,    /* ld2 {v7.4s, v8.4s}, [x1] */
                0x4c858887u,    /* st2 {v7.4s, v8.4s}, [x4], x5 */
                0x4c402c29u,    /* ld1 {v9.2d, v10.2d, v11.2d, v12.2d}, [x1] */
                0x4c002cc9u,    /* st1 {v9.2d, v10.2d, v11.2d, v12.2d}, [x6] */
                0x0c0070edu,    /* st1 {v13.8b}, [x7] */
                0x0c00850eu);   /* st2 {v14.4h, v15.4h}, [x8] */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SVC);
    /* Interleaving then de-interleaving is the identity. */
    CU_ASSERT_EQUAL(memcmp(harness_mem(h, B + 0x400), harness_mem(h, B), 64), 0);
    CU_ASSERT_EQUAL(memcmp(harness_mem(h, B + 0x500), harness_mem(h, B), 48), 0);
    CU_ASSERT_EQUAL(h->cpu.x[3], B + 0x530);
    CU_ASSERT_EQUAL(memcmp(harness_mem(h, B + 0x600), harness_mem(h, B), 32), 0);
    CU_ASSERT_EQUAL(h->cpu.x[4], B + 0x620);
    CU_ASSERT_EQUAL(memcmp(harness_mem(h, B + 0x700), harness_mem(h, B), 64), 0);
    CU_ASSERT_EQUAL(mem_rd(h, B + 0x440, 1), 0xaa); /* nothing past the structures */
    CU_ASSERT_EQUAL(mem_rd(h, B + 0x800, 8), v13.d[0]);
    CU_ASSERT_EQUAL(mem_rd(h, B + 0x808, 1), 0xaa);
    for (unsigned i = 0; i < 4; i++) {
        CU_ASSERT_EQUAL(mem_rd(h, B + 0x900 + 4 * i, 2), v14.h[i]);
        CU_ASSERT_EQUAL(mem_rd(h, B + 0x902 + 4 * i, 2), v15.h[i]);
    }
    CU_ASSERT_EQUAL(mem_rd(h, B + 0x910, 1), 0xaa);
    harness_free(h);
}

static void check_replicated(struct harness *h, unsigned r, unsigned ebytes, bool q,
                             uint64_t addr) {
    for (unsigned e = 0; e < (8u << q) / ebytes; e++)
        CU_ASSERT_EQUAL(lane(h, r, e, ebytes), mem_rd(h, addr, ebytes));
    if (!q) CU_ASSERT_EQUAL(h->cpu.v[r].d[1], 0);
}

static void test_replicate(void) {
    struct harness *h = setup();
    h->cpu.x[1] = B;
    h->cpu.x[2] = B + 0x100;
    h->cpu.x[3] = B + 0x200;
    h->cpu.x[4] = 0x40;
    int e = RUN(h, 0x4d40c820u, /* ld1r {v0.4s}, [x1] */
                0x0d60c021u,    /* ld2r {v1.8b, v2.8b}, [x1] */
                0x0ddfe443u,    /* ld3r {v3.4h, v4.4h, v5.4h}, [x2], #6 */
                0x4de4ec66u,    /* ld4r {v6.2d, v7.2d, v8.2d, v9.2d}, [x3], x4 */
                0x0d40cc2au,    /* ld1r {v10.1d}, [x1] */
                0x4ddfc02bu);   /* ld1r {v11.16b}, [x1], #1 */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SVC);
    check_replicated(h, 0, 4, true, B);
    check_replicated(h, 1, 1, false, B);
    check_replicated(h, 2, 1, false, B + 1);
    for (unsigned k = 0; k < 3; k++)
        check_replicated(h, 3 + k, 2, false, B + 0x100 + 2 * k);
    CU_ASSERT_EQUAL(h->cpu.x[2], B + 0x106);
    for (unsigned k = 0; k < 4; k++)
        check_replicated(h, 6 + k, 8, true, B + 0x200 + 8 * k);
    CU_ASSERT_EQUAL(h->cpu.x[3], B + 0x240);
    check_replicated(h, 10, 8, false, B);
    check_replicated(h, 11, 1, true, B);
    CU_ASSERT_EQUAL(h->cpu.x[1], B + 1);
    harness_free(h);
}

/* old with lane e (ebytes wide) replaced by the value at addr. */
static vreg_t with_lane(vreg_t old, struct harness *h, unsigned e, unsigned ebytes, uint64_t addr) {
    memcpy(old.b + e * ebytes, harness_mem(h, addr), ebytes);
    return old;
}

static void assert_vreg_eq(struct harness *h, unsigned r, vreg_t want) {
    CU_ASSERT_EQUAL(h->cpu.v[r].d[0], want.d[0]);
    CU_ASSERT_EQUAL(h->cpu.v[r].d[1], want.d[1]);
}

static void test_single_lane(void) {
    struct harness *h = setup();
    memset(harness_mem(h, B + 0x300), 0xaa, 0x400);
    h->cpu.x[1] = B;
    h->cpu.x[2] = B + 0x100;
    h->cpu.x[3] = B + 0x300;
    h->cpu.x[4] = 0x10;
    h->cpu.x[5] = B + 0x400;
    h->cpu.x[6] = B + 0x500;
    h->cpu.x[7] = B + 0x600;
    vreg_t old[32];
    memcpy(old, h->cpu.v, sizeof old);
    int e = RUN(h, 0x4d40902au, /* ld1 {v10.s}[3], [x1] */
                0x4dff484bu,    /* ld2 {v11.h, v12.h}[5], [x2], #4 */
                0x4d403c2du,    /* ld3 {v13.b, v14.b, v15.b}[15], [x1] */
                0x4d60a430u,    /* ld4 {v16.d, v17.d, v18.d, v19.d}[1], [x1] */
                0x4d848474u,    /* st1 {v20.d}[1], [x3], x4 */
                0x4d0024b5u,    /* st3 {v21.b, v22.b, v23.b}[9], [x5] */
                0x4dbfa0d8u,    /* st4 {v24.s, v25.s, v26.s, v27.s}[2], [x6], #16 */
                0x4d2058fcu,    /* st2 {v28.h, v29.h}[7], [x7] */
                0x0d40003eu);   /* ld1 {v30.b}[0], [x1] */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SVC);
    assert_vreg_eq(h, 10, with_lane(old[10], h, 3, 4, B));
    assert_vreg_eq(h, 11, with_lane(old[11], h, 5, 2, B + 0x100));
    assert_vreg_eq(h, 12, with_lane(old[12], h, 5, 2, B + 0x102));
    CU_ASSERT_EQUAL(h->cpu.x[2], B + 0x104);
    for (unsigned k = 0; k < 3; k++)
        assert_vreg_eq(h, 13 + k, with_lane(old[13 + k], h, 15, 1, B + k));
    for (unsigned k = 0; k < 4; k++)
        assert_vreg_eq(h, 16 + k, with_lane(old[16 + k], h, 1, 8, B + 8 * k));
    CU_ASSERT_EQUAL(mem_rd(h, B + 0x300, 8), old[20].d[1]);
    CU_ASSERT_EQUAL(mem_rd(h, B + 0x308, 1), 0xaa);
    CU_ASSERT_EQUAL(h->cpu.x[3], B + 0x310);
    for (unsigned k = 0; k < 3; k++)
        CU_ASSERT_EQUAL(mem_rd(h, B + 0x400 + k, 1), old[21 + k].b[9]);
    CU_ASSERT_EQUAL(mem_rd(h, B + 0x403, 1), 0xaa);
    for (unsigned k = 0; k < 4; k++)
        CU_ASSERT_EQUAL(mem_rd(h, B + 0x500 + 4 * k, 4), old[24 + k].s[2]);
    CU_ASSERT_EQUAL(h->cpu.x[6], B + 0x510);
    CU_ASSERT_EQUAL(mem_rd(h, B + 0x600, 2), old[28].h[7]);
    CU_ASSERT_EQUAL(mem_rd(h, B + 0x602, 2), old[29].h[7]);
    CU_ASSERT_EQUAL(mem_rd(h, B + 0x604, 1), 0xaa);
    /* A lane load with Q = 0 still keeps the upper half. */
    assert_vreg_eq(h, 30, with_lane(old[30], h, 0, 1, B));
    harness_free(h);
}

/* Each raises SIGILL under qemu-aarch64 as well. */
static void test_unallocated(void) {
    static const uint32_t words[] = {
        0x0c408c20u, /* LD2 with the .1D arrangement */
        0x0d00c020u, /* store form of LD1R */
        0x0d404420u, /* LD1 H lane with size<0> = 1 */
        0x0c418c20u, /* non-post-indexed with Rm != 0 */
        0x4c40f020u, /* multiple-structure opcode 1111 */
        0x0d409420u, /* LD1 S lane: S = 1 with size 01 (D lane) */
        0x0d408820u, /* LD1 S lane with size 1x */
    };
    struct harness *h = setup();
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        vreg_t v0 = h->cpu.v[0];
        h->cpu.x[1] = B;
        int e = RUN(h, words[i]);
        CU_ASSERT_EQUAL(e, CPU_EXIT_SIGNAL);
        CU_ASSERT_EQUAL(h->cpu.exit_signo, SIGILL);
        CU_ASSERT_EQUAL(h->cpu.pc, HARNESS_CODE);
        CU_ASSERT_EQUAL(h->cpu.v[0].d[0], v0.d[0]);
    }
    harness_free(h);
}

static void test_fault(void) {
    struct harness *h = setup();
    vreg_t v0 = h->cpu.v[0], v1 = h->cpu.v[1];
    h->cpu.x[1] = HARNESS_MEM_SIZE - 8;
    int e = RUN(h, 0x4c40703cu); /* ld1 {v28.16b}, [x1] */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SIGNAL);
    CU_ASSERT_EQUAL(h->cpu.exit_signo, SIGSEGV);
    CU_ASSERT_EQUAL(h->cpu.pc, HARNESS_CODE);
    e = RUN(h, 0x4c400020u); /* ld4 {v0.16b, v1.16b, v2.16b, v3.16b}, [x1] */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SIGNAL);
    CU_ASSERT_EQUAL(h->cpu.exit_signo, SIGSEGV);
    CU_ASSERT_EQUAL(h->cpu.v[0].d[0], v0.d[0]); /* registers change only on success */
    CU_ASSERT_EQUAL(h->cpu.v[1].d[1], v1.d[1]);
    h->cpu.x[2] = HARNESS_MEM_SIZE + 0x1000;
    e = RUN(h, 0x4cdf2843u); /* ld1 {v3.4s, v4.4s, v5.4s, v6.4s}, [x2], #64 */
    CU_ASSERT_EQUAL(e, CPU_EXIT_SIGNAL);
    CU_ASSERT_EQUAL(h->cpu.exit_addr, HARNESS_MEM_SIZE + 0x1000);
    CU_ASSERT_EQUAL(h->cpu.x[2], HARNESS_MEM_SIZE + 0x1000); /* no writeback */
    harness_free(h);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("a64_ldst_vec", NULL, NULL);
    CU_add_test(s, "multiple_load", test_multiple_load);
    CU_add_test(s, "multiple_store", test_multiple_store);
    CU_add_test(s, "replicate", test_replicate);
    CU_add_test(s, "single_lane", test_single_lane);
    CU_add_test(s, "unallocated", test_unallocated);
    CU_add_test(s, "fault", test_fault);
}

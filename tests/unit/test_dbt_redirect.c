/* dbt/redirect: guest accesses to a "split" page (inaccessible on the
 * host, its data in shadow pages) are redirected by re-translating only
 * the instructions that touched it, in both tiers; accesses the IR cannot
 * redirect (a grain-straddling store, an LSE atomic inside a helper, the
 * exclusives) make the embedder unsplit the page. The embedder here is the test: one page
 * P split at a 128-byte grain into 32 shadow pages. */
#include <CUnit/CUnit.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "dbt/cpu.h"
#include "dbt/dbt.h"
#include "dbt/redirect.h"

#define MEM    (1u << 20)
#define CODE   0x1000u
#define ORD    0x30000u /* an ordinary page */
#define P      0x40000u /* the split page */
#define SHADOW 0x50000u /* 32 shadow pages */
#define GRAIN  128u

struct env {
    struct dbt *dbt;
    struct cpu cpu;
    bool split;
    unsigned map_calls, map_calls_ordinary;
    /* inline redirection (the snapshot hook): shadow pages are sealed
     * when P is whole again, as the cluster drops them */
    bool inl;
    uint64_t gen;
};

static uint8_t *mem(struct env *e, uint64_t a) {
    return e->cpu.guest_base + a;
}

static uint64_t shadow_of(uint64_t addr) {
    uint64_t off = addr & 0xfff;
    return SHADOW + (off / GRAIN) * 4096 + off;
}

#define SHADOW_END (SHADOW + 4096 / GRAIN * 4096)

static bool covers(void *opaque, uint64_t addr) {
    struct env *e = opaque;
    if (e->inl && addr >= SHADOW && addr < SHADOW_END) return true;
    return e->split && (addr & ~0xfffull) == P;
}

static bool snapshot(void *opaque, struct dbt_redirect_inline *out) {
    struct env *e = opaque;
    out->gen = e->gen;
    out->n = e->split;
    out->grain_shift = 7; /* GRAIN */
    out->page[0] = P / 4096;
    out->shadow[0] = SHADOW / 4096;
    return true;
}

static uint64_t map(void *opaque, uint64_t addr, unsigned size, bool write) {
    struct env *e = opaque;
    (void)write;
    e->map_calls++;
    if ((addr & ~0xfffull) != P) {
        e->map_calls_ordinary++;
        return addr;
    }
    uint64_t off = addr & 0xfff;
    if (!e->split || off / GRAIN != (off + size - 1) / GRAIN) return addr;
    return shadow_of(addr);
}

static void do_split(struct env *e) {
    for (unsigned off = 0; off < 4096; off += GRAIN)
        memcpy(mem(e, shadow_of(P + off)), mem(e, P + off), GRAIN);
    mprotect(mem(e, P), 4096, PROT_NONE);
    e->split = true;
    e->gen++;
}

static bool release(void *opaque, uint64_t addr) {
    struct env *e = opaque;
    (void)addr;
    mprotect(mem(e, P), 4096, PROT_READ | PROT_WRITE);
    for (unsigned off = 0; off < 4096; off += GRAIN)
        memcpy(mem(e, P + off), mem(e, shadow_of(P + off)), GRAIN);
    if (e->inl) mprotect(mem(e, SHADOW), SHADOW_END - SHADOW, PROT_NONE);
    e->split = false;
    e->gen++;
    return true;
}

static struct env *env_new_with(bool interp, bool inl) {
    struct env *e = calloc(1, sizeof *e);
    e->inl = inl;
    struct dbt_options opt = {.interp_only = interp};
    e->dbt = dbt_create(&opt);
    e->cpu.guest_base = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    e->cpu.guest_size = MEM;
    e->cpu.x[31] = MEM - 64;
    dbt_cpu_init(e->dbt, &e->cpu);
    dbt_install_fault_handler();
    struct dbt_redirect_hooks h = {.covers = covers,
                                   .map = map,
                                   .release = release,
                                   .opaque = e,
                                   .snapshot = inl ? snapshot : NULL};
    CU_ASSERT_EQUAL(dbt_set_redirect_hooks(e->dbt, &h), 0);
    for (unsigned i = 0; i < 4096 / 8; i++)
        ((uint64_t *)mem(e, P))[i] = 1000 + i;
    do_split(e);
    return e;
}

static struct env *env_new(bool interp) {
    return env_new_with(interp, false);
}

static void env_free(struct env *e) {
    dbt_cpu_fini(&e->cpu);
    munmap(e->cpu.guest_base, MEM);
    dbt_destroy(e->dbt);
    free(e);
}

static int run(struct env *e, const uint32_t *code, size_t n) {
    uint32_t *p = (uint32_t *)mem(e, CODE);
    memcpy(p, code, n * 4);
    p[n] = 0xd4000001; /* svc #0 */
    e->cpu.pc = CODE;
    return dbt_run(&e->cpu);
}

static uint64_t rd64(struct env *e, uint64_t a) {
    uint64_t v;
    memcpy(&v, mem(e, a), 8);
    return v;
}

/* Stores to and loads from two grains of P and an ordinary page, 5 times. */
static const uint32_t loop_code[] = {
    0xd2a00080, /* mov x0, #0x40000 (P) */
    0xd2a00061, /* mov x1, #0x30000 (ORD) */
    0xd2824682, /* mov x2, #0x1234 */
    0xd28000a5, /* mov x5, #5 */
    0xf9000402, /* loop: str x2, [x0, #8] */
    0xf9008002, /* str x2, [x0, #256] */
    0xf9400403, /* ldr x3, [x0, #8] */
    0xf9000822, /* str x2, [x1, #16] */
    0xf9400824, /* ldr x4, [x1, #16] */
    0x91000442, /* add x2, x2, #1 */
    0xf10004a5, /* subs x5, x5, #1 */
    0x54ffff21, /* b.ne loop */
};

/* A loop storing to and loading from two grains of P and an ordinary
 * page: the three P instructions are re-translated once each and then
 * redirected every iteration; the ordinary ones never call the hook. */
static void loop_redirected(bool interp) {
    struct env *e = env_new(interp);
    CU_ASSERT_EQUAL(run(e, loop_code, sizeof loop_code / 4), CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(e->cpu.x[3], 0x1234 + 4);
    CU_ASSERT_EQUAL(e->cpu.x[4], 0x1234 + 4);
    CU_ASSERT_EQUAL(rd64(e, shadow_of(P + 8)), 0x1234 + 4);
    CU_ASSERT_EQUAL(rd64(e, shadow_of(P + 256)), 0x1234 + 4);
    CU_ASSERT_EQUAL(rd64(e, shadow_of(P + 264)), 1000 + 33); /* untouched neighbour */
    CU_ASSERT_EQUAL(rd64(e, ORD + 16), 0x1234 + 4);
    CU_ASSERT(e->split);
    struct dbt_redirect_stats s;
    dbt_get_redirect_stats(e->dbt, &s);
    CU_ASSERT_EQUAL(s.marked, 3);
    CU_ASSERT_EQUAL(s.released, 0);
    CU_ASSERT_EQUAL(e->map_calls, 3 * 5);
    CU_ASSERT_EQUAL(e->map_calls_ordinary, 0);
    env_free(e);
}

static void test_loop_interp(void) {
    loop_redirected(true);
}
static void test_loop_jit(void) {
    loop_redirected(false);
}

/* The same loop with inline redirection: no helper call at all, the same
 * data in the shadow pages. Then P is made whole (its shadow pages
 * sealed) and the loop run again through its cached translation: the
 * stale inline redirection faults on a shadow page, the instruction is
 * re-translated, and the stores land in P. */

static void loop_inline(bool interp) {
    struct env *e = env_new_with(interp, true);
    CU_ASSERT_EQUAL(run(e, loop_code, sizeof loop_code / 4), CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(e->cpu.x[3], 0x1234 + 4);
    CU_ASSERT_EQUAL(rd64(e, shadow_of(P + 8)), 0x1234 + 4);
    CU_ASSERT_EQUAL(rd64(e, shadow_of(P + 256)), 0x1234 + 4);
    CU_ASSERT_EQUAL(rd64(e, shadow_of(P + 264)), 1000 + 33);
    CU_ASSERT_EQUAL(rd64(e, ORD + 16), 0x1234 + 4);
    CU_ASSERT_EQUAL(e->map_calls, 0);
    struct dbt_redirect_stats s;
    dbt_get_redirect_stats(e->dbt, &s);
    CU_ASSERT_EQUAL(s.marked, 3);
    CU_ASSERT(s.inlined >= 3);
    CU_ASSERT_EQUAL(s.released, 0);

    release(e, P);
    e->cpu.pc = CODE + 16; /* the loop, twice, new values */
    e->cpu.x[2] = 0x5000;
    e->cpu.x[5] = 2;
    CU_ASSERT_EQUAL(dbt_run(&e->cpu), CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(e->cpu.x[3], 0x5001);
    CU_ASSERT_EQUAL(rd64(e, P + 8), 0x5001);
    CU_ASSERT_EQUAL(rd64(e, P + 256), 0x5001);
    CU_ASSERT_EQUAL(rd64(e, P + 264), 1000 + 33);
    dbt_get_redirect_stats(e->dbt, &s);
    CU_ASSERT_EQUAL(s.delivered, 0);
    CU_ASSERT_EQUAL(s.released, 0);
    CU_ASSERT_EQUAL(e->map_calls, 0);
    env_free(e);
}

static void test_inline_interp(void) {
    loop_inline(true);
}
static void test_inline_jit(void) {
    loop_inline(false);
}

/* Inline redirection leaves a grain-straddling access alone: it faults,
 * and the page is unsplit as with `map`. */
static void test_inline_straddle(void) {
    struct env *e = env_new_with(false, true);
    static const uint32_t code[] = {
        0xd2a00080, /* mov x0, #0x40000 */
        0xd2824682, /* mov x2, #0x1234 */
        0xf9000402, /* str x2, [x0, #8]: redirected */
        0xf807c002, /* stur x2, [x0, #124]: straddles 128 */
        0xf9400403, /* ldr x3, [x0, #8] */
    };
    CU_ASSERT_EQUAL(run(e, code, sizeof code / 4), CPU_EXIT_SVC);
    CU_ASSERT_FALSE(e->split);
    CU_ASSERT_EQUAL(rd64(e, P + 124), 0x1234);
    CU_ASSERT_EQUAL(rd64(e, P + 8), 0x1234);
    CU_ASSERT_EQUAL(e->cpu.x[3], 0x1234);
    struct dbt_redirect_stats s;
    dbt_get_redirect_stats(e->dbt, &s);
    CU_ASSERT_EQUAL(s.released, 1);
    CU_ASSERT_EQUAL(s.delivered, 0);
    CU_ASSERT_EQUAL(e->map_calls, 0);
    env_free(e);
}

/* An 8-byte store across a grain boundary cannot go to one shadow page:
 * the embedder unsplits, and the store lands in P with the shadow data
 * copied back around it. */
static void straddle_unsplits(bool interp) {
    struct env *e = env_new(interp);
    static const uint32_t code[] = {
        0xd2a00080, /* mov x0, #0x40000 */
        0xd2824682, /* mov x2, #0x1234 */
        0xf9000402, /* str x2, [x0, #8]: redirected */
        0xf807c002, /* stur x2, [x0, #124]: straddles 128 */
        0xf9400403, /* ldr x3, [x0, #8] */
    };
    CU_ASSERT_EQUAL(run(e, code, sizeof code / 4), CPU_EXIT_SVC);
    CU_ASSERT_FALSE(e->split);
    CU_ASSERT_EQUAL(rd64(e, P + 124), 0x1234);
    CU_ASSERT_EQUAL(rd64(e, P + 8), 0x1234);
    CU_ASSERT_EQUAL(e->cpu.x[3], 0x1234);
    CU_ASSERT_EQUAL(rd64(e, P + 256), 1000 + 32);
    struct dbt_redirect_stats s;
    dbt_get_redirect_stats(e->dbt, &s);
    CU_ASSERT_EQUAL(s.released, 1);
    CU_ASSERT_EQUAL(s.delivered, 0);
    env_free(e);
}

static void test_straddle_interp(void) {
    straddle_unsplits(true);
}
static void test_straddle_jit(void) {
    straddle_unsplits(false);
}

/* 7 added to P's first doubleword by LDADD, the old value to x7. */
static const uint32_t ldadd_code[] = {
    0xd2a00080, /* mov x0, #0x40000 */
    0xd28000e6, /* mov x6, #7 */
    0xf8260007, /* ldadd x6, x7, [x0] */
};

/* LDADD is an IR op (IR_ATOMIC): redirected like a store (through `map`,
 * or inline), the page stays split and the atomic works on the shadow
 * data. */
static void atomic_redirected(bool interp, bool inl) {
    struct env *e = env_new_with(interp, inl);
    CU_ASSERT_EQUAL(run(e, ldadd_code, sizeof ldadd_code / 4), CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(e->cpu.x[7], 1000);
    CU_ASSERT_EQUAL(rd64(e, shadow_of(P)), 1007);
    CU_ASSERT(e->split);
    struct dbt_redirect_stats s;
    dbt_get_redirect_stats(e->dbt, &s);
    CU_ASSERT_EQUAL(s.marked, 1);
    CU_ASSERT_EQUAL(s.released, 0);
    CU_ASSERT_EQUAL(e->map_calls, inl ? 0 : 1);
    env_free(e);
}

static void test_atomic_interp(void) {
    atomic_redirected(true, false);
    atomic_redirected(true, true);
}
static void test_atomic_jit(void) {
    atomic_redirected(false, false);
    atomic_redirected(false, true);
}

/* With SHOAL_JIT_DISABLE=atomics LDADD runs in a helper, out of the IR's
 * reach: it faults again after the re-translation and the page is
 * unsplit; the atomic sees the shadow data. */
static void atomic_helper_unsplits(bool interp) {
    setenv("SHOAL_JIT_DISABLE", "atomics", 1);
    struct env *e = env_new(interp);
    unsetenv("SHOAL_JIT_DISABLE");
    CU_ASSERT_EQUAL(run(e, ldadd_code, sizeof ldadd_code / 4), CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(e->cpu.x[7], 1000);
    CU_ASSERT_EQUAL(rd64(e, P), 1007);
    CU_ASSERT_FALSE(e->split);
    env_free(e);
}

static void test_atomic_helper_interp(void) {
    atomic_helper_unsplits(true);
}
static void test_atomic_helper_jit(void) {
    atomic_helper_unsplits(false);
}

/* The exclusives are not redirected (the monitor holds guest addresses):
 * LDXR faults again after the re-translation, the page is unsplit, and
 * the LDXR/STXR pair then succeeds on the whole page. */
static void exclusive_unsplits(bool interp) {
    struct env *e = env_new(interp);
    static const uint32_t code[] = {
        0xd2a00080, /* mov x0, #0x40000 */
        0xc85f7c07, /* ldxr x7, [x0] */
        0x91001ce7, /* add x7, x7, #7 */
        0xc8087c07, /* stxr w8, x7, [x0] */
    };
    CU_ASSERT_EQUAL(run(e, code, sizeof code / 4), CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(e->cpu.x[7], 1007);
    CU_ASSERT_EQUAL(e->cpu.x[8], 0);
    CU_ASSERT_EQUAL(rd64(e, P), 1007);
    CU_ASSERT_FALSE(e->split);
    struct dbt_redirect_stats s;
    dbt_get_redirect_stats(e->dbt, &s);
    CU_ASSERT_EQUAL(s.released, 1);
    env_free(e);
}

static void test_exclusive_interp(void) {
    exclusive_unsplits(true);
}
static void test_exclusive_jit(void) {
    exclusive_unsplits(false);
}

/* Without a release hook a fault that cannot be redirected reaches the
 * guest as SIGSEGV at the instruction, as before. */
static void test_no_release_delivers(void) {
    struct env *e = env_new(false);
    struct dbt_redirect_hooks h = {.covers = covers, .map = map, .opaque = e};
    CU_ASSERT_EQUAL(dbt_set_redirect_hooks(e->dbt, &h), 0);
    static const uint32_t code[] = {
        0xd2a00080, /* mov x0, #0x40000 */
        0xf807c002, /* stur x2, [x0, #124] */
    };
    CU_ASSERT_EQUAL(run(e, code, sizeof code / 4), CPU_EXIT_SIGNAL);
    CU_ASSERT_EQUAL(e->cpu.exit_signo, SIGSEGV);
    CU_ASSERT_EQUAL(e->cpu.pc, CODE + 4);
    struct dbt_redirect_stats s;
    dbt_get_redirect_stats(e->dbt, &s);
    CU_ASSERT_EQUAL(s.delivered, 1);
    env_free(e);
}

/* The embedder's own access to a split page (a syscall's buffer copied
 * outside dbt_run) faults outside guest code: the host-fault hook makes
 * the page whole and the access is retried, instead of the emulator dying
 * of it. A hook that declines (another address) changes nothing. */
static struct env *hook_env;
static unsigned hook_calls;
static bool host_hook(uintptr_t host) {
    hook_calls++;
    uint8_t *p = mem(hook_env, P);
    if (host < (uintptr_t)p || host >= (uintptr_t)p + 4096) return false;
    return release(hook_env, P);
}

static void test_host_fault_hook(void) {
    struct env *e = env_new(false);
    hook_env = e;
    hook_calls = 0;
    dbt_set_host_fault_hook(host_hook);
    volatile uint64_t *w = (volatile uint64_t *)mem(e, P + 8 * 7);
    CU_ASSERT_EQUAL(*w, 1007); /* sealed: faults, the hook unsplits */
    CU_ASSERT_EQUAL(hook_calls, 1);
    CU_ASSERT_FALSE(e->split);
    *w = 5; /* whole again: no fault */
    CU_ASSERT_EQUAL(hook_calls, 1);
    dbt_set_host_fault_hook(NULL);
    env_free(e);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("dbt_redirect", NULL, NULL);
    CU_add_test(s, "loop on a split page, interpreter", test_loop_interp);
    CU_add_test(s, "loop on a split page, JIT", test_loop_jit);
    CU_add_test(s, "inline redirection, stale after unsplit, interpreter", test_inline_interp);
    CU_add_test(s, "inline redirection, stale after unsplit, JIT", test_inline_jit);
    CU_add_test(s, "inline redirection: straddling store unsplits", test_inline_straddle);
    CU_add_test(s, "straddling store unsplits, interpreter", test_straddle_interp);
    CU_add_test(s, "straddling store unsplits, JIT", test_straddle_jit);
    CU_add_test(s, "LSE atomic redirected, interpreter", test_atomic_interp);
    CU_add_test(s, "LSE atomic redirected, JIT", test_atomic_jit);
    CU_add_test(s, "LSE atomic in a helper unsplits, interpreter", test_atomic_helper_interp);
    CU_add_test(s, "LSE atomic in a helper unsplits, JIT", test_atomic_helper_jit);
    CU_add_test(s, "exclusives unsplit, interpreter", test_exclusive_interp);
    CU_add_test(s, "exclusives unsplit, JIT", test_exclusive_jit);
    CU_add_test(s, "no release hook: SIGSEGV as before", test_no_release_delivers);
    CU_add_test(s, "an emulator access to a split page: host-fault hook", test_host_fault_hook);
}

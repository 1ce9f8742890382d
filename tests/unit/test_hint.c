/* The placement hint of include/shoal/hint.h through the decoder, in
 * both tiers: HINT #0x70 / #0x71 report x16 through
 * dbt_options.hint_group and change no guest state; other hints and a
 * DBT without the callback run them as NOPs. Then syscall/hint.c: what
 * the callback records in a task, and what it tells a cluster. */
#include <CUnit/CUnit.h>
#include <string.h>
#include <sys/mman.h>

#include "dbt/cpu.h"
#include "dbt/dbt.h"
#include "syscall/task.h"

#define MEM  (1u << 20)
#define CODE 0x1000u

static struct {
    int n;
    int64_t group[8];
    bool next[8];
    struct cpu *cpu[8];
} seen;

static void on_hint(struct cpu *cpu, int64_t group, bool next_thread) {
    if (seen.n < 8) {
        seen.group[seen.n] = group;
        seen.next[seen.n] = next_thread;
        seen.cpu[seen.n] = cpu;
    }
    seen.n++;
}

static uint32_t movz_x(unsigned rd, unsigned imm16) {
    return 0xd2800000u | (imm16 << 5) | rd;
}
static uint32_t hint(unsigned imm7) {
    return 0xd503201fu | (imm7 << 5);
}

/* Runs code followed by `svc #0` on a fresh vCPU; returns the exit. */
static int run(bool interp, bool with_cb, const uint32_t *code, size_t n, struct cpu *out) {
    struct dbt_options o = {.interp_only = interp, .hint_group = with_cb ? on_hint : NULL};
    struct dbt *d = dbt_create(&o);
    CU_ASSERT_PTR_EQUAL(dbt_get_options(d)->hint_group, o.hint_group);
    struct cpu cpu;
    memset(&cpu, 0, sizeof cpu);
    cpu.guest_base = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cpu.guest_size = MEM;
    cpu.x[31] = MEM - 64;
    dbt_cpu_init(d, &cpu);
    dbt_install_fault_handler();
    uint32_t *p = (uint32_t *)(cpu.guest_base + CODE);
    memcpy(p, code, n * 4);
    p[n] = 0xd4000001u; /* svc #0 */
    cpu.pc = CODE;
    int r = dbt_run(&cpu);
    *out = cpu;
    dbt_cpu_fini(&cpu);
    munmap(cpu.guest_base, MEM);
    dbt_destroy(d);
    return r;
}

static void check_tier(bool interp) {
    const uint32_t code[] = {
        movz_x(16, 5),   hint(0x70), /* SHOAL_HINT_GROUP(5) */
        movz_x(16, 700), hint(0x71), /* SHOAL_HINT_NEXT_GROUP(700) */
        hint(0x72),      hint(0x00), /* other hints: NOPs */
        hint(0x7f),      hint(0x50), movz_x(1, 9),
    };
    struct cpu c;
    memset(&seen, 0, sizeof seen);
    CU_ASSERT_EQUAL(run(interp, true, code, sizeof code / 4, &c), CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(seen.n, 2);
    CU_ASSERT_EQUAL(seen.group[0], 5);
    CU_ASSERT_FALSE(seen.next[0]);
    CU_ASSERT_EQUAL(seen.group[1], 700);
    CU_ASSERT_TRUE(seen.next[1]);
    /* guest state: exactly what the MOVs did, and the run went on */
    CU_ASSERT_EQUAL(c.x[16], 700);
    CU_ASSERT_EQUAL(c.x[1], 9);
    CU_ASSERT_EQUAL(c.pc, CODE + sizeof code + 4);

    /* without a callback the hints are NOPs */
    memset(&seen, 0, sizeof seen);
    CU_ASSERT_EQUAL(run(interp, false, code, sizeof code / 4, &c), CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(seen.n, 0);
    CU_ASSERT_EQUAL(c.x[1], 9);

    /* the full 64-bit register, negative included */
    const uint32_t neg[] = {0x92800010u /* movn x16, #0: x16 = -1 */, hint(0x71)};
    memset(&seen, 0, sizeof seen);
    CU_ASSERT_EQUAL(run(interp, true, neg, 2, &c), CPU_EXIT_SVC);
    CU_ASSERT_EQUAL(seen.n, 1);
    CU_ASSERT_EQUAL(seen.group[0], -1);
}

static void test_interp(void) {
    check_tier(true);
}
static void test_jit(void) {
    check_tier(false);
}

static void test_task_records(void) {
    static struct process p; /* a lone process: no cluster */
    struct task t;
    memset(&t, 0, sizeof t);
    t.cpu.opaque = &t;
    t.proc = &p;
    t.hint_group = t.hint_next_group = -1;
    task_hint_group(&t.cpu, 3, false);
    task_hint_group(&t.cpu, 8, true);
    CU_ASSERT_EQUAL(t.hint_group, 3);
    CU_ASSERT_EQUAL(t.hint_next_group, 8);
    task_hint_group(&t.cpu, -42, true); /* negative: cleared */
    CU_ASSERT_EQUAL(t.hint_next_group, -1);
    CU_ASSERT_EQUAL(t.hint_group, 3);
}

static struct {
    int n;
    int64_t group[8];
    struct task *task[8];
} told;

static void tell_cluster(struct task *t, int64_t group) {
    if (told.n < 8) {
        told.group[told.n] = group;
        told.task[told.n] = t;
    }
    told.n++;
}

/* In a cluster a thread's own new group goes to the cluster (the master
 * binds it to the thread's node); next-thread marks travel with the
 * clone instead, and a repeated or cleared mark says nothing. */
static void test_task_tells_cluster(void) {
    static const struct process_cluster_ops ops = {.hint_group = tell_cluster};
    static struct process p;
    p.cluster = &ops;
    struct task t;
    memset(&t, 0, sizeof t);
    t.cpu.opaque = &t;
    t.proc = &p;
    t.hint_group = t.hint_next_group = -1;
    memset(&told, 0, sizeof told);
    task_hint_group(&t.cpu, 8, true);
    CU_ASSERT_EQUAL(told.n, 0);
    CU_ASSERT_EQUAL(t.hint_next_group, 8);
    task_hint_group(&t.cpu, 3, false);
    CU_ASSERT_EQUAL(told.n, 1);
    CU_ASSERT_EQUAL(told.group[0], 3);
    CU_ASSERT_PTR_EQUAL(told.task[0], &t);
    task_hint_group(&t.cpu, 3, false); /* the same mark again */
    CU_ASSERT_EQUAL(told.n, 1);
    task_hint_group(&t.cpu, 5, false);
    CU_ASSERT_EQUAL(told.n, 2);
    CU_ASSERT_EQUAL(told.group[1], 5);
    CU_ASSERT_EQUAL(t.hint_group, 5);
    task_hint_group(&t.cpu, -7, false); /* cleared: nothing to bind */
    CU_ASSERT_EQUAL(told.n, 2);
    CU_ASSERT_EQUAL(t.hint_group, -1);
    task_hint_group(&t.cpu, 5, false); /* after a clear, told again (harmless) */
    CU_ASSERT_EQUAL(told.n, 3);
    p.cluster = NULL;
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("hint", NULL, NULL);
    CU_add_test(s, "HINT #0x70/#0x71, interpreter", test_interp);
    CU_add_test(s, "HINT #0x70/#0x71, JIT", test_jit);
    CU_add_test(s, "a task records its groups", test_task_records);
    CU_add_test(s, "a task's own group goes to its cluster", test_task_tells_cluster);
}

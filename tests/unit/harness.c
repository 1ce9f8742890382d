#define _GNU_SOURCE
#include "tests/unit/harness.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct dbt *harness_tier_new(struct cpu *cpu, int interp, const char *jit_disable) {
    return harness_tier_new_sized(cpu, interp, jit_disable, 0);
}

struct dbt *harness_tier_new_sized(struct cpu *cpu, int interp, const char *jit_disable,
                                   size_t code_size) {
    if (jit_disable) setenv("SHOAL_JIT_DISABLE", jit_disable, 1);
    struct dbt_options opt = {.interp_only = interp, .code_size = code_size};
    struct dbt *d = dbt_create(&opt);
    if (jit_disable) unsetenv("SHOAL_JIT_DISABLE");
    memset(cpu, 0, sizeof *cpu);
    cpu->guest_base =
        mmap(NULL, HARNESS_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cpu->guest_size = HARNESS_MEM_SIZE;
    cpu->x[31] = HARNESS_MEM_SIZE - 64; /* SP */
    dbt_cpu_init(d, cpu);
    dbt_install_fault_handler();
    return d;
}

void harness_tier_free(struct dbt *d, struct cpu *cpu) {
    dbt_cpu_fini(cpu);
    munmap(cpu->guest_base, HARNESS_MEM_SIZE);
    dbt_destroy(d);
}

int harness_proc_init(struct process *p, struct task **t) {
    if (gs_init(&p->mem, 1ull << 32)) return 1;
    p->dbt = dbt_create(NULL);
    pthread_mutex_init(&p->sig_lock, NULL);
    *t = task_new(p);
    (*t)->tid = gettid();
    return 0;
}

void harness_proc_fini(struct process *p, struct task *t) {
    task_free(t);
    dbt_destroy(p->dbt);
    gs_fini(&p->mem);
}

int64_t harness_syscall(struct task *t, int nr, uint64_t a0, uint64_t a1, uint64_t a2,
                        uint64_t a3) {
    t->cpu.x[8] = (uint64_t)nr;
    t->cpu.x[0] = a0;
    t->cpu.x[1] = a1;
    t->cpu.x[2] = a2;
    t->cpu.x[3] = a3;
    syscall_dispatch(t);
    return (int64_t)t->cpu.x[0];
}

struct harness *harness_new_tier(int interp, const char *jit_disable) {
    struct harness *h = calloc(1, sizeof *h);
    h->dbt = harness_tier_new(&h->cpu, interp, jit_disable);
    return h;
}

struct harness *harness_new(void) {
    return harness_new_tier(1, NULL);
}

void harness_free(struct harness *h) {
    harness_tier_free(h->dbt, &h->cpu);
    free(h);
}

void *harness_mem(struct harness *h, uint64_t addr) {
    return h->cpu.guest_base + addr;
}

int harness_run(struct harness *h, const uint32_t *code, size_t n) {
    uint32_t *p = harness_mem(h, HARNESS_CODE);
    memcpy(p, code, n * 4);
    p[n] = 0xd4000001; /* svc #0 */
    /* Code changed: drop translations of earlier runs. */
    dbt_invalidate(h->dbt, HARNESS_CODE, (n + 1) * 4);
    h->cpu.pc = HARNESS_CODE;
    return dbt_run(&h->cpu);
}

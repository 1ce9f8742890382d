#include "tests/unit/harness.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

struct harness *harness_new(void) {
    struct harness *h = calloc(1, sizeof *h);
    struct dbt_options opt = {.interp_only = 1};
    h->dbt = dbt_create(&opt);
    h->cpu.guest_base =
        mmap(NULL, HARNESS_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    h->cpu.guest_size = HARNESS_MEM_SIZE;
    h->cpu.x[31] = HARNESS_MEM_SIZE - 64; /* SP */
    dbt_cpu_init(h->dbt, &h->cpu);
    dbt_install_fault_handler();
    return h;
}

void harness_free(struct harness *h) {
    dbt_cpu_fini(&h->cpu);
    munmap(h->cpu.guest_base, HARNESS_MEM_SIZE);
    dbt_destroy(h->dbt);
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

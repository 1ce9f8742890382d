/* The shoal side of the end-to-end comparison: a vCPU with a one-page
 * guest memory holding the instruction under test followed by SVC. */
#include "fpdiff_dbt.h"

#include <string.h>
#include <sys/mman.h>

#include "dbt/a64/a64.h"
#include "dbt/dbt.h"

#define MEM_SIZE  0x10000u
#define CODE_ADDR 0x1000u

static struct dbt *dbt;
static struct cpu cpu;
static uint32_t loaded_insn;

void fpdiff_dbt_init(void) {
    struct dbt_options opt = {.interp_only = true};
    dbt = dbt_create(&opt);
    cpu.guest_base =
        mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cpu.guest_size = MEM_SIZE;
    dbt_cpu_init(dbt, &cpu);
    dbt_install_fault_handler();
    a64_decoder_init();
}

bool fpdiff_dbt_is_scalar_fp(uint32_t insn) {
    const struct a64_row *r = a64_decode(insn), *t;
    if (!r) return false;
    for (t = a64_rows_fp; t->name; t++)
        if (t == r) return true;
    for (t = a64_rows_fp_conv; t->name; t++)
        if (t == r) return true;
    return false;
}

bool fpdiff_dbt_run(uint32_t insn, enum fpdiff_result_kind res, const struct fpdiff_case *c,
                    struct fpdiff_result *out) {
    if (insn != loaded_insn) {
        uint32_t code[2] = {insn, 0xd4000001 /* svc #0 */};
        memcpy(cpu.guest_base + CODE_ADDR, code, sizeof code);
        dbt_invalidate(dbt, CODE_ADDR, sizeof code);
        loaded_insn = insn;
    }
    memset(cpu.v, 0, sizeof cpu.v);
    cpu.v[1].d[0] = c->a;
    cpu.v[2].d[0] = c->b;
    cpu.v[3].d[0] = c->c;
    cpu.x[0] = 0;
    cpu.x[1] = c->a;
    cpu.x[2] = c->b;
    cpu.nzcv = 0;
    cpu.fpcr = c->fpcr;
    cpu.fpsr = 0;
    cpu.pc = CODE_ADDR;
    if (dbt_run(&cpu) != CPU_EXIT_SVC) return false;
    if (res == RES_F && cpu.v[0].d[1] != 0) return false; /* a scalar write zeroes the rest */
    out->value = res == RES_F ? cpu.v[0].d[0] : res == RES_X ? cpu.x[0] : cpu.nzcv;
    out->fpsr = cpu.fpsr;
    out->insn = insn;
    return true;
}

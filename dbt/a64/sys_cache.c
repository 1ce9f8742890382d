/* Cache maintenance (SYS aliases DC and IC) at EL0. The host keeps data
 * caches coherent, so of the DC ops only DC ZVA has an effect. Code is
 * kept coherent by dropping translations: IC IVAU, which the
 * architecture asks of a program that wrote instructions (CTR_EL0.DIC is
 * 0) before it runs them, drops those of its cache line, on every vCPU
 * of this node (a page another node wrote is dropped when it leaves). */
#include <string.h>

#include "dbt/a64/sys.h"
#include "dbt/dbt.h"

/* Zeroes the DCZID_EL0-sized, naturally aligned block containing addr;
 * an address outside guest memory is a guest SIGSEGV at this insn. */
static uint64_t helper_dc_zva(struct cpu *cpu, uint64_t addr, uint64_t b, uint64_t c, uint64_t d) {
    uint64_t block = addr & ~(uint64_t)(A64_DCZVA_BYTES - 1);
    memset(cpu_g2h(cpu, block, A64_DCZVA_BYTES), 0, A64_DCZVA_BYTES);
    return 0;
}

void a64_trans_dc_zva(struct a64_ctx *c, uint32_t insn) {
    ir_call(c->b, helper_dc_zva, a64_read_x(c, BITS(insn, 4, 0)), IR_ZERO, IR_ZERO, IR_ZERO);
}

void a64_trans_cache_nop(struct a64_ctx *c, uint32_t insn) {}

static uint64_t helper_ic_ivau(struct cpu *cpu, uint64_t addr, uint64_t b, uint64_t c, uint64_t d) {
    uint64_t line = A64_CTR_EL0_IMINLINE_BYTES;
    dbt_invalidate(cpu->dbt, addr & ~(line - 1), line);
    return 0;
}

void a64_trans_ic_ivau(struct a64_ctx *c, uint32_t insn) {
    ir_call(c->b, helper_ic_ivau, a64_read_x(c, BITS(insn, 4, 0)), IR_ZERO, IR_ZERO, IR_ZERO);
}

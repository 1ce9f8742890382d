/* MRS and MSR (register): the few system registers EL0 may access under
 * Linux. Everything else (ID registers included: we do not advertise
 * HWCAP_CPUID, so Linux would not emulate them either) is SIGILL. */
#include <time.h>

#include "dbt/a64/sys.h"
#include "dbt/dbt.h"

#define SYSREG_NZCV        A64_SYSREG(3, 3, 4, 2, 0)
#define SYSREG_FPCR        A64_SYSREG(3, 3, 4, 4, 0)
#define SYSREG_FPSR        A64_SYSREG(3, 3, 4, 4, 1)
#define SYSREG_CTR_EL0     A64_SYSREG(3, 3, 0, 0, 1)
#define SYSREG_DCZID_EL0   A64_SYSREG(3, 3, 0, 0, 7)
#define SYSREG_TPIDR_EL0   A64_SYSREG(3, 3, 13, 0, 2)
#define SYSREG_TPIDRRO_EL0 A64_SYSREG(3, 3, 13, 0, 3)
#define SYSREG_CNTFRQ_EL0  A64_SYSREG(3, 3, 14, 0, 0)
#define SYSREG_CNTVCT_EL0  A64_SYSREG(3, 3, 14, 0, 2)

static uint64_t helper_cntvct(struct cpu *cpu, uint64_t a, uint64_t b, uint64_t c, uint64_t d) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t off = cpu->dbt ? dbt_clock_offset(cpu->dbt) : 0;
    int64_t s = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec + off;
    unsigned __int128 ns = (unsigned __int128)(s > 0 ? s : 0);
    return (uint64_t)(ns * A64_CNTFRQ_HZ / 1000000000u);
}

void a64_trans_mrs(struct a64_ctx *c, uint32_t insn) {
    ir_temp v;
    switch (BITS(insn, 20, 5)) {
    case SYSREG_NZCV: v = a64_read_nzcv(c); break;
    case SYSREG_FPCR: v = ir_ldcpu(c->b, 32, CPU_OFF(fpcr)); break;
    case SYSREG_FPSR: v = ir_ldcpu(c->b, 32, CPU_OFF(fpsr)); break;
    case SYSREG_TPIDR_EL0: v = ir_ldcpu(c->b, 64, CPU_OFF(tpidr_el0)); break;
    case SYSREG_TPIDRRO_EL0: v = IR_ZERO; break;
    case SYSREG_CTR_EL0: v = ir_const(c->b, A64_CTR_EL0); break;
    case SYSREG_DCZID_EL0: v = ir_const(c->b, A64_DCZID_EL0); break;
    case SYSREG_CNTFRQ_EL0: v = ir_const(c->b, A64_CNTFRQ_HZ); break;
    case SYSREG_CNTVCT_EL0:
        v = ir_call(c->b, helper_cntvct, IR_ZERO, IR_ZERO, IR_ZERO, IR_ZERO);
        break;
    default: a64_unallocated(c); return;
    }
    a64_write_x(c, BITS(insn, 4, 0), v, true);
}

static ir_temp masked(struct a64_ctx *c, ir_temp v, uint32_t mask) {
    return ir_op2(c->b, IR_AND, 32, v, ir_const(c->b, mask));
}

void a64_trans_msr_reg(struct a64_ctx *c, uint32_t insn) {
    ir_temp v = a64_read_x(c, BITS(insn, 4, 0));
    switch (BITS(insn, 20, 5)) {
    case SYSREG_NZCV: a64_write_nzcv(c, masked(c, v, 0xf0000000u)); break;
    case SYSREG_FPCR: ir_stcpu(c->b, 32, CPU_OFF(fpcr), masked(c, v, A64_FPCR_MASK)); break;
    case SYSREG_FPSR: ir_stcpu(c->b, 32, CPU_OFF(fpsr), masked(c, v, A64_FPSR_MASK)); break;
    case SYSREG_TPIDR_EL0: ir_stcpu(c->b, 64, CPU_OFF(tpidr_el0), v); break;
    default: a64_unallocated(c); break;
    }
}

/* System instructions of the branch_sys family that live in their own
 * files: MRS/MSR (sys_regs.c) and the cache maintenance SYS aliases
 * (sys_cache.c). Also the values EL0 can read from the ID-like registers. */
#ifndef SHOAL_DBT_A64_SYS_H
#define SHOAL_DBT_A64_SYS_H

#include "dbt/a64/a64.h"

/* System register key: op0:op1:CRn:CRm:op2, which is insn bits [20:5]
 * of MRS/MSR (register). */
#define A64_SYSREG(op0, op1, crn, crm, op2)                                                        \
    (((op0) << 14) | ((op1) << 11) | ((crn) << 7) | ((crm) << 3) | (op2))

/* Generic timer frequency: 62.5 MHz, the value qemu-aarch64 (7.2)
 * reports, so CNTVCT_EL0 counts host CLOCK_MONOTONIC nanoseconds / 16. */
#define A64_CNTFRQ_HZ 62500000u
/* CTR_EL0 of a Cortex-A57: 64-byte I and D cache lines (IminLine =
 * DminLine = 4 words log2), PIPT I-cache, ERG = CWG = 64 bytes, IDC = DIC
 * = 0, so guests clean and invalidate caches for new code (IC IVAU drops
 * the line's translations: sys_cache.c). */
#define A64_CTR_EL0                0x8444c004u
#define A64_CTR_EL0_IMINLINE_BYTES (4u << (A64_CTR_EL0 & 0xf))
/* DCZID_EL0: DZP = 0 (DC ZVA allowed), BS = 4: blocks of 2^4 words = 64 bytes. */
#define A64_DCZID_EL0   4u
#define A64_DCZVA_BYTES 64u
/* Bits of FPCR and FPSR that exist (ARMv8.0 AArch64 plus FZ16), as
 * qemu-aarch64 keeps them: FPCR AHP DN FZ RMode Stride FZ16 Len (the
 * trap enables IOE..IDE are not implemented: RAZ/WI); FPSR N Z C V QC IDC
 * IXC UFC OFC DZC IOC. */
#define A64_FPCR_MASK 0x07ff0000u
#define A64_FPSR_MASK 0xf800009fu

void a64_trans_mrs(struct a64_ctx *c, uint32_t insn);
void a64_trans_msr_reg(struct a64_ctx *c, uint32_t insn);
void a64_trans_dc_zva(struct a64_ctx *c, uint32_t insn);
/* DC CVAU/CVAC/CIVAC/CVAP/CVADP: no effect on a coherent host. */
void a64_trans_cache_nop(struct a64_ctx *c, uint32_t insn);
/* IC IVAU: drops the translations of its line (sys_cache.c). */
void a64_trans_ic_ivau(struct a64_ctx *c, uint32_t insn);

#endif

/* Shared by the scalar floating-point families (dbt/a64/fp*.c): the
 * `ftype` field and helper-argument packing. Every FP operation goes
 * through dbt/fp/fpu.h in a helper; moves and sign operations are IR. */
#ifndef SHOAL_DBT_A64_FP_COMMON_H
#define SHOAL_DBT_A64_FP_COMMON_H

#include "dbt/a64/a64.h"

/* Element size of ftype (insn bits 23:22): 00 single, 01 double, 11 half;
 * 0 for the unallocated 10. */
static inline unsigned fp_ftype_esize(uint32_t insn) {
    static const unsigned esize[4] = {32, 64, 0, 16};
    return esize[BITS(insn, 23, 22)];
}

/* Bits outside the element must not leak into a scalar result. */
static inline ir_temp fp_zext(struct a64_ctx *c, ir_temp v, unsigned esize) {
    return esize == 64 ? v : ir_op1(c->b, IR_ZEXT, esize, v);
}

static inline uint64_t fp_sign_bit(unsigned esize) {
    return 1ull << (esize - 1);
}

#endif

/* Shared by the Advanced SIMD family files (dbt/a64/simd_*.c): the common
 * instruction fields and the usual translation, "check the encoding is
 * allocated, then call the group's helper with the raw encoding". */
#ifndef SHOAL_DBT_A64_SIMD_COMMON_H
#define SHOAL_DBT_A64_SIMD_COMMON_H

#include "dbt/a64/a64.h"
#include "dbt/simd/lanes.h"

#define SIMD_RD(insn)   BITS(insn, 4, 0)
#define SIMD_RN(insn)   BITS(insn, 9, 5)
#define SIMD_RM(insn)   BITS(insn, 20, 16)
#define SIMD_Q(insn)    BIT(insn, 30)
#define SIMD_U(insn)    BIT(insn, 29)
#define SIMD_SIZE(insn) BITS(insn, 23, 22)
/* Bit 28 separates the scalar groups (01U11110...) from the vector ones (0QU01110...). */
#define SIMD_SCALAR(insn) BIT(insn, 28)

static inline void simd_emit(struct a64_ctx *c, bool allocated, ir_helper_fn fn) {
    if (!allocated) {
        a64_unallocated(c);
        return;
    }
    a64_call_insn(c, fn, IR_ZERO, IR_ZERO, IR_ZERO);
}

#endif

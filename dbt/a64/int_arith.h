/* Operand and flag building blocks shared by the integer families
 * (dp_imm.c, dp_reg.c): shifted and extended register operands, the
 * ADD/SUB flag computation, and register writes of values that are
 * already clean (zero-extended to their width). */
#ifndef SHOAL_DBT_A64_INT_ARITH_H
#define SHOAL_DBT_A64_INT_ARITH_H

#include <stdbool.h>
#include <stdint.h>

#include "dbt/a64/a64.h"

static inline unsigned a64_width(bool sf) {
    return sf ? 64 : 32;
}

/* All-ones in the low w bits, w in 1..64. */
static inline uint64_t a64_ones(unsigned w) {
    return w >= 64 ? ~0ull : (1ull << w) - 1;
}

/* Every 32-bit IR ALU op zero-extends its result, so a value produced by
 * one needs no extra ZEXT when written to a W register. */
static inline void a64_write_x_clean(struct a64_ctx *c, unsigned r, ir_temp v) {
    a64_write_x(c, r, v, true);
}
static inline void a64_write_xsp_clean(struct a64_ctx *c, unsigned r, ir_temp v) {
    a64_write_xsp(c, r, v, true);
}

/* NZCV of a + b (sub == false) or a - b (sub == true, computed as
 * a + ~b + 1 as the Arm ARM does), at width sz. not_b must be b for an
 * addition and ~b for a subtraction. */
void a64_set_addsub_flags(struct a64_ctx *c, unsigned sz, bool sub, ir_temp a, ir_temp not_b);

/* Rm shifted by type (0 LSL, 1 LSR, 2 ASR, 3 ROR) and amount, at width sz. */
ir_temp a64_shifted_reg(struct a64_ctx *c, unsigned sz, unsigned rm, unsigned type,
                        unsigned amount);

/* Rm extended by option (UXTB..SXTX) then shifted left by amount (0..4),
 * as the extended-register ADD/SUB forms use it, for an op of width sz. */
ir_temp a64_extended_reg(struct a64_ctx *c, unsigned sz, unsigned rm, unsigned option,
                         unsigned amount);

/* The carry flag (bit 0 of the result; higher bits are garbage the
 * consumers ADC/FLAGS_ADC ignore). */
ir_temp a64_read_carry(struct a64_ctx *c);

#endif

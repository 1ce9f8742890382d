/* Operand and flag building blocks shared by the integer families. */
#include "dbt/a64/int_arith.h"

void a64_set_addsub_flags(struct a64_ctx *c, unsigned sz, bool sub, ir_temp a, ir_temp not_b) {
    ir_temp carry_in = ir_const(c->b, sub ? 1 : 0);
    a64_write_nzcv(c, ir_op3(c->b, IR_FLAGS_ADC, sz, a, not_b, carry_in));
}

ir_temp a64_shifted_reg(struct a64_ctx *c, unsigned sz, unsigned rm, unsigned type,
                        unsigned amount) {
    static const enum ir_opcode shift_ops[4] = {IR_SHL, IR_LSR, IR_ASR, IR_ROR};
    ir_temp v = a64_read_x(c, rm);
    if (amount == 0 || rm == 31) return v;
    return ir_op2(c->b, shift_ops[type & 3], sz, v, ir_const(c->b, amount));
}

ir_temp a64_extended_reg(struct a64_ctx *c, unsigned sz, unsigned rm, unsigned option,
                         unsigned amount) {
    ir_temp v = a64_read_x(c, rm);
    /* Byte, halfword and word sources; the doubleword forms (and, for a
     * 32-bit op, the word forms) leave every bit the op reads unchanged. */
    static const unsigned src_bits[4] = {8, 16, 32, 64};
    unsigned bits = src_bits[option & 3];
    if (bits < sz) v = ir_op1(c->b, (option & 4) ? IR_SEXT : IR_ZEXT, bits, v);
    if (amount) v = ir_op2(c->b, IR_SHL, 64, v, ir_const(c->b, amount));
    return v;
}

ir_temp a64_read_carry(struct a64_ctx *c) {
    return ir_op2(c->b, IR_LSR, 32, a64_read_nzcv(c), ir_const(c->b, 29));
}

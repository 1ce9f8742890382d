/* A64 family: Advanced SIMD modified immediate (MOVI, MVNI, ORR, BIC,
 * FMOV vector). The immediate is known at translation time, so each row
 * becomes a constant store or one AND/OR per half. */
#include "dbt/a64/simd_common.h"

static uint64_t rep32(uint64_t x) {
    return x | x << 32;
}
static uint64_t rep16(uint64_t x) {
    return rep32(x | x << 16);
}

/* The Arm ARM's AdvSIMDExpandImm(op, cmode, imm8). */
static uint64_t expand_imm(unsigned op, unsigned cmode, uint64_t imm8) {
    switch (cmode >> 1) {
    case 0: return rep32(imm8);
    case 1: return rep32(imm8 << 8);
    case 2: return rep32(imm8 << 16);
    case 3: return rep32(imm8 << 24);
    case 4: return rep16(imm8);
    case 5: return rep16(imm8 << 8);
    case 6: return rep32(cmode & 1 ? imm8 << 16 | 0xffff : imm8 << 8 | 0xff);
    }
    if (!(cmode & 1) && !op) return rep16(imm8 | imm8 << 8);
    if (!(cmode & 1)) {
        uint64_t r = 0;
        for (unsigned k = 0; k < 8; k++)
            if (imm8 >> k & 1) r |= 0xffull << (8 * k);
        return r;
    }
    uint64_t sign = imm8 >> 7, b6 = imm8 >> 6 & 1, low = imm8 & 0x3f;
    if (!op) /* single precision */
        return rep32(sign << 31 | (b6 ^ 1) << 30 | (b6 ? 0x1full : 0) << 25 | low << 19);
    return sign << 63 | (b6 ^ 1) << 62 | (b6 ? 0xffull : 0) << 54 | low << 48;
}

static void trans_mod_imm(struct a64_ctx *c, uint32_t insn) {
    unsigned op = BIT(insn, 29), cmode = BITS(insn, 15, 12), rd = SIMD_RD(insn);
    bool q = SIMD_Q(insn);
    if (BIT(insn, 11) || (cmode == 0xf && op && !q)) { /* o2 = 1 is FP16 FMOV (ARMv8.2) */
        a64_unallocated(c);
        return;
    }
    uint64_t imm = expand_imm(op, cmode, BITS(insn, 18, 16) << 5 | BITS(insn, 9, 5));
    bool logical = cmode < 0xc && (cmode & 1);
    if (logical) {
        enum ir_opcode alu = op ? IR_ANDN : IR_OR; /* BIC : ORR */
        ir_temp k = ir_const(c->b, imm);
        ir_temp lo = ir_op2(c->b, alu, 64, a64_read_vlo(c, rd), k);
        ir_temp hi = q ? ir_op2(c->b, alu, 64, a64_read_vhi(c, rd), k) : IR_ZERO;
        a64_write_v128(c, rd, lo, hi);
        return;
    }
    if (op && cmode < 0xe) imm = ~imm; /* MVNI */
    ir_temp k = ir_const(c->b, imm);
    a64_write_v128(c, rd, k, q ? k : IR_ZERO);
}

#define IMM(name, o, cm)                                                                           \
    { name, "0q" o "0111100000iii" cm "01iiiiiddddd", trans_mod_imm }

const struct a64_row a64_rows_simd_imm[] = {
    IMM("MOVI_32", "0", "0pp0"),   IMM("ORR_imm32", "0", "0pp1"), IMM("MOVI_16", "0", "10p0"),
    IMM("ORR_imm16", "0", "10p1"), IMM("MOVI_ones", "0", "110p"), IMM("MOVI_8", "0", "1110"),
    IMM("FMOV_v_s", "0", "1111"),  IMM("MVNI_32", "1", "0pp0"),   IMM("BIC_imm32", "1", "0pp1"),
    IMM("MVNI_16", "1", "10p0"),   IMM("BIC_imm16", "1", "10p1"), IMM("MVNI_ones", "1", "110p"),
    IMM("MOVI_64", "1", "1110"),   IMM("FMOV_v_d", "1", "1111"),  {NULL, NULL, NULL},
};

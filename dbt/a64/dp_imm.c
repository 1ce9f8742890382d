/* A64 family: data processing -- immediate (PC-relative addressing,
 * ADD/SUB immediate, logical immediate, move wide, bitfield, extract). */
#include "dbt/a64/a64.h"
#include "dbt/a64/int_arith.h"
#include "dbt/a64/int_bitmask.h"

#define RD(insn) BITS(insn, 4, 0)
#define RN(insn) BITS(insn, 9, 5)

static void trans_adr(struct a64_ctx *c, uint32_t insn) {
    uint64_t imm = (BITS(insn, 23, 5) << 2) | BITS(insn, 30, 29);
    uint64_t off = (uint64_t)sext64(imm, 21);
    uint64_t base = c->pc;
    if (BIT(insn, 31)) { /* ADRP: 4 KiB pages */
        base &= ~0xfffull;
        off <<= 12;
    }
    a64_write_x(c, RD(insn), ir_const(c->b, base + off), true);
}

static void trans_addsub_imm(struct a64_ctx *c, uint32_t insn) {
    bool sf = BIT(insn, 31), sub = BIT(insn, 30), setflags = BIT(insn, 29);
    unsigned sz = a64_width(sf), rd = RD(insn);
    uint64_t imm = (uint64_t)BITS(insn, 21, 10) << (BIT(insn, 22) ? 12 : 0);
    ir_temp a = a64_read_xsp(c, RN(insn));
    if (setflags) {
        a64_set_addsub_flags(c, sz, sub, a, ir_const(c->b, sub ? ~imm : imm));
        if (rd == 31) return; /* CMP/CMN */
    } else if (imm == 0) {
        /* MOV to/from SP */
        a64_write_xsp(c, rd, a, sf);
        return;
    }
    ir_temp r = ir_op2(c->b, sub ? IR_SUB : IR_ADD, sz, a, ir_const(c->b, imm));
    if (setflags)
        a64_write_x_clean(c, rd, r);
    else
        a64_write_xsp_clean(c, rd, r);
}

/* opc: 0 AND, 1 ORR, 2 EOR, 3 ANDS */
static void trans_logic_imm(struct a64_ctx *c, uint32_t insn) {
    bool sf = BIT(insn, 31);
    unsigned opc = BITS(insn, 30, 29), sz = a64_width(sf), rn = RN(insn), rd = RD(insn);
    uint64_t imm;
    if (!a64_decode_bitmask_imm(BIT(insn, 22), BITS(insn, 21, 16), BITS(insn, 15, 10), sz, &imm)) {
        a64_unallocated(c);
        return;
    }
    ir_temp k = ir_const(c->b, imm), r;
    if (rn == 31 && opc != 3) {
        /* MOV (bitmask immediate): AND gives 0; ORR/EOR give the mask itself. */
        r = opc == 0 ? IR_ZERO : k;
    } else {
        static const enum ir_opcode ops[4] = {IR_AND, IR_OR, IR_XOR, IR_AND};
        r = ir_op2(c->b, ops[opc], sz, a64_read_x(c, rn), k);
    }
    if (opc == 3) {
        a64_write_nzcv(c, ir_op1(c->b, IR_FLAGS_NZ, sz, r));
        a64_write_x_clean(c, rd, r);
    } else {
        a64_write_xsp_clean(c, rd, r);
    }
}

/* opc: 0 MOVN, 2 MOVZ, 3 MOVK (1 has no row) */
static void trans_movewide(struct a64_ctx *c, uint32_t insn) {
    bool sf = BIT(insn, 31);
    unsigned opc = BITS(insn, 30, 29), hw = BITS(insn, 22, 21), rd = RD(insn);
    if (!sf && hw >= 2) {
        a64_unallocated(c);
        return;
    }
    unsigned shift = hw * 16;
    uint64_t imm = (uint64_t)BITS(insn, 20, 5) << shift, mask = sf ? ~0ull : 0xffffffffull;
    if (opc == 0) {
        a64_write_x(c, rd, ir_const(c->b, ~imm & mask), true);
    } else if (opc == 2) {
        a64_write_x(c, rd, ir_const(c->b, imm), true);
    } else {
        unsigned sz = a64_width(sf);
        ir_temp keep =
            ir_op2(c->b, IR_AND, sz, a64_read_x(c, rd), ir_const(c->b, ~(0xffffull << shift)));
        a64_write_x_clean(c, rd, imm ? ir_op2(c->b, IR_OR, sz, keep, ir_const(c->b, imm)) : keep);
    }
}

static ir_temp shift_imm(struct a64_ctx *c, enum ir_opcode op, unsigned sz, ir_temp v,
                         unsigned amount) {
    return amount ? ir_op2(c->b, op, sz, v, ir_const(c->b, amount)) : v;
}

/* SBFM/UBFM: with r = immr, s = imms, datasize ds,
 *   s >= r: bits [s:r] of Rn to the bottom (SBFX/UBFX, ASR/LSR, SXT/UXT);
 *   s <  r: bits [s:0] of Rn to position ds - r (SBFIZ/UBFIZ, LSL);
 * sign-extended or zero-extended above the field. Two shifts do both. */
static void trans_xbfm(struct a64_ctx *c, uint32_t insn) {
    bool sf = BIT(insn, 31), is_signed = BITS(insn, 30, 29) == 0;
    unsigned ds = a64_width(sf), r = BITS(insn, 21, 16), s = BITS(insn, 15, 10);
    enum ir_opcode right = is_signed ? IR_ASR : IR_LSR;
    ir_temp src = a64_read_x(c, RN(insn)), res;
    bool clean = true;
    if (s >= r && r == 0 && (s == 7 || s == 15 || s == 31) && s + 1 < ds) {
        /* SXTB/SXTH/SXTW, UXTB/UXTH */
        res = ir_op1(c->b, is_signed ? IR_SEXT : IR_ZEXT, s + 1, src);
        clean = !is_signed || sf;
    } else if (s == ds - 1) {
        res = shift_imm(c, right, ds, src, r); /* ASR/LSR #r */
        clean = r != 0;
    } else if (!is_signed && s + 1 == r) {
        res = ir_op2(c->b, IR_SHL, ds, src, ir_const(c->b, ds - r)); /* LSL */
    } else {
        unsigned up = ds - 1 - s; /* moves bit s to the top */
        unsigned down = s >= r ? up + r : r - s - 1;
        res = ir_op2(c->b, IR_SHL, ds, src, ir_const(c->b, up));
        res = shift_imm(c, right, ds, res, down);
    }
    a64_write_x(c, RD(insn), res, clean || sf);
}

/* BFM: BFXIL (s >= r) and BFI (s < r); the other bits of Rd are kept. */
static void trans_bfm(struct a64_ctx *c, uint32_t insn) {
    bool sf = BIT(insn, 31);
    unsigned ds = a64_width(sf), r = BITS(insn, 21, 16), s = BITS(insn, 15, 10), rd = RD(insn);
    ir_temp src = a64_read_x(c, RN(insn)), field;
    uint64_t mask;
    if (s >= r) {
        mask = a64_ones(s - r + 1);
        field = shift_imm(c, IR_LSR, ds, src, r);
    } else {
        mask = a64_ones(s + 1) << (ds - r);
        field = ir_op2(c->b, IR_SHL, ds, src, ir_const(c->b, ds - r));
    }
    ir_temp m = ir_const(c->b, mask);
    ir_temp keep = ir_op2(c->b, IR_ANDN, ds, a64_read_x(c, rd), m);
    ir_temp ins = ir_op2(c->b, IR_AND, ds, field, m);
    a64_write_x_clean(c, rd, ir_op2(c->b, IR_OR, ds, keep, ins));
}

/* EXTR: bits [lsb + ds - 1 : lsb] of Rn:Rm; ROR (immediate) when Rn == Rm. */
static void trans_extr(struct a64_ctx *c, uint32_t insn) {
    bool sf = BIT(insn, 31);
    unsigned ds = a64_width(sf), lsb = BITS(insn, 15, 10), rn = RN(insn), rm = BITS(insn, 20, 16);
    ir_temp lo = a64_read_x(c, rm), res;
    if (lsb == 0) {
        a64_write_x(c, RD(insn), lo, sf);
        return;
    }
    if (rn == rm) {
        res = ir_op2(c->b, IR_ROR, ds, lo, ir_const(c->b, lsb));
    } else {
        ir_temp hi = ir_op2(c->b, IR_SHL, ds, a64_read_x(c, rn), ir_const(c->b, ds - lsb));
        res = ir_op2(c->b, IR_OR, ds, hi, ir_op2(c->b, IR_LSR, ds, lo, ir_const(c->b, lsb)));
    }
    a64_write_x_clean(c, RD(insn), res);
}

/* Field letters: d Rd, n Rn, m Rm, z sf, i immediate (r for a bitfield's
 * immr, which rotates), h shift (LSL #12 for ADD/SUB, hw for move wide). */
const struct a64_row a64_rows_dp_imm[] = {
    {"ADR", "0ii10000iiiiiiiiiiiiiiiiiiiddddd", trans_adr},
    {"ADRP", "1ii10000iiiiiiiiiiiiiiiiiiiddddd", trans_adr},

    {"ADD_imm", "z00100010hiiiiiiiiiiiinnnnnddddd", trans_addsub_imm},
    {"ADDS_imm", "z01100010hiiiiiiiiiiiinnnnnddddd", trans_addsub_imm},
    {"SUB_imm", "z10100010hiiiiiiiiiiiinnnnnddddd", trans_addsub_imm},
    {"SUBS_imm", "z11100010hiiiiiiiiiiiinnnnnddddd", trans_addsub_imm},

    {"AND_imm", "z00100100iiiiiiiiiiiiinnnnnddddd", trans_logic_imm},
    {"ORR_imm", "z01100100iiiiiiiiiiiiinnnnnddddd", trans_logic_imm},
    {"EOR_imm", "z10100100iiiiiiiiiiiiinnnnnddddd", trans_logic_imm},
    {"ANDS_imm", "z11100100iiiiiiiiiiiiinnnnnddddd", trans_logic_imm},

    {"MOVN", "z00100101hhiiiiiiiiiiiiiiiiddddd", trans_movewide},
    {"MOVZ", "z10100101hhiiiiiiiiiiiiiiiiddddd", trans_movewide},
    {"MOVK", "z11100101hhiiiiiiiiiiiiiiiiddddd", trans_movewide},

    /* N must equal sf; for 32 bits immr<5> and imms<5> must be 0. */
    {"SBFM_32", "00010011000rrrrr0iiiiinnnnnddddd", trans_xbfm},
    {"SBFM_64", "1001001101rrrrrriiiiiinnnnnddddd", trans_xbfm},
    {"BFM_32", "00110011000rrrrr0iiiiinnnnnddddd", trans_bfm},
    {"BFM_64", "1011001101rrrrrriiiiiinnnnnddddd", trans_bfm},
    {"UBFM_32", "01010011000rrrrr0iiiiinnnnnddddd", trans_xbfm},
    {"UBFM_64", "1101001101rrrrrriiiiiinnnnnddddd", trans_xbfm},

    {"EXTR_32", "00010011100mmmmm0iiiiinnnnnddddd", trans_extr},
    {"EXTR_64", "10010011110mmmmmiiiiiinnnnnddddd", trans_extr},
    {NULL, NULL, NULL},
};

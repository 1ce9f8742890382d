/* A64 family: loads and stores of one or two registers (general and
 * SIMD&FP): unsigned offset, unscaled, pre/post-index, unprivileged,
 * register offset, literal, pairs, and the prefetch hints. All of them
 * become plain IR address arithmetic plus LD/ST/LDV/STV.
 *
 * Fields: z size (opc of pairs), p opc, i imm, o option, q S (scale the
 * register offset), u Rt2. */
#include "dbt/a64/ldst.h"

/* size/opc/V of the register classes, or SIGILL. */
static bool decode_kind(struct a64_ctx *c, uint32_t insn, struct ldst_kind *k) {
    if (ldst_kind_decode(BITS(insn, 31, 30), BITS(insn, 23, 22), BIT(insn, 26), k) && !k->prefetch)
        return true;
    /* Valid prefetches have their own, more specific rows. */
    a64_unallocated(c);
    return false;
}

/* LDR/STR (immediate, unsigned offset): imm12 scaled by the access size. */
static void trans_uimm(struct a64_ctx *c, uint32_t insn) {
    struct ldst_kind k;
    if (!decode_kind(c, insn, &k)) return;
    int64_t off = (int64_t)BITS(insn, 21, 10) << ldst_scale(&k);
    struct ldst_addr a = ldst_addr_imm(c, BITS(insn, 9, 5), off, LDST_OFFSET);
    ldst_transfer(c, &k, BITS(insn, 4, 0), a.addr);
}

/* LDUR/STUR, LDTR/STTR, and pre/post-index: signed imm9, unscaled.
 * Bits 11:10 choose: 00 unscaled, 01 post, 10 unprivileged, 11 pre. */
static void trans_imm9(struct a64_ctx *c, uint32_t insn) {
    static const enum ldst_index index_of[4] = {LDST_OFFSET, LDST_POST, LDST_OFFSET, LDST_PRE};
    unsigned mode = BITS(insn, 11, 10), rn = BITS(insn, 9, 5);
    struct ldst_kind k;
    if (!decode_kind(c, insn, &k)) return;
    if (k.vec && mode == 2) { /* no SIMD&FP unprivileged forms */
        a64_unallocated(c);
        return;
    }
    enum ldst_index idx = index_of[mode];
    struct ldst_addr a = ldst_addr_imm(c, rn, sext64(BITS(insn, 20, 12), 9), idx);
    ldst_transfer(c, &k, BITS(insn, 4, 0), a.addr);
    ldst_writeback(c, rn, a, idx);
}

/* Rm extended by option (UXTW, LSL, SXTW, SXTX), shifted by `shift` when
 * S is set; false when option<1> == 0 (unallocated). */
static bool reg_offset(struct a64_ctx *c, uint32_t insn, unsigned shift, ir_temp *out) {
    unsigned option = BITS(insn, 15, 13);
    if (!(option & 2)) return false;
    ir_temp off = a64_read_x(c, BITS(insn, 20, 16));
    if (option == 2) off = ir_op1(c->b, IR_ZEXT, 32, off);
    if (option == 6) off = ir_op1(c->b, IR_SEXT, 32, off);
    if (BIT(insn, 12) && shift) off = ir_op2(c->b, IR_SHL, 64, off, ir_const(c->b, shift));
    *out = off;
    return true;
}

/* LDR/STR (register): [Xn, Rm{, extend {#amount}}]. */
static void trans_reg(struct a64_ctx *c, uint32_t insn) {
    struct ldst_kind k;
    ir_temp off;
    if (!decode_kind(c, insn, &k)) return;
    if (!reg_offset(c, insn, ldst_scale(&k), &off)) {
        a64_unallocated(c);
        return;
    }
    ir_temp addr = ir_op2(c->b, IR_ADD, 64, a64_read_xsp(c, BITS(insn, 9, 5)), off);
    ldst_transfer(c, &k, BITS(insn, 4, 0), addr);
}

/* LDR (literal): pc + imm19 * 4. opc: W, X, LDRSW (general); S, D, Q (SIMD&FP). */
static void trans_literal(struct a64_ctx *c, uint32_t insn) {
    unsigned opc = BITS(insn, 31, 30);
    bool vec = BIT(insn, 26);
    struct ldst_kind k = {.load = true, .vec = vec};
    if (vec) {
        if (opc == 3) {
            a64_unallocated(c);
            return;
        }
        k.bits = 32u << opc;
    } else {
        k.bits = opc == 1 ? 64 : 32; /* opc 3 (PRFM) has its own row */
        k.sign = k.sf = opc == 2;
        k.sf |= opc == 1;
    }
    uint64_t target = c->pc + (uint64_t)(sext64(BITS(insn, 23, 5), 19) * 4);
    ldst_transfer(c, &k, BITS(insn, 4, 0), ir_const(c->b, target));
}

/* PRFM/PRFUM: hints only; they never access memory or fault. */
static void trans_prefetch(struct a64_ctx *c, uint32_t insn) {}

static void trans_prefetch_reg(struct a64_ctx *c, uint32_t insn) {
    if (!(BITS(insn, 15, 13) & 2)) a64_unallocated(c); /* option<1> == 0 */
}

const struct a64_row a64_rows_ldst[] = {
    /* Load/store register, general registers (V = 0). */
    {"LDST_uimm", "zz111001 pp iiiiiiiiiiii nnnnn ttttt", trans_uimm},
    {"LDST_unscaled", "zz111000 pp0 iiiiiiiii 00 nnnnn ttttt", trans_imm9},
    {"LDST_post", "zz111000 pp0 iiiiiiiii 01 nnnnn ttttt", trans_imm9},
    {"LDST_unpriv", "zz111000 pp0 iiiiiiiii 10 nnnnn ttttt", trans_imm9},
    {"LDST_pre", "zz111000 pp0 iiiiiiiii 11 nnnnn ttttt", trans_imm9},
    {"LDST_reg", "zz111000 pp1 mmmmm oooq 10 nnnnn ttttt", trans_reg},
    /* The same classes for SIMD&FP registers (V = 1). */
    {"LDSTV_uimm", "zz111101 pp iiiiiiiiiiii nnnnn ttttt", trans_uimm},
    {"LDSTV_unscaled", "zz111100 pp0 iiiiiiiii 00 nnnnn ttttt", trans_imm9},
    {"LDSTV_post", "zz111100 pp0 iiiiiiiii 01 nnnnn ttttt", trans_imm9},
    {"LDSTV_unpriv", "zz111100 pp0 iiiiiiiii 10 nnnnn ttttt", trans_imm9},
    {"LDSTV_pre", "zz111100 pp0 iiiiiiiii 11 nnnnn ttttt", trans_imm9},
    {"LDSTV_reg", "zz111100 pp1 mmmmm oooq 10 nnnnn ttttt", trans_reg},
    /* Prefetch: size 11, opc 10 of the classes above (prfop in Rt). */
    {"PRFM_uimm", "11111001 10 iiiiiiiiiiii nnnnn ttttt", trans_prefetch},
    {"PRFUM", "11111000 100 iiiiiiiii 00 nnnnn ttttt", trans_prefetch},
    {"PRFM_reg", "11111000 101 mmmmm oooq 10 nnnnn ttttt", trans_prefetch_reg},
    /* Load register (literal). */
    {"LDR_lit", "pp011000 iiiiiiiiiiiiiiiiiii ttttt", trans_literal},
    {"LDRV_lit", "pp011100 iiiiiiiiiiiiiiiiiii ttttt", trans_literal},
    {"PRFM_lit", "11011000 iiiiiiiiiiiiiiiiiii ttttt", trans_prefetch},
    /* Load/store pair: bits 24:23 = no-allocate, post, offset, pre. */
    {"STNP", "zz101000 0 0 iiiiiii uuuuu nnnnn ttttt", ldst_trans_pair},
    {"LDNP", "zz101000 0 1 iiiiiii uuuuu nnnnn ttttt", ldst_trans_pair},
    {"STP_post", "zz101000 1 0 iiiiiii uuuuu nnnnn ttttt", ldst_trans_pair},
    {"LDP_post", "zz101000 1 1 iiiiiii uuuuu nnnnn ttttt", ldst_trans_pair},
    {"STP_off", "zz101001 0 0 iiiiiii uuuuu nnnnn ttttt", ldst_trans_pair},
    {"LDP_off", "zz101001 0 1 iiiiiii uuuuu nnnnn ttttt", ldst_trans_pair},
    {"STP_pre", "zz101001 1 0 iiiiiii uuuuu nnnnn ttttt", ldst_trans_pair},
    {"LDP_pre", "zz101001 1 1 iiiiiii uuuuu nnnnn ttttt", ldst_trans_pair},
    {"STNPV", "zz101100 0 0 iiiiiii uuuuu nnnnn ttttt", ldst_trans_pair},
    {"LDNPV", "zz101100 0 1 iiiiiii uuuuu nnnnn ttttt", ldst_trans_pair},
    {"STPV_post", "zz101100 1 0 iiiiiii uuuuu nnnnn ttttt", ldst_trans_pair},
    {"LDPV_post", "zz101100 1 1 iiiiiii uuuuu nnnnn ttttt", ldst_trans_pair},
    {"STPV_off", "zz101101 0 0 iiiiiii uuuuu nnnnn ttttt", ldst_trans_pair},
    {"LDPV_off", "zz101101 0 1 iiiiiii uuuuu nnnnn ttttt", ldst_trans_pair},
    {"STPV_pre", "zz101101 1 0 iiiiiii uuuuu nnnnn ttttt", ldst_trans_pair},
    {"LDPV_pre", "zz101101 1 1 iiiiiii uuuuu nnnnn ttttt", ldst_trans_pair},
    {NULL, NULL, NULL},
};

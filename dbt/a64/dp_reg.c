/* A64 family: data processing -- register (logical and ADD/SUB with
 * shifted or extended register, ADC/SBC, conditional compare and select,
 * 1-, 2- and 3-source operations). */
#include "dbt/a64/a64.h"
#include "dbt/a64/int_arith.h"
#include "dbt/a64/int_crc32.h"

#define RD(insn) BITS(insn, 4, 0)
#define RN(insn) BITS(insn, 9, 5)
#define RM(insn) BITS(insn, 20, 16)

/* opc:N = 0 AND, 1 BIC, 2 ORR, 3 ORN, 4 EOR, 5 EON, 6 ANDS, 7 BICS */
static void trans_logic_reg(struct a64_ctx *c, uint32_t insn) {
    bool sf = BIT(insn, 31);
    unsigned op = (BITS(insn, 30, 29) << 1) | BIT(insn, 21), amount = BITS(insn, 15, 10);
    unsigned sz = a64_width(sf), rn = RN(insn), rd = RD(insn);
    if (!sf && amount >= 32) {
        a64_unallocated(c);
        return;
    }
    ir_temp b = a64_shifted_reg(c, sz, RM(insn), BITS(insn, 23, 22), amount), r;
    if (rn == 31 && op == 2) {
        /* MOV (register) */
        a64_write_x(c, rd, b, sf || amount != 0);
        return;
    }
    if (rn == 31 && op == 3) {
        r = ir_op1(c->b, IR_NOT, sz, b); /* MVN */
    } else {
        static const enum ir_opcode ops[8] = {IR_AND, IR_ANDN, IR_OR,  IR_ORN,
                                              IR_XOR, IR_XOR,  IR_AND, IR_ANDN};
        if (op == 5) b = ir_op1(c->b, IR_NOT, sz, b); /* EON */
        r = ir_op2(c->b, ops[op], sz, a64_read_x(c, rn), b);
    }
    if (op >= 6) a64_write_nzcv(c, ir_op1(c->b, IR_FLAGS_NZ, sz, r));
    a64_write_x_clean(c, rd, r);
}

static void addsub_emit(struct a64_ctx *c, uint32_t insn, ir_temp a, ir_temp b, bool rd_is_sp) {
    bool sf = BIT(insn, 31), sub = BIT(insn, 30), setflags = BIT(insn, 29);
    unsigned sz = a64_width(sf), rd = RD(insn);
    if (setflags) {
        a64_set_addsub_flags(c, sz, sub, a, sub ? ir_op1(c->b, IR_NOT, 64, b) : b);
        if (rd == 31) return; /* CMP/CMN */
    }
    ir_temp r = ir_op2(c->b, sub ? IR_SUB : IR_ADD, sz, a, b);
    if (rd_is_sp && !setflags)
        a64_write_xsp_clean(c, rd, r);
    else
        a64_write_x_clean(c, rd, r);
}

static void trans_addsub_shifted(struct a64_ctx *c, uint32_t insn) {
    bool sf = BIT(insn, 31);
    unsigned type = BITS(insn, 23, 22), amount = BITS(insn, 15, 10);
    if (type == 3 || (!sf && amount >= 32)) {
        a64_unallocated(c);
        return;
    }
    ir_temp b = a64_shifted_reg(c, a64_width(sf), RM(insn), type, amount);
    addsub_emit(c, insn, a64_read_x(c, RN(insn)), b, false);
}

static void trans_addsub_extended(struct a64_ctx *c, uint32_t insn) {
    unsigned amount = BITS(insn, 12, 10);
    if (amount > 4) {
        a64_unallocated(c);
        return;
    }
    ir_temp b = a64_extended_reg(c, a64_width(BIT(insn, 31)), RM(insn), BITS(insn, 15, 13), amount);
    addsub_emit(c, insn, a64_read_xsp(c, RN(insn)), b, true);
}

/* ADC, ADCS, SBC, SBCS: SBC is Rn + ~Rm + C. */
static void trans_adc(struct a64_ctx *c, uint32_t insn) {
    bool sf = BIT(insn, 31), sub = BIT(insn, 30), setflags = BIT(insn, 29);
    unsigned sz = a64_width(sf);
    ir_temp a = a64_read_x(c, RN(insn)), b = a64_read_x(c, RM(insn));
    if (sub) b = ir_op1(c->b, IR_NOT, 64, b);
    ir_temp carry = a64_read_carry(c);
    if (setflags) a64_write_nzcv(c, ir_op3(c->b, IR_FLAGS_ADC, sz, a, b, carry));
    a64_write_x_clean(c, RD(insn), ir_op3(c->b, IR_ADC, sz, a, b, carry));
}

/* CCMN/CCMP, register or 5-bit immediate: flags of Rn +/- op2 if the
 * condition holds, else the immediate nzcv. */
static void trans_ccmp(struct a64_ctx *c, uint32_t insn) {
    bool sf = BIT(insn, 31), sub = BIT(insn, 30), is_imm = BIT(insn, 11);
    unsigned sz = a64_width(sf), cond = BITS(insn, 15, 12);
    ir_temp a = a64_read_x(c, RN(insn)), not_b;
    if (is_imm) {
        uint64_t imm = BITS(insn, 20, 16);
        not_b = ir_const(c->b, sub ? ~imm : imm);
    } else {
        ir_temp b = a64_read_x(c, RM(insn));
        not_b = sub ? ir_op1(c->b, IR_NOT, 64, b) : b;
    }
    ir_temp flags = ir_op3(c->b, IR_FLAGS_ADC, sz, a, not_b, ir_const(c->b, sub ? 1 : 0));
    if (cond < 14) {
        ir_temp holds = ir_op1i(c->b, IR_COND, 32, a64_read_nzcv(c), cond);
        ir_temp fallback = ir_const(c->b, (uint64_t)BITS(insn, 3, 0) << 28);
        flags = ir_op3(c->b, IR_SELECT, 64, holds, flags, fallback);
    }
    a64_write_nzcv(c, flags);
}

/* op:o2 = 0 CSEL, 1 CSINC, 2 CSINV, 3 CSNEG */
static void trans_csel(struct a64_ctx *c, uint32_t insn) {
    bool sf = BIT(insn, 31);
    unsigned op = (BIT(insn, 30) << 1) | BIT(insn, 10), cond = BITS(insn, 15, 12);
    unsigned sz = a64_width(sf), rn = RN(insn), rm = RM(insn), rd = RD(insn);
    if (cond >= 14) { /* AL and NV: always Rn */
        a64_write_x(c, rd, a64_read_x(c, rn), sf);
        return;
    }
    if (rn == 31 && rm == 31 && (op == 1 || op == 2)) {
        /* CSET / CSETM: 1 or all-ones when the inverted condition holds */
        ir_temp r = ir_op1i(c->b, IR_COND, 32, a64_read_nzcv(c), cond ^ 1);
        if (op == 2) r = ir_op1(c->b, IR_NEG, sz, r);
        a64_write_x_clean(c, rd, r);
        return;
    }
    ir_temp b = a64_read_x(c, rm);
    switch (op) {
    case 1: b = ir_op2(c->b, IR_ADD, sz, b, ir_const(c->b, 1)); break;
    case 2: b = ir_op1(c->b, IR_NOT, sz, b); break;
    case 3: b = ir_op1(c->b, IR_NEG, sz, b); break;
    default: break;
    }
    ir_temp holds = ir_op1i(c->b, IR_COND, 32, a64_read_nzcv(c), cond);
    a64_write_x(c, rd, ir_op3(c->b, IR_SELECT, 64, holds, a64_read_x(c, rn), b), sf);
}

/* RBIT, REV16, REV32, REV, CLZ, CLS: one IR op each, at the row's width. */
static void trans_dp1(struct a64_ctx *c, uint32_t insn) {
    static const enum ir_opcode ops[6] = {IR_RBIT, IR_REV16, IR_REV, IR_REV, IR_CLZ, IR_CLS};
    bool sf = BIT(insn, 31);
    unsigned opcode = BITS(insn, 15, 10);
    /* opcode 2 is REV32 for X registers, REV for W registers */
    enum ir_opcode op = (opcode == 2 && sf) ? IR_REV32 : ops[opcode];
    a64_write_x_clean(c, RD(insn), ir_op1(c->b, op, a64_width(sf), a64_read_x(c, RN(insn))));
}

/* UDIV, SDIV, LSLV, LSRV, ASRV, RORV: one IR op each (the IR shift ops
 * already take the amount modulo the width, as the Arm ARM does). */
static void trans_dp2(struct a64_ctx *c, uint32_t insn) {
    enum ir_opcode op;
    switch (BITS(insn, 15, 10)) {
    case 2: op = IR_UDIV; break;
    case 3: op = IR_SDIV; break;
    case 8: op = IR_SHL; break;
    case 9: op = IR_LSR; break;
    case 10: op = IR_ASR; break;
    default: op = IR_ROR; break;
    }
    ir_temp r = ir_op2(c->b, op, a64_width(BIT(insn, 31)), a64_read_x(c, RN(insn)),
                       a64_read_x(c, RM(insn)));
    a64_write_x_clean(c, RD(insn), r);
}

static uint64_t helper_crc32(struct cpu *cpu, uint64_t insn, uint64_t acc, uint64_t data,
                             uint64_t unused) {
    unsigned bytes = 1u << BITS((uint32_t)insn, 11, 10);
    return a64_crc32_update((uint32_t)acc, data, bytes, BIT((uint32_t)insn, 12));
}

static void trans_crc32(struct a64_ctx *c, uint32_t insn) {
    ir_temp r =
        a64_call_insn(c, helper_crc32, a64_read_x(c, RN(insn)), a64_read_x(c, RM(insn)), IR_ZERO);
    a64_write_x_clean(c, RD(insn), r);
}

/* MADD, MSUB (MUL, MNEG when Ra is XZR). */
static void trans_madd(struct a64_ctx *c, uint32_t insn) {
    bool sf = BIT(insn, 31), sub = BIT(insn, 15);
    unsigned sz = a64_width(sf), ra = BITS(insn, 14, 10);
    ir_temp prod = ir_op2(c->b, IR_MUL, sz, a64_read_x(c, RN(insn)), a64_read_x(c, RM(insn)));
    ir_temp r;
    if (ra == 31)
        r = sub ? ir_op1(c->b, IR_NEG, sz, prod) : prod;
    else
        r = ir_op2(c->b, sub ? IR_SUB : IR_ADD, sz, a64_read_x(c, ra), prod);
    a64_write_x_clean(c, RD(insn), r);
}

/* SMADDL, SMSUBL, UMADDL, UMSUBL: Xa +/- Wn * Wm widened (SMULL, UMULL...). */
static void trans_maddl(struct a64_ctx *c, uint32_t insn) {
    bool is_unsigned = BIT(insn, 23), sub = BIT(insn, 15);
    unsigned ra = BITS(insn, 14, 10);
    enum ir_opcode ext = is_unsigned ? IR_ZEXT : IR_SEXT;
    ir_temp n = ir_op1(c->b, ext, 32, a64_read_x(c, RN(insn)));
    ir_temp m = ir_op1(c->b, ext, 32, a64_read_x(c, RM(insn)));
    ir_temp prod = ir_op2(c->b, IR_MUL, 64, n, m), r;
    if (ra == 31)
        r = sub ? ir_op1(c->b, IR_NEG, 64, prod) : prod;
    else
        r = ir_op2(c->b, sub ? IR_SUB : IR_ADD, 64, a64_read_x(c, ra), prod);
    a64_write_x_clean(c, RD(insn), r);
}

static void trans_mulh(struct a64_ctx *c, uint32_t insn) {
    enum ir_opcode op = BIT(insn, 23) ? IR_UMULH : IR_SMULH;
    ir_temp r = ir_op2(c->b, op, 64, a64_read_x(c, RN(insn)), a64_read_x(c, RM(insn)));
    a64_write_x_clean(c, RD(insn), r);
}

/* Field letters: d Rd, n Rn, m Rm, a Ra, z sf, h shift type, i shift
 * amount or immediate, o extend option, c condition, f the nzcv value. */
const struct a64_row a64_rows_dp_reg[] = {
    {"AND_reg", "z0001010hh0mmmmmiiiiiinnnnnddddd", trans_logic_reg},
    {"BIC_reg", "z0001010hh1mmmmmiiiiiinnnnnddddd", trans_logic_reg},
    {"ORR_reg", "z0101010hh0mmmmmiiiiiinnnnnddddd", trans_logic_reg},
    {"ORN_reg", "z0101010hh1mmmmmiiiiiinnnnnddddd", trans_logic_reg},
    {"EOR_reg", "z1001010hh0mmmmmiiiiiinnnnnddddd", trans_logic_reg},
    {"EON_reg", "z1001010hh1mmmmmiiiiiinnnnnddddd", trans_logic_reg},
    {"ANDS_reg", "z1101010hh0mmmmmiiiiiinnnnnddddd", trans_logic_reg},
    {"BICS_reg", "z1101010hh1mmmmmiiiiiinnnnnddddd", trans_logic_reg},

    {"ADD_shifted", "z0001011hh0mmmmmiiiiiinnnnnddddd", trans_addsub_shifted},
    {"ADDS_shifted", "z0101011hh0mmmmmiiiiiinnnnnddddd", trans_addsub_shifted},
    {"SUB_shifted", "z1001011hh0mmmmmiiiiiinnnnnddddd", trans_addsub_shifted},
    {"SUBS_shifted", "z1101011hh0mmmmmiiiiiinnnnnddddd", trans_addsub_shifted},

    {"ADD_extended", "z0001011001mmmmmoooiiinnnnnddddd", trans_addsub_extended},
    {"ADDS_extended", "z0101011001mmmmmoooiiinnnnnddddd", trans_addsub_extended},
    {"SUB_extended", "z1001011001mmmmmoooiiinnnnnddddd", trans_addsub_extended},
    {"SUBS_extended", "z1101011001mmmmmoooiiinnnnnddddd", trans_addsub_extended},

    {"ADC", "z0011010000mmmmm000000nnnnnddddd", trans_adc},
    {"ADCS", "z0111010000mmmmm000000nnnnnddddd", trans_adc},
    {"SBC", "z1011010000mmmmm000000nnnnnddddd", trans_adc},
    {"SBCS", "z1111010000mmmmm000000nnnnnddddd", trans_adc},

    {"CCMN_reg", "z0111010010mmmmmcccc00nnnnn0ffff", trans_ccmp},
    {"CCMP_reg", "z1111010010mmmmmcccc00nnnnn0ffff", trans_ccmp},
    {"CCMN_imm", "z0111010010iiiiicccc10nnnnn0ffff", trans_ccmp},
    {"CCMP_imm", "z1111010010iiiiicccc10nnnnn0ffff", trans_ccmp},

    {"CSEL", "z0011010100mmmmmcccc00nnnnnddddd", trans_csel},
    {"CSINC", "z0011010100mmmmmcccc01nnnnnddddd", trans_csel},
    {"CSINV", "z1011010100mmmmmcccc00nnnnnddddd", trans_csel},
    {"CSNEG", "z1011010100mmmmmcccc01nnnnnddddd", trans_csel},

    {"RBIT", "z101101011000000000000nnnnnddddd", trans_dp1},
    {"REV16", "z101101011000000000001nnnnnddddd", trans_dp1},
    {"REV_32", "0101101011000000000010nnnnnddddd", trans_dp1},
    {"REV32", "1101101011000000000010nnnnnddddd", trans_dp1},
    {"REV_64", "1101101011000000000011nnnnnddddd", trans_dp1},
    {"CLZ", "z101101011000000000100nnnnnddddd", trans_dp1},
    {"CLS", "z101101011000000000101nnnnnddddd", trans_dp1},

    {"UDIV", "z0011010110mmmmm000010nnnnnddddd", trans_dp2},
    {"SDIV", "z0011010110mmmmm000011nnnnnddddd", trans_dp2},
    {"LSLV", "z0011010110mmmmm001000nnnnnddddd", trans_dp2},
    {"LSRV", "z0011010110mmmmm001001nnnnnddddd", trans_dp2},
    {"ASRV", "z0011010110mmmmm001010nnnnnddddd", trans_dp2},
    {"RORV", "z0011010110mmmmm001011nnnnnddddd", trans_dp2},

    {"CRC32B", "00011010110mmmmm010000nnnnnddddd", trans_crc32},
    {"CRC32H", "00011010110mmmmm010001nnnnnddddd", trans_crc32},
    {"CRC32W", "00011010110mmmmm010010nnnnnddddd", trans_crc32},
    {"CRC32X", "10011010110mmmmm010011nnnnnddddd", trans_crc32},
    {"CRC32CB", "00011010110mmmmm010100nnnnnddddd", trans_crc32},
    {"CRC32CH", "00011010110mmmmm010101nnnnnddddd", trans_crc32},
    {"CRC32CW", "00011010110mmmmm010110nnnnnddddd", trans_crc32},
    {"CRC32CX", "10011010110mmmmm010111nnnnnddddd", trans_crc32},

    {"MADD", "z0011011000mmmmm0aaaaannnnnddddd", trans_madd},
    {"MSUB", "z0011011000mmmmm1aaaaannnnnddddd", trans_madd},
    {"SMADDL", "10011011001mmmmm0aaaaannnnnddddd", trans_maddl},
    {"SMSUBL", "10011011001mmmmm1aaaaannnnnddddd", trans_maddl},
    {"SMULH", "10011011010mmmmm0-----nnnnnddddd", trans_mulh},
    {"UMADDL", "10011011101mmmmm0aaaaannnnnddddd", trans_maddl},
    {"UMSUBL", "10011011101mmmmm1aaaaannnnnddddd", trans_maddl},
    {"UMULH", "10011011110mmmmm0-----nnnnnddddd", trans_mulh},
    {NULL, NULL, NULL},
};

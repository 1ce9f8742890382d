/* Lowering of the integer IR ops: everything inline. Operands are
 * resolved to host registers (or a 32-bit immediate) before the result
 * register is picked, so a result may reuse the register of an operand
 * that dies here; RAX/RCX/RDX are scratch. 32-bit ops use 32-bit host
 * ops, which zero-extend like the IR requires. */
#include "common/log.h"
#include "dbt/interp_ops.h"
#include "dbt/jit/jit_internal.h"

/* Immediate form of operand t for an op of width sz (a 32-bit op only
 * sees the low 32 bits, so any constant fits). */
static bool imm_sz(struct jit_ctx *c, ir_temp t, unsigned sz, int32_t *imm) {
    const struct jit_tval *v = &c->t[t];
    if (v->is_const && sz == 32) {
        *imm = (int32_t)(uint32_t)v->c;
        return true;
    }
    return ra_imm32(c, t, imm);
}

/* Temp t is in a register and dies at the current insn (ra_def can
 * reuse its register for the result). */
static bool dies_in_reg(const struct jit_ctx *c, ir_temp t) {
    const struct jit_tval *v = &c->t[t];
    return c->regalloc && t != IR_ZERO && v->alias < 0 && !v->is_const &&
           v->last_use == (int32_t)c->cur;
}

/* The operand whose register the result of a commutative op reuses:
 * a[1] when only it dies here (saves the copy of a[0]). */
static int reuse_operand(const struct jit_ctx *c, const struct ir_insn *i) {
    return !dies_in_reg(c, i->a[0]) && dies_in_reg(c, i->a[1]) && i->a[0] != i->a[1];
}

static void binop(struct jit_ctx *c, const struct ir_insn *i, enum x86_alu op) {
    bool w = i->sz == 64;
    int32_t imm;
    int ra = ra_reg(c, i->a[0]);
    bool bi = imm_sz(c, i->a[1], i->sz, &imm);
    int rb = bi ? -1 : ra_reg(c, i->a[1]);
    if (!bi && op != ALU_SUB && reuse_operand(c, i)) {
        int d = ra_def(c, i->dst, i->a[1]);
        if (d != rb) x86_mov_rr(c->buf, w, d, rb);
        x86_alu_rr(c->buf, op, w, d, ra);
        return;
    }
    int d = ra_def(c, i->dst, i->a[0]);
    if (d != ra && bi && w && (op == ALU_ADD || (op == ALU_SUB && imm != INT32_MIN))) {
        /* The source stays live: one lea instead of mov + add. */
        x86_lea(c->buf, d, x86_mem(ra, op == ALU_ADD ? imm : -imm));
        return;
    }
    if (d != ra) x86_mov_rr(c->buf, w, d, ra);
    if (bi)
        x86_alu_ri(c->buf, op, w, d, imm);
    else
        x86_alu_rr(c->buf, op, w, d, rb);
}

/* ADD as one lea (switch SHOAL_JIT_DISABLE=lea): of a SHL by 1-3 that
 * only it uses (jit.c find_lea_fuses: d = a + (x << n) is lea d,
 * [a + x * 2^n], the SHL is not lowered), or of two registers that both
 * stay live (lea d, [a + b] instead of mov + add). A 32-bit lea keeps the
 * low 32 bits of the sum, zero-extended, as the IR wants. False: not
 * this case. */
static bool add_lea(struct jit_ctx *c, const struct ir_insn *i) {
    int32_t s = c->lea_fuse ? c->lea_fuse[c->cur] : -1;
    if (s >= 0) {
        const struct ir_insn *sh = &c->b->insns[s];
        ir_temp base = i->a[0] == sh->dst ? i->a[1] : i->a[0];
        int rx = ra_reg(c, sh->a[0]);
        int ra = ra_reg(c, base);
        int d = ra_def(c, i->dst, dies_in_reg(c, base) ? base : sh->a[0]);
        struct x86_mem m = {(int8_t)ra, (int8_t)rx, (uint8_t)(1u << c->t[sh->a[1]].c), 0};
        if (i->sz == 64)
            x86_lea(c->buf, d, m);
        else
            x86_lea32(c->buf, d, m);
        return true;
    }
    if (!c->lea || !c->regalloc || dies_in_reg(c, i->a[0]) || dies_in_reg(c, i->a[1]) ||
        c->t[i->a[1]].is_const || c->t[i->a[0]].is_const)
        return false;
    int ra = ra_reg(c, i->a[0]);
    int rb = ra_reg(c, i->a[1]);
    int d = ra_def(c, i->dst, -1); /* a fresh register: neither operand dies here */
    if (i->sz == 64)
        x86_lea(c->buf, d, x86_mem_idx(ra, rb, 0));
    else
        x86_lea32(c->buf, d, x86_mem_idx(ra, rb, 0));
    return true;
}

/* a & ~b, a | ~b: through RAX, so operands may share registers. */
static void binop_not(struct jit_ctx *c, const struct ir_insn *i, enum x86_alu op) {
    bool w = i->sz == 64;
    int ra = ra_reg(c, i->a[0]);
    int rb = ra_reg(c, i->a[1]);
    x86_mov_rr(c->buf, w, RAX, rb);
    x86_unary(c->buf, UN_NOT, w, RAX);
    x86_alu_rr(c->buf, op, w, RAX, ra);
    int d = ra_def(c, i->dst, i->a[0]);
    x86_mov_rr(c->buf, w, d, RAX);
}

static void unop(struct jit_ctx *c, const struct ir_insn *i, enum x86_unary op) {
    bool w = i->sz == 64;
    int ra = ra_reg(c, i->a[0]);
    int d = ra_def(c, i->dst, i->a[0]);
    x86_mov_rr(c->buf, w, d, ra);
    x86_unary(c->buf, op, w, d);
}

static void shift(struct jit_ctx *c, const struct ir_insn *i, enum x86_shift op) {
    bool w = i->sz == 64;
    int32_t imm;
    int ra = ra_reg(c, i->a[0]);
    if (ra_imm32(c, i->a[1], &imm)) {
        int d = ra_def(c, i->dst, i->a[0]);
        x86_mov_rr(c->buf, w, d, ra);
        uint8_t n = (uint8_t)(c->t[i->a[1]].c & (i->sz - 1));
        if (n) x86_shift_ri(c->buf, op, w, d, n);
        return;
    }
    int rb = ra_reg(c, i->a[1]);
    x86_mov_rr(c->buf, false, RCX, rb);
    int d = ra_def(c, i->dst, i->a[0]);
    x86_mov_rr(c->buf, w, d, ra);
    x86_shift_cl(c->buf, op, w, d); /* the host masks the count like the IR */
}

static struct x86_mem lea2(int base, int index) {
    return (struct x86_mem){(int8_t)base, (int8_t)index, 2, 0};
}

/* d = a + b + (c & 1) and, for FLAGS_ADC, the Arm NZCV of it: the host
 * flags after ADC are exactly Arm's (C of a + ~b + 1 is NOT borrow, as the
 * frontend lowers subtraction), packed as (8N + 4Z + 2C + V) << 28. */
static void adc(struct jit_ctx *c, const struct ir_insn *i, bool flags) {
    bool w = i->sz == 64;
    int32_t imm;
    int ra = ra_reg(c, i->a[0]);
    bool bi = imm_sz(c, i->a[1], i->sz, &imm);
    int rb = bi ? -1 : ra_reg(c, i->a[1]);
    const struct jit_tval *cv = &c->t[i->a[2]];
    int rc = cv->is_const ? -1 : ra_reg(c, i->a[2]);
    int d = ra_def(c, i->dst, i->a[0]);
    bool pext = flags && (c->features & (JIT_F_BMI2 | JIT_F_LAHF)) == (JIT_F_BMI2 | JIT_F_LAHF);
    if (pext) x86_mov_ri(c->buf, RCX, 0xc101);
    if (flags && !pext) {
        x86_alu_rr(c->buf, ALU_XOR, false, RAX, RAX);
        x86_alu_rr(c->buf, ALU_XOR, false, RCX, RCX);
        x86_alu_rr(c->buf, ALU_XOR, false, RDX, RDX);
    }
    x86_mov_rr(c->buf, w, d, ra);
    if (rc >= 0)
        x86_bt_ri(c->buf, true, rc, 0);
    else if (cv->c & 1)
        x86_stc(c->buf);
    else
        x86_clc(c->buf);
    if (bi)
        x86_alu_ri(c->buf, ALU_ADC, w, d, imm);
    else
        x86_alu_rr(c->buf, ALU_ADC, w, d, rb);
    if (!flags) return;
    if (pext) {
        /* AH = SF ZF - AF - PF 1 CF, AL = OF: bits 15 14 8 0 of EAX are
         * N Z C V, which pext packs into the Arm nibble order. */
        x86_lahf(c->buf);
        x86_setcc(c->buf, CC_O, RAX);
        x86_vex_rrr(c->buf, 2, 2, false, 0xf5, d, RAX, RCX); /* pext d, eax, ecx */
        x86_shift_ri(c->buf, SH_SHL, false, d, 28);
        return;
    }
    x86_setcc(c->buf, CC_S, RAX);
    x86_setcc(c->buf, CC_E, RCX);
    x86_setcc(c->buf, CC_B, RDX);
    x86_setcc(c->buf, CC_O, d);
    x86_movzx(c->buf, 8, d, d);
    x86_lea(c->buf, RAX, lea2(RCX, RAX));
    x86_lea(c->buf, RAX, lea2(RDX, RAX));
    x86_lea(c->buf, d, lea2(d, RAX));
    x86_shift_ri(c->buf, SH_SHL, false, d, 28);
}

/* d = the Arm NZCV of the host flags a `cmp a, b` just set, as
 * (8N + 4Z + 2C + V) << 28 (Arm C is the complement of the borrow). Needs
 * BMI2 and LAHF; clobbers RAX and RCX, not the flags it reads first: AH =
 * SF ZF - AF - PF 1 CF, AL = OF, bits 15 14 8 0 of EAX are N Z C V, which
 * pext packs into the Arm nibble order. */
void jit_pack_sub_nzcv(struct x86_buf *b, int d) {
    x86_mov_ri(b, RCX, 0xc101); /* a mov leaves the flags alone */
    x86_lahf(b);
    x86_setcc(b, CC_O, RAX);
    x86_vex_rrr(b, 2, 2, false, 0xf5, d, RAX, RCX); /* pext d, eax, ecx */
    x86_alu_ri(b, ALU_XOR, false, d, 2);
    x86_shift_ri(b, SH_SHL, false, d, 28);
}

/* NZCV of a - b: one cmp, whose CF is the borrow (Arm C is its
 * complement: flipped after packing). */
static void flags_sub(struct jit_ctx *c, const struct ir_insn *i) {
    struct x86_buf *b = c->buf;
    bool w = i->sz == 64;
    int32_t imm;
    int ra = ra_reg(c, i->a[0]);
    bool bi = imm_sz(c, i->a[1], i->sz, &imm);
    int rb = bi ? -1 : ra_reg(c, i->a[1]);
    int d = ra_def(c, i->dst, -1);
    bool pext = (c->features & (JIT_F_BMI2 | JIT_F_LAHF)) == (JIT_F_BMI2 | JIT_F_LAHF);
    if (!pext) {
        x86_alu_rr(b, ALU_XOR, false, RAX, RAX);
        x86_alu_rr(b, ALU_XOR, false, RCX, RCX);
        x86_alu_rr(b, ALU_XOR, false, RDX, RDX);
        x86_alu_rr(b, ALU_XOR, false, d, d);
    }
    if (bi)
        x86_alu_ri(b, ALU_CMP, w, ra, imm);
    else
        x86_alu_rr(b, ALU_CMP, w, ra, rb);
    if (pext) {
        jit_pack_sub_nzcv(b, d);
        return;
    }
    x86_setcc(b, CC_S, RAX);
    x86_setcc(b, CC_E, RCX);
    x86_setcc(b, CC_AE, RDX);
    x86_setcc(b, CC_O, d);
    x86_lea(b, RAX, lea2(RCX, RAX));
    x86_lea(b, RAX, lea2(RDX, RAX));
    x86_lea(b, d, lea2(d, RAX));
    x86_shift_ri(b, SH_SHL, false, d, 28);
}

static void flags_nz(struct jit_ctx *c, const struct ir_insn *i) {
    bool w = i->sz == 64;
    int ra = ra_reg(c, i->a[0]);
    if (c->features & JIT_F_LAHF) {
        /* SF, ZF are AH bits 7, 6: EAX bits 15, 14 -> 31, 30. */
        x86_test_rr(c->buf, w, ra, ra);
        x86_lahf(c->buf);
        x86_alu_ri(c->buf, ALU_AND, false, RAX, 0xc000);
        x86_shift_ri(c->buf, SH_SHL, false, RAX, 16);
        int d = ra_def(c, i->dst, i->a[0]);
        x86_mov_rr(c->buf, false, d, RAX);
        return;
    }
    x86_alu_rr(c->buf, ALU_XOR, false, RAX, RAX);
    x86_alu_rr(c->buf, ALU_XOR, false, RCX, RCX);
    x86_test_rr(c->buf, w, ra, ra);
    x86_setcc(c->buf, CC_S, RAX);
    x86_setcc(c->buf, CC_E, RCX);
    x86_lea(c->buf, RAX, lea2(RCX, RAX));
    x86_shift_ri(c->buf, SH_SHL, false, RAX, 30);
    int d = ra_def(c, i->dst, i->a[0]);
    x86_mov_rr(c->buf, false, d, RAX);
}

/* Arm ConditionHolds(cond) on NZCV in PSTATE layout, into EAX. */
static void cond(struct jit_ctx *c, const struct ir_insn *i) {
    unsigned cc = (unsigned)i->imm & 15;
    int ra = ra_reg(c, i->a[0]);
    struct x86_buf *b = c->buf;
    bool invert = (cc & 1) && cc != 15;
    switch (cc >> 1) {
    case 0:
    case 1:
    case 2:
    case 3: {
        static const uint8_t bit[4] = {30, 29, 31, 28}; /* Z, C, N, V */
        x86_alu_rr(b, ALU_XOR, false, RAX, RAX);
        x86_bt_ri(b, false, ra, bit[cc >> 1]);
        x86_setcc(b, invert ? CC_AE : CC_B, RAX);
        invert = false;
        break;
    }
    case 4: /* HI: C && !Z */
        x86_mov_rr(b, false, RAX, ra);
        x86_shift_ri(b, SH_SHR, false, RAX, 29);
        x86_alu_ri(b, ALU_AND, false, RAX, 3);
        x86_alu_ri(b, ALU_CMP, false, RAX, 1);
        x86_setcc(b, invert ? CC_NE : CC_E, RAX);
        x86_movzx(b, 8, RAX, RAX);
        invert = false;
        break;
    case 5: /* GE: N == V */
    case 6: /* GT: N == V && !Z */
        x86_mov_rr(b, false, RAX, ra);
        x86_shift_ri(b, SH_SHR, false, RAX, 28);
        x86_mov_rr(b, false, RCX, RAX);
        x86_shift_ri(b, SH_SHR, false, RCX, 3);
        x86_alu_rr(b, ALU_XOR, false, RCX, RAX); /* bit 0: N != V */
        if ((cc >> 1) == 6) {
            x86_shift_ri(b, SH_SHR, false, RAX, 2); /* bit 0: Z */
            x86_alu_rr(b, ALU_OR, false, RCX, RAX);
        }
        x86_alu_ri(b, ALU_AND, false, RCX, 1);
        x86_mov_rr(b, false, RAX, RCX);
        invert = !invert; /* computed LT / LE */
        break;
    default:
        x86_mov_ri(b, RAX, 1);
        invert = false;
        break;
    }
    if (invert) x86_alu_ri(b, ALU_XOR, false, RAX, 1);
    int d = ra_def(c, i->dst, i->a[0]);
    x86_mov_rr(b, false, d, RAX);
}

/* Sets the host flags for CONDSUB / CONDADD / COND insn i and returns the x86
 * condition equal to Arm's, or -1 for HI/LS after an addition (x86 has
 * no "carry and not zero"). After cmp a, b the host CF is the borrow, Arm
 * C its complement; after add/adc the host CF is Arm C. N, Z, V are SF,
 * ZF, OF in both. Operand registers are resolved first: materialising a
 * constant or loading a spill never touches the flags, but keep it out
 * of the way anyway. */
/* Host flags for Arm condition cc (< 14) of the NZCV value in register
 * ra (a COND of cpu->nzcv as loaded: the flags came from another block);
 * returns the x86 condition that holds exactly when cc does. */
static int cond_nzcv_flags(struct jit_ctx *c, int ra, unsigned cc) {
    static const uint8_t bit[4] = {30, 29, 31, 28}; /* Z, C, N, V */
    struct x86_buf *b = c->buf;
    bool inv = cc & 1;
    switch (cc >> 1) {
    case 4: /* HI: C && !Z */
        x86_mov_rr(b, false, RAX, ra);
        x86_alu_ri(b, ALU_AND, false, RAX, 0x60000000);
        x86_alu_ri(b, ALU_CMP, false, RAX, 0x20000000);
        return inv ? CC_NE : CC_E;
    case 5: /* GE: N == V; the xor's SF is N ^ V */
        x86_mov_rr(b, false, RAX, ra);
        x86_shift_ri(b, SH_SHL, false, RAX, 3);
        x86_alu_rr(b, ALU_XOR, false, RAX, ra);
        return inv ? CC_S : CC_NS;
    case 6: /* GT: N == V && !Z */
        x86_mov_rr(b, false, RAX, ra);
        x86_shift_ri(b, SH_SHL, false, RAX, 3);
        x86_alu_rr(b, ALU_XOR, false, RAX, ra);
        x86_alu_ri(b, ALU_AND, false, RAX, (int32_t)0x80000000u);
        x86_mov_rr(b, false, RCX, ra);
        x86_alu_ri(b, ALU_AND, false, RCX, 0x40000000);
        x86_alu_rr(b, ALU_OR, false, RAX, RCX);
        return inv ? CC_NE : CC_E;
    default: /* EQ CS MI VS: one flag bit, CF after bt */
        x86_bt_ri(b, false, ra, bit[cc >> 1]);
        return inv ? CC_AE : CC_B;
    }
}

int lower_cond_flags(struct jit_ctx *c, const struct ir_insn *i) {
    static const int8_t sub_cc[14] = {CC_E,  CC_NE, CC_AE, CC_B,  CC_S, CC_NS, CC_O,
                                      CC_NO, CC_A,  CC_BE, CC_GE, CC_L, CC_G,  CC_LE};
    static const int8_t add_cc[14] = {CC_E,  CC_NE, CC_B, CC_AE, CC_S, CC_NS, CC_O,
                                      CC_NO, -1,    -1,   CC_GE, CC_L, CC_G,  CC_LE};
    struct x86_buf *b = c->buf;
    bool w = i->sz == 64;
    unsigned cc = (unsigned)i->imm;
    int32_t imm;
    if (i->op == IR_COND && nz_in_temp(c, i->a[0])) return nz_in_cond(c, cc & 15);
    int ra = ra_reg(c, i->a[0]);
    if (i->op == IR_COND) return cond_nzcv_flags(c, ra, cc & 15);
    if (i->op == IR_SETEQ || i->op == IR_SETNE) {
        /* whole registers, as the op compares them (below) */
        if (!ra_imm32(c, i->a[1], &imm))
            x86_alu_rr(b, ALU_CMP, true, ra, ra_reg(c, i->a[1]));
        else if (imm)
            x86_alu_ri(b, ALU_CMP, true, ra, imm);
        else
            x86_test_rr(b, true, ra, ra);
        return i->op == IR_SETEQ ? CC_E : CC_NE;
    }
    bool bi = imm_sz(c, i->a[1], i->sz, &imm);
    int rb = bi ? -1 : ra_reg(c, i->a[1]);
    if (i->op == IR_CONDSUB) {
        if (bi)
            x86_alu_ri(b, ALU_CMP, w, ra, imm);
        else
            x86_alu_rr(b, ALU_CMP, w, ra, rb);
        return sub_cc[cc];
    }
    const struct jit_tval *cv = &c->t[i->a[2]];
    int rc = cv->is_const ? -1 : ra_reg(c, i->a[2]);
    if (bi && imm == 0 && rc < 0 && !(cv->c & 1)) {
        x86_test_rr(b, w, ra, ra); /* CF = OF = 0 */
        return add_cc[cc];
    }
    x86_mov_rr(b, w, RAX, ra);
    if (rc >= 0)
        x86_bt_ri(b, true, rc, 0);
    else if (cv->c & 1)
        x86_stc(b);
    else
        x86_clc(b);
    if (bi)
        x86_alu_ri(b, ALU_ADC, w, RAX, imm);
    else
        x86_alu_rr(b, ALU_ADC, w, RAX, rb);
    return add_cc[cc];
}

static void cond_fused(struct jit_ctx *c, const struct ir_insn *i) {
    struct x86_buf *b = c->buf;
    int cc = lower_cond_flags(c, i);
    if (cc >= 0) {
        x86_setcc(b, (enum x86_cc)cc, RCX);
    } else { /* HI = C && !Z, LS = !C || Z */
        bool hi = i->imm == 8;
        x86_setcc(b, hi ? CC_B : CC_AE, RCX);
        x86_setcc(b, hi ? CC_NE : CC_E, RDX);
        x86_alu_rr(b, hi ? ALU_AND : ALU_OR, false, RCX, RDX);
    }
    int d = ra_def(c, i->dst, i->a[0]);
    x86_movzx(b, 8, d, RCX);
}

static void divide(struct jit_ctx *c, const struct ir_insn *i, bool sign) {
    bool w = i->sz == 64;
    struct x86_buf *b = c->buf;
    int ra = ra_reg(c, i->a[0]);
    int rb = ra_reg(c, i->a[1]);
    x86_mov_rr(b, w, RAX, ra);
    x86_mov_rr(b, w, RCX, rb);
    x86_test_rr(b, w, RCX, RCX);
    uint32_t to_zero = x86_jcc8(b, CC_E);
    uint32_t to_done1 = 0;
    if (sign) {
        /* MIN / -1 traps on x86; Arm gives MIN, which is what NEG does. */
        x86_alu_ri(b, ALU_CMP, w, RCX, -1);
        uint32_t to_div = x86_jcc8(b, CC_NE);
        x86_unary(b, UN_NEG, w, RAX);
        to_done1 = x86_jmp8(b);
        x86_patch_rel8(b, to_div, x86_off(b));
        x86_cqo(b, w);
        x86_unary(b, UN_IDIV, w, RCX);
    } else {
        x86_alu_rr(b, ALU_XOR, false, RDX, RDX);
        x86_unary(b, UN_DIV, w, RCX);
    }
    uint32_t to_done2 = x86_jmp8(b);
    x86_patch_rel8(b, to_zero, x86_off(b));
    x86_alu_rr(b, ALU_XOR, false, RAX, RAX);
    if (sign) x86_patch_rel8(b, to_done1, x86_off(b));
    x86_patch_rel8(b, to_done2, x86_off(b));
    int d = ra_def(c, i->dst, i->a[0]);
    x86_mov_rr(b, w, d, RAX);
}

/* EAX/RAX = count of leading zeros of RAX at width sz (BSR, with the
 * zero input mapped to sz through CMOV). */
static void clz_rax(struct x86_buf *b, bool w) {
    unsigned sz = w ? 64 : 32;
    x86_mov_ri(b, RCX, 2 * sz - 1);
    x86_bsr(b, w, RAX, RAX);
    x86_cmov(b, CC_E, w, RAX, RCX);
    x86_alu_ri(b, ALU_XOR, false, RAX, (int32_t)sz - 1);
}

static void bit_swap_step(struct x86_buf *b, bool w, uint8_t s, uint64_t mask) {
    x86_mov_ri(b, RDX, w ? mask : (uint32_t)mask);
    x86_mov_rr(b, w, RCX, RAX);
    x86_shift_ri(b, SH_SHR, w, RCX, s);
    x86_alu_rr(b, ALU_AND, w, RCX, RDX);
    x86_alu_rr(b, ALU_AND, w, RAX, RDX);
    x86_shift_ri(b, SH_SHL, w, RAX, s);
    x86_alu_rr(b, ALU_OR, w, RAX, RCX);
}

static void bits(struct jit_ctx *c, const struct ir_insn *i) {
    bool w = i->sz == 64;
    struct x86_buf *b = c->buf;
    int ra = ra_reg(c, i->a[0]);
    x86_mov_rr(b, w, RAX, ra);
    switch (i->op) {
    case IR_CLZ: clz_rax(b, w); break;
    case IR_CLS:
        x86_mov_rr(b, w, RCX, RAX);
        x86_shift_ri(b, SH_SAR, w, RCX, (uint8_t)(i->sz - 1));
        x86_alu_rr(b, ALU_XOR, w, RAX, RCX);
        clz_rax(b, w);
        x86_alu_ri(b, ALU_SUB, false, RAX, 1);
        break;
    case IR_RBIT:
        x86_bswap(b, w, RAX);
        bit_swap_step(b, w, 4, 0x0f0f0f0f0f0f0f0full);
        bit_swap_step(b, w, 2, 0x3333333333333333ull);
        bit_swap_step(b, w, 1, 0x5555555555555555ull);
        break;
    case IR_REV: x86_bswap(b, w, RAX); break;
    case IR_REV16: bit_swap_step(b, w, 8, 0x00ff00ff00ff00ffull); break;
    case IR_REV32:
        x86_bswap(b, true, RAX);
        x86_shift_ri(b, SH_ROL, true, RAX, 32);
        break;
    }
    int d = ra_def(c, i->dst, i->a[0]);
    x86_mov_rr(b, w || i->op == IR_REV32, d, RAX);
}

static void mulh(struct jit_ctx *c, const struct ir_insn *i, bool sign) {
    int ra = ra_reg(c, i->a[0]);
    int rb = ra_reg(c, i->a[1]);
    x86_mov_rr(c->buf, true, RAX, ra);
    x86_unary(c->buf, sign ? UN_IMUL : UN_MUL, true, rb);
    int d = ra_def(c, i->dst, i->a[0]);
    x86_mov_rr(c->buf, true, d, RDX);
}

void lower_alu(struct jit_ctx *c, const struct ir_insn *i) {
    struct x86_buf *b = c->buf;
    bool w = i->sz == 64;
    switch ((enum ir_opcode)i->op) {
    case IR_CONST:
        c->t[i->dst].is_const = true;
        c->t[i->dst].c = i->imm;
        break;
    case IR_MOV: {
        const struct jit_tval *a = &c->t[i->a[0]];
        if (a->is_const) {
            c->t[i->dst].is_const = true;
            c->t[i->dst].c = a->c;
            break;
        }
        int ra = ra_reg(c, i->a[0]);
        int d = ra_def(c, i->dst, i->a[0]);
        if (d != ra) x86_mov_rr(b, true, d, ra);
        break;
    }
    case IR_GETX: ra_getx(c, i); break;
    case IR_SETX: ra_setx(c, (unsigned)i->imm, i->a[0]); break;
    case IR_ADD:
        if (!add_lea(c, i)) binop(c, i, ALU_ADD);
        break;
    case IR_SUB: binop(c, i, ALU_SUB); break;
    case IR_AND: binop(c, i, ALU_AND); break;
    case IR_OR: binop(c, i, ALU_OR); break;
    case IR_XOR: binop(c, i, ALU_XOR); break;
    case IR_ANDN: binop_not(c, i, ALU_AND); break;
    case IR_ORN: binop_not(c, i, ALU_OR); break;
    case IR_MUL: {
        int ra = ra_reg(c, i->a[0]);
        int rb = ra_reg(c, i->a[1]);
        bool sw = reuse_operand(c, i);
        if (sw) {
            int t = ra;
            ra = rb;
            rb = t;
        }
        int d = ra_def(c, i->dst, i->a[sw ? 1 : 0]);
        if (d != ra) x86_mov_rr(b, w, d, ra);
        x86_imul_rr(b, w, d, rb);
        break;
    }
    case IR_NOT: unop(c, i, UN_NOT); break;
    case IR_NEG: unop(c, i, UN_NEG); break;
    case IR_SHL: shift(c, i, SH_SHL); break;
    case IR_LSR: shift(c, i, SH_SHR); break;
    case IR_ASR: shift(c, i, SH_SAR); break;
    case IR_ROR: shift(c, i, SH_ROR); break;
    case IR_ADC: adc(c, i, false); break;
    case IR_FLAGS_ADC: adc(c, i, true); break;
    case IR_FLAGS_NZ: flags_nz(c, i); break;
    case IR_FLAGS_SUB: flags_sub(c, i); break;
    case IR_COND: cond(c, i); break;
    case IR_CONDSUB:
    case IR_CONDADD: cond_fused(c, i); break;
    case IR_SELECT: {
        int ra = ra_reg(c, i->a[0]);
        int rb = ra_reg(c, i->a[1]);
        int rc = ra_reg(c, i->a[2]);
        x86_mov_rr(b, true, RAX, rc);
        x86_test_rr(b, true, ra, ra);
        x86_cmov(b, CC_NE, true, RAX, rb);
        int d = ra_def(c, i->dst, i->a[0]);
        x86_mov_rr(b, true, d, RAX);
        break;
    }
    case IR_SETEQ:
    case IR_SETNE: {
        int32_t imm;
        int ra = ra_reg(c, i->a[0]);
        bool bi = ra_imm32(c, i->a[1], &imm);
        int rb = bi ? -1 : ra_reg(c, i->a[1]);
        x86_alu_rr(b, ALU_XOR, false, RAX, RAX);
        if (bi)
            x86_alu_ri(b, ALU_CMP, true, ra, imm);
        else
            x86_alu_rr(b, ALU_CMP, true, ra, rb);
        x86_setcc(b, i->op == IR_SETEQ ? CC_E : CC_NE, RAX);
        int d = ra_def(c, i->dst, i->a[0]);
        x86_mov_rr(b, false, d, RAX);
        break;
    }
    case IR_UMULH: mulh(c, i, false); break;
    case IR_SMULH: mulh(c, i, true); break;
    case IR_UDIV: divide(c, i, false); break;
    case IR_SDIV: divide(c, i, true); break;
    case IR_CLZ:
    case IR_CLS:
    case IR_RBIT:
    case IR_REV:
    case IR_REV16:
    case IR_REV32: bits(c, i); break;
    case IR_SEXT: {
        int ra = ra_reg(c, i->a[0]);
        int d = ra_def(c, i->dst, i->a[0]);
        x86_movsx(b, i->sz, d, ra);
        break;
    }
    case IR_ZEXT: {
        int ra = ra_reg(c, i->a[0]);
        int d = ra_def(c, i->dst, i->a[0]);
        if (i->sz == 32)
            x86_mov_rr(b, false, d, ra);
        else
            x86_movzx(b, i->sz, d, ra);
        break;
    }
    default: SHOAL_ASSERT(!"lower_alu: not an ALU op");
    }
}

/* A64 family fp: scalar floating-point data processing (1, 2 and 3
 * sources), compares, conditional compare/select and FMOV (register,
 * immediate), single and double precision. Half-precision arithmetic is
 * FEAT_FP16 (not ARMv8.0): those encodings match no row and are SIGILL;
 * only FCVT reads and writes half precision. */
#include "dbt/a64/fp_common.h"
#include "dbt/fp/fpu.h"
#include "dbt/interp_ops.h"
#include "dbt/simd/vop.h"

/* ---- helpers: `esize` and small options travel in the first argument ---- */

static uint64_t h_fadd(struct cpu *cpu, uint64_t e, uint64_t a, uint64_t b, uint64_t u) {
    return fpu_add(cpu, (unsigned)e, a, b);
}
static uint64_t h_fsub(struct cpu *cpu, uint64_t e, uint64_t a, uint64_t b, uint64_t u) {
    return fpu_sub(cpu, (unsigned)e, a, b);
}
static uint64_t h_fmul(struct cpu *cpu, uint64_t e, uint64_t a, uint64_t b, uint64_t u) {
    return fpu_mul(cpu, (unsigned)e, a, b);
}
static uint64_t h_fnmul(struct cpu *cpu, uint64_t e, uint64_t a, uint64_t b, uint64_t u) {
    /* FPNeg(FPMul()): a NaN result has its sign flipped too. */
    return fpu_mul(cpu, (unsigned)e, a, b) ^ fp_sign_bit((unsigned)e);
}
static uint64_t h_fdiv(struct cpu *cpu, uint64_t e, uint64_t a, uint64_t b, uint64_t u) {
    return fpu_div(cpu, (unsigned)e, a, b);
}
static uint64_t h_fmax(struct cpu *cpu, uint64_t e, uint64_t a, uint64_t b, uint64_t u) {
    return fpu_max(cpu, (unsigned)e, a, b);
}
static uint64_t h_fmin(struct cpu *cpu, uint64_t e, uint64_t a, uint64_t b, uint64_t u) {
    return fpu_min(cpu, (unsigned)e, a, b);
}
static uint64_t h_fmaxnm(struct cpu *cpu, uint64_t e, uint64_t a, uint64_t b, uint64_t u) {
    return fpu_maxnm(cpu, (unsigned)e, a, b);
}
static uint64_t h_fminnm(struct cpu *cpu, uint64_t e, uint64_t a, uint64_t b, uint64_t u) {
    return fpu_minnm(cpu, (unsigned)e, a, b);
}
/* FMADD/FMSUB/FNMADD/FNMSUB: opt = esize | negate_addend << 8 | negate_n << 9. */
static uint64_t h_fmadd(struct cpu *cpu, uint64_t opt, uint64_t n, uint64_t m, uint64_t a) {
    unsigned esize = opt & 0xff;
    if (opt & (1u << 8)) a ^= fp_sign_bit(esize);
    if (opt & (1u << 9)) n ^= fp_sign_bit(esize);
    return fpu_muladd(cpu, esize, a, n, m);
}

/* FRINT*: opt = esize | rmode << 8 | exact << 12. */
static uint64_t h_frint(struct cpu *cpu, uint64_t opt, uint64_t a, uint64_t u1, uint64_t u2) {
    return fpu_round_int(cpu, opt & 0xff, a, (enum fpu_rmode)((opt >> 8) & 0xf), (opt >> 12) & 1);
}

/* FCCMP/FCCMPE: opt = esize | signal_all << 8 | cond << 12 | nzcv << 16.
 * The comparison (and its exceptions) happens only when cond holds. */
static uint64_t h_fccmp(struct cpu *cpu, uint64_t opt, uint64_t a, uint64_t b, uint64_t nzcv) {
    if (!interp_cond((uint32_t)nzcv, (opt >> 12) & 0xf)) return ((opt >> 16) & 0xf) << 28;
    return fpu_compare(cpu, opt & 0xff, a, b, (opt >> 8) & 1);
}

/* ---- translation ---- */

static unsigned esize_of(uint32_t insn) {
    return BIT(insn, 22) ? 64 : 32;
}

/* ---- whole-instruction helpers: the semantics of the IR_VOP forms
 * (dbt/simd/vop.h) that a backend may lower inline ---- */

static uint64_t vlo(struct cpu *cpu, unsigned r) {
    return cpu->v[r].d[0];
}
static void set_vscalar(struct cpu *cpu, unsigned r, uint64_t v) {
    cpu->v[r].d[0] = v;
    cpu->v[r].d[1] = 0;
}

/* FMUL FDIV FADD FSUB FMAX FMIN FMAXNM FMINNM FNMUL (opcode bits 15:12). */
static uint64_t hv_fp2(struct cpu *cpu, uint64_t insn, uint64_t x, uint64_t u1, uint64_t u2) {
    static const ir_helper_fn fn[9] = {h_fmul, h_fdiv,   h_fadd,   h_fsub, h_fmax,
                                       h_fmin, h_fmaxnm, h_fminnm, h_fnmul};
    uint64_t r = fn[BITS(insn, 15, 12)](cpu, esize_of((uint32_t)insn), vlo(cpu, BITS(insn, 9, 5)),
                                        vlo(cpu, BITS(insn, 20, 16)), 0);
    set_vscalar(cpu, BITS(insn, 4, 0), r);
    return 0;
}

/* FSQRT (opcode 000011) and FCVT (0001 to). */
static uint64_t hv_fp1(struct cpu *cpu, uint64_t insn, uint64_t x, uint64_t u1, uint64_t u2) {
    static const unsigned esize[4] = {32, 64, 0, 16};
    uint64_t n = vlo(cpu, BITS(insn, 9, 5)), r;
    if (BITS(insn, 20, 15) == 3)
        r = fpu_sqrt(cpu, esize_of((uint32_t)insn), n);
    else
        r = fpu_convert(cpu, fp_ftype_esize((uint32_t)insn), esize[BITS(insn, 16, 15)], n);
    set_vscalar(cpu, BITS(insn, 4, 0), r);
    return 0;
}

static uint64_t hv_fp3(struct cpu *cpu, uint64_t insn, uint64_t x, uint64_t u1, uint64_t u2) {
    bool o1 = BIT(insn, 21), o0 = BIT(insn, 15);
    uint64_t opt = esize_of((uint32_t)insn) | (uint64_t)o1 << 8 | (uint64_t)(o0 != o1) << 9;
    uint64_t r = h_fmadd(cpu, opt, vlo(cpu, BITS(insn, 9, 5)), vlo(cpu, BITS(insn, 20, 16)),
                         vlo(cpu, BITS(insn, 14, 10)));
    set_vscalar(cpu, BITS(insn, 4, 0), r);
    return 0;
}

static uint64_t hv_fcmp(struct cpu *cpu, uint64_t insn, uint64_t x, uint64_t u1, uint64_t u2) {
    uint64_t m = BIT(insn, 3) ? 0 : vlo(cpu, BITS(insn, 20, 16));
    cpu->nzcv =
        fpu_compare(cpu, esize_of((uint32_t)insn), vlo(cpu, BITS(insn, 9, 5)), m, BIT(insn, 4));
    return 0;
}

/* The two-source arithmetic rows: one IR_VOP each (hv_fp2). */
static void trans_fp2(struct a64_ctx *c, uint32_t insn) {
    ir_vop(c->b, VK_FP2, insn, hv_fp2, IR_ZERO);
}

/* FMADD: a + n*m; FMSUB: a - n*m; FNMADD: -a - n*m; FNMSUB: -a + n*m (hv_fp3). */
static void trans_fmadd(struct a64_ctx *c, uint32_t insn) {
    ir_vop(c->b, VK_FP3, insn, hv_fp3, IR_ZERO);
}

static void trans_fmov_reg(struct a64_ctx *c, uint32_t insn) {
    unsigned esize = esize_of(insn);
    ir_temp n = a64_read_vlo(c, BITS(insn, 9, 5));
    a64_write_vscalar(c, BITS(insn, 4, 0), fp_zext(c, n, esize));
}

static void trans_fabs(struct a64_ctx *c, uint32_t insn) {
    unsigned esize = esize_of(insn);
    ir_temp n = a64_read_vlo(c, BITS(insn, 9, 5));
    ir_temp r = ir_op2(c->b, IR_AND, 64, n, ir_const(c->b, fp_sign_bit(esize) - 1));
    a64_write_vscalar(c, BITS(insn, 4, 0), r);
}

static void trans_fneg(struct a64_ctx *c, uint32_t insn) {
    unsigned esize = esize_of(insn);
    ir_temp n = fp_zext(c, a64_read_vlo(c, BITS(insn, 9, 5)), esize);
    ir_temp r = ir_op2(c->b, IR_XOR, 64, n, ir_const(c->b, fp_sign_bit(esize)));
    a64_write_vscalar(c, BITS(insn, 4, 0), r);
}

static void trans_fsqrt(struct a64_ctx *c, uint32_t insn) {
    ir_vop(c->b, VK_FP1, insn, hv_fp1, IR_ZERO);
}

static void trans_fcvt(struct a64_ctx *c, uint32_t insn) {
    static const unsigned esize[4] = {32, 64, 0, 16};
    unsigned from = fp_ftype_esize(insn), to = esize[BITS(insn, 16, 15)];
    if (!from || !to || from == to) {
        a64_unallocated(c);
        return;
    }
    ir_vop(c->b, VK_FP1, insn, hv_fp1, IR_ZERO);
}

/* FRINT{N,P,M,Z,A,X,I} as a whole instruction: opcode bits 17:15. */
static uint64_t hv_frint(struct cpu *cpu, uint64_t insn, uint64_t x, uint64_t u1, uint64_t u2) {
    static const enum fpu_rmode rm[8] = {FPU_RN, FPU_RP, FPU_RM,    FPU_RZ,
                                         FPU_RA, FPU_RN, FPU_RFPCR, FPU_RFPCR};
    unsigned k = BITS(insn, 17, 15);
    uint64_t opt = esize_of((uint32_t)insn) | (uint64_t)rm[k] << 8 | (uint64_t)(k == 6) << 12;
    uint64_t r = h_frint(cpu, opt, vlo(cpu, BITS(insn, 9, 5)), 0, 0);
    set_vscalar(cpu, BITS(insn, 4, 0), r);
    return 0;
}

/* FRINT{N,P,M,Z,A,X,I}: the rounding mode and exactness follow from the
 * encoding, which hv_frint decodes, so one handler serves every row. */
static void trans_frint(struct a64_ctx *c, uint32_t insn) {
    ir_vop(c->b, VK_FRINT, insn, hv_frint, IR_ZERO);
}

/* FCMP{E} Vn, Vm and FCMP{E} Vn, #0.0 (bit 3 of the opcode; Rm ignored). */
static void trans_fcmp(struct a64_ctx *c, uint32_t insn) {
    ir_vop(c->b, VK_FCMP, insn, hv_fcmp, IR_ZERO);
}

static void trans_fccmp(struct a64_ctx *c, uint32_t insn) {
    uint64_t opt = esize_of(insn) | (uint64_t)BIT(insn, 4) << 8 |
                   (uint64_t)BITS(insn, 15, 12) << 12 | (uint64_t)BITS(insn, 3, 0) << 16;
    ir_temp n = a64_read_vlo(c, BITS(insn, 9, 5)), m = a64_read_vlo(c, BITS(insn, 20, 16));
    ir_temp r = ir_call(c->b, h_fccmp, ir_const(c->b, opt), n, m, a64_read_nzcv(c));
    a64_write_nzcv(c, r);
}

static void trans_fcsel(struct a64_ctx *c, uint32_t insn) {
    ir_temp n = a64_read_vlo(c, BITS(insn, 9, 5)), m = a64_read_vlo(c, BITS(insn, 20, 16));
    ir_temp holds = ir_op1i(c->b, IR_COND, 64, a64_read_nzcv(c), BITS(insn, 15, 12));
    ir_temp r = ir_op3(c->b, IR_SELECT, 64, holds, n, m);
    a64_write_vscalar(c, BITS(insn, 4, 0), fp_zext(c, r, esize_of(insn)));
}

/* VFPExpandImm: sign, exponent NOT(b6):b6...b6:b5:b4, fraction b3:b0:0... */
static uint64_t vfp_expand_imm(unsigned imm8, unsigned esize) {
    unsigned ebits = esize == 64 ? 11 : 8, fbits = esize - ebits - 1;
    uint64_t b6 = (imm8 >> 6) & 1;
    uint64_t exp =
        (!b6) << (ebits - 1) | (b6 ? ((1ull << (ebits - 3)) - 1) << 2 : 0) | ((imm8 >> 4) & 3);
    return (uint64_t)(imm8 >> 7) << (esize - 1) | exp << fbits |
           (uint64_t)(imm8 & 15) << (fbits - 4);
}

static void trans_fmov_imm(struct a64_ctx *c, uint32_t insn) {
    uint64_t v = vfp_expand_imm(BITS(insn, 20, 13), esize_of(insn));
    a64_write_vscalar(c, BITS(insn, 4, 0), ir_const(c->b, v));
}

/* Patterns: M=0 S=0 11110, ftype "0p" (00 single, 01 double). */
const struct a64_row a64_rows_fp[] = {
    {"FMOV_reg", "0001 1110 0p10 0000 0100 00nn nnnd dddd", trans_fmov_reg},
    {"FABS", "0001 1110 0p10 0000 1100 00nn nnnd dddd", trans_fabs},
    {"FNEG", "0001 1110 0p10 0001 0100 00nn nnnd dddd", trans_fneg},
    {"FSQRT", "0001 1110 0p10 0001 1100 00nn nnnd dddd", trans_fsqrt},
    {"FCVT", "0001 1110 pp10 001q q100 00nn nnnd dddd", trans_fcvt},
    {"FRINTN", "0001 1110 0p10 0100 0100 00nn nnnd dddd", trans_frint},
    {"FRINTP", "0001 1110 0p10 0100 1100 00nn nnnd dddd", trans_frint},
    {"FRINTM", "0001 1110 0p10 0101 0100 00nn nnnd dddd", trans_frint},
    {"FRINTZ", "0001 1110 0p10 0101 1100 00nn nnnd dddd", trans_frint},
    {"FRINTA", "0001 1110 0p10 0110 0100 00nn nnnd dddd", trans_frint},
    {"FRINTX", "0001 1110 0p10 0111 0100 00nn nnnd dddd", trans_frint},
    {"FRINTI", "0001 1110 0p10 0111 1100 00nn nnnd dddd", trans_frint},
    {"FMUL", "0001 1110 0p1m mmmm 0000 10nn nnnd dddd", trans_fp2},
    {"FDIV", "0001 1110 0p1m mmmm 0001 10nn nnnd dddd", trans_fp2},
    {"FADD", "0001 1110 0p1m mmmm 0010 10nn nnnd dddd", trans_fp2},
    {"FSUB", "0001 1110 0p1m mmmm 0011 10nn nnnd dddd", trans_fp2},
    {"FMAX", "0001 1110 0p1m mmmm 0100 10nn nnnd dddd", trans_fp2},
    {"FMIN", "0001 1110 0p1m mmmm 0101 10nn nnnd dddd", trans_fp2},
    {"FMAXNM", "0001 1110 0p1m mmmm 0110 10nn nnnd dddd", trans_fp2},
    {"FMINNM", "0001 1110 0p1m mmmm 0111 10nn nnnd dddd", trans_fp2},
    {"FNMUL", "0001 1110 0p1m mmmm 1000 10nn nnnd dddd", trans_fp2},
    {"FMADD", "0001 1111 0p0m mmmm 0aaa aann nnnd dddd", trans_fmadd},
    {"FMSUB", "0001 1111 0p0m mmmm 1aaa aann nnnd dddd", trans_fmadd},
    {"FNMADD", "0001 1111 0p1m mmmm 0aaa aann nnnd dddd", trans_fmadd},
    {"FNMSUB", "0001 1111 0p1m mmmm 1aaa aann nnnd dddd", trans_fmadd},
    {"FCMP", "0001 1110 0p1m mmmm 0010 00nn nnn0 0000", trans_fcmp},
    {"FCMP_zero", "0001 1110 0p1- ---- 0010 00nn nnn0 1000", trans_fcmp},
    {"FCMPE", "0001 1110 0p1m mmmm 0010 00nn nnn1 0000", trans_fcmp},
    {"FCMPE_zero", "0001 1110 0p1- ---- 0010 00nn nnn1 1000", trans_fcmp},
    {"FCCMP", "0001 1110 0p1m mmmm cccc 01nn nnn0 iiii", trans_fccmp},
    {"FCCMPE", "0001 1110 0p1m mmmm cccc 01nn nnn1 iiii", trans_fccmp},
    {"FCSEL", "0001 1110 0p1m mmmm cccc 11nn nnnd dddd", trans_fcsel},
    {"FMOV_imm", "0001 1110 0p1i iiii iii1 0000 000d dddd", trans_fmov_imm},
    {NULL, NULL, NULL},
};

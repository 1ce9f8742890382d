/* A64 family fp_conv: conversions between floating point and integer or
 * fixed point (FCVT{N,P,M,Z,A}{S,U}, SCVTF, UCVTF) and FMOV between
 * general and SIMD&FP registers, including the upper half of a 128-bit
 * register (FMOV Xd, Vn.D[1]). Half-precision forms are FEAT_FP16 and
 * match no row (SIGILL). */
#include "dbt/a64/fp_common.h"
#include "dbt/fp/fpu.h"
#include "dbt/simd/vop.h"

/* Conversion options packed into a helper's first argument. */
#define CV_OPT(esize, int_bits, is_signed, rm, fbits)                                              \
    ((uint64_t)(esize) | (uint64_t)(int_bits) << 8 | (uint64_t)(is_signed) << 16 |                 \
     (uint64_t)(rm) << 20 | (uint64_t)(fbits) << 24)
#define CV_ESIZE(o)  ((unsigned)((o)&0xff))
#define CV_BITS(o)   ((unsigned)(((o) >> 8) & 0xff))
#define CV_SIGNED(o) ((((o) >> 16) & 1) != 0)
#define CV_RMODE(o)  ((enum fpu_rmode)(((o) >> 20) & 0xf))
#define CV_FBITS(o)  ((unsigned)(((o) >> 24) & 0xff))

static uint64_t h_fp_to_int(struct cpu *cpu, uint64_t o, uint64_t a, uint64_t u1, uint64_t u2) {
    return fpu_to_int(cpu, CV_ESIZE(o), a, CV_BITS(o), CV_SIGNED(o), CV_FBITS(o), CV_RMODE(o));
}

static uint64_t h_int_to_fp(struct cpu *cpu, uint64_t o, uint64_t a, uint64_t u1, uint64_t u2) {
    return fpu_from_int(cpu, CV_ESIZE(o), a, CV_BITS(o), CV_SIGNED(o), CV_FBITS(o));
}

static unsigned esize_of(uint32_t insn) {
    return BIT(insn, 22) ? 64 : 32;
}
static unsigned int_bits_of(uint32_t insn) {
    return BIT(insn, 31) ? 64 : 32;
}

/* Fixed-point forms: fbits = 64 - scale, at most 32 for a W register. */
static bool fixed_fbits(struct a64_ctx *c, uint32_t insn, unsigned *fbits) {
    unsigned scale = BITS(insn, 15, 10);
    if (!BIT(insn, 31) && scale < 32) {
        a64_unallocated(c);
        return false;
    }
    *fbits = 64 - scale;
    return true;
}

/* The integer (not fixed-point) forms as whole instructions, for IR_VOP:
 * rmode (bits 20:19) and opcode (18:16) give the rounding and signedness. */
static uint64_t hv_f2i(struct cpu *cpu, uint64_t insn, uint64_t x, uint64_t u1, uint64_t u2) {
    static const enum fpu_rmode rmode[4] = {FPU_RN, FPU_RP, FPU_RM, FPU_RZ};
    enum fpu_rmode rm = BIT(insn, 18) ? FPU_RA : rmode[BITS(insn, 20, 19)];
    return fpu_to_int(cpu, esize_of((uint32_t)insn), cpu->v[BITS(insn, 9, 5)].d[0],
                      int_bits_of((uint32_t)insn), !BIT(insn, 16), 0, rm);
}

static uint64_t hv_i2f(struct cpu *cpu, uint64_t insn, uint64_t x, uint64_t u1, uint64_t u2) {
    uint64_t r = fpu_from_int(cpu, esize_of((uint32_t)insn), x, int_bits_of((uint32_t)insn),
                              !BIT(insn, 16), 0);
    cpu->v[BITS(insn, 4, 0)].d[0] = r;
    cpu->v[BITS(insn, 4, 0)].d[1] = 0;
    return 0;
}

static void to_int(struct a64_ctx *c, uint32_t insn, bool is_signed, enum fpu_rmode rm,
                   unsigned fbits) {
    if (!fbits) {
        a64_write_x(c, BITS(insn, 4, 0), ir_vop(c->b, VK_F2I, insn, hv_f2i, IR_ZERO),
                    BIT(insn, 31));
        return;
    }
    uint64_t o = CV_OPT(esize_of(insn), int_bits_of(insn), is_signed, rm, fbits);
    ir_temp n = a64_read_vlo(c, BITS(insn, 9, 5));
    ir_temp r = ir_call(c->b, h_fp_to_int, ir_const(c->b, o), n, IR_ZERO, IR_ZERO);
    a64_write_x(c, BITS(insn, 4, 0), r, BIT(insn, 31));
}

static void from_int(struct a64_ctx *c, uint32_t insn, bool is_signed, unsigned fbits) {
    if (!fbits) {
        ir_vop(c->b, VK_I2F, insn, hv_i2f, a64_read_x(c, BITS(insn, 9, 5)));
        return;
    }
    uint64_t o = CV_OPT(esize_of(insn), int_bits_of(insn), is_signed, 0, fbits);
    ir_temp n = a64_read_x(c, BITS(insn, 9, 5));
    ir_temp r = ir_call(c->b, h_int_to_fp, ir_const(c->b, o), n, IR_ZERO, IR_ZERO);
    a64_write_vscalar(c, BITS(insn, 4, 0), r);
}

static void trans_fcvtns(struct a64_ctx *c, uint32_t insn) {
    to_int(c, insn, true, FPU_RN, 0);
}
static void trans_fcvtnu(struct a64_ctx *c, uint32_t insn) {
    to_int(c, insn, false, FPU_RN, 0);
}
static void trans_fcvtps(struct a64_ctx *c, uint32_t insn) {
    to_int(c, insn, true, FPU_RP, 0);
}
static void trans_fcvtpu(struct a64_ctx *c, uint32_t insn) {
    to_int(c, insn, false, FPU_RP, 0);
}
static void trans_fcvtms(struct a64_ctx *c, uint32_t insn) {
    to_int(c, insn, true, FPU_RM, 0);
}
static void trans_fcvtmu(struct a64_ctx *c, uint32_t insn) {
    to_int(c, insn, false, FPU_RM, 0);
}
static void trans_fcvtzs(struct a64_ctx *c, uint32_t insn) {
    to_int(c, insn, true, FPU_RZ, 0);
}
static void trans_fcvtzu(struct a64_ctx *c, uint32_t insn) {
    to_int(c, insn, false, FPU_RZ, 0);
}
static void trans_fcvtas(struct a64_ctx *c, uint32_t insn) {
    to_int(c, insn, true, FPU_RA, 0);
}
static void trans_fcvtau(struct a64_ctx *c, uint32_t insn) {
    to_int(c, insn, false, FPU_RA, 0);
}
static void trans_scvtf(struct a64_ctx *c, uint32_t insn) {
    from_int(c, insn, true, 0);
}
static void trans_ucvtf(struct a64_ctx *c, uint32_t insn) {
    from_int(c, insn, false, 0);
}

static void trans_fcvtzs_fixed(struct a64_ctx *c, uint32_t insn) {
    unsigned fbits;
    if (fixed_fbits(c, insn, &fbits)) to_int(c, insn, true, FPU_RZ, fbits);
}

static void trans_fcvtzu_fixed(struct a64_ctx *c, uint32_t insn) {
    unsigned fbits;
    if (fixed_fbits(c, insn, &fbits)) to_int(c, insn, false, FPU_RZ, fbits);
}

static void trans_scvtf_fixed(struct a64_ctx *c, uint32_t insn) {
    unsigned fbits;
    if (fixed_fbits(c, insn, &fbits)) from_int(c, insn, true, fbits);
}

static void trans_ucvtf_fixed(struct a64_ctx *c, uint32_t insn) {
    unsigned fbits;
    if (fixed_fbits(c, insn, &fbits)) from_int(c, insn, false, fbits);
}

/* FMOV Wd, Sn / FMOV Xd, Dn */
static void trans_fmov_to_gpr(struct a64_ctx *c, uint32_t insn) {
    a64_write_x(c, BITS(insn, 4, 0), a64_read_vlo(c, BITS(insn, 9, 5)), BIT(insn, 31));
}

/* FMOV Sd, Wn / FMOV Dd, Xn: the rest of the vector register is zeroed. */
static void trans_fmov_from_gpr(struct a64_ctx *c, uint32_t insn) {
    ir_temp n = a64_read_x(c, BITS(insn, 9, 5));
    a64_write_vscalar(c, BITS(insn, 4, 0), BIT(insn, 31) ? n : fp_zext(c, n, 32));
}

/* FMOV Xd, Vn.D[1] */
static void trans_fmov_to_gpr_top(struct a64_ctx *c, uint32_t insn) {
    a64_write_x(c, BITS(insn, 4, 0), a64_read_vhi(c, BITS(insn, 9, 5)), true);
}

/* FMOV Vd.D[1], Xn: only the upper half changes. */
static void trans_fmov_from_gpr_top(struct a64_ctx *c, uint32_t insn) {
    ir_stcpu(c->b, 64, CPU_VOFF(BITS(insn, 4, 0)) + 8, a64_read_x(c, BITS(insn, 9, 5)));
}

/* Patterns: sf (z), 0 0 11110, ftype "0p", 1 (integer) or 0 (fixed),
 * rmode, opcode. */
const struct a64_row a64_rows_fp_conv[] = {
    {"FCVTNS", "z001 1110 0p10 0000 0000 00nn nnnd dddd", trans_fcvtns},
    {"FCVTNU", "z001 1110 0p10 0001 0000 00nn nnnd dddd", trans_fcvtnu},
    {"SCVTF", "z001 1110 0p10 0010 0000 00nn nnnd dddd", trans_scvtf},
    {"UCVTF", "z001 1110 0p10 0011 0000 00nn nnnd dddd", trans_ucvtf},
    {"FCVTAS", "z001 1110 0p10 0100 0000 00nn nnnd dddd", trans_fcvtas},
    {"FCVTAU", "z001 1110 0p10 0101 0000 00nn nnnd dddd", trans_fcvtau},
    {"FCVTPS", "z001 1110 0p10 1000 0000 00nn nnnd dddd", trans_fcvtps},
    {"FCVTPU", "z001 1110 0p10 1001 0000 00nn nnnd dddd", trans_fcvtpu},
    {"FCVTMS", "z001 1110 0p11 0000 0000 00nn nnnd dddd", trans_fcvtms},
    {"FCVTMU", "z001 1110 0p11 0001 0000 00nn nnnd dddd", trans_fcvtmu},
    {"FCVTZS", "z001 1110 0p11 1000 0000 00nn nnnd dddd", trans_fcvtzs},
    {"FCVTZU", "z001 1110 0p11 1001 0000 00nn nnnd dddd", trans_fcvtzu},
    {"FMOV_w_s", "0001 1110 0010 0110 0000 00nn nnnd dddd", trans_fmov_to_gpr},
    {"FMOV_s_w", "0001 1110 0010 0111 0000 00nn nnnd dddd", trans_fmov_from_gpr},
    {"FMOV_x_d", "1001 1110 0110 0110 0000 00nn nnnd dddd", trans_fmov_to_gpr},
    {"FMOV_d_x", "1001 1110 0110 0111 0000 00nn nnnd dddd", trans_fmov_from_gpr},
    {"FMOV_x_v1", "1001 1110 1010 1110 0000 00nn nnnd dddd", trans_fmov_to_gpr_top},
    {"FMOV_v1_x", "1001 1110 1010 1111 0000 00nn nnnd dddd", trans_fmov_from_gpr_top},
    {"SCVTF_fixed", "z001 1110 0p00 0010 iiii iinn nnnd dddd", trans_scvtf_fixed},
    {"UCVTF_fixed", "z001 1110 0p00 0011 iiii iinn nnnd dddd", trans_ucvtf_fixed},
    {"FCVTZS_fixed", "z001 1110 0p01 1000 iiii iinn nnnd dddd", trans_fcvtzs_fixed},
    {"FCVTZU_fixed", "z001 1110 0p01 1001 iiii iinn nnnd dddd", trans_fcvtzu_fixed},
    {NULL, NULL, NULL},
};

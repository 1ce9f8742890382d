/* A64 family: Advanced SIMD vector x indexed element, integer forms
 * (vector and scalar). The element index is H:L:M for 16-bit elements
 * (Rm is then V0-V15) and H:L for 32-bit ones; the patterns name H and L
 * as fields 'H' and 'L' and M as Rm's top bit. The FP forms live in
 * simd_fp_indexed.c. */
#include "dbt/a64/simd_common.h"
#include "dbt/simd/vop.h"

/* The widening forms: opcodes 001x, 011x (MLAL, MLSL) and 101x (MULL). */
static bool is_long(unsigned op) {
    return (op & 0x2) && (op & 0xc) != 0xc;
}

static uint64_t lane_op(struct cpu *cpu, unsigned op, unsigned bits, s128 a, s128 b, s128 acc) {
    unsigned wide = 2 * bits;
    switch (op) {
    case 0x08: return (uint64_t)(a * b);                          /* MUL */
    case 0x10: return (uint64_t)(acc + a * b);                    /* MLA */
    case 0x14: return (uint64_t)(acc - a * b);                    /* MLS */
    case 0x0c: return sat_signed(cpu, (2 * a * b) >> bits, bits); /* SQDMULH */
    case 0x0d: return sat_signed(cpu, (2 * a * b + ((s128)1 << (bits - 1))) >> bits, bits);
    case 0x02:
    case 0x12: return (uint64_t)(acc + a * b); /* [SU]MLAL */
    case 0x06:
    case 0x16: return (uint64_t)(acc - a * b); /* [SU]MLSL */
    case 0x0a:
    case 0x1a: return (uint64_t)(a * b); /* [SU]MULL */
    case 0x03:
        return sat_signed(cpu, acc + lane_sext(sat_signed(cpu, 2 * a * b, wide), wide), wide);
    case 0x07:
        return sat_signed(cpu, acc - lane_sext(sat_signed(cpu, 2 * a * b, wide), wide), wide);
    case 0x0b: return sat_signed(cpu, 2 * a * b, wide); /* SQDMULL */
    }
    return 0;
}

static uint64_t helper_indexed(struct cpu *cpu, uint64_t insn, uint64_t x1, uint64_t x2,
                               uint64_t x3) {
    unsigned op = SIMD_U(insn) << 4 | BITS(insn, 15, 12), size = SIMD_SIZE(insn);
    unsigned bits = 8u << size, rd = SIMD_RD(insn), rm, index;
    if (size == 1) {
        rm = BITS(insn, 19, 16);
        index = BIT(insn, 11) << 2 | BIT(insn, 21) << 1 | BIT(insn, 20);
    } else {
        rm = SIMD_RM(insn);
        index = BIT(insn, 11) << 1 | BIT(insn, 21);
    }
    bool q = SIMD_Q(insn), scalar = SIMD_SCALAR(insn), is_signed = !SIMD_U(insn);
    const vreg_t a = cpu->v[SIMD_RN(insn)], d = cpu->v[rd];
    s128 b = lane_val(&cpu->v[rm], size, index, is_signed);
    vreg_t r = {{0, 0}};
    bool whole = q || scalar;
    if (is_long(op)) {
        unsigned n = scalar ? 1 : 8u >> size, off = q && !scalar ? n : 0;
        for (unsigned i = 0; i < n; i++)
            lane_set(&r, size + 1, i,
                     lane_op(cpu, op, bits, lane_val(&a, size, i + off, is_signed), b,
                             lane_val(&d, size + 1, i, true)));
        whole = true;
    } else {
        unsigned n = scalar ? 1 : vec_lanes(q, size);
        for (unsigned i = 0; i < n; i++)
            lane_set(&r, size, i,
                     lane_op(cpu, op, bits, lane_val(&a, size, i, is_signed), b,
                             lane_val(&d, size, i, true)));
    }
    vreg_store(cpu, rd, &r, whole);
    return 0;
}

static void trans_indexed(struct a64_ctx *c, uint32_t insn) {
    unsigned size = SIMD_SIZE(insn);
    if ((size == 1 || size == 2) && !SIMD_SCALAR(insn))
        ir_vop(c->b, VK_VIDX, insn, helper_indexed, IR_ZERO); /* lower_vidx.c */
    else
        simd_emit(c, size == 1 || size == 2, helper_indexed);
}

#define VEC(name, u, opc)                                                                          \
    { name "_elem", "0q" u "01111zzLmmmmm" opc "H0nnnnnddddd", trans_indexed }
#define SCAL(name, opc)                                                                            \
    { name "_elem_s", "01011111zzLmmmmm" opc "H0nnnnnddddd", trans_indexed }

const struct a64_row a64_rows_simd_indexed[] = {
    VEC("MUL", "0", "1000"),     VEC("MLA", "1", "0000"),      VEC("MLS", "1", "0100"),
    VEC("SMLAL", "0", "0010"),   VEC("UMLAL", "1", "0010"),    VEC("SMLSL", "0", "0110"),
    VEC("UMLSL", "1", "0110"),   VEC("SMULL", "0", "1010"),    VEC("UMULL", "1", "1010"),
    VEC("SQDMLAL", "0", "0011"), VEC("SQDMLSL", "0", "0111"),  VEC("SQDMULL", "0", "1011"),
    VEC("SQDMULH", "0", "1100"), VEC("SQRDMULH", "0", "1101"), SCAL("SQDMLAL", "0011"),
    SCAL("SQDMLSL", "0111"),     SCAL("SQDMULL", "1011"),      SCAL("SQDMULH", "1100"),
    SCAL("SQRDMULH", "1101"),    {NULL, NULL, NULL},
};
